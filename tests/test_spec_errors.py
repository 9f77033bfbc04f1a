"""Every bad spec is refused: exit 2, one message naming file, line and key, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_prgroups.spec import in_system_folder

from conftest import snapshot

GOOD_A = '[pr.a]\ntitle = "fix: a"\n'

# (id, spec text, fragments the one-line message must hold)
BAD_SPECS = [
    ("toml-syntax", '[pr.a]\ntitle = "fix: a\n', ["prgroups.toml:2:", "string opened here"]),
    ("unclosed-table", '[pr.a\ntitle = "x"\n', ["prgroups.toml:1:", "table header opened"]),
    ("toml-syntax-other", '[pr.a]\ntitle = "x" "y"\n', ["prgroups.toml:2:", "invalid TOML"]),
    (
        "table-twice",
        GOOD_A + '\n[pr.b]\ntitle = "b"\n\n[pr.a]\ntitle = "again"\n',
        ["prgroups.toml:7:", "pr.a", "defined twice"],
    ),
    (
        "key-twice",
        '[pr.a]\ntitle = "a"\ntitle = "b"\n',
        ["prgroups.toml:3:", "pr.a.title", "twice"],
    ),
    (
        "unknown-key",
        '[pr.a]\ntitel = "fix: a"\n',
        ["prgroups.toml:2:", "pr.a", '"titel"', 'did you mean "title"'],
    ),
    (
        "unknown-default",
        '[defaults]\nmerge_method = "rebase"\n\n' + GOOD_A,
        ["prgroups.toml:2:", "defaults", '"merge_method"', 'did you mean "merge"'],
    ),
    ("unknown-top", "prs = 1\n" + GOOD_A, ["prgroups.toml:1:", "top level", '"prs"', '"pr"']),
    ("title-not-string", "[pr.a]\ntitle = 5\n", ["prgroups.toml:2:", "pr.a.title", "string"]),
    (
        "issues-not-list",
        GOOD_A + 'issues = "400"\n',
        ["prgroups.toml:3:", "pr.a.issues", "list of issue numbers"],
    ),
    (
        "draft-not-bool",
        GOOD_A + 'draft = "yes"\n',
        ["prgroups.toml:3:", "pr.a.draft", 'true, false or "until-green"'],
    ),
    ("labels-not-list", GOOD_A + 'labels = "x"\n', ["prgroups.toml:3:", "pr.a.labels", "list"]),
    ("entry-not-table", "[pr]\na = 1\n", ["prgroups.toml:2:", "pr.a", "must be a table"]),
    ("defaults-not-table", "defaults = 1\n" + GOOD_A, ["prgroups.toml:1:", "defaults", "table"]),
    (
        "after-unknown",
        GOOD_A + '\n[pr.b]\ntitle = "b"\nafter = ["aa"]\n',
        ["prgroups.toml:6:", "pr.b.after", 'no entry named "aa"', 'did you mean "a"'],
    ),
    (
        "cycle",
        '[pr.a]\ntitle = "a"\nafter = ["c"]\n\n[pr.b]\ntitle = "b"\nafter = ["a"]\n\n'
        '[pr.c]\ntitle = "c"\nafter = ["b"]\n',
        ["prgroups.toml:3:", "pr.a.after", "dependency cycle: a → c → b → a"],
    ),
    (
        "self-dependency",
        GOOD_A + 'after = ["a"]\n',
        ["prgroups.toml:3:", "pr.a.after", "cannot wait for itself"],
    ),
    (
        "same-branch",
        GOOD_A + 'branch = "x"\n\n[pr.b]\ntitle = "b"\nbranch = "x"\n',
        ["prgroups.toml:7:", "pr.b.branch", '"x" is also the branch of pr.a'],
    ),
    (
        "same-default-branch",
        '[pr.fix]\ntitle = "a"\nissues = [1]\n\n[pr.other]\ntitle = "b"\nbranch = "1-fix"\n',
        ["prgroups.toml:7:", "pr.other.branch", "also the branch of pr.fix"],
    ),
    (
        "branch-dash",
        GOOD_A + 'branch = "-f"\n',
        ["prgroups.toml:3:", "pr.a.branch", "starts with '-'"],
    ),
    (
        "branch-dots",
        GOOD_A + 'branch = "a..b"\n',
        ["prgroups.toml:3:", "pr.a.branch", "'..'"],
    ),
    (
        "branch-space",
        GOOD_A + 'branch = "a b"\n',
        ["prgroups.toml:3:", "pr.a.branch", "not a name git accepts"],
    ),
    (
        "branch-folder-clash",
        GOOD_A + 'branch = "x"\n\n[pr.b]\ntitle = "b"\nbranch = "x/y"\n',
        ["prgroups.toml:7:", "pr.b.branch", 'cannot coexist with branch "x"'],
    ),
    ("no-title", "[pr.a]\nissues = [1]\n", ["prgroups.toml:1:", "pr.a", 'needs a "title"']),
    (
        "summary-without-type",
        '[pr.a]\nsummary = "do it"\n',
        ["prgroups.toml:2:", "pr.a.summary", '"type"'],
    ),
    (
        "title-and-summary",
        GOOD_A + 'type = "fix"\nsummary = "x"\n',
        ["prgroups.toml:4:", "pr.a.summary", "not both"],
    ),
    ("bad-type", '[pr.a]\ntype = "Fix it"\nsummary = "x"\n', ["prgroups.toml:2:", "pr.a.type"]),
    (
        "multiline-title",
        '[pr.a]\ntitle = "a\\nb"\n',
        ["prgroups.toml:2:", "pr.a.title", "single line"],
    ),
    ("issue-zero", GOOD_A + "issues = [0]\n", ["prgroups.toml:3:", "pr.a.issues", "positive"]),
    ("issue-negative", GOOD_A + "issues = [-4]\n", ["prgroups.toml:3:", "pr.a.issues", "positive"]),
    ("issue-bool", GOOD_A + "issues = [true]\n", ["prgroups.toml:3:", "pr.a.issues", "positive"]),
    ("issue-float", GOOD_A + "issues = [4.5]\n", ["prgroups.toml:3:", "pr.a.issues", "positive"]),
    ("issue-string", GOOD_A + 'issues = ["#4"]\n', ["prgroups.toml:3:", "pr.a.issues", "positive"]),
    ("issue-twice", GOOD_A + "issues = [4, 4]\n", ["prgroups.toml:3:", "pr.a.issues", "twice"]),
    (
        "epic-zero",
        "[defaults]\nepic = 0\n" + GOOD_A,
        ["prgroups.toml:2:", "defaults.epic", "positive"],
    ),
    (
        "merge-method",
        '[defaults]\nmerge = "fast-forward"\n' + GOOD_A,
        ["prgroups.toml:2:", "defaults.merge", "rebase, squash, merge", "fast-forward"],
    ),
    (
        "forge",
        '[defaults]\nforge = "gitlab"\n' + GOOD_A,
        ["prgroups.toml:2:", "defaults.forge", "auto, github, local"],
    ),
    (
        "worktree-one-path",
        '[defaults]\nworktree = "../wt"\n\n' + GOOD_A + '\n[pr.b]\ntitle = "b"\n',
        ["prgroups.toml:2:", "defaults.worktree", "pr.a and pr.b the same worktree"],
    ),
    (
        "worktree-inside-repo",
        '[defaults]\nworktree = "wt/{name}"\n\n' + GOOD_A,
        ["prgroups.toml:2:", "defaults.worktree", "inside the repository"],
    ),
    (
        "worktree-is-repo",
        '[defaults]\nworktree = "."\n\n' + GOOD_A,
        ["prgroups.toml:2:", "defaults.worktree", "inside the repository"],
    ),
    (
        "worktree-unknown-field",
        '[defaults]\nworktree = "../{user}-{name}"\n\n' + GOOD_A,
        ["prgroups.toml:2:", "defaults.worktree", '"{user}"'],
    ),
    (
        "worktree-attribute",
        '[defaults]\nworktree = "../{name.__class__}"\n\n' + GOOD_A,
        ["prgroups.toml:2:", "defaults.worktree", "may use only"],
    ),
    (
        "worktree-nested",
        '[defaults]\nworktree = "../{branch}-wt"\n\n'
        + GOOD_A
        + 'branch = "x"\n\n[pr.b]\ntitle = "b"\nbranch = "x-wt/y"\n',
        ["prgroups.toml:2:", "defaults.worktree", "nests the worktrees of pr.a and pr.b"],
    ),
    (
        "worktree-climbs-into-a-system-folder",
        '[defaults]\nworktree = "' + "../" * 40 + 'etc/{name}"\n\n' + GOOD_A,
        ["prgroups.toml:2:", "defaults.worktree", "in a system folder"],
    ),
    (
        "worktree-system-folder",
        '[defaults]\nworktree = "/etc/cron.d/{name}"\n\n' + GOOD_A,
        ["prgroups.toml:2:", "defaults.worktree", "in a system folder"],
    ),
    (
        "worktree-top-level-folder",
        '[defaults]\nworktree = "/{name}"\n\n' + GOOD_A,
        ["prgroups.toml:2:", "defaults.worktree", "in a system folder"],
    ),
    (
        "remote-like-an-option",
        '[defaults]\nremote = "--upload-pack=touch /tmp/pwned"\n\n' + GOOD_A,
        ["prgroups.toml:2:", "defaults.remote", "starts with '-'"],
    ),
    (
        "base-like-an-option",
        '[defaults]\nbase = "-x"\n\n' + GOOD_A,
        ["prgroups.toml:2:", "defaults.base", "starts with '-'"],
    ),
    (
        "label-with-comma",
        '[defaults]\nlabels = ["area: a,b"]\n\n' + GOOD_A,
        ["prgroups.toml:2:", "defaults.labels", "contains a comma or a quote"],
    ),
    (
        "entry-name-not-a-ref",
        '[pr."fix.lock"]\ntitle = "x"\nbranch = "fix"\n',
        ["prgroups.toml:1:", "pr.fix.lock", "cannot name a git ref"],
    ),
    (
        "templates-missing",
        '[defaults]\ntemplates = "no/such/dir"\n\n' + GOOD_A,
        ["prgroups.toml:2:", "defaults.templates", "no such folder"],
    ),
    ("entry-name", '[pr."a b"]\ntitle = "x"\n', ["prgroups.toml:1:", "pr.a b", "entry names"]),
    ("no-entries", '[defaults]\nbase = "main"\n', ["prgroups.toml:", "no entries"]),
    ("check-unsplittable", GOOD_A + "checks = ['echo \"x']\n", ["prgroups.toml:3:", "pr.a.checks"]),
    ("nul-in-body", GOOD_A + 'body = "a\\u0000b"\n', ["prgroups.toml:3:", "pr.a.body", "NUL"]),
    ("not-utf8", b'[pr.a]\ntitle = "caf\xe9"\n', ["prgroups.toml:2:", "not UTF-8", "0xe9"]),
    (
        "issue-unknown-key",
        GOOD_A + 'issues = [7]\n\n[issue.7]\nnotes = "x"\n',
        ["prgroups.toml:6:", "issue.7", '"notes"', 'did you mean "note"'],
    ),
    (
        "issue-not-a-number",
        GOOD_A + '\n[issue.seven]\nnote = "x"\n',
        ["prgroups.toml:4:", "issue.seven", "named by their number"],
    ),
    (
        "issue-note-without-entry",
        GOOD_A + '\n[issue.7]\nnote = "changed header"\n',
        ["prgroups.toml:4:", "issue.7", "no entry names issue 7", 'resolution = "no-fix"'],
    ),
    (
        "issue-no-fix-without-note",
        GOOD_A + '\n[issue.7]\nresolution = "no-fix"\n',
        ["prgroups.toml:5:", "issue.7.resolution", 'needs a "note"'],
    ),
    (
        "issue-resolution-unknown",
        GOOD_A + '\n[issue.7]\nresolution = "wontfix"\nnote = "x"\n',
        ["prgroups.toml:5:", "issue.7.resolution", "fixed, no-fix"],
    ),
    (
        "issue-part-of-another-entry",
        GOOD_A + 'issues = [7]\n\n[pr.b]\ntitle = "b"\n\n[issue.7]\nparts = { b = "P1" }\n',
        ["prgroups.toml:9:", "issue.7.parts", "pr.b does not name issue 7"],
    ),
    (
        "issue-note-not-text",
        GOOD_A + "issues = [7]\n\n[issue.7]\nnote = 5\n",
        ["prgroups.toml:6:", "issue.7.note", "must be a string"],
    ),
    (
        "checks-retry-too-many",
        "[defaults]\nchecks_retry = 9\n\n" + GOOD_A,
        ["prgroups.toml:2:", "defaults.checks_retry", "from 0 to 3"],
    ),
    (
        "draft-not-a-mode",
        GOOD_A + 'draft = "when-green"\n',
        ["prgroups.toml:3:", "pr.a.draft", 'true, false or "until-green"'],
    ),
]


@pytest.mark.parametrize(
    ("text", "fragments"), [c[1:] for c in BAD_SPECS], ids=[c[0] for c in BAD_SPECS]
)
def test_bad_spec_is_refused_with_one_message_and_nothing_written(world, cli, text, fragments):
    world.write_spec(text)
    before = snapshot(world.base)

    outcome = cli("plan", cwd=world.repo)

    assert outcome.code == 2
    assert outcome.out == ""
    message = outcome.err.strip()
    assert "\n" not in message, message
    assert "Traceback" not in message
    for fragment in fragments:
        assert fragment in message
    assert snapshot(world.base) == before


def test_the_message_names_the_spec_from_a_subdirectory_too(world, cli):
    world.write_spec('[pr.a]\ntitel = "x"\n')
    sub = world.repo / "src" / "deep"
    sub.mkdir(parents=True)

    outcome = cli("plan", cwd=sub)

    assert outcome.code == 2
    assert "error: ../../prgroups.toml:2: pr.a" in outcome.err  # as typed from there


def test_no_spec_says_where_it_looked_and_how_to_start(world, cli):
    before = snapshot(world.base)

    outcome = cli("plan", cwd=world.repo)

    assert outcome.code == 2
    assert "no prgroups.toml in . (the main worktree" in outcome.err  # here: "."
    assert "git prgroups init" in outcome.err
    assert snapshot(world.base) == before


def test_outside_a_repository(tmp_path, cli):
    outcome = cli("plan", cwd=tmp_path)

    assert outcome.code == 2
    assert "not inside a git repository" in outcome.err


def test_missing_explicit_spec(world, cli):
    outcome = cli("plan", "--spec", "nope.toml", cwd=world.repo)

    assert outcome.code == 2
    assert "nope.toml: no such file" in outcome.err


def test_spec_that_is_a_directory(world, cli):
    outcome = cli("plan", "--spec", ".", cwd=world.repo)

    assert outcome.code == 2
    assert "is a directory" in outcome.err


@pytest.mark.parametrize(
    ("path", "system"),
    [("/dev/shm/bench/wt", False), ("/dev/pts/wt", True), ("/etc/wt", True),
     ("/wt", True), ("/home/me/wt", False), ("/tmp/wt", False)],
)  # fmt: skip
def test_memory_backed_dev_shm_is_the_users_own_but_not_the_rest_of_dev(
    path: str, system: bool
) -> None:
    assert in_system_folder(Path(path)) is system
