"""Benchmark `newsletter archive` at 250 and 1,000 issues: cold, unchanged, one story changed, memory, feed.

Run: python benchmarks/archive.py [--issues 1000] [--stories 10] [--keep DIR] [--jobs N]
Floor (issue #16): a one-story change at 1,000 issues writes at most 5 MB in at most 1.0 s, and the peak
memory does not grow with the number of issues (compare the two sizes, measured side by side).
Bytes written are measured from the site folder (files whose inode, time or size changed), not taken from
the tool's own report; peak memory is the process's (os.wait4).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

WORDS = ["harbour", "tide", "ferry", "council", "bakery", "bridge", "market", "library", "rain", "lantern",
         "orchard", "festival", "road", "school", "river", "mayor", "winter", "budget", "ticket", "station"]


def sentence(rng: random.Random, n: int = 14) -> str:
    """Return a sentence of random words."""
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def make_publication(root: Path, issues: int, stories: int) -> None:
    """Write a publication with `issues` issues of `stories` stories each, one photo per issue."""
    from PIL import Image

    rng = random.Random(7)
    (root / "issues").mkdir(parents=True)
    (root / "newsletter.toml").write_text(
        '[publication]\nname = "Bench Weekly"\nurl = "https://bench.example.org"\n'
        'subscribe_url = "https://bench.example.org/subscribe"\n'
        'unsubscribe_url = "https://bench.example.org/unsubscribe"\npostal_address = "1 Bench Road"\n'
    )
    start = date.today() - timedelta(days=7 * issues + 7)  # every issue is in the past: all are published
    for i in range(issues):
        day = start + timedelta(days=7 * i)
        folder = root / "issues" / f"{day.isoformat()}-issue-{i + 1}"
        (folder / "images").mkdir(parents=True)
        (folder / "issue.toml").write_text(
            f'subject = "Issue {i + 1}: {sentence(rng, 5)[:-1]}"\npreheader = "{sentence(rng, 10)}"\n'
            f"date = {day.isoformat()}\nnumber = {i + 1}\n"
            'intro = "Hello, {{ first_name | default: \\"friend\\" }}."\n'
        )
        photo = Image.new("RGB", (1800, 1200), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
        photo.paste((rng.randrange(256), 40, 40), (0, 0, 900, 600))
        photo.save(folder / "images" / "photo.jpg", quality=90)
        for s in range(stories):
            kind = "lead" if s == 0 else rng.choice(["story", "story", "brief", "quote"])
            image = "image: images/photo.jpg\nimage_alt: A photo\n" if s == 0 else ""
            body = "\n\n".join(
                f"{sentence(rng, 30)} See [the details](https://bench.example.org/{i}/{s}/{p})." for p in range(3)
            )
            (folder / f"{s + 1:02d}-story.md").write_text(
                f"---\ntitle: {sentence(rng, 6)[:-1]}\nkind: {kind}\n{image}---\n{body}\n"
            )


@dataclass
class Run:
    """One `newsletter archive` run: times, peak memory, output, and the bytes it changed in the site."""

    wall: float
    cpu: float
    rss_mib: float
    output: str
    files: int
    bytes: int

    def line(self, name: str) -> str:
        """Return the run as one aligned line."""
        match = re.search(r"rebuilt \d+ of \d+ issue\(s\)(: [^\n]*)?|is up to date[^\n]*", self.output)
        done = match.group(0)[:40] if match else self.output[:40]
        return (f"{name:<34}{self.wall:7.2f} s wall {self.cpu:7.2f} s CPU {self.rss_mib:6.0f} MiB peak   "
                f"{self.files:5d} files {self.bytes / 1e6:8.2f} MB written   {done}")


def snapshot(site: Path) -> dict[Path, tuple[int, int, int]]:
    """Return (inode, mtime, size) of every file in the site: a file written again gets a new one."""
    found = {}
    for path in site.rglob("*") if site.is_dir() else ():
        if path.is_file():
            info = path.stat()
            found[path] = (info.st_ino, info.st_mtime_ns, info.st_size)
    return found


def archive(root: Path, *extra: str) -> Run:
    """Run `newsletter archive` as a user would, and measure what it did to the site folder."""
    site = root / "dist" / "site"
    before = snapshot(site)
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "newsletter", "--root", str(root), "archive", *extra],
                                   stdout=out, stderr=subprocess.STDOUT, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read()
    if process.returncode != 0:
        sys.exit(f"archive failed ({process.returncode}):\n{output}")
    after = snapshot(site)
    changed = [p for p, stamp in after.items() if before.get(p) != stamp]
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, output.strip(), len(changed),
               sum(after[p][2] for p in changed))


def edit_one_story(root: Path, issues: int) -> None:
    """Add a paragraph to one story of the issue in the middle of the publication."""
    story = sorted((root / "issues").iterdir())[issues // 2] / "03-story.md"
    story.write_text(story.read_text() + "\nOne more paragraph.\n")


def feed_figures(site: Path) -> str:
    """Return the feed's size, entries and the time feedparser takes to parse it."""
    import feedparser

    data = (site / "feed.xml").read_bytes()
    started = time.perf_counter()
    feed = feedparser.parse(data)
    seconds = time.perf_counter() - started
    return (f"feed.xml: {len(data) / 1e6:.2f} MB, {len(feed.entries)} entries, parsed by feedparser in "
            f"{seconds:.2f} s, bozo={bool(feed.bozo)}")


def main() -> None:
    """Generate the publications and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=1000)
    parser.add_argument("--stories", type=int, default=10)
    parser.add_argument("--jobs", type=int, help="worker processes for the cold build (default: one per core)")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    args = parser.parse_args()
    top = args.keep or Path(tempfile.mkdtemp(prefix="nl-archive-bench-"))
    if top.exists():
        shutil.rmtree(top)
    small_count = max(1, args.issues // 4)
    roots = {"small": top / "small", "large": top / "large"}
    started = time.perf_counter()
    make_publication(roots["small"], small_count, args.stories)
    make_publication(roots["large"], args.issues, args.stories)
    print(f"generated {small_count} and {args.issues} issues x {args.stories} stories "
          f"in {time.perf_counter() - started:.1f} s ({top})")
    jobs = ("--jobs", str(args.jobs)) if args.jobs else ()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} (other work on the machine slows these)")
    for size, root in (("small", roots["small"]), ("large", roots["large"])):
        count = small_count if size == "small" else args.issues
        print(f"\n{count} issues:")
        print(archive(root, *jobs).line("cold build (empty image cache)"))
        print(archive(root).line("nothing changed"))
        edit_one_story(root, count)
        print(archive(root).line("one story changed").rstrip() + "   floor: 5 MB, 1.0 s")
        if size == "large":
            shutil.rmtree(root / "dist" / "site")
            print(archive(root, *jobs).line("site deleted, image cache warm"))
            print(archive(root, "--force", "--jobs", "1").line("forced, one process (--jobs 1)"))
    site = roots["large"] / "dist" / "site"
    size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    print(f"\nsite: {size / 1e6:.1f} MB in {sum(1 for p in site.rglob('*') if p.is_file())} files")
    print(feed_figures(site))
    if not args.keep:
        shutil.rmtree(top)


if __name__ == "__main__":
    main()
