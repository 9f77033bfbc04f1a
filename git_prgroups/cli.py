"""The command line: parse, call the library, print, map errors to exit codes."""

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
    from git_prgroups.events import EventKind, Events
    from git_prgroups.forges.base import Forge
    from git_prgroups.git import Git
    from git_prgroups.planning.exec import Selection
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


class Prgroups(Command):
    """Ship many related pull requests at once, declared in prgroups.toml."""

    PROGNAME = "git prgroups"
    VERSION = __version__
    DESCRIPTION = (
        "Ship many related pull requests at once: one worktree and branch per PR, "
        "started when its prerequisites have merged."
    )

    def main(self, *args: str) -> int:
        if args:
            hint = did_you_mean(args[0], self._subcommands) or (
                " (commands: " + ", ".join(sorted(self._subcommands)) + ")"
            )
            raise UsageError(f"git prgroups: no command {args[0]!r}{hint}")
        if not self.nested_command:
            self.help()
        return 0


@Prgroups.subcommand("plan")
class PlanCommand(Command):
    """Check the spec and show its groups and waves."""

    format = cli.SwitchAttr(
        "--format",
        cli.Set("text", "json", "mermaid", "dot", "names"),
        default="text",
        help="text, json, mermaid, dot or names (one entry name per line)",
    )
    json = cli.Flag("--json", help="the same as --format json")

    def main(self) -> int:
        from git_prgroups.commands.plan import render_plan

        spec = self.load_spec()
        print(
            render_plan(
                spec, "json" if self.json else str(self.format), self.style, Page.of(sys.stdout)
            )
        )
        return 0


@Prgroups.subcommand("render")
class RenderCommand(Command):
    """Print an entry's PR title, PR body or commit message as the templates make it."""

    what = cli.SwitchAttr(
        "--what",
        cli.Set("title", "body", "commit"),
        default="body",
        help="title, body or commit",
    )

    def main(self, name: str) -> int:
        from git_prgroups.commands.render import render_entry

        print(render_entry(self.load_spec(), name, str(self.what)), end="")
        return 0


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


@Prgroups.subcommand("up")
class UpCommand(ChangingCommand):
    """Create worktrees for ready entries, push, open PRs with auto-merge; land them (local)."""

    force_body = cli.Flag("--force-body", help="replace PR titles and bodies edited by hand")
    setup = cli.Flag(
        "--setup", help="run every worktree's setup again, even one that passed (a due or "
        "failed setup runs again by itself)",
    )  # fmt: skip
    trust = cli.Flag("--trust", help="allow the spec's setup and check commands to run here")

    def main(self, *names: str) -> int:
        def up(events: Events) -> None:
            spec = self.load_spec_naming(names)
            git, forge = self.git_and_forge(spec)
            self.allow_commands(spec, git, forge, trusting=self.trust, ask=not self.dry_run)
            with self.locked(git, "up", events, dry_run=self.dry_run):
                # the fetch runs while the rest of up loads (a forge that merges on its
                # own is read first: what it calls merged is then in what is fetched)
                fetched = None if forge.merges_on_its_own else git.begin_fetch(spec.defaults.remote)
                from git_prgroups.commands.up import run_up

                run_up(spec, git, forge, events, only=names, dry_run=self.dry_run,
                       force_body=self.force_body, jobs=self.jobs, retry_setup=self.setup,
                       fetched=fetched)  # fmt: skip

        return self.reporting(self.json, up)


@Prgroups.subcommand("sync")
class SyncCommand(ChangingCommand):
    """Rebase each started entry onto the fresh remote base (or merge it in); push leased."""

    rebase = cli.Flag("--rebase", help="rebase onto the base (the default)")
    merge = cli.Flag("--merge", help="merge the base in instead of rebasing", excludes=["--rebase"])
    check = cli.Flag("--check", help="first name entries of one wave whose changes clash")

    def main(self, *names: str) -> int:
        from git_prgroups.commands.sync import run_sync

        def sync(events: Events) -> None:
            spec = self.load_spec_naming(names)
            git, forge = self.git_and_forge(spec)
            with self.locked(git, "sync", events, dry_run=self.dry_run):
                run_sync(spec, git, forge, events, only=names, merge=self.merge,
                         check=self.check, dry_run=self.dry_run, jobs=self.jobs)  # fmt: skip

        return self.reporting(self.json, sync)


