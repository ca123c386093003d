"""Every `check` rule: a case that triggers it at the right file and line, and a near miss that must not."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field

import pytest
from PIL import Image

from newsletter.checks import rules
from newsletter.checks.images import contrast_ratio
from tests.check_helpers import CLEAN, Change, apply, check_json, findings, places


def png(width: int, height: int, noise: bool = False) -> bytes:
    """Return a PNG of the given size: flat colour, or random noise that does not compress."""
    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)) if noise else \
        Image.new("RGB", (width, height), (20, 80, 140))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def long_text(words: int) -> str:
    """Return a paragraph of distinct words."""
    return " ".join(f"word{i}" for i in range(words))


def big_issue(stories: int) -> dict[str, Change]:
    """Return changes that add many stories of about 1.5 KB of text each."""
    paragraph = "The harbour board met again on Thursday and talked about the tides, boats and rents. " * 18
    return {f"ISSUE/1{i:02d}-extra.txt": f"Extra Story {i}\n\n{paragraph}Item {i}.\n" for i in range(stories)}


@dataclass
class Case:
    """A rule, the edit that triggers it with where it must point, and an edit that must not trigger it."""

    rule: str
    trigger: dict[str, Change]
    where: tuple[str, int | None]
    near_miss: dict[str, Change] = field(default_factory=dict)


def md(body: str) -> str:
    """Return a Markdown story with a heading on line 1 and body from line 3."""
    return f"# Case story\n\n{body}\n"


def no_key(key: str) -> Change:
    """Return an edit that removes the line setting key."""
    return lambda text: "\n".join(line for line in text.split("\n") if not line.startswith(f"{key} ="))


def set_key(key: str, value: str) -> Change:
    """Return an edit that sets key to a TOML value on its existing line."""
    return lambda text: "\n".join(f"{key} = {value}" if line.startswith(f"{key} =") else line
                                  for line in text.split("\n"))


FOOTER = ('<mj-section><mj-column><mj-text>{} {{{{ publication.name }}}}</mj-text></mj-column></mj-section>\n')
CASES = [
    # editorial
    Case("editorial/repeated-paragraph",
         {"ISSUE/04-case.md": md("The council agreed the new budget for the harbour wall on Tuesday.\n\nMore later.\n\n"
                                 "The council agreed the new budget for the harbour wall on Tuesday.")},
         ("04-case.md", 7),
         {"ISSUE/04-case.md": md("Thanks for reading this week.\n\nThanks for reading this week.")}),
    Case("editorial/repeated-paragraph",
         {"ISSUE/04-case.txt": "Case\n\nSwimmers can book a lane online, and the café opens at 7am every day.\n"},
         ("04-case.txt", 3),
         {"ISSUE/04-case.txt": "Case\n\nSwimmers can book a lane by phone, and the café opens at 8am every day.\n"}),
    Case("editorial/own-subscribe-line",
         {"ISSUE/04-case.txt": "Case\n\nThe harbour is busy.\n\nSubscribe To Check Weekly For More\n"},
         ("04-case.txt", 5),
         {"ISSUE/04-case.txt": "Case\n\nYou can subscribe to the council’s flood alerts by text message.\n"}),
    Case("editorial/conflicting-figures",
         {"ISSUE/04-case.txt": "Storm Injures 12 People\n\nThe storm on Sunday injured 14 people, the fire service "
                               "said.\n"},
         ("04-case.txt", 3),
         {"ISSUE/04-case.txt": "Storm Injures 14 People\n\nThe storm injured 14 people; the hall holds 6,200 people. "
                               "Buses ran every 20 minutes, then every 40 minutes.\n"}),
    Case("editorial/double-space",
         {"ISSUE/04-case.md": md("The first line of text.\nThe council\u00a0 agreed.")},
         ("04-case.md", 4),
         {"ISSUE/04-case.md": md("A line with a hard break  \nnext line.\n\n| a   | b |\n|---|---|\n| x   | y |")}),
    Case("editorial/double-space",
         {"ISSUE/04-case.md": md("> - A quoted list item\n>   whose second\u00a0\u00a0line has two no-break spaces.")},
         ("04-case.md", 4),
         {"ISSUE/04-case.md": md(">  A quote marker with two spaces,\n>   and an indented continuation.\n\n"
                                 "1.  Two spaces after the marker.\n\n-   Four-column bullets.\n\n"
                                 "##  Heading\n\nRun `a  b` in a shell.")}),
    Case("editorial/repeated-word",
         {"ISSUE/04-case.txt": "Case\n\nWe walked to the\nthe harbour on Monday.\n"},
         ("04-case.txt", 4),
         {"ISSUE/04-case.txt": "Case\n\nShe had had enough, and so had the others.\n"}),
    Case("editorial/repeated-word", {"ISSUE/04-case.md": md("> The boats came back to the\n> the harbour.")},
         ("04-case.md", 4), {"ISSUE/04-case.md": md("Type `the the` to see the check, or `is is`.")}),
    Case("editorial/mixed-quotes",
         {"ISSUE/04-case.md": md("She said “yes” to the plan.\n\nHe said \"no\" to it.")},
         ("04-case.md", 5),
         {"ISSUE/04-case.md": md("She said “yes” to the council’s plan.\n\n`x = \"code\"` and "
                                 "[a link](https://check.example.org/a \"Its title\").")}),
    Case("editorial/empty-story", {"ISSUE/04-case.md": ""}, ("04-case.md", 1),
         {"ISSUE/04-case.txt": "Case\n\nOne short line.\n"}),
    Case("editorial/empty-story", {"ISSUE/04-case.md": "---\ntitle: Only a title\n---\n"}, ("04-case.md", 2),
         {"ISSUE/04-case.md": "---\ntitle: A title\n---\nAnd a line of text.\n"}),
    Case("editorial/no-title", {"ISSUE/04-case.md": "Just text without a heading.\n"}, ("04-case.md", 1),
         {"ISSUE/04-case.md": "# A heading\n\nJust text.\n"}),
    Case("editorial/long-story", {"ISSUE/04-case.txt": f"Long One\n\n{long_text(700)}\n"}, ("04-case.txt", 1),
         {"ISSUE/04-case.txt": f"Long One\n\n{long_text(350)}\n"}),
    # deliverability
    Case("deliverability/no-subject", {"ISSUE/issue.toml": no_key("subject")}, ("issue.toml", None),
         {"ISSUE/issue.toml": set_key("subject", '"Hi"')}),
    Case("deliverability/no-preheader", {"ISSUE/issue.toml": no_key("preheader")}, ("issue.toml", 1),
         {"ISSUE/issue.toml": set_key("preheader", '"' + "p" * 140 + '"')}),
    Case("deliverability/long-subject", {"ISSUE/issue.toml": set_key("subject", '"' + "s" * 71 + '"')},
         ("issue.toml", 1), {"ISSUE/issue.toml": set_key("subject", '"' + "s" * 70 + '"')}),
    Case("deliverability/shouting-subject", {"ISSUE/issue.toml": set_key("subject", '"SUMMER ON THE HARBOUR"')},
         ("issue.toml", 1), {"ISSUE/issue.toml": set_key("subject", '"NASA and the BBC visit the harbour!"')}),
    Case("deliverability/shouting-subject", {"ISSUE/issue.toml": set_key("subject", '"Summer is here!!"')},
         ("issue.toml", 1), {"ISSUE/issue.toml": set_key("subject", '"Summer is here!"')}),
    Case("deliverability/preheader-length", {"ISSUE/issue.toml": set_key("preheader", '"Too short."')},
         ("issue.toml", 2), {"ISSUE/issue.toml": set_key("preheader", '"' + "p" * 40 + '"')}),
    Case("deliverability/preheader-length", {"ISSUE/issue.toml": set_key("preheader", '"' + "p" * 141 + '"')},
         ("issue.toml", 2), {"ISSUE/issue.toml": set_key("preheader", '"' + "p" * 139 + '"')}),
    Case("deliverability/no-postal-address", {"newsletter.toml": no_key("postal_address")}, ("newsletter.toml", 1),
         {"newsletter.toml": set_key("postal_address", '"PO Box 1, Testville"')}),
    Case("deliverability/no-subscribe-link", {"newsletter.toml": no_key("subscribe_url")}, ("newsletter.toml", 1),
         {"newsletter.toml": set_key("subscribe_url", '"https://check.example.org/join"')}),
    Case("deliverability/no-unsubscribe-url", {"newsletter.toml": no_key("unsubscribe_url")},
         ("newsletter.toml", 1), {"newsletter.toml": set_key("unsubscribe_url", '"https://check.example.org/u"')}),
    Case("deliverability/no-unsubscribe-link", {"templates/footer.mjml": FOOTER.format("Thanks for reading")},
         ("footer.mjml", None),
         {"templates/footer.mjml": FOOTER.format("<a href=\"{{ tag('unsubscribe_url') }}\">Unsubscribe</a>")}),
    Case("deliverability/near-gmail-clipping", big_issue(36), ("issue.toml", None), big_issue(32)),
    Case("deliverability/gmail-clipping", big_issue(42), ("issue.toml", None), big_issue(36)),
    Case("deliverability/image-heavy", {"ISSUE/images/boat.png": png(552, 1400)}, ("01-ferry.md", 4),
         {"ISSUE/images/boat.png": png(552, 200)}),
    # links
    Case("links/malformed", {"ISSUE/04-case.md": md("See [the file](ftp://check.example.org/file).")},
         ("04-case.md", 3),
         {"ISSUE/04-case.md": md("[Mail us](mailto:editor@check.example.org) or [call us](tel:+441234567).")}),
    Case("links/malformed", {"ISSUE/04-case.md": md('Text.\n\n<p>See <a href="https://">the site</a>.</p>')},
         ("04-case.md", 5), {"ISSUE/04-case.md": md('Text.\n\n<p>See <a href="https://a.example">the site</a>.</p>')}),
    Case("links/insecure", {"ISSUE/04-case.md": md("The [old site](http://check.example.org/old).")},
         ("04-case.md", 3), {"ISSUE/04-case.md": md("The [old site](https://check.example.org/old).")}),
    Case("links/empty", {"ISSUE/04-case.md": md("Text.\n\nRead [the report](#).")}, ("04-case.md", 5),
         {"ISSUE/04-case.md": md("Text.\n\nRead [the report](https://check.example.org/report#summary).")}),
    Case("links/vague-text", {"ISSUE/04-case.md": md("For the report [click here](https://check.example.org/r).")},
         ("04-case.md", 3),
         {"ISSUE/04-case.md": md('[Read more](https://check.example.org/r "The council report on the wall")')}),
    Case("links/utm-mismatch",
         {"ISSUE/04-case.md": md("[One](https://check.example.org/p?utm_source=news).\n\n"
                                 "[Two](https://check.example.org/p?utm_source=mail).")},
         ("04-case.md", 5),
         {"ISSUE/04-case.md": md("[One](https://check.example.org/p?utm_source=news).\n\n"
                                 "[Two](https://check.example.org/p?utm_source=news).")}),
    # images and accessibility
    Case("images/missing-alt", {"ISSUE/04-case.md": md("Text.\n\n![](images/boat.png)")}, ("04-case.md", 5),
         {"ISSUE/04-case.md": md("Text.\n\n![The ferry at the pier](images/boat.png)")}),
    Case("images/missing-alt", {"ISSUE/04-case.md": md("Text.\n\n![](https://check.example.org/a.png)")},
         ("04-case.md", 5), {"ISSUE/04-case.md": md("Text.\n\n![A map](https://check.example.org/a.png)")}),
    Case("images/filename-alt", {"ISSUE/04-case.md": md("Text.\n\n![IMG_2041.jpg](images/boat.png)")},
         ("04-case.md", 5), {"ISSUE/04-case.md": md("Text.\n\n![Photo 2 of the harbour](images/boat.png)")}),
    Case("images/too-large", {"ISSUE/images/boat.png": png(620, 620, noise=True)}, ("01-ferry.md", 4),
         {"ISSUE/images/boat.png": png(300, 300, noise=True)}),
    Case("accessibility/low-contrast", {"newsletter.toml": set_key("font_size", '17\ntext_color = "#999999"')},
         ("newsletter.toml", 13), {"newsletter.toml": set_key("font_size", '17\ntext_color = "#595959"')}),
    Case("accessibility/low-contrast", {"newsletter.toml": set_key("font_size", '17\ndark_muted_color = "#555555"')},
         ("newsletter.toml", 13), {"newsletter.toml": set_key("font_size", '17\ndark_muted_color = "#8b949e"')}),
    Case("accessibility/low-contrast", {"templates/inline.css": ".nl-text h3 { color: #bbbbbb; }\n",
                                        "ISSUE/04-case.md": md("Text.\n\n### A pale heading\n\nMore.")},
         ("04-case.md", 5), {"templates/inline.css": ".nl-text h3 { color: #555555; }\n",
                             "ISSUE/04-case.md": md("Text.\n\n### A dark heading\n\nMore.")}),
    Case("accessibility/wide-table",
         {"ISSUE/04-case.md": md("| Sailing | Departure | Passengers | Vehicles | Cancellations "
                                 "| Internationalisation |\n|---|---|---|---|---|---|\n| a | b | c | d | e | f |")},
         ("04-case.md", 3),
         {"ISSUE/04-case.md": md("| Country | Count | Flag |\n|---|---:|---|\n"
                                 "| Liechtenstein | 1,204 | a long sentence that wraps in its cell, no trouble |")}),
    Case("accessibility/small-text", {"newsletter.toml": set_key("font_size", "12")}, ("newsletter.toml", 12),
         {"newsletter.toml": set_key("font_size", "14")}),
    Case("accessibility/no-lang", {"newsletter.toml": set_key("language", '""')}, ("newsletter.toml", 9),
         {"newsletter.toml": set_key("language", '""'),  # the issue's own language declares it
          "ISSUE/issue.toml": lambda text: f'language = "en-GB"\n{text}'}),
    # merge tags
    Case("mergetags/unknown", {"ISSUE/04-case.md": md("Hello {{ frist_name }}, welcome.")}, ("04-case.md", 3),
         {"ISSUE/04-case.md": md('Hello {{ first_name | default: "there" }}, welcome.')}),
    Case("mergetags/unknown", {"ISSUE/issue.toml": set_key("intro", '"Hi {{ frist_name }}."')}, ("issue.toml", 5),
         {"ISSUE/issue.toml": set_key("intro", '"Hi {{ first_name }}."')}),
    Case("mergetags/unknown", {"ISSUE/issue.toml": set_key("subject", '"Hi {{ frist_name }}"')}, ("issue.toml", 1),
         {"ISSUE/issue.toml": set_key("subject", '"Hi {{ first_name | default: \'there\' }}"')}),
    # placeholders (more cases in test_placeholders.py)
    Case("editorial/placeholder", {"ISSUE/04-case.md": md("The mayor said TK about the budget.")}, ("04-case.md", 3),
         {"ISSUE/04-case.md": md("TK Maxx opens on the high street; the TKO came in round three.")}),
    Case("mergetags/platform-syntax", {"ISSUE/04-case.md": md("Text.\n\nHi *|FNAME|*, welcome.")},
         ("04-case.md", 5),
         {"ISSUE/04-case.md": md("Text.\n\nSave 20% to 30%, or [email us](mailto:editor@check.example.org).")}),
    Case("mergetags/platform-syntax", {"ISSUE/04-case.md": md("Write {{ subscriber.name }} in Kit.")},
         ("04-case.md", 3), {"ISSUE/04-case.md": md("Write braces as { and } in text.")}),
    Case("mergetags/unknown", {"ISSUE/04-case.md": md("Hello {{ frist_name }}, welcome.")}, ("04-case.md", 3),
         {"ISSUE/04-case.md": md("In code, `{{ frist_name }}` is text, and so is \\{{ frist_name }}.\n\n"
                                 "```\n{{ frist_name }}\n```")}),
    Case("mergetags/unsafe-url",
         {"ISSUE/04-case.md": md('Text.\n\nHi [you]({{ first_name | default: "javascript:alert(1)" }}).')},
         ("04-case.md", 5),
         {"ISSUE/04-case.md": md("Text.\n\nHi [you](https://check.example.org/?n={{ first_name }}).")}),
    # the editor's controls
    Case("check/unknown-rule", {"newsletter.toml": lambda t: t + '\n[check]\n"links/insecur" = "off"\n'},
         ("newsletter.toml", 18), {"newsletter.toml": lambda t: t + '\n[check]\n"links/insecure" = "off"\n'}),
    Case("check/unknown-rule", {"ISSUE/04-case.md": md("The [old site](http://check.example.org/old). "
                                                       "<!-- check: ignore links/insecur -->")},
         ("04-case.md", 3), {"ISSUE/04-case.md": md("The [old site](http://check.example.org/old). "
                                                    "<!-- check: ignore links/insecure -->")}),
    # client compatibility
    Case("compat/css", {"ISSUE/04-case.md": md('Text.\n\n<div style="display:flex">\n<p>A</p><p>B</p>\n</div>')},
         ("04-case.md", 5), {"ISSUE/04-case.md": md('Text.\n\n<div style="line-height:1.5">\n<p>A</p>\n</div>')}),
    Case("compat/html", {"ISSUE/04-case.md": md('Text.\n\n<video src="https://check.example.org/v.mp4"></video>')},
         ("04-case.md", 5), {"ISSUE/04-case.md": md('Text.\n\n<p><a href="https://check.example.org/v">The film'
                                                    "</a></p>")}),
    Case("compat/image", {"ISSUE/04-case.md": md("Text.\n\n![A chart](https://check.example.org/chart.webp)")},
         ("04-case.md", 5), {"ISSUE/04-case.md": md("Text.\n\n![A chart](https://check.example.org/chart.png)")}),
    Case("compat/unknown-client",
         {"newsletter.toml": lambda t: t + '\n[check]\ncompat_clients = ["gmail", "outlok-windows"]\n'},
         ("newsletter.toml", 18),
         {"newsletter.toml": lambda t: t + '\n[check]\ncompat_clients = ["gmail", "outlook-windows"]\n'}),
]

# Near misses for each class of false alarm seen on real issues: none of these may be reported by the rule.
NEAR_MISSES = [
    ("editorial/conflicting-figures", md("A storm injured 12 people, says [the report]"
                                         "(https://check.example.org/storm%2014-people?id=14).\n\n"
                                         "See https://check.example.org/a/14%20people too.")),
    ("editorial/conflicting-figures", md("Version 1.2.3 fixes 3 bugs; v2 fixes 4 bugs later. Python 3.11 users and "
                                         "Python 3.12 users can upgrade.")),
    ("editorial/conflicting-figures", "---\ntitle: Marché\n---\nLe marché ouvre le 1er mars à 8 h avec 40 stands."
                                      "\n\nLe 15 mars, le marché ouvre à 9 h avec 40 stands.\n"),
    ("editorial/conflicting-figures", md("Acme raised 5 million dollars from investors.\n\n"
                                         "Globex raised 8 million dollars in its first round.")),
    ("editorial/conflicting-figures", md("- The harbour walk has 12 stops.\n- The castle walk has 20 stops.")),
    ("editorial/conflicting-figures", md("Last year 120 people came to the fair. This year 150 people came to the "
                                         "fair.")),
    ("editorial/conflicting-figures", md("The hall holds 1,204 seats. After the works, it holds 1204 seats.")),
    ("editorial/double-space", md("The council  agreed.  Then it  adjourned.")),
    ("editorial/repeated-word", md("We sailed to Bora Bora, and she had had enough.")),
    ("links/insecure", md("The [old site](http://check.example.org/old). <!-- check: ignore links/insecure -->")),
    ("links/insecure", md("<!-- check: ignore links/* -->\nThe [old site](http://check.example.org/old).")),
    ("compat/css", md("Text.\n\n<table><tr><td style=\"text-align:right\">12</td></tr></table>")),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.rule}-{i}" for i, c in enumerate(CASES)])
def test_rule_triggers_at_its_line(case: Case, publication, run) -> None:
    """The trigger is reported by its rule at the writer's file and line."""
    document, _ = check_json(run, apply(publication(CLEAN), case.trigger))
    assert case.where in places(document, case.rule), findings(document)
    assert all(f["fix"] for f in findings(document) if f["rule"] == case.rule)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.rule}-{i}" for i, c in enumerate(CASES)])
