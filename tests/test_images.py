"""Image processing through `newsletter build`: orientation, sizes, formats, hashed names, the cache, base_url."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image, ImageSequence

from newsletter import images

SPRING = "2024-05-01-spring"
STORY = Path("issues") / SPRING / "01-lead.md"
RED, BLUE = (220, 20, 20), (20, 20, 220)


def make_images(folder: Path) -> None:
    """Write the test images: a rotated camera JPEG, a transparent PNG, an animated GIF, a tiny PNG."""
    folder.mkdir(parents=True, exist_ok=True)
    photo = Image.new("RGB", (3000, 2000), RED)
    photo.paste(BLUE, (1500, 0, 3000, 2000))  # stored: left red, right blue
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    exif[0x010F] = "Test Camera Maker"
    photo.save(folder / "photo.jpg", quality=95, exif=exif.tobytes())
    logo = Image.new("RGBA", (1600, 800), (0, 0, 0, 0))
    logo.paste((30, 160, 60, 255), (800, 0, 1600, 800))  # left half fully transparent
    logo.save(folder / "logo.png")
    frames = [Image.new("P", (1500, 300), i) for i in range(3)]
    for i, frame in enumerate(frames):
        frame.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * 756)
        frame.paste(i, (0, 0, 1500, 300))
    frames[0].save(folder / "dance.gif", save_all=True, append_images=frames[1:], duration=[100, 150, 200], loop=0)
    small = [Image.new("RGB", (120, 80), c) for c in (RED, BLUE)]
    small[0].save(folder / "blink.gif", save_all=True, append_images=small[1:], duration=300, loop=0)
    Image.new("RGB", (40, 30), RED).save(folder / "tiny.png")


STORY_TEXT = """---
title: Pictures
kind: lead
image: images/photo.jpg
image_alt: A red and blue photo
---
Text with pictures.

![A logo](images/logo.png)

![Dancing](images/dance.gif)

![Blinking](images/blink.gif)

![Tiny](images/tiny.png)

