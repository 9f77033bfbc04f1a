"""What every subcommand of the command line shares: the switches taken before or after
its name, the runner, the spec and forge, events reported through the face, the
repository's lock, trust, one-line usage errors; and running the program with errors
mapped to exit codes. The subcommands themselves are cli.py's."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from plumbum import cli
from plumbum.cli.application import ShowCompletion, ShowHelp, ShowHelpAll, ShowVersion
from plumbum.cli.switches import PositionalArgumentsError

from git_prgroups import __version__
from git_prgroups.errors import ExitCode, PrgroupsError, UsageError, did_you_mean
from git_prgroups.face import to_stderr
from git_prgroups.output import Page, Style, wants_color
from git_prgroups.proc import Runner

if TYPE_CHECKING:
    from collections.abc import Callable

    from git_prgroups.commands.aliases import CommandTable
    from git_prgroups.events import Events
    from git_prgroups.forges.base import Forge
    from git_prgroups.git import Git
    from git_prgroups.readahead import ReadAhead
    from git_prgroups.spec import Spec

_META_SWITCHES = (ShowHelp, ShowHelpAll, ShowVersion, ShowCompletion)
_NOT_OURS = ("completions", "help-all")  # plumbum's meta-switches that are not offered
_HIDDEN = ("help", "h", "version", "v")  # said once, in the program's help
DEBUG = "PRGROUPS_DEBUG"  # set: errors show their traceback
KILLED = "stopped by a second Ctrl-C: what ran was killed; run it again to go on"


class Command(cli.Application):
    """Switches every subcommand takes, before or after its name."""

    spec_switch = cli.SwitchAttr(
        "--spec", str, argname="PATH", help="use this spec instead of the main worktree's"
    )
    verbose_switch = cli.Flag("--verbose", help="echo every git and gh command before it runs")
    no_color_switch = cli.Flag("--no-color", help="no colour (NO_COLOR is honoured too)")

    @cli.switch("--debug")
    def debug(self) -> None:
        """show a traceback for errors (as PRGROUPS_DEBUG=1 does)"""
        os.environ[DEBUG] = "1"

    def __init__(self, executable: str) -> None:
        super().__init__(executable)
        for name in _NOT_OURS:  # plumbum's: `aliases` prints completion; -h tells all
            switch = self._switches_by_name.pop(name, None)
            if switch is not None:
                self._switches_by_func.pop(switch.func, None)

    @cli.switch(["-h", "--help"], overridable=True, group="Meta-switches")
    def help(self) -> None:
        """this help, made from the definitions (plumbum's lists its own switches in every
        command)"""
        from git_prgroups import helptext

        shared = helptext.options_of(Command(str(self.PROGNAME))._switches_by_name, _HIDDEN)
        if self.parent is None:
            commands = {name: (sub.get().__doc__ or "") for name, sub in self._subcommands.items()}
            print(helptext.program_help(str(self.PROGNAME), __version__, self.DESCRIPTION or "",
                                        dict(sorted(commands.items())), shared))  # fmt: skip
            return
        mine = [
            o for o in helptext.options_of(self._switches_by_name, _HIDDEN)
            if o.names not in {s.names for s in shared}
        ]  # fmt: skip
        usage = helptext.arguments_of(self.main, self.TAIL)
        print(helptext.command_help(str(self.PROGNAME), type(self).__doc__ or "", usage, mine,
                                    shared))  # fmt: skip

    def help_on(self, command: str) -> None:
        """`help [COMMAND]`: this program's help, or the subcommand's."""
        if not command:
            self.help()
            return
        found = self._subcommands.get(command)
        if found is None:
            hint = did_you_mean(command, self._subcommands)
            raise UsageError(f"git prgroups help: no command {command!r}{hint}")
        shown = found.get()(f"{self.PROGNAME} {command}")
        shown.parent, shown.PROGNAME = self, f"{self.PROGNAME} {command}"
        shown.help()

    def _switch(self, name: str) -> Any:
        app: Any = self
        while app is not None:
            value = getattr(app, name, None)
            if value:
                return value
            app = app.parent
        return None

    @property
    def spec_path(self) -> Path | None:
        value = self._switch("spec_switch")
        return Path(value) if value else None

    @property
    def verbose(self) -> bool:
        return bool(self._switch("verbose_switch"))

    @property
    def style(self) -> Style:
        return Style(wants_color(sys.stdout, disabled=bool(self._switch("no_color_switch"))))

    @property
    def read_ahead(self) -> ReadAhead | None:
        """What the installed command began before the command line was parsed."""
        begun: ReadAhead | None = self._switch("reads_begun")
        return begun

    @property
    def runner(self) -> Runner:
        if getattr(self, "_runner", None) is None:
            self._runner = Runner(verbose=self.verbose, echo=to_stderr)
            if self.read_ahead is not None:  # what it began, echoed and counted as its own
                self.read_ahead.hand_to(self._runner)
        return self._runner

    def load_spec(self) -> Spec:
        from git_prgroups.workspace import load_workspace_spec

        return load_workspace_spec(self.spec_path, Path.cwd(), self.runner)

    def load_spec_naming(self, names: tuple[str, ...]) -> Spec:
        """The spec, after checking that it has every entry in `names`."""
        from git_prgroups.commands.render import require_entry

        spec = self.load_spec()
        for name in names:
            require_entry(spec, name)
        return spec

    def git_and_forge(self, spec: Spec) -> tuple[Git, Forge]:
        from git_prgroups.forges.choose import choose_forge
        from git_prgroups.git import Git

        git = Git(self.runner, spec.root)
        return git, choose_forge(spec, git)

    interruptible = False
    TAIL = ""  # what the usage line shows after the arguments (exec: its command)

    def reporting(self, as_json: bool, body: Callable[[Events], object]) -> int:
        """Run `body`, showing each event as it comes; the exit code is the events'."""
        from git_prgroups.events import Event, Events
        from git_prgroups.face import Face

        face = Face(as_json=as_json, style=self.style)
        events = Events(face.show, face.progress)
        try:
            if self.interruptible:
                from git_prgroups.interrupt import Interrupted, two_step_interrupts

                try:
                    with two_step_interrupts(events, self.runner):
                        body(events)
                except Interrupted as stopped:
                    events.add(Event("interrupted", str(stopped)))
                except KeyboardInterrupt:  # the second Ctrl-C: what ran was killed
                    events.add(Event("interrupted", KILLED))
            else:
                body(events)
        except KeyboardInterrupt:  # a command that only reads: nothing to finish
            events.add(Event("interrupted", "stopped by Ctrl-C"))
        except PrgroupsError as error:
            if as_json:  # a program reading the lines hears how it ended there too
                face.error(str(error), int(error.exit_code))
                raise _Told(error) from None
            raise
        face.finish(events.exit_code)
        return events.exit_code

    def allow_commands(
        self, spec: Spec, git: Git, forge: Forge, *, trusting: bool, ask: bool
    ) -> None:
        """The spec's commands not yet allowed here: allowed with --trust, or asked about on
        a terminal. Without either they do not run (up says so, and how to allow them)."""
        from git_prgroups.store import Store
        from git_prgroups.trust import spec_commands, trust, untrusted

        store = Store.of(git.common_dir())
        commands = untrusted(store, spec_commands(spec, checks=not forge.merges_on_its_own))
        if not commands:
            return
        if not trusting and ask and sys.stdin.isatty() and sys.stdout.isatty():
            print(f"{spec.path.name} asks to run these commands here, with your rights:")
            print("".join(f"  {shlex.join(argv)}\n" for argv in commands), end="")
            trusting = input("Allow them, now and in later runs? [y/N] ").strip().lower() in (
                "y", "yes",
            )  # fmt: skip
        if trusting:
            trust(store, commands)

    @contextlib.contextmanager
    def locked(
        self, git: Git, what: str, events: Events, *, dry_run: bool = False
    ) -> Iterator[None]:
        """The repository's lock: one changing command at a time (a dry run changes
        nothing and takes none)."""
        if dry_run:
            yield
            return
        from git_prgroups.recovery import holding_the_lock

        with holding_the_lock(git, what, events):
            yield

    @contextlib.contextmanager
    def fetch_begun(
        self, spec: Spec, git: Git, forge: Forge
    ) -> Iterator[Callable[[], None] | None]:
        """The fetch, begun now while the rest of the command loads, where the forge is
        read after it (one that does not merge on its own: a forge that does is read
        first, so that what it calls merged is in what is fetched); waited for before
        the lock is let go, whatever happened."""
        fetched = None if forge.merges_on_its_own else git.begin_fetch(spec.defaults.remote)
        try:
            yield fetched
        finally:
            if fetched is not None:
                with contextlib.suppress(Exception):  # said already, if it mattered
                    fetched()

    # plumbum prints its whole help after a usage error; we print one line on stderr.
    def _parse_args(self, argv: list[str]) -> Any:
        try:
            return super()._parse_args(argv)
        except cli.SwitchError as error:
            raise self._usage(error) from None

    def _validate_args(self, swfuncs: Any, tailargs: Any) -> Any:
        try:
            return super()._validate_args(swfuncs, tailargs)
        except cli.SwitchError as error:
            raise self._usage(error) from None

    def _usage(self, error: cli.SwitchError) -> Exception:
        """One line in plain words: what is wrong, what was meant, where help is."""
        if isinstance(error, _META_SWITCHES):  # --help, --version: plumbum's own way
            return error
        message = (str(error).splitlines() or ["bad usage"])[0].rstrip(":")
        unknown = re.fullmatch(r"Unknown switch (\S+)", message)
        if unknown:
            known = [f"--{n}" if len(n) > 1 else f"-{n}" for n in self._switches_by_name]
            message = f"no option {unknown[1]}" + did_you_mean(unknown[1], known)
        elif isinstance(error, PositionalArgumentsError):
            from git_prgroups.helptext import arguments_of

            wanted = arguments_of(self.main, self.TAIL)
            message = (
                f"missing {wanted}: {self.PROGNAME} {wanted}" if "at least" in message
                else f"too many arguments: it takes {wanted or 'none'}"
            )  # fmt: skip
        return UsageError(f"{self.PROGNAME}: {message} (see {self.PROGNAME} -h)")


