"""A corpus of hostile publications, made by the test: every case ends in exit 0 or 1 with path:line, no traceback.

Each case starts from one publication with two issues, already built and archived, and changes the first one
(or the publication). Then: the command's exit code is 0 or 1 (never a signal), errors carry `path:line`,
nothing outside the publication is opened, the previous output of a refused issue is byte-identical and the
other issue still builds, no output holds markup that could run, and each command stays within
harness.MEMORY_LIMIT and harness.TIME_LIMIT.
"""

from __future__ import annotations

import marshal
import os
import pickle
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from hashlib import sha1, sha256
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, PROJECT
from tests.hostile.harness import assert_clean, executable_markup, gif_bomb, png_bomb, run_cli, tree

A = "2024-05-01-spring"  # the issue each case makes hostile
B = "2024-05-08-calm"  # a good issue beside it, which must still build
STORY = f"issues/{A}/04-x.md"
SECRET_TEXT = "SECRET-7f3a9c"  # in every file outside the publication that a case points at


@dataclass
class Run:
    """One command of a case and what it must print."""

    args: tuple[str, ...]
    code: int | None  # None: 0 or 1 (a gate may refuse what a check reports)
    expect: tuple[str, ...] = ()  # regular expressions that must match stderr (path:line: message)


@dataclass
class Case:
    """A hostile change and the commands that meet it."""

    name: str
    setup: Callable[[Path, Path], None]
    runs: tuple[Run, ...]
    refused: bool = True  # issue A fails: its previous output must stay byte-identical
    env: Callable[[Path], dict[str, str]] = field(default=lambda pub: {})


def story(text: str) -> Callable[[Path, Path], None]:
    """Return a setup writing a fourth story into issue A."""
    return lambda pub, secret: (pub / STORY).write_text(text, encoding="utf-8")


def build_all(*expect: str, code: int = 1) -> Run:
    """Return a `build --all` run."""
    return Run(("build", "--all"), code, expect)


def archive(*expect: str, code: int = 1) -> Run:
    """Return an `archive` run."""
    return Run(("archive",), code, expect)


def at(path: str, line: int, message: str) -> str:
    """Return the pattern of `path:line: message...` (check adds a column: `path:line:column: message`)."""
    return re.escape(f"{path}:{line}") + r"(?::\d+)?: " + message


# ---- setups -------------------------------------------------------------------------------------------------


def jinja_bytecode(pub: Path, secret: Path) -> None:
    """Commit a Jinja bytecode cache entry (marshal: code) where builds before #11 looked for one."""
    own = pub / "templates"
    own.mkdir()
    shutil.copy(PROJECT / "templates" / "email.mjml", own / "email.mjml")
    filename = str((own / "email.mjml").resolve())
    source = (own / "email.mjml").read_text(encoding="utf-8")
    code = compile(f"open({str(pub / 'PWNED')!r}, 'w').write('ran')\n", filename, "exec")
    magic = b"j2" + pickle.dumps(5, 2) + pickle.dumps((sys.version_info[0] << 24) | sys.version_info[1], 2)
    key = sha1(f"email.mjml|{filename}".encode()).hexdigest()
    folder = pub / ".newsletter-cache" / "jinja"
    folder.mkdir(parents=True)
    (folder / f"{key}.cache").write_bytes(magic + pickle.dumps(sha1(source.encode()).hexdigest(), 2)
                                          + marshal.dumps(code))


def _image_key(pub: Path) -> tuple[str, bytes]:
    """Return the image-cache key of issue A's tree.png and its bytes."""
    from newsletter.images import _SETTINGS

    data = (pub / "issues" / A / "images" / "tree.png").read_bytes()
    return sha256(_SETTINGS + b"\0" + data).hexdigest(), data


def _secret_png(secret: Path) -> Path:
    """Write a PNG outside the publication that carries the secret text."""
    path = secret / "secret.png"
    path.write_bytes(png_bomb(8, 8) + SECRET_TEXT.encode())
    return path


def old_image_cache(pub: Path, secret: Path) -> None:
    """Plant an image-cache entry in the publication whose file is a link to a file outside it."""
    key, _ = _image_key(pub)
    entry = pub / ".newsletter-cache" / "images" / key
    entry.mkdir(parents=True)
    name = f"{key[:12]}-tree.png"
    (entry / name).symlink_to(_secret_png(secret))
    (entry / "meta.json").write_text(f'{{"name": "{name}", "width": 552, "height": 276}}')