![Remote](https://cdn.example.org/remote.png)
"""


@pytest.fixture
def pub(publication) -> Path:
    """Return the basic fixture with a story using every kind of test image."""
    folder = publication()
    make_images(folder / "issues" / SPRING / "images")
    (folder / STORY).write_text(STORY_TEXT)
    return folder


def built_images(pub: Path) -> dict[str, Path]:
    """Return the output images of the build by source stem."""
    found = {}
    for path in (pub / "dist" / SPRING / "images").iterdir():
        match = re.fullmatch(r"([0-9a-f]{12})-(.+)\.(jpg|png|gif)", path.name)
        assert match, f"{path.name} does not carry a content hash"
        found[match.group(2)] = path
    return found


def img_tag(html: str, alt: str) -> str:
    """Return the <img> tag with the given alt text."""
    tags = [t for t in re.findall(r"<img [^>]*>", html) if f'alt="{alt}"' in t]
    assert len(tags) == 1, f"no single <img alt={alt!r}> in the email"
    return tags[0]


def test_every_image_is_processed_for_the_column(pub, run):
    result = run("build", cwd=pub)
    assert result.exit_code == 0, result.output
    out = built_images(pub)
    assert sorted(out) == ["blink", "dance", "logo", "photo", "tiny", "tree"]

    with Image.open(out["photo"]) as photo:
        assert out["photo"].suffix == ".jpg"
        assert photo.size == (1104, 1656), "rotated upright, twice the 552 px display width"
        assert photo.info.get("progressive") or photo.info.get("progression"), "progressive JPEG"
        assert not photo.getexif(), "EXIF (orientation, camera) stripped"
        assert photo.getpixel((552, 200)) == pytest.approx(RED, abs=12), "the stored left half is now on top"
        assert photo.getpixel((552, 1450)) == pytest.approx(BLUE, abs=12)

    with Image.open(out["logo"]) as logo:
        assert logo.size == (1104, 552) and logo.mode == "RGBA"
        assert logo.getpixel((100, 100))[3] == 0, "transparency kept"
        assert logo.getpixel((1000, 100)) == (30, 160, 60, 255)

    with Image.open(out["dance"]) as dance:
        assert dance.size == (1104, 221) and dance.n_frames == 3, "a wide animation is resized, still animated"
        assert [f.info["duration"] for f in ImageSequence.Iterator(dance)] == [100, 150, 200]
    blink_source = pub / "issues" / SPRING / "images" / "blink.gif"
    assert out["blink"].read_bytes() == blink_source.read_bytes(), "a small animation is kept as it is"

    with Image.open(out["tiny"]) as tiny:
        assert tiny.size == (40, 30), "never upscaled"

    html = (pub / "dist" / SPRING / "email.html").read_text()
    expected = {"A red and blue photo": ("photo", 552, 828), "A logo": ("logo", 552, 276),
                "Dancing": ("dance", 552, 110), "Blinking": ("blink", 120, 80), "Tiny": ("tiny", 40, 30)}
    for alt, (stem, width, height) in expected.items():
        tag = img_tag(html, alt)
        assert f'src="images/{out[stem].name}"' in tag
        assert f'width="{width}"' in tag and f'height="{height}"' in tag, tag
    assert 'src="https://cdn.example.org/remote.png"' in img_tag(html, "Remote"), "remote images pass through"
    assert "base_url" not in result.stderr, "build does not nag: an export that needs base_url says so"


def test_an_unchanged_image_costs_nothing_on_rebuild(pub, run, monkeypatch):
    assert run("build", cwd=pub).exit_code == 0
    first = {p.name: p.read_bytes() for p in built_images(pub).values()}

    def no_work(data: bytes) -> None:
        raise AssertionError("an unchanged image was processed again")

    monkeypatch.setattr(images, "_process", no_work)
    result = run("build", cwd=pub)
    assert result.exit_code == 0, result.output
    assert {p.name: p.read_bytes() for p in built_images(pub).values()} == first

    monkeypatch.undo()
    Image.new("RGB", (40, 30), BLUE).save(pub / "issues" / SPRING / "images" / "tiny.png")
    assert run("build", cwd=pub).exit_code == 0
    names = {p.name for p in built_images(pub).values()}
    assert names != set(first) and len(names & set(first)) == len(first) - 1, "only the changed image is renamed"


def test_the_cache_is_keyed_by_the_processing_settings(pub, run, monkeypatch):
    assert run("build", cwd=pub).exit_code == 0
    before = built_images(pub)["tiny"].name
    monkeypatch.setattr(images, "_SETTINGS", images._SETTINGS + b" changed")
    assert run("build", cwd=pub).exit_code == 0
    assert built_images(pub)["tiny"].name != before


def test_base_url_makes_image_urls_absolute_in_exports_only(pub, run):
    """The build (and so the preview) shows the local files; exports get the hosted URLs."""
    from newsletter.build import build_issue
    from newsletter.config import load_settings
    from newsletter.exporters.common import hosted_images

    config = pub / "newsletter.toml"
    config.write_text(config.read_text() + '\n[images]\nbase_url = "https://cdn.example.org/letter/"\n')
    result = run("build", cwd=pub)
    assert result.exit_code == 0, result.output
    html = (pub / "dist" / SPRING / "email.html").read_text()
    photo = built_images(pub)["photo"].name
    assert f'src="images/{photo}"' in img_tag(html, "A red and blue photo")
    assert (pub / "dist" / SPRING / "images" / photo).is_file()
    assert "local images keep relative paths" not in result.stderr
    rendered = build_issue(load_settings(pub), pub / "issues" / SPRING)
    exported = hosted_images(rendered, rendered.html)
    assert f'src="https://cdn.example.org/letter/{SPRING}/images/{photo}"' in img_tag(exported, "A red and blue photo")


def test_images_outside_the_issue_are_refused_with_their_line(pub, run):
    (pub / "secret.png").write_bytes((pub / "issues" / SPRING / "images" / "tiny.png").read_bytes())
    (pub / STORY).write_text("---\ntitle: T\n---\nText.\n\n![Secret](../../secret.png)\n")
    result = run("build", cwd=pub)
    assert result.exit_code == 1
    assert f"{STORY}:6: image path '../../secret.png' is outside the issue folder" in result.stderr


def test_the_shared_assets_folder_is_allowed(pub, run):
    assets = pub / "assets"
    assets.mkdir()
    Image.new("RGB", (700, 100), BLUE).save(assets / "banner.png")
    (pub / STORY).write_text("---\ntitle: T\n---\nText.\n\n![Banner](assets/banner.png)\n\n"
                             "![Again](../../assets/banner.png)\n")
    result = run("build", cwd=pub)
    assert result.exit_code == 0, result.output
    html = (pub / "dist" / SPRING / "email.html").read_text()
    banner = built_images(pub)["banner"].name
    assert f'src="images/{banner}"' in img_tag(html, "Banner") and 'height="79"' in img_tag(html, "Banner")
    assert f'src="images/{banner}"' in img_tag(html, "Again")


def test_a_symlink_out_of_the_issue_is_refused(pub, run):
    (pub / "outside.png").write_bytes((pub / "issues" / SPRING / "images" / "tiny.png").read_bytes())
    (pub / "issues" / SPRING / "images" / "link.png").symlink_to(pub / "outside.png")
    (pub / STORY).write_text("---\ntitle: T\nimage: images/link.png\nimage_alt: x\n---\nText.\n")
    result = run("build", cwd=pub)
    assert result.exit_code == 1
    assert f"{STORY}:3: image path 'images/link.png' is outside the issue folder" in result.stderr


def test_display_and_pixel_sizes():
    assert images.display_size(3000, 2000) == (552, 368)
    assert images.display_size(40, 30) == (40, 30)
    assert images.pixel_width(3000) == 1104 and images.pixel_width(800) == 800 and images.pixel_width(40) == 40


def test_each_image_of_a_paragraph_is_named_at_its_own_line(pub, run):
    (pub / STORY).write_text("---\ntitle: T\n---\nText.\n\n![Tiny](images/tiny.png)\n![Gone](images/gone.png)\n"
                             "![Far](../../secret.png) and ![Also gone](images/my%20gone.png)\n")
    result = run("build", cwd=pub)
    assert result.exit_code == 1
    assert f"{STORY}:7: image 'images/gone.png' not found" in result.stderr
    assert f"{STORY}:8: image path '../../secret.png' is outside the issue folder" in result.stderr
    assert f"{STORY}:8: image 'images/my gone.png' not found" in result.stderr
    assert "Traceback" not in result.output


def test_the_cache_forgets_images_no_build_used_for_months(pub, run, monkeypatch):
    import os
    import time

    assert run("build", cwd=pub).exit_code == 0
    cache = images.cache_dir(pub)
    used = {p.name for p in cache.iterdir()}
    assert len(used) == 6
    months_ago = time.time() - 100 * 86400
    for entry in used:  # every entry looks old: a build that uses them marks them used again
        os.utime(cache / entry / "meta.json", (months_ago, months_ago))
    assert run("build", "--force", cwd=pub).exit_code == 0  # the issue is unchanged: only --force builds it
    assert all((cache / e / "meta.json").stat().st_mtime > months_ago + 86400 for e in used)

    unused = cache / ("0" * 64)  # an image no issue uses any more
    unused.mkdir()
    (unused / "meta.json").write_text("{}")
    (cache / ".0000-staging.tmp").mkdir()  # a write that crashed before its rename
    for path in (unused / "meta.json", unused, cache / ".0000-staging.tmp"):
        os.utime(path, (months_ago, months_ago))
    monkeypatch.setattr(images, "_pruned", set())  # a new process
    Image.new("RGB", (40, 30), BLUE).save(pub / "issues" / SPRING / "images" / "tiny.png")
    assert run("build", cwd=pub).exit_code == 0
    left = {p.name for p in cache.iterdir()}
    assert not {"0" * 64, ".0000-staging.tmp"} & left, "unused for 60 days: deleted"
    assert used <= left and len(left) == len(used) + 1, "entries in use are kept; the new tiny.png is added"


def test_prune_cache_keeps_recent_entries(tmp_path):
    entry = images.cache_dir(tmp_path) / "abc"
    entry.mkdir(parents=True)
    (entry / "meta.json").write_text("{}")
    assert images.prune_cache(tmp_path) == 0 and entry.is_dir()
    assert images.prune_cache(tmp_path, days=-1) == 1 and not entry.exists()
    assert images.prune_cache(tmp_path / "nowhere") == 0


def test_palette_pngs_stay_palette_and_small(pub, run):
    """An indexed PNG wider than the column is resized and stays indexed, smaller than its source."""
    chart = Image.new("RGB", (1600, 900), "white")
    for x in range(0, 1600, 50):
        chart.paste((x % 256, 90, 170), (x, 900 - (x * 7) % 800, x + 35, 900))
    source = pub / "issues" / SPRING / "images" / "chart.png"
    chart.quantize(colors=32).save(source, optimize=True)
    (pub / STORY).write_text("---\ntitle: T\n---\nText.\n\n![A bar chart of crossings](images/chart.png)\n")
    assert run("build", cwd=pub).exit_code == 0
    out = built_images(pub)["chart"]
    with Image.open(out) as img:
        assert img.mode == "P" and img.size == (1104, 621)
    assert out.stat().st_size < source.stat().st_size


def test_a_source_that_fits_is_kept_when_processing_would_grow_it(pub, run):
    """A small, tightly compressed JPEG without metadata is copied as it is, not re-encoded bigger."""
    import os

    noise = Image.frombytes("RGB", (400, 300), os.urandom(400 * 300 * 3))
    source = pub / "issues" / SPRING / "images" / "grain.jpg"
    noise.save(source, "JPEG", quality=40)
    (pub / STORY).write_text("---\ntitle: T\n---\nText.\n\n![Film grain](images/grain.jpg)\n")
    assert run("build", cwd=pub).exit_code == 0
    assert built_images(pub)["grain"].read_bytes() == source.read_bytes()
