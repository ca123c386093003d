"""Shared helpers for the benchmarks: a generated publication and a timer."""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
MJML_CLI = PROJECT / "tests" / "mjml" / "node_modules" / ".bin" / "mjml"

PLACES = ("harbour wall", "old pier", "lido", "bandstand", "ferry slip", "lifeboat house", "sea wall",
          "boardwalk", "lighthouse", "fish market", "promenade", "beach huts")
PARAGRAPHS = (
    "The council met on Tuesday to discuss the {place}, which has needed repair since the storms of last "
    "winter, and asked the engineers for [costed plans]({link}) by the spring.",
    "Residents who live near the {place} told the meeting that the spray now reaches their windows on most "
    "high tides, and that the steps down to the beach have been closed since October.",
    "A decision on the {place} is expected before the budget is set, although the chair warned that any "
    "rebuild would take at least a year once the money is found and the contractors are chosen.",
)
CONFIG = ('[publication]\nname = "Bench Weekly"\nurl = "https://bench.example.org"\n'
          'subscribe_url = "https://bench.example.org/subscribe"\n'
          'unsubscribe_url = "https://bench.example.org/unsubscribe"\n'
          'from_email = "editor@bench.example.org"\npostal_address = "1 Bench Road, Benchtown"\n')
KINDS = ["lead", "story", "story", "brief", "story", "quote", "story", "brief", "sponsor", "story"]


def make_publication(root: Path, stories: int = 10, issues: int = 1) -> Path:
    """Write a publication with `issues` issues of `stories` stories each; return its root."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "newsletter.toml").write_text(CONFIG)
    for n in range(issues):
        folder = root / "issues" / f"2024-{1 + n // 28:02d}-{1 + n % 28:02d}-issue-{n + 1}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "issue.toml").write_text(
            f'subject = "Bench issue {n + 1}"\npreheader = "A generated issue with {stories} stories for timing."\n'
            f"date = 2024-{1 + n // 28:02d}-{1 + n % 28:02d}\nnumber = {n + 1}\n"
        )
        for i in range(stories):
            link = f"https://bench.example.org/{n}/{i}"
            paragraphs = 3 if KINDS[i % 10] != "brief" else 1
            place = f"{PLACES[i % len(PLACES)]} of issue {n + 1}"
            body = "\n\n".join(PARAGRAPHS[p].format(link=link, place=place) for p in range(paragraphs))
            (folder / f"{i + 1:02d}-story.md").write_text(
                f"---\ntitle: What next for the {PLACES[i % len(PLACES)]} (issue {n + 1})\nbyline: By A. Reporter\n"
                f"kind: {KINDS[i % 10]}\nlink: {link}\n---\n{body}\n"
            )
    return root


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    """Return the median wall time of `repeat` runs of action."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(*args: str | Path, cwd: Path | None = None) -> None:
    """Run a command, raising when it fails."""
    subprocess.run([str(a) for a in args], cwd=cwd, check=True, capture_output=True)
