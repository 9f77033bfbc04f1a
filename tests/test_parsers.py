"""Pure parsers: branch names as git judges them, and key lines in TOML text."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from git_prgroups.refname import branch_name_problem
from git_prgroups.tomllines import key_lines

NAMES = [
    "a", "400-fix-model-configs", "feature/x", "a.b", "é", "a@b", "{a}", "a,b", "a\u200fb",
    "-a", "a b", "a..b", "a/.b", ".a", "a.lock", "a/b.lock/c", "HEAD", "a@{b", "/a", "a/", "a//b",
    "a.", "a\\b", "a:b", "a~b", "a^b", "a?b", "a*b", "a[b", "a\x7fb", "a\tb", "a/..", "x/HEAD",
]  # fmt: skip


def git_accepts(name: str) -> bool:
    result = subprocess.run(["git", "check-ref-format", "--branch", name], capture_output=True)
    return result.returncode == 0


@pytest.mark.parametrize("name", NAMES)
def test_branch_rules_agree_with_git(name):
    assert (branch_name_problem(name) is None) == git_accepts(name)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab-./@{}~^:?*[\\ \tHEAD.lock"), min_size=1, max_size=10))
def test_branch_rules_agree_with_git_on_random_names(name):
    if name == "@":  # git expands "@" to the current branch; as a new branch name it is refused
        return
    assert (branch_name_problem(name) is None) == git_accepts(name)


def test_key_lines_skip_strings_arrays_and_comments():
    text = (
        "# [pr.fake]\n"  # 1
        "[defaults]\n"  # 2
        'base = "main" # x = 1\n'  # 3
        "[pr.a]\n"  # 4
        'body = """\n'  # 5
        "title = 'not a key'\n"  # 6
        "[pr.not-a-table]\n"  # 7
        '"""\n'  # 8
        "after = [\n"  # 9
        '  "b", # ]\n'  # 10
        "]\n"  # 11
        'title = "x"\n'  # 12
        '[pr."dotted.name"]\n'  # 13
        "issues.x = 1\n"  # 14
    )

    assert key_lines(text) == {
        ("defaults",): 2,
        ("defaults", "base"): 3,
        ("pr", "a"): 4,
        ("pr", "a", "body"): 5,
        ("pr", "a", "after"): 9,
        ("pr", "a", "title"): 12,
        ("pr", "dotted.name"): 13,
        ("pr", "dotted.name", "issues", "x"): 14,
    }


def test_key_lines_never_fail_on_garbage():
    for text in ['[pr.a\nx = "', "'''\n[x]\n", "a = [[[\n", "[\n", '"a\\', "= 1\n"]:
        assert isinstance(key_lines(text), dict)


def test_redact_hides_environment_tokens_and_url_credentials(monkeypatch) -> None:
    from git_prgroups.proc import CommandFailed, Completed, redact

    monkeypatch.setenv("GITHUB_TOKEN", "tok-1234")
    assert redact("a tok-1234 b https://me:pw@host/r.git") == "a *** b https://***@host/r.git"
    failed = CommandFailed(Completed(("git", "push"), 1, "", "denied for tok-1234"))
    assert "tok-1234" not in str(failed)


def test_gh_calls_under_way_together_never_share_a_cache_folder(tmp_path) -> None:
    from pathlib import Path

    from git_prgroups.forges.gh import CacheLanes

    lanes = CacheLanes(tmp_path / "gh-cache")
    with lanes.lane() as first, lanes.lane() as second:
        assert first != second
        assert first["XDG_CACHE_HOME"] != second["XDG_CACHE_HOME"]
        assert Path(first["TMPDIR"]).is_dir()  # gh before 2.4x keeps its cache there
    with lanes.lane() as again:  # one at a time: the first folder, warm, serves again
        assert again in (first, second)
    assert sorted(p.name for p in (tmp_path / "gh-cache").iterdir()) == ["0", "1"]