def user_cache(variant: str) -> Callable[[Path, Path], None]:
    """Return a setup poisoning the user's cache entry for tree.png: a link, a wrong hash, a linked folder."""

    def setup(pub: Path, secret: Path) -> None:
        from newsletter.images import cache_dir

        key, _ = _image_key(pub)
        entry = cache_dir(pub) / key  # HOME is the test's, as for the command
        shutil.rmtree(entry, ignore_errors=True)
        target = _secret_png(secret)
        name = f"{key[:12]}-tree.png"
        digest = sha256(target.read_bytes()).hexdigest()
        meta = f'{{"name": "{name}", "width": 552, "height": 276, "sha256": "{digest}"}}'
        if variant == "folder-link":
            (secret / "entry").mkdir()
            shutil.copy(target, secret / "entry" / name)
            (secret / "entry" / "meta.json").write_text(meta)
            entry.parent.mkdir(parents=True, exist_ok=True)
            entry.symlink_to(secret / "entry")
            return
        entry.mkdir(parents=True)
        (entry / "meta.json").write_text(meta)
        if variant == "file-link":
            (entry / name).symlink_to(target)
        else:  # a regular file that is not what meta.json says
            (entry / name).write_bytes(target.read_bytes() + b"tampered")

    return setup


def symlinks_out(pub: Path, secret: Path) -> None:
    """Point a story, an image, a template, an asset and a third issue's issue.toml at files outside."""
    (secret / "story.md").write_text(f"# {SECRET_TEXT}\n\n{SECRET_TEXT}\n")
    (pub / STORY).symlink_to(secret / "story.md")
    (pub / "issues" / A / "05-image.md").write_text("# Picture\n\n![a picture](images/out.png)\n")
    (pub / "issues" / A / "images" / "out.png").symlink_to(_secret_png(secret))
    (pub / "templates").mkdir()
    (secret / "email.mjml").write_text(f"<mjml><mj-body>{SECRET_TEXT}</mj-body></mjml>")
    (pub / "templates" / "email.mjml").symlink_to(secret / "email.mjml")
    (pub / "assets").mkdir()
    (pub / "assets" / "logo.png").symlink_to(secret / "secret.png")


def xml_entity(pub: Path, secret: Path) -> None:
    """Raw HTML with a DOCTYPE that declares an external entity pointing outside."""
    (secret / "secret.txt").write_text(SECRET_TEXT)
    (pub / STORY).write_text(f'# Entity\n\n<!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret}/secret.txt">]>\n'
                             '<p>&e;</p>\n\n<svg><image href="file://{secret}/secret.txt"/></svg>\n')


def special_files(pub: Path, secret: Path) -> None:
    """A FIFO and a link to /dev/zero named like stories, and FIFOs in images/ and assets/."""
    os.mkfifo(pub / "issues" / A / "05-pipe.md")
    (pub / "issues" / A / "06-zero.md").symlink_to("/dev/zero")
    os.mkfifo(pub / "issues" / A / "images" / "pipe.png")
    (pub / "assets").mkdir()
    os.mkfifo(pub / "assets" / "pipe.css")


def image_file(name: str, data: bytes | None = None, size: int = 0) -> Callable[[Path, Path], None]:
    """Return a setup adding an image (bytes, or a sparse file of `size`) used by a new story."""

    def setup(pub: Path, secret: Path) -> None:
        path = pub / "issues" / A / "images" / name
        if data is not None:
            path.write_bytes(data)
        else:
            with path.open("wb") as out:
                out.truncate(size)
        (pub / STORY).write_text(f"# Picture\n\n![a picture](images/{name})\n")

    return setup


def image_link(target: str) -> Callable[[Path, Path], None]:
    """Return a setup adding an image that is a link to a special file."""

    def setup(pub: Path, secret: Path) -> None:
        (pub / "issues" / A / "images" / "odd.png").symlink_to(target)
        (pub / STORY).write_text("# Picture\n\n![a picture](images/odd.png)\n")

    return setup


def edit(relative: str, change: Callable[[str], str]) -> Callable[[Path, Path], None]:
    """Return a setup editing one file of the publication."""

    def setup(pub: Path, secret: Path) -> None:
        path = pub / relative
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")

    return setup


def sandboxed_template(pub: Path, secret: Path) -> None:
    """A template that reaches for Python's internals to run a command."""
    (pub / "templates").mkdir()
    text = (PROJECT / "templates" / "email.mjml").read_text(encoding="utf-8")
    payload = "{{ ''.__class__.__mro__[1].__subclasses__() }}"
    (pub / "templates" / "email.mjml").write_text(text.replace("</mj-body>", payload + "</mj-body>", 1))


JAVASCRIPT = (
    "# Tags\n\n"
    'Hello [you]({{ first_name | default: "javascript:alert(1)" }}).\n\n'
    "Raw <a href=\"{{ first_name | default: 'javascript:alert(2)' }}\">raw</a> and "
    "<a href=\"java{{ first_name | default: 'script' }}:alert(3)\">split</a>.\n\n"
    "A [ref][r] <a href=\"{{ email }}\">mail</a>\n\n"
    '[r]: {{ first_name | default: "JaVaScRiPt:alert(5)" }}\n'
)
CONTROL = "# Pasted\n\nA line.\n\nVertical\x0btab, form\x0cfeed, \x1b[31mescape\x1b[0m, \x02 and \ufffe \uffff.\n"

