"""newsletter push: a draft on each platform through its API, against loopback stand-ins that validate every
request with the platform's published API description and answer as its documentation says."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsletter.cli import cli
from newsletter.push import PLATFORMS
from newsletter.push.state import STATE_NAME
from tests.export_helpers import BASE_URL, add_base_url, sample_publication
from tests.push_apis import APIS, bad_request
from tests.push_helpers import SECRET, Api, serve

SLUG = "2026-11-14-the-bridge"
AUDIENCE = {"mailchimp": "abc123", "sendgrid": "8d6f4d4a-7c5f-4b0e-9a4a-2f1f2b3c4d5e", "listmonk": "3", "brevo": "7",
            "campaign-monitor": "list-1"}
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """Copy the sample publication, with images hosted under [images] base_url where a platform needs it."""
    target = sample_publication(tmp_path)
    add_base_url(target)
    return target


@pytest.fixture(params=list(PLATFORMS))
def api(request: pytest.FixtureRequest, shared_dir: Path) -> Iterator[tuple[str, Api, dict[str, str]]]:
    """Start the platform's stand-in API on loopback; yield its name, the API and the environment to use it."""
    platform = request.param
    stand_in, env = APIS[platform](shared_dir)
    server, thread = serve(stand_in)
    try:
        yield platform, stand_in, {k: v.format(url=stand_in.url) for k, v in env.items()}
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _push(root: Path, platform: str, env: dict[str, str], *args: str) -> Result:
    """Run `newsletter push` with only the given environment for credentials."""
    audience = ["--audience", AUDIENCE[platform]] if platform in AUDIENCE else []
    return CliRunner().invoke(cli, ["--root", str(root), "push", SLUG, "--to", platform, *audience, *args],
                              env=env, catch_exceptions=False)


def _record(root: Path, platform: str) -> dict:
    """Return what the push recorded for the issue on the platform."""
    return json.loads((root / STATE_NAME).read_text(encoding="utf-8"))["issues"][SLUG][platform]


def test_two_pushes_make_one_draft_updated(root: Path, api: tuple[str, Api, dict[str, str]]) -> None:
    """The first push creates the draft, the second updates it; every request passes the API description."""
    platform, stand_in, env = api
    first = _push(root, platform, env)
    assert first.exit_code == 0, first.stderr + first.stdout
    assert stand_in.problems == []
    assert len(stand_in.drafts) == (2 if platform == "listmonk" else 1)  # listmonk: the raw template + the campaign
    record = _record(root, platform)
    assert first.stdout.startswith(f"created {platform} draft {record['id']} for {SLUG}")
    assert "open: " in first.stdout and "nothing was sent to subscribers" in first.stdout
    (root / "issues" / SLUG / "issue.toml").write_text(
        (root / "issues" / SLUG / "issue.toml").read_text().replace("nearly opened", "almost opened"))
    second = _push(root, platform, env)
    assert second.exit_code == 0, second.stderr + second.stdout
    assert stand_in.problems == []
    assert second.stdout.startswith(f"updated {platform} draft")
    assert len(stand_in.drafts) == (2 if platform == "listmonk" else 1)
    assert "almost opened" in json.dumps(list(stand_in.drafts.values()))
    assert SECRET not in first.output + second.output + (root / STATE_NAME).read_text()
    if platform in ("buttondown", "mailchimp"):  # images uploaded once, and the HTML points at the upload
        uploads = [r for r in stand_in.requests if "image" in r.path or "file-manager" in r.path]
        assert len(uploads) == 1
        assert BASE_URL not in json.dumps(list(stand_in.drafts.values()))


def test_refused_credentials_name_the_variable(root: Path, api: tuple[str, Api, dict[str, str]]) -> None:
    """A 401 says which environment variable to check, and never prints the key."""
    platform, _, env = api
    secret_var = next(k for k in env if k.endswith("_API_KEY"))
    wrong = {**env, secret_var: "wrong-key-us21"}
    if platform == "ses":
        wrong["NEWSLETTER_SES_ACCESS_KEY_ID"] = "AKIDWRONG"
    result = _push(root, platform, wrong)
    assert result.exit_code == 1
    assert secret_var in result.stderr and "refused the credentials" in result.stderr
    assert "wrong-key-us21" not in result.output and "Traceback" not in result.output
    assert not (root / STATE_NAME).exists()


def test_platform_errors_show_the_platforms_message(root: Path, api: tuple[str, Api, dict[str, str]]) -> None:
    """A 4xx shows the platform's own words."""
    platform, stand_in, env = api
    stand_in.queued = [(422, {"message": "Subject contains a forbidden word"},
                        {"x-amzn-ErrorType": "BadRequestException"} if platform == "ses" else {})] * 2
    if platform == "listmonk":
        stand_in.queued = [(200, {"data": []}, {}), (200, {"data": {"id": 1}}, {}), *stand_in.queued]
    result = _push(root, platform, env)
    assert result.exit_code == 1, result.output
    assert "Subject contains a forbidden word" in result.stderr
    assert "Traceback" not in result.output


