"""No quadratic regular expressions (#11.11): each shape of 100 KB must finish within a bound, in a child process.

The child imports the tool once, then runs one shape per request; the parent waits at most LIMIT seconds for
the answer and kills the child otherwise, so a regression fails instead of hanging the suite. Before the
fixes, 100 KB of `<img ` took 22 s, a merge tag followed by 100 KB of spaces 12 s, `[firstname,` 4.4 s,
`%%{` 1.8 s, `![` 2.9 s, a TOML line of `[` and spaces and the archive's separator pattern more than 30 s;
after merging main, check's prose-span pattern took over 20 s on one long word and on `%%{` (fixed in
checks/context.py).
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, PROJECT

N = 100_000
LIMIT = 2.0  # seconds for one regular-expression shape (linear ones take milliseconds)
PIPELINE_LIMIT = 10.0  # seconds for a whole issue: load, render, inline, check, archive page (about 1 s)

# name -> (expression building the 100 KB input from N, code run on `text`): regular expressions on user text
SHAPES = {
    "raw-img": ('"<img " * (N // 5)', "imagerefs._RAW_IMG.findall(text)"),
    "raw-img-src-spaces": ('"<img src" + " " * N', "imagerefs._RAW_IMG.findall(text)"),
    "merge-tag-spaces": ('"{{ first_name" + " " * N', "mergetags.WRITTEN.findall(text); mergetags.mark_written(text)"),
    "merge-tag-default-spaces": ("\"{{ first_name | default: 'x'\" + ' ' * N",
                                 "mergetags.WRITTEN.findall(text); mergetags.hold(text)"),
    "merge-tag-opens": ('"{{ " * (N // 3)', "mergetags.mark_written(text); markdown.literal_tags(text)"),
    "backslashes": ('"\\\\" * N + "{{ first_name }}" * 50', "mergetags.mark_written(text); mergetags.hold(text)"),
    "campaign-monitor": ('"[firstname," * (N // 11)', "list(checks_mergetags._line(PATH, 1, text, set()))"),
    "ghost": ('"%%{" * (N // 3)', "list(checks_mergetags._line(PATH, 1, text, set()))"),
    "sendgrid": ('"<%" * (N // 2)', "list(checks_mergetags._line(PATH, 1, text, set()))"),
    "toml-header": ('"[" + " " * N', "files._key_lines.cache_clear(); files.key_line(text, '', 'x')"),
    "toml-keys": ('"".join(f"k{i} = {i}\\n" for i in range(N // 10))',
                  "files._key_lines.cache_clear(); [files.key_line(text, '', f'k{i}') for i in range(N // 10)]"),
    "toml-depth": ('"x = " + "[" * N', "limits.toml_depth_line(text)"),
    "toml-strings": ("'x = [' + '\"[\", ' * (N // 6) + ']'", "limits.toml_depth_line(text)"),
    "nesting": ('"<div>\\n" + "<div " * (N // 5)', "limits.check_nesting(markdown.parser().parse(text))"),
    "controls": ('"\\x0b\\n" * (N // 2)', "limits.drop_controls(text)"),
    "fill": ('"<a href=\\"" + mergetags.mark("first_name", "x") + "\\">x</a> " * (N // 30)',
             "mergetags.fill(text, lambda n, f: f or 'x', html=True)"),
    "fill-unclosed": ('" href=\\"" * (N // 7) + mergetags.mark("first_name")',
                      "mergetags.fill(text, lambda n, f: f or 'x', html=True)"),
    "sanitise": ('"<a href=\\"" + mergetags.mark("first_name", "x") + "\\">x</a> " * (N // 30)',
                 "markdown.sanitise(text)"),
    "separator": ('"a" + " " * N', "page._SEPARATOR_BEFORE.sub('', text)"),
    "markdown-image": ('"![" * (N // 2)', "checks_images._MD_IMAGE.search(text)"),
    "hidden-address": ('"a" * N', "checks_context._HIDDEN.findall(text)"),
    "hidden-tags": ('"%%{" * (N // 3) + "{{ " * (N // 3)', "checks_context._HIDDEN.findall(text)"),
    "code-spans-growing": ('"".join("`" * k + "x" for k in range(1, 447))', "checks_context.hidden_spans(text)"),
    "code-spans-unclosed": ('"`x" * (N // 2)', "checks_context.hidden_spans(text)"),
}

# name -> a story body of about 100 KB, run through the whole pipeline
STORIES = {
    "img": '"<div>\\n" + "<img " * (N // 5) + "\\n</div>\\n"',
    "tag-spaces": '"{{ first_name" + " " * N + "\\n"',
    "firstname": '"[firstname," * (N // 11) + "\\n"',
    "ghost": '"%%{" * (N // 3) + "\\n"',
    "separator": '"a" + " " * N + "[web]({{ web_url }})\\n"',
    "backslash": '"\\\\" * N + "{{ first_name }}\\n"',
    "spaces": '"a" + " " * N + "b\\n"',
    "anchors": '"<div>\\n" + "<a " * (N // 3) + "\\n</div>\\n"',
    "comments": '"<div>\\n" + "<!--" * (N // 4) + "\\n</div>\\n"',
    "close-tags": '"<div>\\n" + "</" * (N // 2) + "\\n</div>\\n"',
    "long-word": '"a" * N + "\\n"',
    "underscores": '"_a" * (N // 2) + "\\n"',
    "backticks": '"".join("`" * k + "x" for k in range(1, 447)) + "\\n"',
}

_CHILD = r"""
import sys, time
from pathlib import Path
from newsletter import files, imagerefs, limits, markdown, mergetags
from newsletter.archive import page
from newsletter.archive.head import SiteInfo
from newsletter.archive.page import feed_entry, web_page
from newsletter.build import build_issue
from newsletter.checks import check_rendered
from newsletter.checks import context as checks_context
from newsletter.checks import images as checks_images
from newsletter.checks import mergetags as checks_mergetags
from newsletter.config import load_settings
N = 100_000
PATH = Path("x.md")
root = Path(sys.argv[1])
settings = load_settings(root)
folder = root / "issues" / "2024-05-01-spring"
check_rendered(build_issue(settings, folder))  # everything imported and warm
print("ready", flush=True)
for request in sys.stdin:
    kind, build, code = request.rstrip("\n").split("\t")
    text = eval(build)
    started = time.perf_counter()
    if kind == "story":
        (folder / "04-x.md").write_text("# Shape\n\n" + text, encoding="utf-8")
        try:
            rendered = build_issue(settings, folder)
            check_rendered(rendered)
            web_page(rendered, SiteInfo(feed=True))
            feed_entry(rendered)
        except Exception as exc:
            if not hasattr(exc, "problems"):
                raise
    else:
        exec(code)
    print(f"{time.perf_counter() - started:.4f}", flush=True)