@Prgroups.subcommand("prune")
class PruneCommand(ChangingCommand):
    """Remove merged entries' worktrees and branches (local and remote); close finished issues."""

    force = cli.Flag("--force", help="remove even what would lose work, after listing it")
    orphans = cli.Flag("--orphans", help="also what prgroups made for entries no longer listed")

    def main(self, *names: str) -> int:
        from git_prgroups.commands.prune import run_prune

        def prune(events: Events) -> None:
            spec = self.load_spec_naming(names)
            git, forge = self.git_and_forge(spec)
            with self.locked(git, "prune", events, dry_run=self.dry_run):
                run_prune(spec, git, forge, events, only=names, force=self.force,
                          with_orphans=self.orphans, dry_run=self.dry_run,
                          jobs=self.jobs)  # fmt: skip

        return self.reporting(self.json, prune)


@Prgroups.subcommand("advance")
class AdvanceCommand(ChangingCommand):
    """Move the epic on from a plain clone, with no worktree (a CI job after each merge):
    open PRs for pushed branches, re-arm auto-merge, close finished issues, name the
    entries now ready on the epic and refresh its report."""

    no_report = cli.Flag("--no-report", help="leave the report comment on the epic alone")

    def main(self) -> int:
        from git_prgroups.commands.advance import run_advance

        def advance(events: Events) -> None:
            spec = self.load_spec()
            git, forge = self.git_and_forge(spec)
            with self.locked(git, "advance", events, dry_run=self.dry_run):
                run_advance(spec, git, forge, events, dry_run=self.dry_run, jobs=self.jobs,
                            report=not self.no_report)  # fmt: skip

        return self.reporting(self.json, advance)


@Prgroups.subcommand("watch")
class WatchCommand(ChangingCommand):
    """sync and up (and prune) in a loop until all has merged or the rest needs you."""

    interval = cli.SwitchAttr(
        "--interval", cli.Range(1, 3600), default=30, argname="SECONDS",
        help="wait this long between rounds at first",
    )  # fmt: skip
    max_interval = cli.SwitchAttr(
        "--max-interval", cli.Range(1, 86400), default=600, argname="SECONDS",
        help="the longest wait, after rounds that changed nothing",
    )  # fmt: skip
    prune = cli.Flag("--prune", help="also prune merged entries each round")
    trust = cli.Flag("--trust", help="allow the spec's setup and check commands to run here")

    def main(self) -> int:
        from git_prgroups.commands.watch import run_watch

        def watch(events: Events) -> None:
            spec = self.load_spec()
            git, forge = self.git_and_forge(spec)
            self.allow_commands(spec, git, forge, trusting=self.trust, ask=not self.dry_run)
            run_watch(
                spec, git, forge, events, interval=self.interval,
                max_interval=max(self.max_interval, self.interval), prune=self.prune,
                dry_run=self.dry_run, jobs=self.jobs,
                guard=lambda: self.locked(git, "watch", events, dry_run=self.dry_run),
            )  # fmt: skip

        return self.reporting(self.json, watch)


