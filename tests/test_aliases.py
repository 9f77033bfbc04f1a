"""`git prgroups aliases`: the printed bash script defines aliases that complete entry names."""

from __future__ import annotations

import os
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
