"""The command line: parse, call the library, print, map errors to exit codes."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from plumbum import cli

from git_prgroups import __version__
from git_prgroups.errors import ExitCode, UsageError, did_you_mean
from git_prgroups.output import Page

if TYPE_CHECKING:
    from git_prgroups.commands.aliases import CommandTable
    from git_prgroups.events import Events
    from git_prgroups.readahead import ReadAhead

from git_prgroups.app import (
    ChangingCommand,
    Command,
    OneShotCommand,
    RunsLocally,
    command_table_of,
    run_program,
)


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
            with (
                self.locked(git, "up", events, dry_run=self.dry_run),
                self.fetch_begun(spec, git, forge) as fetched,
            ):
                from git_prgroups.commands.up import run_up  # loads while the fetch runs

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
class ExecCommand(RunsLocally):
    """Run a command in each entry's worktree, side by side (the command after --)."""

    ready = cli.Flag("--ready", help="only entries with a worktree and no PR yet")
    open_prs = cli.Flag("--open", help="only entries with an open PR")
    every = cli.Flag("--all", help="every entry with a worktree (the default)")
    command: tuple[str, ...] = ()
    TAIL = "-- COMMAND [ARGS...]"

    def _parse_args(self, argv: list[str]) -> Any:
        if "--" in argv:  # what follows is the command, options and all
            at = argv.index("--")
            argv, self.command = argv[:at], tuple(argv[at + 1 :])
        return super()._parse_args(argv)

    def main(self, *names: str) -> int:
        from git_prgroups.commands.exec import run_exec, selection_of

        chosen = selection_of(self.command, names, ready=self.ready, open_prs=self.open_prs,
                              every=self.every)  # fmt: skip

        def run(events: Events) -> None:
            spec = self.load_spec_naming(names)
            git, forge = self.git_and_forge(spec)
            run_exec(spec, git, forge, events, self.command, names=names, selection=chosen,
                     jobs=self.jobs, dry_run=self.dry_run)  # fmt: skip

        return self.reporting(self.json, run)


@Prgroups.subcommand("try")
class TryCommand(RunsLocally):
    """Check the open PRs (or those named) together before any lands; name the culprit."""

    wave = cli.SwitchAttr("--wave", cli.Range(0, 999), argname="N", help="the entries of wave N")
    all_open = cli.Flag("--all-open", help="every entry with an open PR (the default)")

    def main(self, *names: str) -> int:
        from git_prgroups.commands.try_ import one_choice, run_try

        one_choice(names, wave=self.wave, all_open=self.all_open)

        def run(events: Events) -> None:
            spec = self.load_spec_naming(names)
            git, forge = self.git_and_forge(spec)
            with self.locked(git, "try", events, dry_run=self.dry_run):
                run_try(spec, git, forge, events, only=names, wave=self.wave,
                        dry_run=self.dry_run, jobs=self.jobs)  # fmt: skip

        return self.reporting(self.json, run)


@Prgroups.subcommand("trust")
class TrustCommand(OneShotCommand):
    """Allow the spec's setup and check commands to run in this repository (a clone of
    someone else's runs none unasked)."""

    list_only = cli.Flag("--list", help="only list them, and whether each is allowed")

    def main(self) -> int:
        from git_prgroups.commands.trust import run_trust

        def allow(events: Events) -> None:
            spec = self.load_spec()
            git, forge = self.git_and_forge(spec)
            run_trust(spec, git, forge, events, listing=self.list_only or self.dry_run)

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
        assert isinstance(self.parent, Command)
        self.parent.help_on(command)
        return 0


@Prgroups.subcommand("aliases")
class AliasesCommand(Command):
    """Print short aliases and completion for bash, zsh or fish (eval it in your shell's rc);
    the shell is $SHELL's unless named."""

    def main(self, shell: str = "") -> int:
        from git_prgroups.commands.aliases import aliases_script, shell_named

        print(aliases_script(shell_named(shell, os.environ), command_table()), end="")
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

        runner, ahead = self.runner, self.read_ahead  # the runner takes on what ahead began
        # the statuses begun already, or begun now, while the spec is read
        statuses = (ahead.statuses if ahead else None) or start_statuses(Git(runner, Path.cwd()))
        spec = self.load_spec()
        git, forge = self.git_and_forge(spec)
        status = read_status(spec, git, forge, statuses)
        page = Page.of(sys.stdout)
        print(status_json(status) if self.json else status_text(status, self.style, page))
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
        from git_prgroups.commands.report import post_to_epic, require_epic

        spec = self.load_spec()
        git, forge = self.git_and_forge(require_epic(spec))
        post_to_epic(spec, git, forge, events, dry_run=self.dry_run)


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
        from git_prgroups.commands.edit import run_add

        fields = {
            "branch": self.branch, "title": self.title, "type": self.kind, "scope": self.scope,
            "summary": self.summary, "issues": list(cast("list[int]", self.issues)) or None,
            "after": list(self.after) or None,
        }  # fmt: skip

        def add(events: Events) -> None:
            given = {k: v for k, v in fields.items() if v is not None}
            run_add(self.load_spec(), name, given, events, dry_run=self.dry_run)

        return self.reporting(self.json, add)


@Prgroups.subcommand("remove")
class RemoveCommand(OneShotCommand):
    """Take an entry out of the spec; refused while it has an open PR or work that has not
    merged."""

    force = cli.Flag("--force", help="take it out anyway (its worktree and branch stay)")
    close = cli.Flag("--close", help="close its open PR, unmerged, and take it out")

    def main(self, name: str) -> int:
        from git_prgroups.commands.edit import run_remove

        def remove(events: Events) -> None:
            spec = self.load_spec_naming((name,))
            git, forge = self.git_and_forge(spec)
            run_remove(spec, git, forge, name, events, force=self.force, close=self.close,
                       dry_run=self.dry_run)  # fmt: skip

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
        from git_prgroups.commands.init import run_init

        if self.epic is not None and self.search is not None:
            raise UsageError("git prgroups init: give --epic N or --from-issues QUERY, not both")

        def init(events: Events) -> None:
            run_init(self.spec_path, Path.cwd(), self.runner, events, epic=self.epic,
                     search=self.search, github=self.github, remote=self.remote,
                     base=self.base, dry_run=self.dry_run)  # fmt: skip

        return self.reporting(self.json, init)


def main(argv: list[str] | None = None) -> int:
    return run(list(sys.argv[1:] if argv is None else argv), None)


def run(argv: list[str], ahead: ReadAhead | None) -> int:
    """The command line, with what `entry` began before it (its runner, the statuses)."""
    return run_program(Prgroups, argv, ahead)


def command_table() -> CommandTable:
    """Every subcommand with its options and whether it takes entry names: what
    completion offers."""
    return command_table_of(Prgroups)