def test_near_miss_is_quiet(case: Case, publication, run) -> None:
    """The near miss is not reported by that rule."""
    document, _ = check_json(run, apply(publication(CLEAN), case.near_miss))
    assert places(document, case.rule) == [], findings(document)


@pytest.mark.parametrize(("rule", "story"), NEAR_MISSES, ids=[f"{r}-{i}" for i, (r, _) in enumerate(NEAR_MISSES)])
def test_false_alarm_classes_are_quiet(rule: str, story: str, publication, run) -> None:
    """URLs, versions, localised dates, separate facts, collapsed spaces and ignored lines are not reported."""
    document, _ = check_json(run, apply(publication(CLEAN), {"ISSUE/04-case.md": story}))
    assert places(document, rule) == [], findings(document)


def test_clean_fixture_has_no_findings(publication, run) -> None:
    """The clean fixture, whose text holds the usual near misses, passes every rule."""
    document, code = check_json(run, publication(CLEAN))
    assert findings(document) == []
    assert code == 0


def test_every_rule_has_a_case() -> None:
    """Every rule except the network ones (tested on loopback) and the loader's has a case here."""
    untested = set(rules()) - {c.rule for c in CASES}
    assert untested == {"links/broken", "links/timeout", "links/redirect-chain", "links/redirect",
                        "links/not-checked", "links/offline", "content/error", "content/warning",
                        "deliverability/not-measured"}


def test_contrast_ratio_matches_wcag() -> None:
    """Black on white is 21:1, and #777 on white is just under AA."""
    assert contrast_ratio("#000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
