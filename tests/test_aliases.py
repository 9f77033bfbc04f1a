"""`git prgroups aliases`: the printed bash script defines aliases that complete entry names."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from conftest import World


def complete(world: World, script: str, line: str, installed_command) -> list[str]:
    """What bash completion offers for `line` (the cursor at its end)."""
    words = line.split(" ")
    function = "_git_prgroups" if words[0] == "git" else f"_{words[0]}"
    quoted = " ".join(f"'{w}'" for w in words)
    program = (
        f"{script}\nCOMP_WORDS=({quoted})\nCOMP_CWORD={len(words) - 1}\n{function}\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = {**os.environ, "PATH": f"{installed_command.parent}:{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", "-c", program], cwd=world.repo, capture_output=True, text=True, env=env,
        check=True,
    )  # fmt: skip
    return done.stdout.split()


def test_bash_aliases_complete_subcommands_options_and_entry_names(
    epic: World, cli, installed_command
) -> None:
    outcome = cli("aliases", "bash", cwd=epic.repo)
    assert outcome.code == 0
    script = outcome.out
    assert "alias pgu='git prgroups up'" in script

    assert complete(epic, script, "pgu fix-", installed_command) == [
        "fix-model-configs", "fix-language-defaults"
    ]  # fmt: skip
    assert complete(epic, script, "git prgroups sy", installed_command) == ["sync"]
    assert complete(epic, script, "git prgroups prune --f", installed_command) == ["--force"]
    assert complete(epic, script, "pgs ", installed_command) == []  # status takes no names


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_other_shells_get_the_same_aliases(epic: World, cli, shell: str) -> None:
    outcome = cli("aliases", shell, cwd=epic.repo)

    assert outcome.code == 0
    assert "pgy" in outcome.out and "git prgroups sync" in outcome.out
    assert "plan --format names" in outcome.out


def test_an_unknown_shell_is_a_usage_error(epic: World, cli) -> None:
    outcome = cli("aliases", "tcsh", cwd=epic.repo)

    assert outcome.code == 2
    assert "choose bash, zsh, fish" in outcome.err


def test_completion_offers_every_option_each_command_has(epic: World, cli, installed_command):
    """The completion is made from the command definitions: `sync --check` once was
    missing from a list kept by hand."""
    script = cli("aliases", "bash", cwd=epic.repo).out
    assert complete(epic, script, "git prgroups sync --ch", installed_command) == ["--check"]
    for command in ("up", "sync", "prune", "watch", "status", "plan", "commit", "render"):
        help_text = cli(command, "-h", cwd=epic.repo).out
        listed = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", help_text))
        listed -= {"--help", "--help-all", "--version", "--completions"}
        offered = set(complete(epic, script, f"git prgroups {command} --", installed_command))
        assert listed <= offered, (command, listed - offered)
