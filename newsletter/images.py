"""Local images: Pillow processing for the 600 px column, content-hashed names, a per-user cache of results."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsletter import cache, limits
from newsletter.errors import ContentError
from newsletter.files import read_bytes
from newsletter.writer import write_cache_entry

if TYPE_CHECKING:
    from newsletter.errors import Collector

COLUMN_WIDTH = 552  # the 600 px column less the theme's padding
MAX_WIDTH = 1200  # twice the display width, never more than twice the 600 px column
JPEG_QUALITY = 82
PROCESS_VERSION = 2  # bump when the processing changes: every cached image is then redone
CACHE_DAYS = 60  # a processed image no build has used for this long is deleted from the cache
_FORMATS = {"JPEG": ".jpg", "MPO": ".jpg", "PNG": ".png", "GIF": ".gif", "WEBP": ".webp"}
_SETTINGS = f"v{PROCESS_VERSION} column={COLUMN_WIDTH} max={MAX_WIDTH} jpeg={JPEG_QUALITY}".encode()
_NAME = re.compile(r"[0-9a-f]{12}-[A-Za-z0-9_-]{1,60}\.(?:jpg|png|gif|webp)")
_KEY = re.compile(r"[0-9a-f]{64}")
_META_BYTES = 4096


@dataclass(frozen=True)
class PreparedImage:
    """An image ready for the email: output file name, file to copy, display size."""

    name: str
    path: Path
    width: int
    height: int


class ImageBudgetError(ContentError):
    """Raised for an image too large to process; the message says how large and what to do."""


def cache_dir(root: Path) -> Path:
    """Return the folder that holds processed images of a publication (in the user's cache folder)."""
    return cache.folder(root, "images")


def prepare_image(source: Path, root: Path, found: Collector | None = None) -> PreparedImage:
    """Return the processed image (from the cache when the source is unchanged).

    Raises ContentError when the file cannot be read (not a regular file, too large), ImageBudgetError when
    it has too many pixels, and ValueError when it is not an image. Without a writable cache folder the
    result is kept in a private temporary folder for this run (a warning on `found` says so).
    """
    data = read_bytes(source, limits.MAX_IMAGE_BYTES)
    key = hashlib.sha256(_SETTINGS + b"\0" + data).hexdigest()
    folder = cache_dir(root)
    entry = folder / key
    cached = _lookup(entry)
    if cached is not None:
        return cached
    if root not in _pruned:  # the cache only grows on a miss: drop what no build has used for months
        _pruned.add(root)
        prune_cache(root)
    suffix, output, width, height = _process(data)
    name = f"{key[:12]}-{_safe_stem(source.stem)}{suffix}"
    meta = {"name": name, "width": width, "height": height, "sha256": hashlib.sha256(output).hexdigest(),
            "source": source.name}
    if not (cache.usable(folder) and _store(entry, name, output, meta)):
        note = cache.unwritable_note(folder)
        if note and found is not None:
            found.warn(note)
        entry = cache.scratch() / key
        if not _store(entry, name, output, meta):
            raise ContentError(f"cannot write the processed image to {entry.parent} (nor to the cache folder "
                               f"{folder}); make one of them writable", source)
    return PreparedImage(name=name, path=entry / name, width=width, height=height)


_pruned: set[Path] = set()  # publications whose cache this process has pruned already


def _store(entry: Path, name: str, output: bytes, meta: dict[str, Any]) -> bool:
    """Write a cache entry as a whole (another process may have just stored the same); False when it cannot."""
    return write_cache_entry(entry, {name: output, "meta.json": json.dumps(meta).encode("utf-8")})


def _lookup(entry: Path) -> PreparedImage | None:
    """Return the image a cache entry holds when the entry checks out (marking it used), else None.

    An entry is trusted only when it is a real folder holding a regular meta.json and a regular image file
    (no symbolic links anywhere), named as this tool names images, whose SHA-256 is the one meta.json records.
    Anything else is discarded, and the image is processed again.
    """
    try:
        info = entry.lstat()
    except OSError:
        return None
    try:
        if not stat.S_ISDIR(info.st_mode) or not _KEY.fullmatch(entry.name):
            raise ValueError("not a cache entry")
        meta = json.loads(read_bytes(entry / "meta.json", _META_BYTES, follow=False))
        name, width, height = meta["name"], meta["width"], meta["height"]
        if not (isinstance(name, str) and _NAME.fullmatch(name) and name.startswith(entry.name[:12])
                and all(isinstance(v, int) and 0 < v <= 100_000 for v in (width, height))):
            raise ValueError("damaged meta.json")
        data = read_bytes(entry / name, limits.MAX_IMAGE_BYTES, follow=False)
        if hashlib.sha256(data).hexdigest() != meta.get("sha256"):
            raise ValueError("the image does not match its hash")
    except (ContentError, ValueError, KeyError, TypeError):
        _discard(entry)
        return None
    _touch(entry / "meta.json")
    return PreparedImage(name=name, path=entry / name, width=width, height=height)


def _discard(entry: Path) -> None:
    """Remove a cache entry that does not check out (a link is removed, never followed)."""
    try:
        if entry.is_symlink() or not entry.is_dir():
            entry.unlink()
        else:
            shutil.rmtree(entry)
    except OSError:
        pass  # missing already, or a read-only cache: the entry is simply not used


def _touch(path: Path) -> None:
    """Record that a cache entry was used today (at most one write a day per entry)."""
    import os

    try:
        if path.stat().st_mtime < time.time() - 86400:
            os.utime(path)
    except OSError:
        pass  # a read-only cache still works; its entries just age


def prune_cache(root: Path, days: float = CACHE_DAYS) -> int:
    """Delete cached images that no build has used for `days` days (and stale staging folders); return the count."""
    cutoff = time.time() - days * 86400
    try:
        entries = [e for e in cache_dir(root).iterdir() if e.is_dir() and not e.is_symlink()]
    except OSError:
        return 0
    removed = 0
    for entry in entries:
        try:
            used = (entry / "meta.json").stat().st_mtime
        except OSError:
            used = entry.lstat().st_mtime  # a staging folder or an interrupted write
        if used < cutoff or (entry.name.startswith(".") and used < time.time() - 86400):
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed


def _safe_stem(stem: str) -> str:
    """Return a file-name stem that is safe in a URL."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-")[:60] or "image"


def display_size(width: int, height: int) -> tuple[int, int]:
    """Return the size an image is shown at in the column: never wider than the column, never upscaled."""
    shown = min(COLUMN_WIDTH, width)
    return shown, max(1, round(height * shown / width))


def pixel_width(width: int) -> int:
    """Return the width an image is stored at: twice its display width, capped, never upscaled."""
    return min(width, 2 * display_size(width, 1)[0], MAX_WIDTH)


def _process(data: bytes) -> tuple[str, bytes, int, int]:
    """Decode, orient, resize and re-encode an image; return (suffix, bytes, display width, height).

    Pixels are budgeted before anything is decoded: a still image may have MAX_PIXELS as decoded (a JPEG is
    decoded at a reduced scale first), an animation MAX_FRAME_PIXELS over all its frames; Pillow's own
    decompression-bomb check stops anything larger still while the header is read.
    """
    import warnings

    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = 4 * limits.MAX_PIXELS  # JPEGs up to four times that decode at half scale or less
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            if img.format in {"JPEG", "MPO"}:
                img.draft("RGB", (2 * COLUMN_WIDTH, 2 * COLUMN_WIDTH))  # decode big photos at a reduced scale
            frames = img.n_frames if getattr(img, "is_animated", False) else 1
            check_budget(img.size, frames)
            if frames > 1:
                return _animated(img, data)
            img.load()
            return _still(img, data)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageBudgetError(f"too many pixels to process ({exc}); {_SMALLER}") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ValueError(str(exc)) from None


_SMALLER = "scale it down: the email shows it at most 552 px wide (1104 px for sharp screens)"


def check_budget(size: tuple[int, int], frames: int) -> None:
    """Raise ImageBudgetError when an image of this size and frame count has too many pixels to process."""
    width, height = size
    pixels = width * height
    if frames <= 1 and pixels > limits.MAX_PIXELS:
        raise ImageBudgetError(f"{width}×{height} px ({pixels / 1e6:.0f} megapixels) is more than the "
                               f"{limits.MAX_PIXELS / 1e6:.0f} megapixels this tool processes; {_SMALLER}")
    if frames > 1 and pixels * frames > limits.MAX_FRAME_PIXELS:
        raise ImageBudgetError(
            f"an animation of {frames} frames of {width}×{height} px ({pixels * frames / 1e6:,.0f} million "
            f"pixels in all) is more than the {limits.MAX_FRAME_PIXELS / 1e6:.0f} million this tool processes; "
            "make it smaller or shorter (such as 600 px wide with fewer frames)")


def _still(img: Any, data: bytes) -> tuple[str, bytes, int, int]:
    """Process a single-frame image: EXIF orientation applied, metadata dropped, resized, re-encoded.

    A palette image stays a palette image. A source that needs no resizing or turning, carries no metadata
    and is smaller than what re-encoding gives is kept as it is.
    """
    from PIL import Image, ImageOps

    source_format = img.format
    icc = img.info.get("icc_profile")
    transparency = img.info.get("transparency")
    metadata = any(key in img.info for key in ("exif", "xmp", "XML:com.adobe.xmp", "comment", "parameters")) or \
        bool(getattr(img, "text", None))
    upright = img.getexif().get(0x0112, 1) == 1
    palette = len(img.getpalette() or ()) // 3 if img.mode == "P" else 0
    if not upright:  # turning makes a new image; an upright one is used as decoded (no copy of its pixels)
        img = ImageOps.exif_transpose(img)
    alpha = img.mode in {"RGBA", "LA", "PA"} or transparency is not None
    width, height = img.size
    target = pixel_width(width)
    if target < width:
        if img.mode not in {"RGB", "RGBA", "L", "LA"}:
            img = img.convert("RGBA" if alpha else "RGB")
        img = img.resize((target, max(1, round(height * target / width))), Image.Resampling.LANCZOS)
        if palette:  # back to as many colours as the source had: an indexed PNG stays small
            img = img.quantize(colors=min(palette, 256), method=Image.Quantize.FASTOCTREE,
                               dither=Image.Dither.NONE)
            transparency = None
    img.info = {}  # EXIF, XMP, comments and text chunks are not written back
    out = io.BytesIO()
    if source_format in {"JPEG", "MPO"} or (source_format == "WEBP" and not alpha):
        if img.mode not in {"RGB", "L"}:
            img = img.convert("RGB")
        img.save(out, "JPEG", quality=JPEG_QUALITY, progressive=True, optimize=True, icc_profile=icc)
        suffix = ".jpg"
    else:  # PNG, a still GIF or a WebP with alpha: lossless PNG, alpha kept; WebP and GIF become PNG
        if img.mode == "P" and transparency is not None:
            img.info["transparency"] = transparency
        img.save(out, "PNG", optimize=True, icc_profile=icc)
        suffix = ".png"
    shown = display_size(width, height)
    kept = _FORMATS.get(source_format or "") if source_format in {"JPEG", "PNG", "GIF"} else None
    if kept and target >= width and upright and not metadata and len(data) <= out.tell():
        return kept, data, shown[0], shown[1]
    return suffix, out.getvalue(), shown[0], shown[1]


def _animated(img: Any, data: bytes) -> tuple[str, bytes, int, int]:
    """Keep an animation animated: the file as it is when small enough, else every frame resized."""
    from PIL import Image, ImageSequence

    width, height = img.size
    suffix = _FORMATS.get(img.format or "", ".gif")
    shown = display_size(width, height)
    target = pixel_width(width)
    if target >= width:
        return suffix, data, shown[0], shown[1]
    size = (target, max(1, round(height * target / width)))
    frames = []
    durations = []
    for frame in ImageSequence.Iterator(img):
        durations.append(int(frame.info.get("duration", 100)))
        frames.append(frame.convert("RGBA").resize(size, Image.Resampling.LANCZOS))
    out = io.BytesIO()
    options: dict[str, Any] = {"save_all": True, "append_images": frames[1:], "duration": durations,
                               "loop": int(img.info.get("loop", 0))}
    if suffix == ".gif":
        options["disposal"] = 2
    frames[0].save(out, "GIF" if suffix == ".gif" else "WEBP", **options)
    return suffix, out.getvalue(), shown[0], shown[1]
