"""Titles, PR bodies, commit messages and issue comments from the templates."""

from __future__ import annotations

from pathlib import Path

import git_prgroups
from git_prgroups.render import Renderer, default_templates_dir
from git_prgroups.specfile import load_spec

from conftest import EXAMPLE_SPEC, snapshot


def example_renderer(root: Path) -> Renderer:
    spec = load_spec(EXAMPLE_SPEC, root)
    return Renderer(spec, spec.graph())


def test_title_is_the_title_or_type_scope_summary(world, cli):
    def title(name: str) -> str:
        outcome = cli(
            "render", name, "--what", "title", "--spec", str(EXAMPLE_SPEC), cwd=world.repo
        )
        assert outcome.code == 0, outcome.err
        return outcome.out

    assert title("delete-mojo-guides") == "docs: delete Mojo guides\n"
    assert title("fix-language-defaults") == "fix(agents): default language to python\n"
    assert (
        title("code-hygiene") == "fix: timezone-aware datetimes and a LogCapture context manager\n"
    )


def test_body_closes_own_issues_and_is_part_of_shared_ones(world):
    renderer = example_renderer(world.repo)

    body = renderer.body("remove-python-justification")

    assert "## Summary" in body and "## Changes" in body and "## Verification" in body
    assert "Closes #408\n" in body
    assert "Part of #401 (P2)\n" in body  # [issue.401] parts: its part of the issue
    assert "Closes #401" not in body
    assert "Part of epic #403" in body


def test_body_of_an_entry_with_unshared_issues_closes_them_all(world):
    body = example_renderer(world.repo).body("config-tooling-cleanup")

    closes = [line for line in body.splitlines() if line.startswith("Closes #")]
    assert closes == [f"Closes #{n}" for n in (404, 405, 406, 407, 409, 410, 411, 412)]
    assert "Part of #" not in body.replace("Part of epic", "")


def test_body_names_prerequisites_and_lists_commits_when_given(world):
    renderer = example_renderer(world.repo)

    body = renderer.body(
        "fix-language-defaults",
        commits=["fix(agents): python by default"],
        prs={"delete-mojo-guides": 509},
    )

    assert "- #509 (delete-mojo-guides)" in body
    assert "- fix(agents): python by default\n" in body


def test_commit_message_is_subject_blank_body_footers(world, cli):
    outcome = cli(
        "render",
        "delete-mojo-guides",
        "--what",
        "commit",
        "--spec",
        str(EXAMPLE_SPEC),
        cwd=world.repo,
    )

    assert outcome.code == 0
    subject, blank, body, *rest = outcome.out.split("\n")
    assert subject == "docs: delete Mojo guides"
    assert blank == ""
    assert body.startswith("Deletes the two Mojo guides")
    assert rest[-3:] == ["", "Refs #401", ""]


def test_commit_footers_close_own_issues_and_refer_to_shared_ones(world):
    message = example_renderer(world.repo).commit_message("remove-python-justification")

    assert message == "refactor: remove Python Justification comments\n\nCloses #408\nRefs #401\n"


def test_issue_comment_names_every_pr(world):
    renderer = example_renderer(world.repo)

    assert renderer.issue_comment(401, [{"number": 509}]) == "Fixed in #509.\n"
    assert (
        renderer.issue_comment(401, [{"number": 508}, {"number": 514}])
        == "Fixed in #508 and #514.\n"
    )
    three = renderer.issue_comment(401, [{"number": 1}, {"number": 2}, {"number": 3}])
    assert three == "Fixed in #1, #2 and #3.\n"


def write_override(world, name: str, text: str) -> None:
    folder = world.repo / ".github" / "prgroups"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    world.write_spec(
        '[defaults]\ntemplates = ".github/prgroups"\n\n[pr.a]\ntype = "fix"\nsummary = "it"\nissues = [7]\n'
    )


def test_repository_overrides_a_template_by_file_name(world, cli):
    write_override(
        world, "pr-title.j2", "[{{ entry.issues | join(',') }}] {{ entry.summary | upper }}"
    )

    title = cli("render", "a", "--what", "title", cwd=world.repo)
    body = cli("render", "a", cwd=world.repo)

    assert title.code == 0 and title.out == "[7] IT\n"
    assert body.code == 0 and "Closes #7" in body.out  # the other templates stay the defaults


def test_undefined_variable_names_template_file_and_line(world, cli):
    write_override(world, "pr-body.md.j2", "## Summary\n\n{{ title }}\n{{ nonsense }}\n")
    before = snapshot(world.base)

    outcome = cli("render", "a", cwd=world.repo)

    assert outcome.code == 2
    assert "pr-body.md.j2:4" in outcome.err
    assert "'nonsense' is undefined" in outcome.err
    assert "Traceback" not in outcome.err
    assert snapshot(world.base) == before


def test_template_syntax_error_names_file_and_line(world, cli):
    write_override(world, "commit-message.j2", "{{ title }}\n\n{% for x in issues %}\nno end\n")

    outcome = cli("render", "a", "--what", "commit", cwd=world.repo)

    assert outcome.code == 2
    assert "commit-message.j2:" in outcome.err
    assert "template syntax error" in outcome.err
    assert "Traceback" not in outcome.err


def test_sandbox_refuses_python_internals(world, cli):
    write_override(world, "pr-title.j2", "{{ entry.__class__.__init__.__globals__ }}")

    outcome = cli("render", "a", "--what", "title", cwd=world.repo)

    assert outcome.code == 2
    assert "pr-title.j2" in outcome.err
    assert "__globals__" not in outcome.out


def test_unknown_entry_suggests_the_close_one(world, cli):
    outcome = cli("render", "fix-languge-defaults", "--spec", str(EXAMPLE_SPEC), cwd=world.repo)

    assert outcome.code == 2
    assert 'did you mean "fix-language-defaults"' in outcome.err


def test_default_templates_are_found_in_the_imported_package():
    folder = default_templates_dir()
    package = Path(git_prgroups.__file__).parent

    assert (folder / "pr-body.md.j2").is_file()
    if not (package.parent / "pyproject.toml").exists():  # an installed copy, not a source tree
        assert folder == package / "templates"


def test_a_template_that_renders_megabytes_is_stopped(world, cli):
    write_override(world, "pr-body.md.j2", "{% for i in range(99999) %}{{ 'x' * 99 }}{% endfor %}")

    outcome = cli("render", "a", cwd=world.repo)

    assert outcome.code == 2
    assert outcome.err == "error: pr-body.md.j2: renders more than 1,000,000 characters; stopped\n"


def test_a_template_that_loops_on_and_on_is_stopped(world, cli, monkeypatch):
    import git_prgroups.render

    monkeypatch.setattr(git_prgroups.render, "RENDER_SECONDS", 0.3)
    write_override(
        world, "pr-title.j2", "{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}"
        "{% endfor %}t",
    )  # fmt: skip

    outcome = cli("render", "a", "--what", "title", cwd=world.repo)

    assert outcome.code == 2
    assert outcome.err == "error: pr-title.j2: still rendering after 0.3 s; stopped\n"
