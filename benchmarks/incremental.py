"""Time `build --all` and `check --all` on many issues: cold, unchanged, one story changed; serial and parallel.

Run: python -m benchmarks.incremental [--issues 1000] [--check-issues 200] [--rounds 3] [--baseline TREE]
The publications are made as benchmarks/archive.py makes its own (10 stories and a photo per issue). Every
command runs as a user runs it, in a new process, with its own cache folder (XDG_CACHE_HOME). Check is timed
in both modes of benchmarks/build.py, a quiet machine and a CPU hog on the second core, paired round by round.
Floors (2 cores): build --all after a one-story change <= 1.5 s; cold <= 50 s; check --all on 200 issues
<= 3.5 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.archive import make_publication
from benchmarks.build import USER_UNSET
from benchmarks.common import PROJECT


class Runner:
    """Run `newsletter` from a source tree with a cache folder of its own; return wall and CPU seconds."""

    def __init__(self, tree: Path, caches: Path) -> None:
        self.env = {k: v for k, v in os.environ.items() if k not in USER_UNSET}
        self.env.update(PYTHONPATH=str(tree), XDG_CACHE_HOME=str(caches))

    def __call__(self, root: Path, *args: str) -> tuple[float, float, str]:
        """Run `newsletter --root ROOT ARGS`; return (wall, CPU, stdout)."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        # From the publication: `python -m` puts the current folder first on sys.path, before PYTHONPATH.
        done = subprocess.run([sys.executable, "-m", "newsletter", "--root", str(root), *args], env=self.env,
                              cwd=root, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode not in {0, 1}:
            sys.exit(f"newsletter {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
        return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, done.stdout


def line(what: str, wall: float, cpu: float, note: str = "") -> None:
    """Print one timing."""
    print(f"  {what:46} {wall:7.2f} s wall {cpu:7.2f} s CPU  {note}")


def builds(args: argparse.Namespace, work: Path) -> None:
    """Time build --all on the big publication: cold, unchanged, one story changed, forced; and the baseline."""
    root = work / "many"
    started = time.perf_counter()
    make_publication(root, args.issues, 10)
    made = time.perf_counter() - started
    print(f"\nbuild --all, {args.issues} issues x 10 stories and a photo (made in {made:.0f} s), load average "
          f"{os.getloadavg()[0]:.2f}")
    ours = Runner(PROJECT, work / "caches")
    wall, cpu, _ = ours(root, "build", "--all")
    line("cold, empty caches (images processed)", wall, cpu, "floor <= 50 s")
    shutil.rmtree(root / "dist")
    wall, cpu, _ = ours(root, "build", "--all")
    line("cold, image cache warm (dist/ removed)", wall, cpu, "floor <= 50 s")
    times = [ours(root, "build", "--all") for _ in range(args.rounds)]
    line("nothing changed (median)", *_medians(times), f"{times[-1][2].strip().splitlines()[-1][:60]}")
    changed = []
    for n in range(args.rounds):
        story = sorted((root / "issues").iterdir())[args.issues // 2 + n] / "03-story.md"
        story.write_text(story.read_text() + "\nOne more paragraph.\n")
        changed.append(ours(root, "build", "--all"))
    line("one story changed (median)", *_medians(changed), "floor <= 1.5 s")
    wall, cpu, _ = ours(root, "build", "--all", "--force", "--jobs", "1")
    line("forced, one process (--jobs 1)", wall, cpu)
    if args.baseline:
        theirs = Runner(args.baseline.resolve(), work / "caches")
        shutil.rmtree(root / "dist")
        wall, cpu, _ = theirs(root, "build", "--all")
        line(f"baseline {args.baseline}, image cache warm", wall, cpu)


def checks(args: argparse.Namespace, work: Path) -> None:
    """Time check --all on a publication of --check-issues: serial and parallel, quiet and loaded; incremental."""
    root = work / "checked"
    make_publication(root, args.check_issues, 10)
    ours = Runner(PROJECT, work / "caches")
    ours(root, "check", "--all")  # warm the image cache and the page cache
    print(f"\ncheck --all, {args.check_issues} issues, {args.rounds} rounds paired, 2 modes")
    hog: subprocess.Popen[bytes] | None = None
    try:
        for mode in ("quiet machine", "second core busy (a CPU hog)"):
            if mode.startswith("second"):
                hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
                time.sleep(0.5)
            runs: dict[str, list[tuple[float, float, str]]] = {"parallel": [], "one process": []}
            if args.baseline:
                runs["baseline"] = []
            for n in range(args.rounds):
                order = list(runs) if n % 2 == 0 else list(runs)[::-1]
                for name in order:
                    if name == "baseline":
                        runs[name].append(Runner(args.baseline.resolve(), work / "caches")(root, "check", "--all",
                                                                                          "--force"))
                    else:
                        runs[name].append(ours(root, "check", "--all", "--force",
                                               *(("--jobs", "1") if name == "one process" else ())))
            print(f"  {mode}, load average {os.getloadavg()[0]:.2f}")
            ratio = statistics.median(p[0] / s[0] for p, s in zip(runs["parallel"], runs["one process"], strict=True))
            for name, times in runs.items():
                line(f"cold (--force), {name}", *_medians(times),
                     f"parallel/one process {ratio:.2f}, floor <= 3.5 s" if name == "parallel" else "")
        if hog is not None:
            hog.kill()
            hog.wait()
            hog = None
        times = [ours(root, "check", "--all") for _ in range(args.rounds)]
        line("nothing changed (median)", *_medians(times))
        story = sorted((root / "issues").iterdir())[0] / "03-story.md"
        story.write_text(story.read_text() + "\nOne more paragraph.\n")
        line("one story changed", *ours(root, "check", "--all")[:2])
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()


def _medians(times: list[tuple[float, float, str]]) -> tuple[float, float]:
    """Return the median wall and CPU seconds of some runs."""
    return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)


def main() -> None:
    """Make the publications and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=1000)
    parser.add_argument("--check-issues", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="also time the commands from this source tree")
    parser.add_argument("--only", choices=["build", "check"], help="time only one of the two")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nl-incremental-"))
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} (other work on the machine slows these)")
    try:
        if args.only != "check":
            builds(args, work)
        if args.only != "build":
            checks(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
