"""send-test against a hostile or odd SMTP server (aiosmtpd on loopback) and hostile arguments (#11.14)."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest

from tests.export_helpers import sample_publication

pytest.importorskip("aiosmtpd", reason="aiosmtpd is a test dependency (pip install -e .[test])")

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.test_send_test import SLUG, Inbox, _certificate, _free_port

USER, PASSWORD = "rédacteur", "pässwörd – ünïcode"


class Rude(Inbox):
    """An inbox that accepts the message, then answers QUIT with a 5xx reply."""

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        """Refuse the goodbye."""
        return "554 5.0.0 no goodbye for you"


class Escapes(Inbox):
    """An inbox that refuses every recipient with terminal escape sequences in its reply."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        """Refuse with a title-setting OSC sequence and colours."""
        return "550 \x1b]0;owned\x07\x1b[31mmailbox\x1b[0m unavailable \x9b2J"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    """Accept the non-ASCII user and password, sent as UTF-8."""
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode() and \
        auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def server(tmp_path: Path):
    """Return a factory starting an aiosmtpd handler on a free loopback port (optionally STARTTLS and AUTH)."""
    started: list[Controller] = []

    def start(handler: Inbox, tls: bool = False) -> tuple[int, Path | None]:
        port, cert, options = _free_port(), None, {}
        if tls:
            cert, key = _certificate(tmp_path)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert, key)
            options = {"authenticator": _authenticator, "tls_context": context, "require_starttls": True}
        controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
        controller.start()
        started.append(controller)
        return port, cert

    yield start
    for controller in started:
        controller.stop()


def _send(run: Any, root: Path, port: int, *extra: str, to: str = "tester@example.net") -> Any:
    """Run send-test against the loopback server."""
    return run("send-test", SLUG, "--to", to, "--smtp-host", "127.0.0.1", "--smtp-port", str(port), *extra, cwd=root)


def test_line_breaks_in_to_are_a_usage_error_and_nothing_is_sent(tmp_path: Path, run: Any, server: Any) -> None:
    """`--to` with CR/LF (a header injection) is refused before connecting, not an internal error."""
    root = sample_publication(tmp_path)
    inbox = Inbox()
    port, _ = server(inbox)
    for to in ("tester@example.net\r\nBcc: victim@example.org", "tester@example.net\n", "a b@example.net",
               "tester@example.net, other@example.net", "\x1b[31m@example.net"):
        result = _send(run, root, port, to=to)
        assert result.exit_code == 2, result.output
        assert "is not one email address" in result.stderr
        assert "internal error" not in result.stderr and "Traceback" not in result.output
        assert "\x1b" not in result.stderr
    assert inbox.messages == []


def test_a_non_ascii_user_and_password_log_in_as_utf8(tmp_path: Path, run: Any, server: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """smtplib cannot send a non-ASCII password; send-test logs in with AUTH PLAIN in UTF-8 (RFC 4616)."""
    root = sample_publication(tmp_path)
    inbox = Inbox()
    port, cert = server(inbox, tls=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.setenv("NEWSLETTER_SMTP_PASSWORD", PASSWORD)
    result = run("send-test", SLUG, "--to", "tester@example.net", "--smtp-host", "localhost", "--smtp-port",
                 str(port), "--starttls", "--user", USER, cwd=root)
    assert result.exit_code == 0, result.output
    assert len(inbox.messages) == 1
    monkeypatch.setenv("NEWSLETTER_SMTP_PASSWORD", PASSWORD + "x")
    result = run("send-test", SLUG, "--to", "tester@example.net", "--smtp-host", "localhost", "--smtp-port",
                 str(port), "--starttls", "--user", USER, cwd=root)
    assert result.exit_code == 1
    assert f"refused the login for {USER}: 535" in result.stderr and "internal error" not in result.stderr


def test_a_5xx_reply_to_quit_after_the_message_was_accepted_is_success(tmp_path: Path, run: Any,
                                                                       server: Any) -> None:
    """The test message arrived; the server's refusal to say goodbye does not make it a failure."""
    root = sample_publication(tmp_path)
    inbox = Rude()
    port, _ = server(inbox)
    result = _send(run, root, port)
    assert result.exit_code == 0, result.output
    assert f"sent {SLUG} to tester@example.net" in result.stdout
    assert len(inbox.messages) == 1


def test_terminal_escapes_in_the_servers_reply_are_not_printed(tmp_path: Path, run: Any, server: Any) -> None:
    """A reply with escape sequences is shown with them escaped: it cannot retitle or clear the terminal."""
    root = sample_publication(tmp_path)
    port, _ = server(Escapes())
    result = _send(run, root, port)
    assert result.exit_code == 1
    assert "refused the recipient" in result.stderr
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr and "\x9b" not in result.stderr
    assert "\\x1b[31mmailbox\\x1b[0m unavailable" in result.stderr
