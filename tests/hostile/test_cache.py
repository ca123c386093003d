"""Caches live in the user's cache folder, keyed by publication; entries are checked before use (#11.1, #11.2)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from newsletter import cache, images
from newsletter.checks.linkcheck import cache_dir as link_cache
from newsletter.render.templates import _bytecode_folder, default_theme_dir
from tests.conftest import PROJECT

A = "2024-05-01-spring"


def test_caches_are_in_the_users_cache_folder_one_per_publication(publication, monkeypatch, tmp_path) -> None:
    """XDG_CACHE_HOME is honoured (platformdirs); two publications get two folders; none is inside them."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    first = publication()
    second = tmp_path / "second"
    second.mkdir()
    for root in (first, second):
        folders = [images.cache_dir(root), link_cache(root), _bytecode_folder((root / "templates",
                                                                               default_theme_dir()))]
        assert all(f.is_relative_to(tmp_path / "xdg" / "newsletter") for f in folders)
        assert not any(f.is_relative_to(root) for f in folders)
    assert images.cache_dir(first) != images.cache_dir(second)
    assert images.cache_dir(first).parent.name.startswith(first.name + "-")
    assert _bytecode_folder((default_theme_dir(),)) == tmp_path / "xdg" / "newsletter" / cache.SHARED / "jinja"


def test_a_build_writes_nothing_into_the_publication_but_dist(publication, run) -> None:
    """The publication folder gains dist/ and nothing else (no .newsletter-cache/)."""
    pub = publication()
    before = {p.name for p in pub.iterdir()}
    assert run("build", cwd=pub).exit_code == 0
    assert {p.name for p in pub.iterdir()} - before == {"dist"}
    assert any(images.cache_dir(pub).iterdir())


def _entry(pub: Path) -> tuple[Path, images.PreparedImage]:
    """Build once and return the cache entry of the fixture's image and what it holds."""
    data = (pub / "issues" / A / "images" / "tree.png").read_bytes()
    key = hashlib.sha256(images._SETTINGS + b"\0" + data).hexdigest()
    entry = images.cache_dir(pub) / key
    found = images._lookup(entry)
    assert found is not None
    return entry, found


@pytest.mark.parametrize("damage", ["bytes", "hash", "name", "size", "link", "missing-meta", "folder-link"])
def test_a_damaged_entry_is_discarded_and_the_image_processed_again(publication, run, tmp_path, damage) -> None:
    """An entry that does not check out is never used: the next build processes the image again."""
    pub = publication()
    assert run("build", cwd=pub).exit_code == 0
    entry, good = _entry(pub)
    meta = json.loads((entry / "meta.json").read_text())
    outside = tmp_path / "outside.png"
    outside.write_bytes(b"not yours")
    if damage == "bytes":
        good.path.write_bytes(good.path.read_bytes() + b"x")
    elif damage == "hash":
        (entry / "meta.json").write_text(json.dumps({**meta, "sha256": "0" * 64}))
    elif damage == "name":
        (entry / "meta.json").write_text(json.dumps({**meta, "name": "../../../outside.png"}))
    elif damage == "size":
        (entry / "meta.json").write_text(json.dumps({**meta, "width": -1}))
    elif damage == "link":
        good.path.unlink()
        good.path.symlink_to(outside)
        (entry / "meta.json").write_text(json.dumps({**meta, "sha256": hashlib.sha256(b"not yours").hexdigest()}))
    elif damage == "missing-meta":
        (entry / "meta.json").unlink()
    else:
        moved = tmp_path / "moved"
        entry.rename(moved)
        entry.symlink_to(moved)
    assert images._lookup(entry) is None
    assert not entry.exists() and not entry.is_symlink(), "discarded"
    assert outside.read_bytes() == b"not yours"
    assert run("build", cwd=pub).exit_code == 0
    assert images._lookup(entry) == good
    assert (pub / "dist" / A / "images" / good.name).read_bytes() == good.path.read_bytes()


def test_an_unwritable_cache_builds_from_a_private_temporary_folder(publication, run, monkeypatch) -> None:
    """With a file where the cache folder should be, the build warns once and still writes its images."""
    pub = publication()
    blocker = pub.parent / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    result = run("build", cwd=pub)
    assert result.exit_code == 0, result.output
    assert result.stderr.count("cannot be written, so this build runs without it") == 1
    assert any((pub / "dist" / A / "images").iterdir())


def test_scratch_folders_of_dead_processes_are_removed(tmp_path) -> None:
    """A scratch folder left by a killed process is removed by the next process that needs one."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "TMPDIR": str(tmp_path)}
    code = "import os; from newsletter import cache; print(cache.scratch()); os._exit(0)"  # no clean exit
    left = Path(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                               check=True).stdout.strip())
    assert left.is_dir()
    code = "from newsletter import cache; print(cache.scratch())"
    mine = Path(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                               check=True).stdout.strip())
    assert not left.exists(), "the dead process's folder is gone"
    assert not mine.exists(), "and this one went when its process ended"