@Prgroups.subcommand("exec")
class ExecCommand(ChangingCommand):
    """Run a command in each entry's worktree, side by side (the command after --)."""

    ready = cli.Flag("--ready", help="only entries with a worktree and no PR yet")
    open_prs = cli.Flag("--open", help="only entries with an open PR")
    every = cli.Flag("--all", help="every entry with a worktree (the default)")
    jobs = cli.SwitchAttr(
        ["-j", "--jobs"], cli.Range(1, 64), argname="N",
        help="commands running at once (default: the number of cores)",
    )  # fmt: skip
    command: tuple[str, ...] = ()
    TAIL = "-- COMMAND [ARGS...]"

    def _parse_args(self, argv: list[str]) -> Any:
        if "--" in argv:  # what follows is the command, options and all
            at = argv.index("--")
            argv, self.command = argv[:at], tuple(argv[at + 1 :])
        return super()._parse_args(argv)

    def main(self, *names: str) -> int:
        from git_prgroups.commands.exec import run_exec

        if not self.command:
            raise UsageError(
                "git prgroups exec: no command: give it after --, as in "
                "git prgroups exec -- pytest -q"
            )
        offered: tuple[tuple[Selection, object], ...] = (
            ("ready", self.ready), ("open", self.open_prs), ("all", self.every),
        )  # fmt: skip
        chosen = [selection for selection, on in offered if on]
        if len(chosen) > 1 or (chosen and names):
            raise UsageError(
                "git prgroups exec: choose one of --ready, --open, --all or entry names"
            )

        def run(events: Events) -> None:
            spec = self.load_spec_naming(names)
            git, forge = self.git_and_forge(spec)
            run_exec(spec, git, forge, events, self.command, names=names,
                     selection=chosen[0] if chosen else "all", jobs=self.jobs,
                     dry_run=self.dry_run)  # fmt: skip

        return self.reporting(self.json, run)


class OneShotCommand(Command):
    """A command that changes one thing at once (a file, a record), told as events."""

    dry_run = cli.Flag("--dry-run", help="say what would change; change nothing")
    json = cli.Flag("--json", help="one JSON object per event, and one for the end (see README)")


@Prgroups.subcommand("trust")
class TrustCommand(OneShotCommand):
    """Allow the spec's setup and check commands to run in this repository (a clone of
    someone else's runs none unasked)."""

    list_only = cli.Flag("--list", help="only list them, and whether each is allowed")

    def main(self) -> int:
        from git_prgroups.events import Event
        from git_prgroups.store import Store
        from git_prgroups.trust import spec_commands, trust, untrusted

        def allow(events: Events) -> None:
            spec = self.load_spec()
            git, forge = self.git_and_forge(spec)
            store = Store.of(git.common_dir())
            commands = spec_commands(spec, checks=not forge.merges_on_its_own)
            waiting = untrusted(store, commands)
            listing = self.list_only or self.dry_run
            for argv in commands:
                state = "not allowed" if argv in waiting else "allowed"
                if not listing and argv in waiting:
                    state = "allowed now"
                events.add(Event("trusted", f"{state}: {shlex.join(argv)}",
                                 details={"argv": list(argv), "state": state}))  # fmt: skip
            if not commands:
                events.add(Event("nothing", f"{spec.path.name} asks to run no command"))
            if not listing:
                trust(store, waiting)

        return self.reporting(self.json, allow)


@Prgroups.subcommand("commit")
class CommitCommand(OneShotCommand):
    """Commit in an entry's worktree with its rendered message (git commit options after --)."""

    all_files = cli.Flag(["-a", "--all"], help="commit every changed tracked file")
    edit = cli.Flag("--edit", help="open the editor on the rendered message first")

    def main(self, *git_options: str) -> int:
        from git_prgroups.commands.commit import run_commit
        from git_prgroups.git import Git

        def commit(events: Events) -> None:
            spec = self.load_spec()
            git = Git(self.runner, Path.cwd())
            if self.dry_run:
                self.runner.dry_run, self.runner.would = True, events.add
            run_commit(spec, git, events, all_files=self.all_files, edit=self.edit,
                       extra=git_options)  # fmt: skip

        return self.reporting(self.json, commit)


