"""Run the command line as a user would, under a memory and time bound, watching what it opens; check outputs."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import struct
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
MEMORY_LIMIT = 1 << 30  # address space of one command: a build needs about 400 MB of it
TIME_LIMIT = 60.0  # seconds for one command; every case takes a few

# Installed before the tool is imported: records every file the process (and its forks) opens or lists
# that resolves into WATCH, one JSON line each, through a descriptor opened before the hook.
_WRAPPER = """
import json, os, sys
_fd = os.open(os.environ["HOSTILE_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
_watch = os.environ["HOSTILE_WATCH"]
def _hook(event, args):
    if event in ("open", "os.listdir", "os.scandir") and args and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.path.realpath(os.fsdecode(args[0]))
        if path == _watch or path.startswith(_watch + os.sep):
            os.write(_fd, (json.dumps([event, path]) + "\\n").encode())
sys.addaudithook(_hook)
sys.argv = ["newsletter", *sys.argv[1:]]
from newsletter.__main__ import main
main()
"""


@dataclass
class Outcome:
    """What one command did."""

    code: int
    stdout: str
    stderr: str
    seconds: float
    opened: list[tuple[str, str]]

    @property
    def output(self) -> str:
        """Return stdout and stderr together."""
        return self.stdout + self.stderr


def run_cli(*args: str | Path, cwd: Path, secret: Path, env: dict[str, str] | None = None,
            timeout: float = TIME_LIMIT) -> Outcome:
    """Run `newsletter ARGS` in a subprocess limited to MEMORY_LIMIT bytes and `timeout` seconds."""
    log = cwd.parent / f".opened-{time.monotonic_ns()}.jsonl"
    tree = os.environ.get("HOSTILE_TREE", str(PROJECT))  # HOSTILE_TREE=/other/checkout runs the corpus on it
    environ = {**os.environ, "PYTHONPATH": tree, "HOSTILE_LOG": str(log), "HOSTILE_WATCH": str(secret),
               "NEWSLETTER_INLINE_WORKER": "1", **(env or {})}
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-c", _WRAPPER, *map(str, args)], cwd=cwd, env=environ,
                              capture_output=True, text=True, timeout=timeout, preexec_fn=_limit, check=False)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"newsletter {' '.join(map(str, args))} ran longer than {timeout:g} s") from exc
    opened = [tuple(json.loads(line)) for line in log.read_text().splitlines()] if log.exists() else []
    log.unlink(missing_ok=True)
    return Outcome(done.returncode, done.stdout, done.stderr, time.monotonic() - started, opened)


def _limit() -> None:
    """Cap the child's address space, so a memory blow-up fails as MemoryError instead of taking the machine."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def assert_clean(outcome: Outcome, *, codes: tuple[int, ...] = (0, 1)) -> None:
    """A hostile input ends with exit 0 or 1 (never a signal), no traceback, nothing opened outside."""
    assert outcome.code in codes, f"exit {outcome.code}:\n{outcome.stderr[-3000:]}"
    assert "Traceback" not in outcome.output, outcome.stderr[-3000:]
    assert "internal error" not in outcome.output, outcome.stderr[-3000:]
    assert not outcome.opened, f"read outside the publication: {outcome.opened}"


def tree(folder: Path) -> dict[str, str]:
    """Return every file under a folder with the hash of its bytes (links and special files as their kind)."""
    found: dict[str, str] = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            found[str(path.relative_to(folder))] = f"link {path.readlink()}"
        elif path.is_file():
            found[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


EVENT_ATTRIBUTE = "starts-with(translate(name(), 'ON', 'on'), 'on')"


def executable_markup(folder: Path) -> list[str]:
    """Return what could run in a reader's client in any HTML, feed or mail file under folder."""
    import email
    from email import policy

    import lxml.etree
    import lxml.html

    problems: list[str] = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        documents: list[str] = []
        if path.suffix in {".html", ".htm"}:
            documents.append(path.read_text(encoding="utf-8", errors="replace"))
        elif path.suffix == ".xml":  # the Atom feed carries each issue as escaped HTML
            feed = lxml.etree.fromstring(path.read_bytes())
            documents += [node.text or "" for node in feed.iter("{*}content", "{*}summary")]
        elif path.suffix in {".eml", ".mbox"}:
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            documents += [part.get_content() for part in message.walk() if part.get_content_type() == "text/html"]
        for document in documents:
            if not document.strip():
                continue
            root = lxml.html.document_fromstring(document)
            for element in root.iter():
                if not isinstance(element.tag, str):
                    continue
                if element.tag.lower() in {"script", "iframe", "object", "embed", "frame"}:
                    problems.append(f"{path.name}: <{element.tag}>")
                for name, value in element.attrib.items():
                    if name.lower().startswith("on"):
                        problems.append(f"{path.name}: {element.tag} {name}={value!r}")
                    if name.lower() in {"href", "src", "action", "formaction", "xlink:href", "background"} and \
                            value.strip().lower().replace("\t", "").replace("\n", "").startswith(
                                ("javascript:", "vbscript:", "data:text/html")):
                        problems.append(f"{path.name}: {element.tag} {name}={value!r}")
    return problems


# ---- generators: hostile files made by the test, not committed ---------------------------------------------


def gif_bomb(width: int, height: int, frames: int) -> bytes:
    """Return a tiny GIF whose canvas is width x height with `frames` frames of one pixel each."""
    out = bytearray(b"GIF89a" + struct.pack("<HH", width, height) + bytes([0xF0, 0, 0, 0, 0, 0, 255, 255, 255]))
    out += b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    for index in range(frames):
        out += b"!\xf9\x04\x04\x0a\x00\x00\x00"  # graphic control: 100 ms
        out += b"," + struct.pack("<HHHH", index % width, 0, 1, 1) + b"\x00"
        out += b"\x02\x02\x44\x01\x00"  # LZW: clear, colour 0, end
    return bytes(out + b";")


def png_bomb(width: int, height: int) -> bytes:
    """Return a small 1-bit PNG that claims width x height pixels (its rows compress to almost nothing)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\0" + b"\0" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", body) + chunk(b"IEND", b""))
