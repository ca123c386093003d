"""[links] UTM defaults: added to outgoing story links in the HTML and the text, never overriding a link's own."""

from __future__ import annotations

import datetime as dt
import re

from newsletter.config import LinkOptions
from newsletter.links import add_utm, campaign, utm_defaults


def test_no_settings_no_parameters():
    assert utm_defaults(LinkOptions(), "2024-05-01-spring") == {}


def test_campaign_defaults_to_the_issue_number_then_date_then_slug():
    options = LinkOptions(utm_source="weekly")
    assert utm_defaults(options, "2024-05-01-spring", 7, dt.date(2024, 5, 1)) == {
        "utm_source": "weekly", "utm_campaign": "7"}
    assert utm_defaults(options, "2024-05-01-spring", None, dt.date(2024, 5, 1))["utm_campaign"] == "2024-05-01"
    assert utm_defaults(options, "spring")["utm_campaign"] == "spring"


def test_campaign_pattern_fills_number_date_and_slug():
    assert campaign("weekly-{number}", "spring", 7) == "weekly-7"
    assert campaign("{date}", "spring", 7, dt.date(2024, 5, 1)) == "2024-05-01"
    assert campaign("{number}", "spring") == "spring", "a missing value falls back to the slug"
    assert campaign("spring-drive", "spring", 7) == "spring-drive"


def test_added_after_existing_query_and_before_the_fragment():
    defaults = {"utm_source": "weekly", "utm_medium": "email"}
    assert add_utm("https://x.example/a?b=1#top", defaults) == (
        "https://x.example/a?b=1&utm_source=weekly&utm_medium=email#top")


def test_a_link_with_its_own_utm_parameters_is_left_alone():
    defaults = {"utm_source": "weekly", "utm_medium": "email"}
    for url in ("https://x.example/?utm_source=partner", "https://x.example/?a=1&UTM_Campaign=spring#x"):
        assert add_utm(url, defaults) == url


def test_the_links_own_query_is_kept_as_written():
    assert add_utm("https://x.example/s?q=a+b%20c&x", {"utm_source": "w"}) == "https://x.example/s?q=a+b%20c&x&utm_source=w"


def test_only_web_links_are_tagged():
    defaults = {"utm_source": "weekly"}
    for url in ("mailto:a@x.example", "images/a.png", "#top", "\ue000unsubscribe_url\ue001"):
        assert add_utm(url, defaults) == url


def test_build_tags_story_links_in_html_and_text(publication, run):
    pub = publication()
    config = pub / "newsletter.toml"
    config.write_text(config.read_text() + '\n[links]\nutm_source = "fixture"\nutm_medium = "email"\n')
    assert run("build", cwd=pub).exit_code == 0
    out = pub / "dist" / "2024-05-01-spring"
    html = (out / "email.html").read_text()
    text = (out / "email.txt").read_text()
    tagged = "https://fixture.example.org/stalls?utm_source=fixture&utm_medium=email&utm_campaign=7"
    assert f'href="{tagged.replace("&", "&amp;")}"' in html
    assert tagged in text
    assert "blossom?utm_source=fixture" in html, "the Read more link is tagged too"
    assert 'href="https://fixture.example.org/unsubscribe"' in html, "footer links are left alone"
    assert 'href="https://fixture.example.org/subscribe"' in html


def test_utm_is_never_duplicated_and_opted_out_links_stay_clean(publication, run):
    pub = publication()
    config = pub / "newsletter.toml"
    config.write_text(config.read_text() + '\n[links]\nutm_source = "fixture"\nutm_medium = "email"\n')
    story = pub / "issues" / "2024-05-01-spring" / "02-markets.md"
    story.write_text(story.read_text() + "\nOur [partner](https://partner.example/p?utm_source=them) and the "
                     '[council](https://council.example/ "no-utm"), [twice](https://council.example/ "No-UTM").\n')
    assert run("build", cwd=pub).exit_code == 0
    out = pub / "dist" / "2024-05-01-spring"
    html, text = (out / "email.html").read_text(), (out / "email.txt").read_text()
    for body in (html, text):
        assert "utm_source=them" in body and "utm_source=them&" not in body and "them&amp;" not in body
        assert "https://council.example/?" not in body and "https://council.example/" in body
    assert 'title="no-utm"' not in html.lower(), "the opt-out marker is not shown as a tooltip"
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs and all(h.count("utm_source") <= 1 and h.count("utm_campaign") <= 1 for h in hrefs)
    assert any(h.endswith("utm_campaign=7") for h in hrefs), "UTM present on the story links"
