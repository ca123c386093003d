"""Build a 10-story issue: whole-process `newsletter build`, in-process build_issue(), and the mjml CLI.

Run: python -m benchmarks.build
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks.common import MJML_CLI, make_publication, median_seconds, run


def main() -> None:
    """Print the three timings side by side, their ratio and the size of email.html."""
    from newsletter.build import build_issue
    from newsletter.config import load_settings
    from newsletter.content import list_issues

    work = Path(tempfile.mkdtemp(prefix="nl-bench-"))
    try:
        root = make_publication(work / "pub", stories=10)
        newsletter = shutil.which("newsletter") or sys.exit("install the package first: pip install -e .")
        run(newsletter, "build", cwd=root)
        out = root / "dist" / list_issues(load_settings(root))[0].name
        reference = MJML_CLI.exists()
        # Interleaved, so that both commands meet the same machine state; medians of 15 runs each.
        ours: list[float] = []
        theirs: list[float] = []
        for _ in range(15):
            ours.append(median_seconds(lambda: run(newsletter, "build", cwd=root), repeat=1))
            if reference:
                theirs.append(median_seconds(lambda: run(MJML_CLI, out / "email.mjml", "-o", work / "ref.html"),
                                             repeat=1))
        process = statistics.median(ours)
        settings = load_settings(root)
        folder = list_issues(settings)[0]
        for _ in range(5):
            build_issue(settings, folder)
        in_process = median_seconds(lambda: build_issue(settings, folder), repeat=30)
        html_kb = len((out / "email.html").read_bytes()) / 1024
        print("10-story issue                         median")
        print(f"  newsletter build (whole process)   {process * 1000:8.1f} ms")
        print(f"  build_issue() in process (warm)    {in_process * 1000:8.1f} ms")
        if reference:
            mjml = statistics.median(theirs)
            print(f"  mjml CLI (npm) compile only        {mjml * 1000:8.1f} ms")
            print(f"  ratio newsletter build / mjml CLI  {process / mjml:8.2f}  (floor: <= 0.60)")
        else:
            print("  mjml CLI not installed: npm install --prefix tests/mjml")
        print(f"  email.html                         {html_kb:8.1f} KB  (floor: <= 42 KB)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
