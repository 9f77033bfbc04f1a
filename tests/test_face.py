"""The face as a new user meets it: help, mistakes on the command line, commit's words,
a spec left open."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_prgroups.output import relative_paths, wrapped

from conftest import World, git, up


def test_a_commands_help_lists_its_own_options_once_in_80_columns(epic: World, cli) -> None:
    outcome = cli("sync", "-h", cwd=epic.repo)

    assert outcome.code == 0
    lines = outcome.out.splitlines()
    assert lines[0] == "usage: git prgroups sync [OPTIONS] [NAME...]"
    assert "  --check" in outcome.out and "  --dry-run" in outcome.out
    assert "global options: --debug, --no-color, --spec PATH, --verbose" in outcome.out
    for artefact in (".;", "Meta-switches", "--completions", "--help-all", ":str", ":[1..64]"):
        assert artefact not in outcome.out, artefact
    assert max(map(len, lines)) <= 80


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (("stat",), 'error: git prgroups: no command \'stat\'; did you mean "status"?'),
        (("up", "--dryrun"),
         'error: git prgroups up: no option --dryrun; did you mean "--dry-run"? '
         "(see git prgroups up -h)"),
        (("render",),
         "error: git prgroups render: missing NAME: git prgroups render NAME "
         "(see git prgroups render -h)"),
        (("status", "extra"),
         "error: git prgroups status: too many arguments: it takes none "
         "(see git prgroups status -h)"),
        (("--completions", "bash"), "error: git prgroups: no option --completions"),
    ],
    ids=["subcommand", "switch", "missing argument", "one too many", "plumbum's completions"],
)  # fmt: skip
def test_a_mistaken_command_line_is_one_plain_line(epic: World, cli, argv, said) -> None:
    outcome = cli(*argv, cwd=epic.repo)

    assert outcome.code == 2
    assert outcome.out == ""
    assert outcome.err.startswith(said), outcome.err
    assert outcome.err.count("\n") == 1


def test_commit_with_nothing_staged_says_what_to_do(epic: World, cli) -> None:
    up(epic, "code-hygiene")
    path = epic.base / "scylla-code-hygiene"
    assert cli("commit", cwd=path).err == (
        "error: nothing to commit in .: change something, then commit again\n"
    )
    (path / "new.txt").write_text("x\n")
    assert cli("commit", cwd=path).err == (
        "error: nothing staged in .: git add the new files, then commit again\n"
    )
    (path / "README.md").write_text("changed\n")
    outcome = cli("commit", cwd=path)
    assert outcome.code == 1
    assert "use -a to commit the changed tracked files" in outcome.err
    assert "/tmp/prgroups-" not in outcome.err and "COMMIT_MSG" not in outcome.err


def test_a_refusing_hook_is_shown_in_its_own_words(epic: World, cli) -> None:
    up(epic, "code-hygiene")
    path = epic.base / "scylla-code-hygiene"
    hook = epic.repo / ".git" / "hooks" / "pre-commit"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text("#!/bin/sh\necho 'lint: trailing space in README.md' >&2\nexit 1\n")
    hook.chmod(0o755)
    (path / "README.md").write_text("changed \n")

    outcome = cli("commit", "-a", cwd=path)

    assert outcome.code == 1
    assert outcome.err.startswith("error: the commit in . was refused (a hook, or git):")
    assert "  lint: trailing space in README.md" in outcome.err
    assert "COMMIT_MSG" not in outcome.err


def test_commit_reports_the_subject_it_committed_after_an_edit(epic: World, cli, monkeypatch):
    up(epic, "code-hygiene")
    path = epic.base / "scylla-code-hygiene"
    (path / "README.md").write_text("changed\n")
    monkeypatch.setenv("GIT_EDITOR", "sed -i 1s/^fix/feat/")

    outcome = cli("commit", "-a", "--edit", cwd=path)

    assert outcome.code == 0, outcome.err
    subject = git("log", "-1", "--format=%s", cwd=path)
    assert subject.startswith("feat: ")
    assert outcome.out == f"committed: code-hygiene: {subject}\n"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('[pr.a]\ntitle = "x"\nissues = [3\n\n[pr.b]\ntitle = "y"\n',
         "prgroups.toml:3: pr.a.issues: the list opened here is not closed: add ]"),
        ('[pr.a]\ntitle = "x"\nissues = [3, 4\n',
         "prgroups.toml:3: pr.a.issues: the list opened here is not closed: add ]"),
        ('[pr.a]\ntitle = "x\nissues = [3]\n',
         'prgroups.toml:2: pr.a.title: the string opened here is not closed: add "'),
        ('[pr.a\ntitle = "x"\n', "prgroups.toml:1: the table header opened here is not closed"),
    ],
    ids=["list before a table", "list at the end", "string", "table header"],
)  # fmt: skip
def test_something_left_open_in_the_spec_is_named_where_it_opens(world: World, cli, text, said):
    world.write_spec(text)

    outcome = cli("plan", cwd=world.repo)

    assert outcome.code == 2
    assert outcome.err.startswith(f"error: {said}"), outcome.err
    assert "\\x00" not in outcome.err


def test_paths_are_shown_as_typed_from_where_one_is() -> None:
    here = Path("/home/me/src/scylla")
    said = (
        "ready: /home/me/src/scylla-fix-a, log /home/me/src/scylla/.git/prgroups/x.log "
        "(file:///home/me/src/scylla/.git/f.json) /home/me/other /opt/tool"
    )

    assert relative_paths(said, here) == (
        "ready: ../scylla-fix-a, log .git/prgroups/x.log "
        "(file:///home/me/src/scylla/.git/f.json) ../../other /opt/tool"
    )
    deep = Path("/home/me/src/scylla-fix-a/deep/er")  # a worktree's subdirectory
    assert relative_paths("in /home/me/src/scylla-b", deep) == "in ../../../scylla-b"
    assert relative_paths("in /tmp/x", Path("/tmp/sandbox")) == "in /tmp/x"  # not "../x"


def test_a_long_line_is_broken_between_words_and_a_long_word_is_left_whole() -> None:
    url = "https://github.com/acme/scylla/pull/512/" + "x" * 60
    line = f"opened: fix-model-configs: #512 fix(config): model pricing mismatches  {url}"

    pieces = wrapped(line, 80).split("\n")

    assert pieces[0] == "opened: fix-model-configs: #512 fix(config): model pricing mismatches"
    assert pieces[1] == f"    {url}"
    assert wrapped("short", 80) == "short"


def test_verbose_lines_from_commands_started_side_by_side_stay_whole(monkeypatch) -> None:
    import sys
    from concurrent.futures import ThreadPoolExecutor

    from git_prgroups.face import to_stderr

    class Recorder:
        def __init__(self) -> None:
            self.writes: list[str] = []

        def write(self, text: str) -> int:
            self.writes.append(text)
            return len(text)

        def flush(self) -> None:
            pass

    recorder = Recorder()
    monkeypatch.setattr(sys, "stderr", recorder)
    lines = [f"$ git reset --hard  # worktree {i}" for i in range(200)]

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(to_stderr, lines))

    assert sorted(recorder.writes) == sorted(f"{line}\n" for line in lines)