@Prgroups.subcommand("help")
class HelpCommand(Command):
    """Help on one command, or on all of them: the same as COMMAND --help."""

    def main(self, command: str = "") -> int:
        top = self.parent
        assert isinstance(top, Command)
        if not command:
            top.help()
            return 0
        found = top._subcommands.get(command)
        if found is None:
            hint = did_you_mean(command, top._subcommands)
            raise UsageError(f"git prgroups help: no command {command!r}{hint}")
        shown = found.get()(f"{top.PROGNAME} {command}")
        shown.parent, shown.PROGNAME = top, f"{top.PROGNAME} {command}"
        shown.help()
        return 0


@Prgroups.subcommand("aliases")
class AliasesCommand(Command):
    """Print short aliases and completion for bash, zsh or fish (eval it in your shell's rc);
    the shell is $SHELL's unless named."""

    def main(self, shell: str = "") -> int:
        from git_prgroups.commands.aliases import SHELLS, aliases_script

        if not shell:  # the login shell's, where it is one of ours
            login = Path(os.environ.get("SHELL", "")).name
            shell = login if login in SHELLS else "bash"
        if shell not in SHELLS:
            raise UsageError(f"git prgroups aliases: no {shell!r}; choose {', '.join(SHELLS)}")
        print(aliases_script(shell, command_table()), end="")
        return 0


@Prgroups.subcommand("status")
class StatusCommand(Command):
    """One table: wave, branch, worktree, PR, checks, auto-merge, state, what it waits for."""

    json = cli.Flag("--json", help='{"entries": [...], "summary", ...} instead of the table')
    exit_code = cli.Flag("--exit-code", help="exit 1 when an entry needs you (its next step)")

    def main(self) -> int:
        from git_prgroups.commands.status import read_status, status_json, status_text
        from git_prgroups.git import Git
        from git_prgroups.observe import start_statuses

        runner = self.runner  # takes on what the read-ahead began
        ahead = self.read_ahead
        # begun already, or now, while the spec is read
        statuses = (
            ahead.statuses if ahead and ahead.statuses else start_statuses(Git(runner, Path.cwd()))
        )
        spec = self.load_spec()
        git, forge = self.git_and_forge(spec)
        status = read_status(spec, git, forge, statuses)
        print(
            status_json(status)
            if self.json
            else status_text(status, self.style, Page.of(sys.stdout))
        )
        for warning in status.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        return int(ExitCode.NEEDS_USER if self.exit_code and status.needs_you else ExitCode.OK)


@Prgroups.subcommand("show")
class ShowCommand(Command):
    """One entry in detail: its spec, branch, worktree, PR, checks and their output, what it
    waits for, and the next step."""

    json = cli.Flag("--json", help="one JSON document instead of the text")

    def main(self, name: str) -> int:
        from git_prgroups.commands.status import read_status, show_entry, show_json, show_text

        spec = self.load_spec_naming((name,))
        git, forge = self.git_and_forge(spec)
        status = read_status(spec, git, forge)
        pr = forge.read([spec.entry(name).branch]).get(spec.entry(name).branch)
        shown = show_entry(status, name, forge.checks_output(pr) if pr else "")
        print(show_json(shown) if self.json else show_text(shown, self.style, Page.of(sys.stdout)))
        return 0


