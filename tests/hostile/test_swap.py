"""The output swap survives kills (#11.12), and unwritable folders get a clear message (#11.13)."""

from __future__ import annotations

import errno
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from newsletter import writer
from tests.conftest import FIXTURES, PROJECT
from tests.hostile.harness import tree

A = "2024-05-01-spring"

# Runs `newsletter ARGS` with the writer patched to die at one point, as a kill there would.
_DIE = """
import os, signal, sys
from pathlib import Path
from newsletter import writer
where = sys.argv[1]
if where == "between-renames":
    writer.exchange = lambda first, second: False  # the fallback for systems without RENAME_EXCHANGE
    rename = Path.rename
    def dying(self, target):
        done = rename(self, target)
        if str(target).endswith(".old"):
            os.kill(os.getpid(), signal.SIGKILL)
        return done
    Path.rename = dying
elif where == "before-swap":  # export/ has been carried into the staging folder
    writer._swap = lambda staging, target: os.kill(os.getpid(), signal.SIGKILL)
sys.argv = ["newsletter", *sys.argv[2:]]
from newsletter.__main__ import main
main()
"""


def _env() -> dict[str, str]:
    """Return the environment for a command of the tree under test."""
    return {**os.environ, "PYTHONPATH": str(PROJECT), "NEWSLETTER_INLINE_WORKER": "0"}


def _cli(pub: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the command line in a subprocess."""
    return subprocess.run([sys.executable, "-m", "newsletter", *args], cwd=pub, env=_env(), capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """Return the basic publication, built, with an export folder in its issue's build."""
    pub = tmp_path / "pub"
    shutil.copytree(FIXTURES / "basic", pub)
    assert _cli(pub, "build", A).returncode == 0
    assert _cli(pub, "export", A, "--to", "eml", "--force").returncode == 0  # the fixture has a check error
    assert (pub / "dist" / A / "export" / "eml").is_dir()
    return pub


def _leftovers(folder: Path) -> list[str]:
    """Return staging and old folders the writer left in folder."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".tmp", ".old")))


def test_renameat2_exchanges_two_folders(tmp_path: Path) -> None:
    """On Linux the swap is one renameat2(RENAME_EXCHANGE) call."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (first / "one").write_text("1")
    (second / "two").write_text("2")
    if not writer.exchange(first, second):
        pytest.skip("this system or file system cannot exchange two paths atomically (the fallback is tested)")
    assert [p.name for p in first.iterdir()] == ["two"] and [p.name for p in second.iterdir()] == ["one"]


def test_a_kill_between_the_two_renames_is_recovered(built: Path) -> None:
    """Where no exchange exists, a kill after the old folder was moved aside leaves it for the next run."""
    before = tree(built / "dist" / A)
    (built / "issues" / A / "03-brief.txt").write_text("Changed\n\nA new brief.\n")
    died = subprocess.run([sys.executable, "-c", _DIE, "between-renames", "build", A], cwd=built, env=_env(),
                          capture_output=True, text=True, timeout=120, check=False)
    assert died.returncode == -signal.SIGKILL
    assert not (built / "dist" / A).exists(), "the kill left the target missing (the state to recover from)"
    writer.recover(built / "dist" / A, ("export",))
    assert tree(built / "dist" / A) == before, "the previous build is back, byte for byte"
    assert _leftovers(built / "dist") == []


def test_a_kill_after_export_was_carried_over_keeps_it(built: Path) -> None:
    """export/ moved into the staging folder before the swap is handed back by the next build."""
    exported = tree(built / "dist" / A / "export")
    died = subprocess.run([sys.executable, "-c", _DIE, "before-swap", "build", A], cwd=built, env=_env(),
                          capture_output=True, text=True, timeout=120, check=False)
    assert died.returncode == -signal.SIGKILL
    assert not (built / "dist" / A / "export").exists() and _leftovers(built / "dist")
    assert _cli(built, "build", A).returncode == 0
    assert tree(built / "dist" / A / "export") == exported
    assert _leftovers(built / "dist") == []


def test_random_kills_never_lose_the_build_or_its_export(built: Path) -> None:
    """SIGKILL at random moments of `build`: dist/<slug>/ and its export/ are always there afterwards."""
    exported = tree(built / "dist" / A / "export")
    chance = random.Random(11)
    for _ in range(6):
        process = subprocess.Popen([sys.executable, "-m", "newsletter", "build", A], cwd=built, env=_env(),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(chance.uniform(0.2, 1.6))
        process.kill()
        process.wait()
        assert (built / "dist" / A / "email.html").is_file()
        writer.recover(built / "dist" / A, ("export",))  # what the next build does first
        assert tree(built / "dist" / A / "export") == exported
    assert _cli(built, "build", A).returncode == 0
    assert _leftovers(built / "dist") == [] and tree(built / "dist" / A / "export") == exported


def test_leftovers_of_a_running_process_are_not_touched(tmp_path: Path) -> None:
    """A staging folder whose process still runs (a concurrent build) is left alone."""
    target = tmp_path / "out"
    target.mkdir()
    mine = tmp_path / f".out.{os.getpid()}-abc.tmp"
    dead = tmp_path / ".out.999999999-abc.tmp"
    other = tmp_path / ".out-other.999999999-abc.tmp"  # another target's
    for folder in (mine, dead, other):
        folder.mkdir()
    writer.recover(target)
    assert mine.is_dir() and not dead.exists() and other.is_dir()


def _refuse_writes_under(monkeypatch: pytest.MonkeyPatch, folder: Path, code: int) -> None:
    """Make creating anything under folder fail with `code`, as a read-only or full file system would."""
    real = tempfile.mkdtemp

    def mkdtemp(*args: object, **kwargs: object) -> str:
        where = Path(str(kwargs.get("dir") or ""))
        if where == folder or folder in where.parents:
            raise OSError(code, os.strerror(code), str(where / "x"))
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)


@pytest.mark.parametrize(("code", "advice"), [
    (errno.EROFS, "make it writable, or write the output somewhere else (--out)"),
    (errno.EACCES, "make it writable, or write the output somewhere else (--out)"),
    (errno.ENOSPC, "the disk is full: free some space and run again"),
])
def test_an_unwritable_output_folder_is_named_with_what_to_do(publication, run, monkeypatch: pytest.MonkeyPatch,
                                                              code: int, advice: str) -> None:
    """dist/ (and an export folder) that cannot be written: which folder, why, what to do; no traceback."""
    pub = publication()
    assert run("build", cwd=pub).exit_code == 0
    for folder, args in ((pub / "dist", ("build",)),
                         (pub / "dist" / A / "export", ("export", A, "--to", "eml", "--force"))):
        with monkeypatch.context() as patch:
            _refuse_writes_under(patch, folder, code)
            result = run(*args, cwd=pub)
        assert result.exit_code == 1, result.output
        reason = os.strerror(code)
        shown = folder.relative_to(pub)
        assert f"{shown}: cannot write {A if args[0] == 'build' else 'eml'} into this folder: " \
               f"{reason[0].lower()}{reason[1:]}; {advice}" in result.stderr, result.stderr
        assert "internal error" not in result.output and "Traceback" not in result.output


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_dist_folder(publication, run) -> None:
    """With permissions that really forbid writing, the build says so (the simulated case runs everywhere)."""
    pub = publication()
    assert run("build", cwd=pub).exit_code == 0
    (pub / "dist").chmod(0o555)
    try:
        result = run("build", cwd=pub)
    finally:
        (pub / "dist").chmod(0o755)
    assert result.exit_code == 1 and "dist: cannot write" in result.stderr and "make it writable" in result.stderr
