"""Benchmark `newsletter archive`: 200 issues x 10 stories, cold, unchanged, one story changed.

Run: python benchmarks/archive.py [--issues 200] [--stories 10] [--keep DIR] [--jobs N]
Targets (2-core machine): cold <= 60 s, nothing changed <= 2 s, one story changed rebuilds one issue.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
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
    start = date(2020, 1, 4)
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


def archive(root: Path, *extra: str) -> tuple[str, str]:
    """Run `newsletter archive` as a user would; return (wall and CPU seconds, output)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "newsletter", "--root", str(root), "archive", *extra],
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if done.returncode != 0:
        sys.exit(f"archive failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return f"{seconds:6.2f} s wall {cpu:6.2f} s CPU", done.stdout.strip()


def rebuilt(output: str) -> str:
    """Return the 'rebuilt N of M' part of the command's output."""
    match = re.search(r"rebuilt \d+ of \d+ issue\(s\)[^\n]*|is up to date[^\n]*", output)
    return match.group(0) if match else output


def main() -> None:
    """Generate the publication and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=200)
    parser.add_argument("--stories", type=int, default=10)
    parser.add_argument("--jobs", type=int, help="worker processes for the cold build (default: one per core)")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="nl-archive-bench-")) / "pub"
    if root.exists():
        shutil.rmtree(root)
    started = time.perf_counter()
    make_publication(root, args.issues, args.stories)
    print(f"generated {args.issues} issues x {args.stories} stories in {time.perf_counter() - started:.1f} s ({root})")
    jobs = ("--jobs", str(args.jobs)) if args.jobs else ()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} (other work on the machine slows these)")

    seconds, out = archive(root, *jobs)
    print(f"cold build (empty image cache):      {seconds}   {rebuilt(out)}   target <= 60 s")
    seconds, out = archive(root)
    print(f"nothing changed:                     {seconds}   {rebuilt(out)}   target <= 2 s")
    story = sorted((root / "issues").iterdir())[args.issues // 2] / "03-story.md"
    story.write_text(story.read_text() + "\nOne more paragraph.\n")
    seconds, out = archive(root)
    print(f"one story changed:                   {seconds}   {rebuilt(out)}")
    shutil.rmtree(root / "dist" / "site")
    seconds, out = archive(root, *jobs)
    print(f"site deleted, image cache warm:      {seconds}   {rebuilt(out)}")
    seconds, out = archive(root, "--force", "--jobs", "1")
    print(f"forced, one process (--jobs 1):      {seconds}   {rebuilt(out)}")
    size = sum(p.stat().st_size for p in (root / "dist" / "site").rglob("*") if p.is_file())
    print(f"site: {size / 1e6:.1f} MB, feed.xml {(root / 'dist' / 'site' / 'feed.xml').stat().st_size / 1e6:.1f} MB")
    if not args.keep:
        shutil.rmtree(root.parent)


if __name__ == "__main__":
    main()