@Prgroups.subcommand("report")
class ReportCommand(Command):
    """The day's record in Markdown: which PR carried each issue, each PR's files, lines,
    CI failures and merge by group, and the day's figures."""

    json = cli.Flag("--json", help="one JSON document instead of the Markdown (with --post: "
                    "one JSON object per event)")  # fmt: skip
    post = cli.Flag("--post", help="put it on the epic as one comment, edited on later runs")
    dry_run = cli.Flag("--dry-run", help="with --post: say what would be posted; post nothing")

    def main(self) -> int:
        from git_prgroups.commands.report import read_report, report_json, report_markdown

        if self.post:
            return self.reporting(self.json, self._post)
        spec = self.load_spec()
        git, forge = self.git_and_forge(spec)
        report = read_report(spec, git, forge)
        print(report_json(report) if self.json else report_markdown(report))
        return 0

    def _post(self, events: Events) -> None:
        from git_prgroups.commands.report import post_report, read_report, report_markdown
        from git_prgroups.events import Event

        spec = self.load_spec()
        if not spec.defaults.epic:
            raise UsageError("git prgroups report --post: the spec names no epic: set "
                             "defaults.epic = N, the issue the report goes on")  # fmt: skip
        git, forge = self.git_and_forge(spec)
        markdown = report_markdown(read_report(spec, git, forge))
        epic = spec.defaults.epic
        if self.dry_run:
            events.add(Event("would-record", f"the report as a comment on #{epic}",
                             details={"issue": epic, "body": markdown}))  # fmt: skip
            return
        done = post_report(forge, epic, markdown)
        events.add(Event("posted", f"{done}: the report on #{epic}",
                         details={"issue": epic, "done": str(done)}))  # fmt: skip


@Prgroups.subcommand("add")
class AddCommand(OneShotCommand):
    """Add an entry to the spec after the others, every other line of the file kept."""

    issues = cli.SwitchAttr("--issue", int, list=True, argname="N", help="an issue it fixes")
    after = cli.SwitchAttr("--after", str, list=True, argname="NAME",
                           help="an entry that must merge first")  # fmt: skip
    title = cli.SwitchAttr("--title", str, argname="TEXT", help="the PR title")
    kind = cli.SwitchAttr("--type", str, argname="TYPE", help="fix, docs, ...: with --summary")
    scope = cli.SwitchAttr("--scope", str, argname="SCOPE", help="the title's (scope)")
    summary = cli.SwitchAttr("--summary", str, argname="TEXT", help="the title after the type")
    branch = cli.SwitchAttr("--branch", str, argname="BRANCH", help="default: N-NAME")

    def main(self, name: str) -> int:
        from git_prgroups.commands.edit import add_to_spec

        fields = {
            "branch": self.branch, "title": self.title, "type": self.kind, "scope": self.scope,
            "summary": self.summary, "issues": list(cast("list[int]", self.issues)) or None,
            "after": list(self.after) or None,
        }  # fmt: skip

        def add(events: Events) -> None:
            from git_prgroups.events import Event

            spec = self.load_spec()
            given = {k: v for k, v in fields.items() if v is not None}
            line, text = add_to_spec(spec, name, given, dry_run=self.dry_run)
            details = {"path": str(spec.path), "line": line, "change": "added"}
            if self.dry_run:
                events.add(Event("would-record", f"pr.{name} at {spec.path.name}:{line}", name,
                                 details=details | {"text": text}))  # fmt: skip
                return
            events.add(Event("edited", f"added pr.{name} at {spec.path.name}:{line}; git "
                             "prgroups up starts it", name, details=details))  # fmt: skip

        return self.reporting(self.json, add)


@Prgroups.subcommand("remove")
class RemoveCommand(OneShotCommand):
    """Take an entry out of the spec; refused while it has an open PR or work that has not
    merged."""

    force = cli.Flag("--force", help="take it out anyway (its worktree and branch stay)")
    close = cli.Flag("--close", help="close its open PR, unmerged, and take it out")

    def main(self, name: str) -> int:
        from git_prgroups.commands.edit import remove_from_spec

        def remove(events: Events) -> None:
            from git_prgroups.events import Event

            spec = self.load_spec_naming((name,))
            git, forge = self.git_and_forge(spec)
            left, closed = remove_from_spec(spec, git, forge, name, force=self.force,
                                            close=self.close, dry_run=self.dry_run)  # fmt: skip
            told: EventKind = "would-record" if self.dry_run else "edited"
            if closed is not None:
                events.add(Event(told, f"#{closed} closed, unmerged", name, closed,
                                 details={"change": "closed-pr"}))  # fmt: skip
            events.add(Event(told, f"removed pr.{name} from {spec.path.name}", name,
                             details={"path": str(spec.path), "change": "removed"}))  # fmt: skip
            if left and not self.dry_run:
                kept = "its worktree and branch stay: git prgroups prune --orphans removes them"
                events.add(Event("edited", kept, name, details={"change": "kept"}))

        return self.reporting(self.json, remove)


