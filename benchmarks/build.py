"""Time a cold `newsletter build` of a 10-story issue against the MJML 5 CLI, paired round by round.

Run: python -m benchmarks.build [--rounds 30] [--baseline TREE]
Needs the MJML 5 CLI: npm install --prefix benchmarks/node (tests/mjml holds MJML 4 for the tests).

Every round runs each command once, in a shuffled order, so that both meet the same machine state; the ratio
is taken per round and the median and p25-p75 of those ratios are printed. Two modes: a quiet machine, and
the second core busy (a CPU hog spinning beside the commands). --baseline TREE also times the build from
another source tree (a `git worktree add /tmp/base main`, say) in the same rounds, to measure one change.
Floor: newsletter build <= 0.40x the MJML 5 CLI in both modes (goal 0.33x).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks.common import PROJECT, make_publication, median_seconds

MJML5_CLI = PROJECT / "benchmarks" / "node" / "node_modules" / ".bin" / "mjml"
# Variables a user's shell does not set: no bytecode files would make every run compile the tool from source
# (about 100 ms), unbuffered streams slow the writes, and the test suite's switch turns the inlining worker off.
USER_UNSET = ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "NEWSLETTER_INLINE_WORKER")
MJML4_CLI = PROJECT / "tests" / "mjml" / "node_modules" / ".bin" / "mjml"


def newsletter_command() -> list[str]:
    """Return the installed `newsletter` entry script (what a user runs), or `python -m newsletter`.

    The script next to this interpreter, not a version manager's shim found first on PATH: a pyenv shim
    is a shell script that adds tens of milliseconds that are not the tool's.
    """
    script = Path(sys.executable).parent / "newsletter"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "newsletter"]


def build_command(env: dict[str, str]) -> list[str]:
    """Return the command line of a whole build: with --force where the tree has it."""
    command = [*newsletter_command(), "build"]
    usage = subprocess.run([*command, "--help"], env=env, capture_output=True, text=True, check=True).stdout
    return [*command, "--force"] if "--force" in usage else command  # unchanged issues are not rebuilt


def timed(args: Sequence[str | Path], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Run a command; return its wall and CPU seconds (its children included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([str(a) for a in args], cwd=cwd, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def rounds(commands: dict[str, Callable[[], tuple[float, float]]], count: int,
           seed: int) -> dict[str, list[tuple[float, float]]]:
    """Run every command once per round, in a shuffled order; return each one's (wall, CPU) per round."""
    rng = random.Random(seed)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(count):
        order = list(commands)
        rng.shuffle(order)
        for name in order:
            times[name].append(commands[name]())
    return times


def spread(values: list[float]) -> str:
    """Return `median (p25-p75)` of values."""
    q = statistics.quantiles(values, n=4, method="inclusive")
    return f"{statistics.median(values):5.2f} ({q[0]:.2f}-{q[2]:.2f})"


def report(mode: str, times: dict[str, list[tuple[float, float]]]) -> None:
    """Print each command's median wall and CPU time and the paired per-round ratios to the MJML 5 CLI."""
    print(f"\n{mode} (load average {os.getloadavg()[0]:.2f})")
    print(f"  {'command':34} {'wall ms':>8} {'CPU ms':>8}   newsletter/this, per round: median (p25-p75)")
    ours = [wall for wall, _ in times["newsletter build"]]
    for name, pairs in times.items():
        walls = [wall for wall, _ in pairs]
        cpu = statistics.median(c for _, c in pairs)
        ratio = "" if name == "newsletter build" else spread([o / t for o, t in zip(ours, walls, strict=True)])
        print(f"  {name:34} {statistics.median(walls) * 1000:8.1f} {cpu * 1000:8.1f}   {ratio}")


def main() -> None:
    """Print the paired timings in both modes, the warm in-process build and the size of email.html."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--baseline", type=Path, help="also time the build from this source tree")
    args = parser.parse_args()
    if not MJML5_CLI.exists():
        sys.exit("the MJML 5 CLI is not installed: npm install --prefix benchmarks/node")
    from newsletter.build import build_issue
    from newsletter.config import load_settings
    from newsletter.content import list_issues

    work = Path(tempfile.mkdtemp(prefix="nl-bench-"))
    hog: subprocess.Popen[bytes] | None = None
    try:
        root = make_publication(work / "pub", stories=10)
        env = {k: v for k, v in os.environ.items() if k not in USER_UNSET}
        env["PYTHONPATH"] = str(PROJECT)
        newsletter = build_command(env)
        timed(newsletter, root, env)
        settings = load_settings(root)
        folder = list_issues(settings)[0]
        mjml = root / "dist" / folder.name / "email.mjml"
        commands = {
            "newsletter build": lambda: timed(newsletter, root, env),
            "mjml 5 CLI (compile only)": lambda: timed([MJML5_CLI, mjml, "-o", work / "ref5.html"], root, env),
        }
        if MJML4_CLI.exists():
            commands["mjml 4 CLI (compile only)"] = lambda: timed([MJML4_CLI, mjml, "-o", work / "ref4.html"],
                                                                  root, env)
        if args.baseline:
            base_env = {**env, "PYTHONPATH": str(args.baseline.resolve())}
            baseline = build_command(base_env)
            commands[f"newsletter build from {args.baseline}"] = lambda: timed(baseline, root, base_env)
        for command in commands.values():
            command()  # warm the page cache and node's compile cache
        print(f"10-story issue, {args.rounds} rounds, {os.cpu_count()} cores; ratios below 1 mean newsletter "
              "is faster. Floor: newsletter build <= 0.40x the MJML 5 CLI in both modes (goal 0.33x)")
        report("quiet machine", rounds(commands, args.rounds, seed=1))
        hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        time.sleep(0.5)
        report("second core busy (a CPU hog beside it)", rounds(commands, args.rounds, seed=2))
        hog.kill()
        hog.wait()
        hog = None
        for _ in range(5):
            build_issue(settings, folder)
        in_process = median_seconds(lambda: build_issue(settings, folder), repeat=30)
        html_kb = len((root / "dist" / folder.name / "email.html").read_bytes()) / 1024
        print(f"\nbuild_issue() in process (warm): {in_process * 1000:.1f} ms")
        print(f"email.html: {html_kb:.1f} KB (floor: <= 42 KB)")
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