CASES = [
    Case("jinja-bytecode-committed", jinja_bytecode, (build_all(code=0),), refused=False),
    Case("image-cache-committed-link", old_image_cache, (build_all(code=0),), refused=False),
    Case("user-cache-file-link", user_cache("file-link"), (build_all(code=0),), refused=False),
    Case("user-cache-wrong-hash", user_cache("hash"), (build_all(code=0),), refused=False),
    Case("user-cache-folder-link", user_cache("folder-link"), (build_all(code=0),), refused=False),
    Case("symlinks-out", symlinks_out, (
        build_all("this story is a link to a file outside", at(f"issues/{A}/05-image.md", 3, "image path"),
                  "templates/email.mjml: template 'email.mjml' is a link to a file outside"),)),
    Case("xml-entity", xml_entity, (build_all(code=0), archive(code=0)), refused=False),
    Case("merge-tag-javascript", story(JAVASCRIPT), (
        build_all(code=0),
        Run(("check", A), 1, (at(STORY, 3, "error: the fallback “javascript:alert\\(1\\)”"),
                              at(STORY, 5, "error: .*unsafe"), at(STORY, 7, "error: .*unsafe"))),
        Run(("export", A, "--to", "eml"), None), Run(("archive",), None)), refused=False),
    Case("merge-tag-image", story('# Image\n\n![x]({{ first_name | default: "javascript:alert(4)" }})\n'),
         (build_all(at(STORY, 3, "image '{{ first_name \\| default: \"javascript:alert\\(4\\)\" }}': an image "
                                 "address cannot hold a merge tag")),)),
    Case("deep-divs", story("# Deep\n\n" + "<div>" * 10_000 + "x" + "</div>" * 10_000 + "\n"), (
        build_all(at(STORY, 3, "the story is nested more than 100 levels deep")),
        Run(("check", A), 1, (at(STORY, 3, ".*nested more than 100"),)),
        archive(at(STORY, 3, "the story is nested"),))),
    Case("deep-emphasis", story("# Deep\n\n" + "*" * 25_000 + "x" + "*" * 25_000 + "\n"),
         (build_all(at(STORY, 3, "the story is nested more than 100")),)),
    Case("deep-unclosed-bold", story("# Deep\n\nText.\n\n" + "<b>" * 10_000 + "x\n"),
         (build_all(at(STORY, 5, "the story is nested more than 100")),)),
    Case("deep-lists-and-quotes", story("# Deep\n\n" + "* " * 50_000 + "x\n\n" + ">" * 50_000 + " y\n"),
         (build_all(code=0),), refused=False),
    Case("wide-table", story("# Wide\n\n|" + "a|" * 25_000 + "\n|" + "-|" * 25_000 + "\n"),
         (build_all(at(STORY, 3, "the story makes more than 20,000 HTML elements")),)),
    Case("deep-issue-toml", edit(f"issues/{A}/issue.toml", lambda t: t + "extra = " + "[" * 3000 + "]" * 3000 + "\n"),
         (build_all(at(f"issues/{A}/issue.toml", 6, "invalid TOML: this value is nested more than 32")),
          archive(at(f"issues/{A}/issue.toml", 6, "invalid TOML")))),
    Case("deep-front-matter", story("---\ntitle: Deep\ntags: " + "[" * 3000 + "]" * 3000 + "\n---\nText.\n"),
         (build_all(at(STORY, 3, "invalid YAML front matter: it is nested more than 32")),
          archive(at(STORY, 3, "invalid YAML front matter")))),
    Case("deep-front-matter-block", story("---\ntitle: Deep\ntags:\n  " + "- " * 3000 + "x\n---\nText.\n"),
         (build_all(at(STORY, 4, "invalid YAML front matter: it is nested")),)),
    Case("deep-newsletter-toml", edit("newsletter.toml", lambda t: "extra = " + "{a = " * 3000 + "1" + "}" * 3000
                                      + "\n" + t),
         (build_all(at("newsletter.toml", 1, "invalid TOML: this value is nested")),)),
    Case("long-integers", edit(f"issues/{A}/issue.toml", lambda t: t.replace("number = 7", "number = 7" + "0" * 5000)),
         (build_all(re.escape(f"issues/{A}/issue.toml") + ".*invalid TOML"),)),
    Case("long-integer-front-matter", story("---\ntitle: 1" + "0" * 5000 + "\n---\nText.\n"),
         (build_all(at(STORY, 2, "invalid YAML front matter")),)),
    Case("special-files", special_files, (
        build_all(re.escape(f"issues/{A}/05-pipe.md: warning: this is a named pipe (FIFO)"),
                  re.escape(f"issues/{A}/06-zero.md: warning: this is a device"), code=0),
        archive(code=0)), refused=False),
    Case("image-link-to-device", image_link("/dev/zero"), (build_all(at(STORY, 3, "image path 'images/odd.png'")),)),
    Case("big-story", story("# Big\n\n" + "word " * 120_000 + "\n"),
         (build_all(re.escape(STORY) + ": the file is 586 KiB, more than the 512 KiB"),)),
    Case("big-image", image_file("big.png", size=40 << 20),
         (build_all(at(STORY, 3, "image 'images/big.png': the file is 40 MiB, more than the 32 MiB")),)),
    Case("gif-bomb", image_file("bomb.gif", gif_bomb(2000, 2000, 300)),
         (build_all(at(STORY, 3, "image 'images/bomb.gif': an animation of 300 frames of 2000×2000 px")),)),
    Case("png-bomb", image_file("bomb.png", png_bomb(25_000, 25_000)),
         (build_all(at(STORY, 3, "image 'images/bomb.png': too many pixels to process")),)),
    Case("png-large", image_file("large.png", png_bomb(9000, 9000)),
         (build_all(at(STORY, 3, "image 'images/large.png': 9000×9000 px \\(81 megapixels\\) is more than")),)),
    Case("control-characters", story(CONTROL), (
        build_all(at(STORY, 5, "warning: removed an invisible control character \\(U\\+000B LINE TABULATION\\) "
                               "and 6 more"), code=0),
        archive(code=0)), refused=False),
    Case("template-reaches-python", sandboxed_template,
         (build_all(re.escape("templates/email.mjml:") + r"\d+: template error: access to attribute '__class__'"),)),
    Case("cache-folder-unwritable", story("# Picture\n\n![a tree](images/tree.png)\n"),
         (build_all("warning: the cache folder .* cannot be written", code=0),), refused=False,
         env=lambda pub: {"XDG_CACHE_HOME": str(pub / "newsletter.toml")}),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a publication with two issues, built and archived once for every case to copy."""
    pub = tmp_path_factory.mktemp("hostile") / "pub"
    shutil.copytree(FIXTURES / "basic", pub)
    lead = pub / "issues" / A / "01-lead.md"  # its javascript: link is a check error, which keeps it out of archive
    lead.write_text(lead.read_text().replace('<a href="javascript:alert(1)">bad link</a>\n', ""))
    shutil.copytree(pub / "issues" / A, pub / "issues" / B)
    meta = pub / "issues" / B / "issue.toml"
    meta.write_text(meta.read_text().replace("2024-05-01", "2024-05-08").replace("Spring, mostly", "Calm"))
    secret = pub.parent / "secret"
    secret.mkdir()
    env = {"HOME": str(pub.parent / "home")}  # a HOME of the module's own
    for args in (("build", "--all"), ("archive",)):
        assert_clean(run_cli(*args, cwd=pub, secret=secret, env=env), codes=(0,))
    return pub


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_publication(case: Case, built: Path, tmp_path: Path) -> None:
    """The case's commands end cleanly, say where the problem is, and harm nothing."""
    pub = tmp_path / "pub"
    shutil.copytree(built, pub, symlinks=True)
    secret = tmp_path / "secret"
    secret.mkdir()
    home = tmp_path / "home"  # the test's own HOME (conftest), so the user cache starts empty
    (secret / "marker.txt").write_text(SECRET_TEXT)
    before = tree(pub / "dist")
    case.setup(pub, secret)
    env = {"HOME": str(home), **case.env(pub)}
    for step in case.runs:
        outcome = run_cli(*step.args, cwd=pub, secret=secret, env=env)
        assert_clean(outcome, codes=(step.code,) if step.code is not None else (0, 1))
        for pattern in step.expect:
            assert re.search(pattern, outcome.output), f"{pattern!r} not in:\n{outcome.output[-3000:]}"
    after = tree(pub / "dist")
    if case.refused:
        kept = {name: digest for name, digest in before.items() if name.startswith((f"{A}/", f"site/{A}/"))}
        assert {name: after.get(name) for name in kept} == kept, "the refused issue's previous output changed"
    assert (pub / "dist" / B / "email.html").is_file() and (pub / "dist" / "site" / B / "index.html").is_file()
    assert not (pub / "PWNED").exists(), "a file in the publication ran as code"
    assert executable_markup(pub / "dist") == []
    for path in (pub / "dist").rglob("*"):
        if path.is_file():
            assert SECRET_TEXT.encode() not in path.read_bytes(), f"{path} holds a file from outside"
