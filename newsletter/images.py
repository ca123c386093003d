"""Local images: Pillow processing for the 600 px column, content-hashed names, a cache under the publication."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsletter.errors import NewsletterError
from newsletter.writer import CACHE_DIR, write_tree

COLUMN_WIDTH = 552  # the 600 px column less the theme's padding
MAX_WIDTH = 1200  # twice the display width, never more than twice the 600 px column
JPEG_QUALITY = 82
PROCESS_VERSION = 2  # bump when the processing changes: every cached image is then redone
CACHE_DAYS = 60  # a processed image no build has used for this long is deleted from the cache
_FORMATS = {"JPEG": ".jpg", "MPO": ".jpg", "PNG": ".png", "GIF": ".gif", "WEBP": ".webp"}
_SETTINGS = f"v{PROCESS_VERSION} column={COLUMN_WIDTH} max={MAX_WIDTH} jpeg={JPEG_QUALITY}".encode()


@dataclass(frozen=True)
class PreparedImage:
    """An image ready for the email: output file name, file to copy, display size."""

    name: str
    path: Path
    width: int
    height: int


def cache_dir(root: Path) -> Path:
    """Return the folder that holds processed images of a publication."""
    return root / CACHE_DIR / "images"


def prepare_image(source: Path, root: Path) -> PreparedImage:
    """Return the processed image (from the cache when the source is unchanged); ValueError when not an image."""
    data = source.read_bytes()
    key = hashlib.sha256(_SETTINGS + b"\0" + data).hexdigest()
    entry = cache_dir(root) / key
    cached = _lookup(entry)
    if cached is not None:
        return cached
    if root not in _pruned:  # the cache only grows on a miss: drop what no build has used for months
        _pruned.add(root)
        prune_cache(root)
    suffix, output, width, height = _process(data)
    name = f"{key[:12]}-{_safe_stem(source.stem)}{suffix}"
    meta = {"name": name, "width": width, "height": height, "source": source.name}
    try:
        write_tree(entry, {name: output, "meta.json": json.dumps(meta).encode("utf-8")}, kind="cache")
    except NewsletterError:
        if _lookup(entry) is None:  # another process may have stored the same image meanwhile
            raise
    return PreparedImage(name=name, path=entry / name, width=width, height=height)


_pruned: set[Path] = set()  # publications whose cache this process has pruned already


def _lookup(entry: Path) -> PreparedImage | None:
    """Return the cached image stored in a cache entry folder (marking it used), or None."""
    try:
        meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
        path = entry / meta["name"]
        if path.is_file():
            _touch(entry / "meta.json")
            return PreparedImage(name=meta["name"], path=path, width=int(meta["width"]), height=int(meta["height"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return None


def _touch(path: Path) -> None:
    """Record that a cache entry was used today (at most one write a day per entry)."""
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
        if used < cutoff:
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
    """Decode, orient, resize and re-encode an image; return (suffix, bytes, display width, height)."""
    from PIL import Image, UnidentifiedImageError

    try:
        img = Image.open(io.BytesIO(data))
        if img.format in {"JPEG", "MPO"}:
            img.draft("RGB", (2 * COLUMN_WIDTH, 2 * COLUMN_WIDTH))  # decode big photos at a reduced scale
        if getattr(img, "n_frames", 1) > 1:
            return _animated(img, data)
        img.load()
        return _still(img, data)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValueError(str(exc)) from None


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
