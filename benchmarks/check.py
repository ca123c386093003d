"""`check --all` in one process beside worker processes, and the long-story rule before and after.

Run: python -m benchmarks.check [--issues N] [--stories N]
Prints, measured side by side in one run: checking N issues one by one and in worker processes (the ratio),
and the long-story rule on one issue of N stories, with the old median-per-story sum beside the new one.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import make_publication, median_seconds


def old_long_story(stories: list[Any]) -> list[float]:
    """Return each story's median of the others as the rule did: all words recounted per story (quadratic)."""
    return [statistics.median(s.words for s in stories if s is not story) for story in stories]


def main() -> None:
    """Print the timings."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--issues", type=int, default=16)
    parser.add_argument("--stories", type=int, default=400)
    args = parser.parse_args()

    from newsletter.checks import run_all
    from newsletter.checks.context import Context
    from newsletter.checks.editorial import _long_stories, _median_without
    from newsletter.checks.loading import load_for_check
    from newsletter.config import load_settings
    from newsletter.pool import cores

    with tempfile.TemporaryDirectory() as tmp:
        root = make_publication(Path(tmp) / "many", stories=10, issues=args.issues)
        settings = load_settings(root)
        folders = sorted((root / "issues").iterdir())
        run_all(settings, folders[:1], jobs=1)  # warm the imports
        serial = median_seconds(lambda: run_all(settings, folders, jobs=1), 3)
        parallel = median_seconds(lambda: run_all(settings, folders), 3)
        print(f"check --all, {args.issues} issues of 10 stories: one by one {serial:.2f} s, in {cores()} worker "
              f"processes {parallel:.2f} s ({serial / parallel:.1f}x)")

        big = make_publication(Path(tmp) / "big", stories=args.stories, issues=1)
        settings = load_settings(big)
        issue, _, files = load_for_check(settings, next((big / "issues").iterdir()))
        ctx = Context(settings, issue, None, files)
        words = [story.words for story in issue.stories]
        ordered = sorted(words)
        before = median_seconds(lambda: old_long_story(issue.stories), 3)
        after = median_seconds(lambda: list(_long_stories(ctx)), 3)
        assert old_long_story(issue.stories) == [_median_without(ordered, w) for w in words]
        print(f"long-story rule, {args.stories} stories: before {before * 1000:.0f} ms, after "
              f"{after * 1000:.1f} ms ({before / after:.0f}x)")


if __name__ == "__main__":
    main()
