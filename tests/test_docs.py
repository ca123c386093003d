"""The README documents every command, and every command has help text."""

from __future__ import annotations

import pytest

from newsletter.cli import cli
from tests.conftest import PROJECT

README = (PROJECT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help_and_is_in_the_readme(name, run):
    result = run(name, "--help")
    assert result.exit_code == 0
    assert cli.commands[name].help, f"`newsletter {name}` has no help text"
    assert f"newsletter {name}" in README, f"`newsletter {name}` is not shown in README.md"


def test_readme_shows_the_two_commands():
    assert "pip install . && newsletter build --all" in README
    assert "scripts/test" in README
    ci = (PROJECT / ".ci" / "run").read_text()
    assert "scripts/test" in ci
