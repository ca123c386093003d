"""A non-editable install carries the default theme: init and build work outside the repository."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """Build the wheel and install it (without dependencies, which the test environment has) into a folder."""
    work = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(work),
         str(PROJECT)],
        capture_output=True, text=True, check=False,
    )
    if build.returncode != 0 and "hatchling" in build.stderr:
        build = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work), str(PROJECT)],
            capture_output=True, text=True, check=False,
        )
    assert build.returncode == 0, build.stderr
    wheel = next(work.glob("newsletter-*.whl"))
    target = work / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    return target


def test_init_and_build_from_the_wheel(installed, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(installed)}
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    where = subprocess.run([sys.executable, "-c", "import newsletter, sys; print(newsletter.__file__)"],
                           cwd=outside, env=env, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(installed)), "the test must run the installed copy, not the checkout"
    init = subprocess.run([sys.executable, "-m", "newsletter", "init", "my-letter"], cwd=outside, env=env,
                          capture_output=True, text=True, check=False)
    assert init.returncode == 0, init.stderr
    build = subprocess.run([sys.executable, "-m", "newsletter", "build", "--all"], cwd=outside / "my-letter",
                           env=env, capture_output=True, text=True, check=False)
    assert build.returncode == 0, build.stderr
    assert "built dist/" in build.stdout
    html = next((outside / "my-letter" / "dist").glob("*/email.html")).read_text()
    assert "Welcome to the first issue" in html and "nl-card" in html