class ChangingCommand(Command):
    """Switches of the commands that change things."""

    interruptible = True  # the first Ctrl-C lets the step under way finish

    dry_run = cli.Flag(
        "--dry-run", help="print what would be done, as the exact commands; change nothing"
    )
    json = cli.Flag("--json", help="one JSON object per event, and one for the end (see README)")
    jobs = cli.SwitchAttr(
        "--jobs", cli.Range(1, 64), argname="N", overridable=True,
        help="forge writes under way at once (default: [defaults] jobs, or 4)",
    )  # fmt: skip


class RunsLocally(ChangingCommand):
    """A command whose work runs here, side by side (exec's commands, try's checks)."""

    jobs = cli.SwitchAttr(
        ["-j", "--jobs"], cli.Range(1, 64), argname="N", overridable=True,
        help="run this many at once (default: the number of cores)",
    )  # fmt: skip


class OneShotCommand(Command):
    """A command that changes one thing at once (a file, a record), told as events."""

    dry_run = cli.Flag("--dry-run", help="say what would change; change nothing")
    json = cli.Flag("--json", help="one JSON object per event, and one for the end (see README)")


def _require_a_current_folder() -> None:
    try:
        Path.cwd()
    except FileNotFoundError:
        raise UsageError(
            "the folder you are in was removed (a pruned worktree?): cd to your repository "
            "and run this again"
        ) from None


