"""Speed work changes no output: email.html and email.txt of every fixture issue match reviewed goldens.

The builds run as a user runs them (a fresh `python -m newsletter` process, the inlining worker allowed), so
every start-up and shutdown shortcut of the command line is on the path these goldens check.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, PROJECT

# Each fixture publication with its issues (check-seed's only issue has no stories: it cannot build;
# check-digests' three issues differ only in their numbers, so one of them stands for all).
PUBLICATIONS = {
    "basic": ["2024-05-01-spring"],
    "check-clean": ["2024-06-01-summer"],
    "check-digests": ["2024-04-01-digest-1"],
    "engines": ["2024-07-06-tides"],
    "text-constructs": ["2024-02-01-constructs"],
    "text-issues": ["2024-03-23-harbour", "2024-04-06-letters"],
    "theme": ["2024-09-07-harbour"],
    "sample": ["2026-11-14-the-bridge", "2026-11-28-night-ferry"],
}


def build_in_a_process(root: Path, slugs: list[str], out: Path) -> subprocess.CompletedProcess[str]:
    """Build issues of a publication with the command line in a new process, as a user runs it."""
    env = {k: v for k, v in os.environ.items() if k != "NEWSLETTER_INLINE_WORKER"}
    env["PYTHONPATH"] = str(PROJECT)
    return subprocess.run([sys.executable, "-m", "newsletter", "--root", str(root), "build", *slugs,
                           "--out", str(out)], env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("name", sorted(PUBLICATIONS))
def test_build_output_is_byte_identical_to_the_goldens(name: str, tmp_path: Path, golden) -> None:
    root = PROJECT if name == "sample" else FIXTURES / name
    result = build_in_a_process(root, PUBLICATIONS[name], tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("built ") == len(PUBLICATIONS[name]), "every line of stdout reached the pipe"
    for slug in PUBLICATIONS[name]:
        for file in ("email.html", "email.txt"):
            data = (tmp_path / "out" / slug / file).read_bytes()
            golden(f"emails/{name}/{slug}/{file}", data.decode("utf-8"))
