"""Merge tags: literal in code and after a backslash (#13.3), fallbacks are text in link addresses (#11.3)."""

from __future__ import annotations

from html import unescape

import pytest

from newsletter import mergetags
from newsletter.mergetags import mark, marked_url_ok, url_scheme_ok

SPRING = "2024-05-01-spring"

LITERAL = """# Template tips

Write `{{first_name}}` where the name goes, or {{ first_name | default: "friend" }} to fill it here.
Escaped: \\{{ first_name }} stays as typed, and so does \\{{ anything }}.

    {{ web_url }} in an indented block

```liquid
Hello {{ first_name | default: "there" }}
```
"""


def test_tags_in_code_and_after_a_backslash_are_text_everywhere(publication, run) -> None:
    """email.html and email.txt show code and escaped tags as typed; the tag outside code is filled."""
    pub = publication()
    (pub / "issues" / SPRING / "04-tips.md").write_text(LITERAL, encoding="utf-8")
    result = run("build", cwd=pub)
    assert result.exit_code == 0, result.output
    html = (pub / "dist" / SPRING / "email.html").read_text(encoding="utf-8")
    text = (pub / "dist" / SPRING / "email.txt").read_text(encoding="utf-8")
    for shown in (html, text):
        assert "{{first_name}}" in shown and "{{ web_url }} in an indented block" in shown
        assert 'Hello {{ first_name | default: "there" }}' in shown.replace("&quot;", '"')
        assert "Escaped: {{ first_name }} stays as typed, and so does {{ anything }}." in shown
        assert "or friend to fill it here" in shown
        assert mergetags.OPEN not in shown and mergetags.HOLD not in shown
    check = run("check", SPRING, cwd=pub)
    assert "04-tips.md" not in check.output.split("reading time")[0], check.output  # no unknown-tag finding


@pytest.mark.parametrize(("url", "safe"), [
    ("https://example.org/?n=" + mark("first_name"), True),
    ("mailto:" + mark("email"), True),
    (mark("unsubscribe_url"), True),
    (mark("web_url") + "#top", True),
    ("/path/" + mark("first_name"), True),
    (mark("first_name", "javascript:alert(1)"), False),
    (mark("first_name"), False),  # a reader's own value would decide the scheme
    ("java" + mark("first_name", "script") + ":alert(1)", False),
    (" \tJaVa" + mark("email") + ":x", False),
    (mark("web_url", "javascript:x"), False),
])
def test_an_address_with_tags_is_safe_only_when_no_value_can_change_its_scheme(url: str, safe: bool) -> None:
    """The rule the sanitiser and check share."""
    assert marked_url_ok(url) is safe


def test_fill_writes_hash_for_an_address_that_became_unsafe() -> None:
    """After filling, href and src must be http(s), mailto, tel or relative, whatever put the tag there."""
    html = (f'<a href="{mark("first_name", "javascript:alert(1)")}">{mark("first_name", "x")}</a>'
            f"<img src='{mark('web_url')}'><a title=\"{mark('first_name', 'a&b')}\">t</a>")
    out = mergetags.fill(html, lambda name, fallback: fallback or ("JAVASCRIPT:bad" if name == "web_url" else ""),
                         html=True)
    assert out == "<a href=\"#\">x</a><img src='#'><a title=\"a&amp;b\">t</a>"
    assert not url_scheme_ok(unescape("&#106;avascript:x")) and not url_scheme_ok("\x01java\tscript:x")
    assert url_scheme_ok("tel:+441234") and url_scheme_ok("../x:y") and url_scheme_ok("#top")