def test_rate_limits_are_retried(root: Path, api: tuple[str, Api, dict[str, str]]) -> None:
    """429 and 503 answers are retried, honouring Retry-After, and the push then succeeds."""
    platform, stand_in, env = api
    # SES names its throttling answer (x-amzn-ErrorType), which is what botocore's retries look for.
    throttled = {"x-amzn-ErrorType": "TooManyRequestsException"} if platform == "ses" else {}
    stand_in.queued = [(429, {"message": "slow down"}, {"Retry-After": "0", **throttled}),
                       (503, {"message": "busy"}, {"Retry-After": "0"})]
    result = _push(root, platform, env)
    assert result.exit_code == 0, result.stderr
    assert stand_in.queued == [] and stand_in.problems == []


def test_a_draft_deleted_on_the_platform_is_created_again(root: Path, api: tuple[str, Api, dict[str, str]]) -> None:
    """When the recorded draft is gone (404), the push creates a new one and says so."""
    platform, stand_in, env = api
    assert _push(root, platform, env).exit_code == 0
    old = _record(root, platform)["id"]
    for key in [k for k, v in stand_in.drafts.items() if k == old or (platform == "mailgun")]:
        del stand_in.drafts[key]
    result = _push(root, platform, env)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"created {platform} draft")
    assert platform in ("ses", "mailgun", "campaign-monitor") or _record(root, platform)["id"] != old


def test_each_validator_rejects_a_bad_request(api: tuple[str, Api, dict[str, str]]) -> None:
    """The stand-in is strict: a body against the API description gets a 422 and is recorded as a problem."""
    platform, stand_in, _ = api
    request = bad_request(platform)
    stand_in.auth = lambda req: True
    status, _, _ = stand_in.handle(request)
    assert status == 422 and stand_in.problems, platform


def test_dry_run_shows_requests_and_sends_none(root: Path, api: tuple[str, Api, dict[str, str]]) -> None:
    """--dry-run prints each request (method, URL, body) and sends nothing; credentials are never shown."""
    platform, stand_in, env = api
    result = _push(root, platform, env, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert stand_in.requests == []
    assert "dry run: nothing was sent" in result.stdout
    assert any(line.startswith(("POST ", "PUT ")) for line in result.stdout.splitlines())
    assert SECRET not in result.output
    assert not (root / STATE_NAME).exists()


def test_the_gate_stops_a_push_unless_forced(tmp_path: Path, shared_dir: Path) -> None:
    """An issue with check errors is not pushed; --force pushes it and lists what it overrode."""
    root = tmp_path / "basic"
    shutil.copytree(FIXTURES / "basic", root)
    stand_in, env = APIS["kit"](shared_dir)
    server, thread = serve(stand_in)
    try:
        env = {k: v.format(url=stand_in.url) for k, v in env.items()}
        add_base_url(root)
        args = ["--root", str(root), "push", "2024-05-01-spring", "--to", "kit"]
        blocked = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
        assert blocked.exit_code == 1
        assert "01-lead.md:" in blocked.stderr and "error" in blocked.stderr and "--force" in blocked.stderr
        assert "nothing was pushed" in blocked.stderr
        assert stand_in.requests == []
        forced = CliRunner().invoke(cli, [*args, "--force"], env=env, catch_exceptions=False)
        assert forced.exit_code == 0, forced.stderr
        assert "--force: pushed 2024-05-01-spring despite" in forced.stderr and len(stand_in.drafts) == 1
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_missing_credentials_and_settings_say_what_to_set(root: Path) -> None:
    """Without the key (or listmonk's address) the push says which variable or setting to add."""
    result = CliRunner().invoke(cli, ["--root", str(root), "push", SLUG, "--to", "kit"],
                                env={"NEWSLETTER_KIT_API_KEY": ""}, catch_exceptions=False)
    assert result.exit_code == 2 and "NEWSLETTER_KIT_API_KEY" in result.stderr
    result = CliRunner().invoke(cli, ["--root", str(root), "push", SLUG, "--to", "listmonk", "--audience", "3"],
                                env={"NEWSLETTER_LISTMONK_URL": ""}, catch_exceptions=False)
    assert result.exit_code == 2 and "listmonk_url" in result.stderr
    result = CliRunner().invoke(cli, ["--root", str(root), "push", SLUG, "--to", "mailchump"], catch_exceptions=False)
    assert result.exit_code == 2 and "unknown platform" in result.stderr
