"""Shared fixtures: isolated CLI runs on copies of fixture publications, and the real tools tests need."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsletter.cli import cli

TESTS = Path(__file__).resolve().parent
PROJECT = TESTS.parent
FIXTURES = TESTS / "fixtures"
SHARED = PROJECT.parent / "shared"
ARTIFACTS = TESTS / "artifacts"
MJML_DIR = TESTS / "mjml"
REQUIRE_TOOLS = os.environ.get("NEWSLETTER_REQUIRE_TOOLS") == "1"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add --update-golden, which rewrites golden files for review."""
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files instead of comparing")


def missing_tool(reason: str) -> None:
    """Skip a test for a missing tool, or fail where CI requires every tool."""
    if REQUIRE_TOOLS:
        pytest.fail(f"required tool missing: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run each test with its own HOME and current folder."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("NEWSLETTER_SMTP_PASSWORD", raising=False)
    # In-process CLI runs inline CSS in process: a forked worker per build only costs time in a test process.
    monkeypatch.setenv("NEWSLETTER_INLINE_WORKER", "0")
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def publication(tmp_path: Path):
    """Return a factory copying a fixture publication (tests/fixtures/<name>) into tmp_path."""

    def make(name: str = "basic") -> Path:
        target = tmp_path / name
        shutil.copytree(FIXTURES / name, target)
        return target

    return make


@pytest.fixture
def run():
    """Return a function that runs the CLI in-process and returns click's Result."""

    def invoke(*args: str | Path, cwd: Path | None = None) -> Result:
        runner = CliRunner()
        old = Path.cwd()
        if cwd is not None:
            os.chdir(cwd)
        try:
            return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
        finally:
            os.chdir(old)

    return invoke


@pytest.fixture
def golden(request: pytest.FixtureRequest):
    """Return a function comparing text with tests/golden/<name>, rewriting it under --update-golden."""
    update = request.config.getoption("--update-golden")

    def check(name: str, actual: str) -> None:
        path = TESTS / "golden" / name
        if update or not path.exists():
            if not update:
                pytest.fail(f"golden file {path} is missing: run pytest --update-golden and review it")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
            return
        expected = path.read_text(encoding="utf-8")
        assert actual == expected, f"output differs from {path}; review and run pytest --update-golden"

    return check


@pytest.fixture(scope="session")
def chromium() -> str:
    """Return the path of Debian's chromium, or skip (fail in CI) when it is absent."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        missing_tool("Debian's chromium is not installed (apt-get install chromium)")
    return str(path)


@pytest.fixture(scope="session")
def mjml_validator() -> Path:
    """Return the reference MJML validator script, or skip (fail in CI) when node or mjml is absent."""
    if not shutil.which("node") or not (MJML_DIR / "node_modules" / "mjml").is_dir():
        missing_tool("the reference mjml package is not installed (npm install --prefix tests/mjml)")
    return MJML_DIR / "validate.js"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """Return ../shared, or skip when this clone has no shared folder beside it."""
    if not SHARED.is_dir():
        pytest.skip("../shared/ is not beside this clone (the team's design notes, seed and schemas)")
    return SHARED


def node(*args: str) -> subprocess.CompletedProcess[str]:
    """Run node with arguments and capture its output."""
    return subprocess.run(["node", *args], capture_output=True, text=True, check=False, timeout=120)