@Prgroups.subcommand("init")
class InitCommand(OneShotCommand):
    """Write a starter prgroups.toml at the top of the main worktree: an example, or one
    entry per open sub-issue of a GitHub epic (--epic) or per issue a search finds."""

    epic = cli.SwitchAttr(
        "--epic", int, argname="N", help="an entry per open sub-issue of N; blocked-by: after"
    )
    search = cli.SwitchAttr("--from-issues", str, argname="QUERY",
                            help='one entry per open issue found, as in "label:audit"')  # fmt: skip
    github = cli.SwitchAttr("--github", str, argname="[HOST/]OWNER/REPO",
                            help="the repository, when the remote's URL does not say")  # fmt: skip
    remote = cli.SwitchAttr("--remote", str, default="origin", argname="NAME",
                            help="the remote PRs go to (default: origin)")  # fmt: skip
    base = cli.SwitchAttr("--base", str, default="main", argname="BRANCH",
                          help="the branch PRs start from (default: main)")  # fmt: skip

    def main(self) -> int:
        from git_prgroups.commands.init import STARTER, write_starter_spec

        if self.epic is not None and self.search is not None:
            raise UsageError("git prgroups init: give --epic N or --from-issues QUERY, not both")

        def init(events: Events) -> None:
            from git_prgroups.events import Event

            text, notes = STARTER, []
            if self.epic is not None or self.search is not None:
                text, notes = self._from_forge()
            path = write_starter_spec(self.spec_path, Path.cwd(), self.runner, text,
                                      dry_run=self.dry_run)  # fmt: skip
            for note in notes:
                events.add(Event("note", note))
            details = {"path": str(path), "change": "written"}
            if self.dry_run:
                events.add(Event("would-record", f"{path}", details=details | {"text": text}))
                return
            events.add(Event("edited", f"wrote {path}: edit its entries, then run `git "
                             "prgroups plan`", details=details))  # fmt: skip

        return self.reporting(self.json, init)

    def _from_forge(self) -> tuple[str, list[str]]:
        from git_prgroups.commands.init import spec_from_forge
        from git_prgroups.forges.choose import choose_issue_source

        source, where = choose_issue_source(
            self.runner, Path.cwd(), setting=self.github, remote=self.remote
        )
        return spec_from_forge(source, where, epic=self.epic, search=self.search,
                               github=self.github, base=self.base, remote=self.remote)  # fmt: skip


def _require_a_current_folder() -> None:
    try:
        Path.cwd()
    except FileNotFoundError:
        raise UsageError(
            "the folder you are in was removed (a pruned worktree?): cd to your repository "
            "and run this again"
        ) from None


def command_table() -> CommandTable:
    """Every subcommand with its options and whether it takes entry names, read from the
    definitions above: what completion offers."""
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
    for name, sub in sorted(Prgroups("git prgroups")._subcommands.items()):
        app = sub.get()
        takes = inspect.getfullargspec(app.main).args[1:] == ["name"] or (
            inspect.getfullargspec(app.main).varargs == "names"
        )
        commands[name] = Described(tuple(sorted(options(app("x")) - shared)), takes)
    return CommandTable(commands, tuple(sorted(shared)))


# plumbum's own switches: help, version, completion
_PLUMBUM_SWITCHES = {"help", "helpall", "version", "completions"}


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


def main(argv: list[str] | None = None) -> int:
    return run(list(sys.argv[1:] if argv is None else argv), None)


def run(argv: list[str], ahead: ReadAhead | None) -> int:
    """The command line, with what `entry` began before it (its runner, the statuses)."""
    app = cast("type[Prgroups]", type("Prgroups", (Prgroups,), {"reads_begun": ahead}))
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