"""


class Child:
    """The child process that runs shapes; restarted after a shape that had to be killed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> subprocess.Popen[str]:
        """Start the child and wait until it is warm."""
        env = {**os.environ, "PYTHONPATH": str(PROJECT), "NEWSLETTER_INLINE_WORKER": "0"}
        process = subprocess.Popen([sys.executable, "-c", _CHILD, str(self.root)], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, text=True, env=env)
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        return process

    def time(self, kind: str, build: str, code: str, limit: float) -> float:
        """Return the seconds one shape took; fail (killing the child) when it takes longer than limit."""
        if self.process is None or self.process.poll() is not None:
            self.process = self.start()
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{kind}\t{build}\t{code}\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], limit + 1)
        if not ready:
            self.process.kill()
            self.process.wait()
            self.process = None
            pytest.fail(f"still running after {limit + 1:g} s: quadratic?")
        answer = self.process.stdout.readline()
        assert answer, "the child died"
        return float(answer)

    def stop(self) -> None:
        """End the child."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def child(tmp_path_factory: pytest.TempPathFactory):
    """Return the warm child process, on a copy of the basic fixture."""
    import shutil

    root = tmp_path_factory.mktemp("linear") / "pub"
    shutil.copytree(FIXTURES / "basic", root)
    running = Child(root)
    yield running
    running.stop()


@pytest.mark.parametrize("name", SHAPES)
def test_regular_expression_shape_is_linear(name: str, child: Child) -> None:
    """100 KB of the shape takes well under LIMIT seconds."""
    build, code = SHAPES[name]
    started = time.monotonic()
    seconds = child.time("code", build, code, LIMIT)
    assert seconds < LIMIT, f"{name}: {seconds:.2f} s on 100 KB (started {time.monotonic() - started:.1f} s ago)"


@pytest.mark.parametrize("name", STORIES)
def test_story_shape_through_the_pipeline(name: str, child: Child) -> None:
    """A story of 100 KB of the shape goes through load, render, checks and the archive page in bounded time."""
    seconds = child.time("story", STORIES[name], "", PIPELINE_LIMIT)
    assert seconds < PIPELINE_LIMIT, f"{name}: {seconds:.2f} s"
