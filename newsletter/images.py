"""Local images: content-hashed output names and display sizes for the 600 px column."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

COLUMN_WIDTH = 552  # the 600 px column less the theme's padding


@dataclass(frozen=True)
class PreparedImage:
    """An image ready for the email: output file name, file to copy, display size."""

    name: str
    path: Path
    width: int
    height: int


def prepare_image(source: Path, root: Path) -> PreparedImage:
    """Return the output name and display size of a local image; ValueError when it is not an image."""
    import io

    from PIL import Image

    data = source.read_bytes()
    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
    except Exception as exc:  # Pillow raises several types for bad data
        raise ValueError(str(exc)) from None
    name = f"{hashlib.sha256(data).hexdigest()[:12]}-{source.stem}{source.suffix.lower()}"
    scale = min(1.0, COLUMN_WIDTH / width)
    return PreparedImage(name=name, path=source, width=round(width * scale), height=round(height * scale))
