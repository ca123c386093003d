"""[links] UTM defaults: added to outgoing story links in the HTML and the text, never overriding a link's own."""

from __future__ import annotations

from newsletter.config import LinkOptions
from newsletter.links import add_utm, utm_defaults


def test_no_settings_no_parameters():
    assert utm_defaults(LinkOptions(), "2024-05-01-spring") == {}


def test_campaign_defaults_to_the_issue_slug():
    assert utm_defaults(LinkOptions(utm_source="weekly"), "2024-05-01-spring") == {
        "utm_source": "weekly", "utm_campaign": "2024-05-01-spring"}


def test_added_after_existing_query_and_before_the_fragment():
    defaults = {"utm_source": "weekly", "utm_medium": "email"}
    assert add_utm("https://x.example/a?b=1#top", defaults) == (
        "https://x.example/a?b=1&utm_source=weekly&utm_medium=email#top")


def test_a_links_own_utm_parameters_win():
    defaults = {"utm_source": "weekly", "utm_medium": "email"}
    assert add_utm("https://x.example/?utm_source=partner", defaults) == (
        "https://x.example/?utm_source=partner&utm_medium=email")


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
    tagged = "https://fixture.example.org/stalls?utm_source=fixture&utm_medium=email&utm_campaign=2024-05-01-spring"
    assert f'href="{tagged.replace("&", "&amp;")}"' in html
    assert tagged in text
    assert "blossom?utm_source=fixture" in html, "the Read more link is tagged too"
    assert 'href="https://fixture.example.org/unsubscribe"' in html, "footer links are left alone"
    assert 'href="https://fixture.example.org/subscribe"' in html