class _Told(Exception):
    """A PrgroupsError the face has shown already (as JSON); main only sets the code."""

    def __init__(self, error: PrgroupsError) -> None:
        super().__init__(str(error))
        self.error = error


def interrupted(argv: list[str]) -> None:
    """Ctrl-C before any event: said on stderr, and as the last JSON line where asked."""
    from git_prgroups.face import Face

    print("interrupted", file=sys.stderr)
    Face(as_json="--json" in argv).finish(int(ExitCode.INTERRUPTED))


def command_table_of(program: type[Command]) -> CommandTable:
    """Every subcommand with its options and whether it takes entry names, read from the
    definitions: what completion offers."""
    import inspect

    from git_prgroups.commands.aliases import Command as Described
    from git_prgroups.commands.aliases import CommandTable

    def options(app: cli.Application) -> set[str]:
        return {
            f"-{name}" if len(name) == 1 else f"--{name}"
            for name, switch in app._switches_by_name.items()
            if getattr(switch.func, "__name__", "") not in _PLUMBUM_SWITCHES
        }

    shared = options(Command("git prgroups"))
    commands = {}
    for name, sub in sorted(program("git prgroups")._subcommands.items()):
        app = sub.get()
        takes = inspect.getfullargspec(app.main).args[1:] == ["name"] or (
            inspect.getfullargspec(app.main).varargs == "names"
        )
        commands[name] = Described(tuple(sorted(options(app("x")) - shared)), takes)
    return CommandTable(commands, tuple(sorted(shared)))


# plumbum's own switches: help, version, completion
_PLUMBUM_SWITCHES = {"help", "helpall", "version", "completions"}


def run_program(program: type[Command], argv: list[str], ahead: ReadAhead | None) -> int:
    """The command line, with what `entry` began before it (its runner, the statuses)."""
    app = cast("type[Command]", type(program.__name__, (program,), {"reads_begun": ahead}))
    try:
        _require_a_current_folder()
        _, code = app.run(["git-prgroups", *argv], exit=False)
        return int(code)
    except _Told as told:
        return int(told.error.exit_code)
    except PrgroupsError as error:
        if os.environ.get(DEBUG):
            import traceback

            traceback.print_exc()
        print(f"error: {Page.of(sys.stderr).paths(str(error))}", file=sys.stderr)
        return int(error.exit_code)
    except KeyboardInterrupt:  # before a command began to report: parsing, loading
        interrupted(argv)
        return int(ExitCode.INTERRUPTED)
    except Exception as error:  # a bug: say so in one line unless --debug asks for more
        if os.environ.get(DEBUG):
            raise
        print(
            f"internal error: {type(error).__name__}: {error} (run again with --debug for the "
            "traceback, and please report it)",
            file=sys.stderr,
        )
        return int(ExitCode.INTERNAL)
