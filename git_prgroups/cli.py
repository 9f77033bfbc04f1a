"""The command line: parse, call the library, print, map errors to exit codes."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plumbum import cli
from plumbum.cli.application import ShowCompletion, ShowHelp, ShowHelpAll, ShowVersion

from git_prgroups import __version__
from git_prgroups.errors import ExitCode, PrgroupsError, UsageError
from git_prgroups.output import Style, wants_color
from git_prgroups.proc import Runner

if TYPE_CHECKING:
    from git_prgroups.spec import Spec

_META_SWITCHES = (ShowHelp, ShowHelpAll, ShowVersion, ShowCompletion)


class Command(cli.Application):
    """Switches every subcommand takes, before or after its name."""

    spec_switch = cli.SwitchAttr(
        "--spec", str, argname="PATH", help="use this spec instead of the main worktree's"
    )
    verbose_switch = cli.Flag("--verbose", help="echo every git and gh command before it runs")
    no_color_switch = cli.Flag("--no-color", help="no colour (NO_COLOR is honoured too)")
    debug_switch = cli.Flag("--debug", help="show a traceback for errors")

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
    def runner(self) -> Runner:
        if getattr(self, "_runner", None) is None:
            self._runner = Runner(verbose=self.verbose)
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

    @contextlib.contextmanager
    def locked(self, spec: Spec, git: Any, what: str) -> Iterator[None]:
        """The repository's lock: one changing command at a time. What was read before it
        was taken is forgotten: the run that held it may have changed anything."""
        from git_prgroups.recovery import holding_the_lock

        with holding_the_lock(spec, git, what, print):
            yield

    def git_and_forge(self, spec: Spec) -> tuple[Any, Any]:
        from git_prgroups.forges.choose import choose_forge
        from git_prgroups.git import Git

        git = Git(self.runner, spec.root)
        return git, choose_forge(spec, git)

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
        if isinstance(error, _META_SWITCHES):  # --help, --version: plumbum's own way
            return error
        message = (str(error).splitlines() or ["bad usage"])[0].rstrip(":")
        return UsageError(f"{self.PROGNAME}: {message} (see {self.PROGNAME} --help)")


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
            commands = ", ".join(sorted(self._subcommands))
            raise UsageError(f"git prgroups: unknown command {args[0]!r} (commands: {commands})")
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
        print(render_plan(spec, "json" if self.json else self.format, self.style))
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

        print(render_entry(self.load_spec(), name, self.what), end="")
        return 0


@Prgroups.subcommand("up")
class UpCommand(Command):
    """Create worktrees for ready entries, push, open PRs with auto-merge; land them (local)."""

    dry_run = cli.Flag("--dry-run", help="print what would be done, as commands; change nothing")
    force_body = cli.Flag("--force-body", help="replace PR titles and bodies edited by hand")

    def main(self, *names: str) -> int:
        from git_prgroups.commands.up import run_up

        spec = self.load_spec_naming(names)
        self.runner.dry_run = self.dry_run
        git, forge = self.git_and_forge(spec)
        with contextlib.nullcontext() if self.dry_run else self.locked(spec, git, "up"):
            result = run_up(
                spec, git, forge, print, only=names, dry_run=self.dry_run,
                force_body=self.force_body,
            )  # fmt: skip
        return int(ExitCode.NEEDS_USER if result.needs_user else ExitCode.OK)


@Prgroups.subcommand("sync")
class SyncCommand(Command):
    """Rebase each started entry onto the fresh remote base (or merge it in); push leased."""

    rebase = cli.Flag("--rebase", help="rebase onto the base (the default)")
    merge = cli.Flag("--merge", help="merge the base in instead of rebasing", excludes=["--rebase"])
    check = cli.Flag("--check", help="first name entries of one wave whose changes clash")

    def main(self, *names: str) -> int:
        from git_prgroups.commands.sync import run_sync

        spec = self.load_spec_naming(names)
        git, forge = self.git_and_forge(spec)
        with self.locked(spec, git, "sync"):
            result = run_sync(
                spec, git, forge, print, only=names, merge=self.merge, check=self.check
            )
        return int(ExitCode.NEEDS_USER if result.needs_user else ExitCode.OK)


@Prgroups.subcommand("prune")
class PruneCommand(Command):
    """Remove merged entries' worktrees and branches (local and remote); close finished issues."""

    force = cli.Flag("--force", help="remove even what would lose work, after listing it")
    orphans = cli.Flag("--orphans", help="also what prgroups made for entries no longer listed")

    def main(self, *names: str) -> int:
        from git_prgroups.commands.prune import run_prune

        spec = self.load_spec_naming(names)
        git, forge = self.git_and_forge(spec)
        with self.locked(spec, git, "prune"):
            result = run_prune(
                spec, git, forge, print, only=names, force=self.force, orphans=self.orphans
            )
        return int(ExitCode.NEEDS_USER if result.refused else ExitCode.OK)


