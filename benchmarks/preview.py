"""Time `newsletter preview` end to end: edit a story of a 10-story issue, wait until the open page shows it.

Run: /tmp/venv/bin/python benchmarks/preview.py [--rounds 30]
Needs Debian's chromium (Playwright drives it; no browser download). Prints the median time from saving
the file to the change being painted in the open page, split into file-watch, in-process rebuild and
push + fetch + swap, plus the rebuild alone timed in a loop.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from newsletter.build import build_issue
from newsletter.config import load_settings
from newsletter.preview import Preview, PreviewServer

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "basic"
SLUG = "2024-06-01-ten"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PARAGRAPH = ("The council met on Tuesday to discuss the {n} proposals for the harbour wall, and after two hours "
             "agreed to ask the engineers for a cheaper plan. Read the [full minutes](https://example.org/m{n}) "
             "or the *summary* on the notice board.")
# Sets window.__shown once the desktop frame shows `text`: the time of the first frame painted after it.
WATCH = """text => {
  window.__shown = null;
  const doc = document.getElementById('desktop-frame').contentDocument;
  const seen = () => doc.body && doc.body.textContent.includes(text);
  const done = () => requestAnimationFrame(() => { window.__shown = performance.timeOrigin + performance.now(); });
  if (seen()) { done(); return; }
  const observer = new MutationObserver(() => { if (seen()) { observer.disconnect(); done(); } });
  observer.observe(doc, { childList: true, subtree: true, characterData: true });
}"""


def make_publication(where: Path) -> Path:
    """Write a publication with one 10-story issue (one with an image) and return the issue folder."""
    shutil.copy(FIXTURE / "newsletter.toml", where / "newsletter.toml")
    issue = where / "issues" / SLUG
    (issue / "images").mkdir(parents=True)
    shutil.copy(FIXTURE / "issues" / "2024-05-01-spring" / "images" / "tree.png", issue / "images" / "tree.png")
    (issue / "issue.toml").write_text('subject = "Ten stories"\npreheader = "A benchmark issue."\n'
                                      'date = 2024-06-01\nnumber = 8\n', encoding="utf-8")
    for n in range(1, 11):
        kind = "lead" if n == 1 else "story"
        image = "image: images/tree.png\nimage_alt: A tree\n" if n == 1 else ""
        body = "\n\n".join(PARAGRAPH.format(n=n) for _ in range(3))
        (issue / f"{n:02d}-story.md").write_text(f"---\ntitle: Story number {n}\nkind: {kind}\n{image}---\n{body}\n",
                                                 encoding="utf-8")
    return issue


def summary(name: str, values: list[float]) -> str:
    """Return median, p90 and max of a list of milliseconds."""
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return f"{name:<38} median {statistics.median(values):7.1f} ms   p90 {p90:7.1f} ms   max {ordered[-1]:7.1f} ms"


def rebuild_loop(folder: Path, rounds: int) -> list[float]:
    """Time build_issue() in a warm process, as the preview calls it."""
    settings = load_settings(folder.parent.parent)
    build_issue(settings, folder)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        build_issue(settings, folder)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        folder = make_publication(Path(tmp))
        preview = Preview(load_settings(Path(tmp)), folder)
        server = PreviewServer(preview, "127.0.0.1", 0)
        preview.snapshot(SLUG)
        server.start()
        visible: list[float] = []
        watch: list[float] = []
        rebuild: list[float] = []
        push: list[float] = []
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(server.url)
                page.frame_locator("#desktop-frame").get_by_text("Story number 5", exact=True).wait_for()
                page.wait_for_function("() => document.getElementById('desktop-frame').dataset.loaded === '1'")
                page.evaluate(WATCH, "Story number 5")
                page.wait_for_function("() => window.__shown !== null")
                time.sleep(0.5)
                story = folder / "05-story.md"
                original = story.read_text(encoding="utf-8")
                for n in range(args.rounds):
                    title = f"Edited title {n}"
                    page.evaluate(WATCH, title)
                    saved = time.time()
                    story.write_text(original.replace("Story number 5", title), encoding="utf-8")
                    page.wait_for_function("() => window.__shown !== null", timeout=10000)
                    shown = page.evaluate("window.__shown") / 1000
                    snap = preview.snapshot(SLUG)
                    visible.append((shown - saved) * 1000)
                    watch.append((snap.changed_at - saved) * 1000)
                    rebuild.append(snap.build_ms)
                    push.append((shown - snap.built_at) * 1000)
                    time.sleep(0.25)
                browser.close()
        finally:
            server.stop()
        loop = rebuild_loop(folder, args.rounds)
    print(f"newsletter preview, 10-story issue, {args.rounds} edits (Chromium {chromium})")
    print(summary("save -> change painted in the page", visible))
    print(summary("  save -> watcher reports it", watch))
    print(summary("  in-process rebuild", rebuild))
    print(summary("  rebuilt -> painted (event + swap)", push))
    print(summary("build_issue() alone, warm process", loop))
    ok = statistics.median(visible) <= 300 and statistics.median(rebuild) <= 60
    print("targets (median <= 300 ms visible, <= 60 ms rebuild):", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