@Prgroups.subcommand("watch")
class WatchCommand(Command):
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

    def main(self) -> int:
        from git_prgroups.commands.watch import run_watch

        spec = self.load_spec()
        git, forge = self.git_and_forge(spec)
        outcome = run_watch(
            spec, git, forge, lambda line: print(line, flush=True),
            interval=self.interval, max_interval=max(self.max_interval, self.interval),
            prune=self.prune, guard=lambda: self.locked(spec, git, "watch"),
        )  # fmt: skip
        if outcome.interrupted:
            return 130
        return int(ExitCode.OK if outcome.all_merged else ExitCode.NEEDS_USER)


@Prgroups.subcommand("commit")
class CommitCommand(Command):
    """Commit in an entry's worktree with its rendered message (git commit options after --)."""

    all_files = cli.Flag(["-a", "--all"], help="commit every changed tracked file")
    edit = cli.Flag("--edit", help="open the editor on the rendered message first")

    def main(self, *git_options: str) -> int:
        from git_prgroups.commands.commit import run_commit
        from git_prgroups.git import Git

        spec = self.load_spec()
        git = Git(self.runner, Path.cwd())
        run_commit(spec, git, print, all_files=self.all_files, edit=self.edit, extra=git_options)
        return 0


@Prgroups.subcommand("aliases")
class AliasesCommand(Command):
    """Print short aliases and completion for bash, zsh or fish (eval it in your shell's rc)."""

    def main(self, shell: str = "bash") -> int:
        from git_prgroups.commands.aliases import SHELLS, aliases_script

        if shell not in SHELLS:
            raise UsageError(f"git prgroups aliases: no {shell!r}; choose {', '.join(SHELLS)}")
        print(aliases_script(shell), end="")
        return 0


@Prgroups.subcommand("status")
class StatusCommand(Command):
    """One table: wave, branch, worktree, PR, checks, auto-merge, state, what it waits for."""

    json = cli.Flag("--json", help='{"entries": [...]} instead of the table')

    def main(self) -> int:
        from git_prgroups.commands.status import status_entries, status_json, status_text
        from git_prgroups.git import Git
        from git_prgroups.observe import start_statuses

        statuses = start_statuses(Git(self.runner, Path.cwd()))  # while the spec is read
        spec = self.load_spec()
        git, forge = self.git_and_forge(spec)
        entries, warnings = status_entries(spec, git, forge, statuses)
        print(status_json(entries, warnings) if self.json else status_text(entries, self.style))
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr)
        return 0


@Prgroups.subcommand("init")
class InitCommand(Command):
    """Write a starter prgroups.toml at the top of the main worktree."""

    def main(self) -> int:
        from git_prgroups.commands.init import write_starter_spec

        path = write_starter_spec(self.spec_path, Path.cwd(), self.runner)
        print(f"wrote {path}: edit its entries, then run `git prgroups plan`")
        return 0


def _require_a_current_folder() -> None:
    try:
        Path.cwd()
    except FileNotFoundError:
        raise UsageError(
            "the folder you are in was removed (a pruned worktree?): cd to your repository "
            "and run this again"
        ) from None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else ["git-prgroups", *argv])
    try:
        _require_a_current_folder()
        _, code = Prgroups.run(argv, exit=False)
        return int(code)
    except PrgroupsError as error:
        if "--debug" in argv:
            import traceback

            traceback.print_exc()
        print(f"error: {error}", file=sys.stderr)
        return int(error.exit_code)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a bug: say so in one line unless --debug asks for more
        if "--debug" in argv:
            raise
        print(
            f"internal error: {type(error).__name__}: {error} (run again with --debug for the "
            "traceback, and please report it)",
            file=sys.stderr,
        )
        return int(ExitCode.NEEDS_USER)
    except BrokenPipeError:
        return int(ExitCode.NEEDS_USER)
