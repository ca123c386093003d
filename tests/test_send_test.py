"""newsletter send-test against a real aiosmtpd server: plain, STARTTLS with a self-signed certificate, AUTH."""

from __future__ import annotations

import datetime as dt
import email
import ipaddress
import re
import socket
import ssl
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.export_helpers import sample_publication

pytest.importorskip("aiosmtpd", reason="aiosmtpd is a test dependency (pip install -e .[test])")

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

SLUG = "2026-11-14-the-bridge"
TRANSPORT = {"subject", "to", "date", "message-id", "x-peer", "x-mailfrom", "x-rcptto", "received"}


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes, bool]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Store the envelope and whether the session was encrypted."""
        encrypted = server.transport.get_extra_info("ssl_object") is not None  # STARTTLS or implicit TLS
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content, encrypted))
        return "250 OK"


class NoAuthInbox(Inbox):
    """An inbox whose server does not offer AUTH (its EHLO answer drops that line)."""

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        """Answer EHLO without the AUTH extension."""
        session.host_name = hostname
        return [line for line in responses if not line[4:].upper().startswith("AUTH")]


def _free_port() -> int:
    """Return a free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _certificate(folder: Path) -> tuple[Path, Path]:
    """Make a self-signed certificate for localhost and 127.0.0.1; return (cert, key) paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    """Accept editor / correct horse, nothing else."""
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"editor" and \
        auth_data.password == b"correct horse"
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server(tmp_path: Path):
    """Return a factory starting aiosmtpd on a free port (optionally STARTTLS and AUTH); stopped afterwards."""
    started: list[Controller] = []

    def start(tls: bool = False, implicit: bool = False, auth: bool = True) -> tuple[Inbox, int, Path | None]:
        inbox, port = (Inbox() if auth else NoAuthInbox()), _free_port()
        options: dict[str, Any] = {}
        cert = None
        if tls or implicit:
            cert, key = _certificate(tmp_path)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert, key)
            # STARTTLS upgrades a plain connection; implicit TLS (--ssl, port 465) is TLS from the first byte.
            # aiosmtpd only counts a STARTTLS upgrade as TLS for auth_require_tls, so implicit TLS turns it off.
            options = {"authenticator": _authenticator, "auth_require_tls": not implicit}
            options |= {"ssl_context": context} if implicit else {"tls_context": context, "require_starttls": True}
        controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
        controller.start()
        started.append(controller)
        return inbox, port, cert

    yield start
    for controller in started:
        controller.stop()


def _exported(root: Path, run: Any) -> EmailMessage:
    """Export the issue as .eml and parse it."""
    result = run("export", SLUG, "--to", "eml", cwd=root)
    assert result.exit_code == 0, result.stderr
    data = (root / "dist" / SLUG / "export" / "eml" / f"{SLUG}.eml").read_bytes()
    return email.message_from_bytes(data, policy=policy.default)


def _same_message(received: EmailMessage, exported: EmailMessage) -> None:
    """Assert two messages are equal apart from the subject prefix, To, Date, Message-ID and transport headers."""
    assert received["Subject"] == "[TEST] " + exported["Subject"]
    assert received["Message-ID"].endswith("@almost.example.org>")
    def headers(msg: EmailMessage) -> list[tuple[str, str]]:
        return [(k.lower(), re.sub(r'boundary="[^"]*"', "boundary", str(v))) for k, v in msg.items()
                if k.lower() not in TRANSPORT]

    assert headers(received) == headers(exported)
    got, want = list(received.walk()), list(exported.walk())
    assert [p.get_content_type() for p in got] == [p.get_content_type() for p in want]
    for a, b in zip(got, want, strict=True):
        if not a.is_multipart():
            assert a.get_content() == b.get_content()
            assert a["Content-ID"] == b["Content-ID"]


def test_plain_send_equals_the_export(tmp_path: Path, run: Any, smtp_server: Any) -> None:
    """A plain SMTP send delivers the exported message with a [TEST] subject to the given address."""
    root = sample_publication(tmp_path)
    inbox, port, _ = smtp_server()
    result = run("send-test", SLUG, "--to", "tester@example.net", "--smtp-host", "127.0.0.1",
                 "--smtp-port", str(port), cwd=root)
    assert result.exit_code == 0, result.stderr
    assert f"sent {SLUG} to tester@example.net via 127.0.0.1:{port}" in result.stdout
    (mail_from, rcpt, content, encrypted), = inbox.messages
    assert mail_from == "editor@almost.example.org" and rcpt == ["tester@example.net"] and not encrypted
    received = email.message_from_bytes(content, policy=policy.default)
    assert received["To"] == "tester@example.net"
    _same_message(received, _exported(root, run))


def test_starttls_and_auth(tmp_path: Path, run: Any, smtp_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """STARTTLS with a self-signed certificate (trusted through SSL_CERT_FILE) and AUTH LOGIN/PLAIN."""
    root = sample_publication(tmp_path)
    inbox, port, cert = smtp_server(tls=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.setenv("NEWSLETTER_SMTP_PASSWORD", "correct horse")
    result = run("send-test", SLUG, "--to", "tester@example.net", "--smtp-host", "localhost", "--smtp-port",
                 str(port), "--starttls", "--user", "editor", cwd=root)
    assert result.exit_code == 0, result.stderr
    assert "(STARTTLS, as editor)" in result.stdout
    (_, _, content, encrypted), = inbox.messages
    assert encrypted
    _same_message(email.message_from_bytes(content, policy=policy.default), _exported(root, run))


def test_implicit_tls_and_auth(tmp_path: Path, run: Any, smtp_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """--ssl speaks TLS from the first byte (port 465 style) and logs in over it."""
    root = sample_publication(tmp_path)
    inbox, port, cert = smtp_server(implicit=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.setenv("NEWSLETTER_SMTP_PASSWORD", "correct horse")
    result = run("send-test", SLUG, "--to", "tester@example.net", "--smtp-host", "localhost", "--smtp-port",
                 str(port), "--ssl", "--user", "editor", cwd=root)
    assert result.exit_code == 0, result.stderr
    assert f"via localhost:{port} (SSL, as editor)" in result.stdout
    (mail_from, rcpt, content, encrypted), = inbox.messages
    assert encrypted and mail_from == "editor@almost.example.org" and rcpt == ["tester@example.net"]
    _same_message(email.message_from_bytes(content, policy=policy.default), _exported(root, run))


def test_ssl_against_a_plain_server_is_a_clear_error(tmp_path: Path, run: Any, smtp_server: Any) -> None:
    """--ssl against a server that expects STARTTLS (or plain) fails with which flag to try, no traceback."""
    root = sample_publication(tmp_path)
    inbox, port, _ = smtp_server()
    result = run("send-test", SLUG, "--to", "t@example.net", "--smtp-host", "127.0.0.1", "--smtp-port", str(port),
                 "--ssl", cwd=root)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"127.0.0.1:{port}: TLS failed") and "--starttls" in result.stderr
    assert "Traceback" not in result.stderr and inbox.messages == []


def test_starttls_against_an_implicit_tls_server_is_a_clear_error(tmp_path: Path, run: Any, smtp_server: Any,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """--starttls against a port that speaks TLS at once (465) says to use --ssl, no traceback."""
    root = sample_publication(tmp_path)
    inbox, port, cert = smtp_server(implicit=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    result = run("send-test", SLUG, "--to", "t@example.net", "--smtp-host", "localhost", "--smtp-port", str(port),
                 "--starttls", "--timeout", "1.5", cwd=root)
    assert result.exit_code == 1, result.stdout
    assert result.stderr.startswith(f"localhost:{port} sent no greeting within 1.5 s; if it is an implicit-TLS port")
    assert "use --ssl" in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert inbox.messages == []


def test_server_without_auth_is_a_clear_error(tmp_path: Path, run: Any, smtp_server: Any,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """--user against a server that offers no AUTH says so (not a STARTTLS complaint) and sends nothing."""
    root = sample_publication(tmp_path)
    inbox, port, cert = smtp_server(tls=True, auth=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.setenv("NEWSLETTER_SMTP_PASSWORD", "correct horse")
    result = run("send-test", SLUG, "--to", "t@example.net", "--smtp-host", "localhost", "--smtp-port", str(port),
                 "--starttls", "--user", "editor", cwd=root)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"localhost:{port} does not offer AUTH"), result.stderr
    assert "drop --user" in result.stderr and inbox.messages == []


def test_wrong_password_is_a_clear_error(tmp_path: Path, run: Any, smtp_server: Any,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused login says so, names the user and the variable, and shows no traceback."""
    root = sample_publication(tmp_path)
    inbox, port, cert = smtp_server(tls=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.setenv("NEWSLETTER_SMTP_PASSWORD", "wrong")
    result = run("send-test", SLUG, "--to", "t@example.net", "--smtp-host", "localhost", "--smtp-port", str(port),
                 "--starttls", "--user", "editor", cwd=root)
    assert result.exit_code == 1
    assert f"localhost:{port} refused the login for editor: 535" in result.stderr
    assert "NEWSLETTER_SMTP_PASSWORD" in result.stderr and "Traceback" not in result.stderr
    assert inbox.messages == []


def test_untrusted_certificate_is_a_clear_error(tmp_path: Path, run: Any, smtp_server: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Without trusting the self-signed certificate, STARTTLS fails with what to do."""
    root = sample_publication(tmp_path)
    _, port, _ = smtp_server(tls=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "none.pem"))
    result = run("send-test", SLUG, "--to", "t@example.net", "--smtp-host", "localhost", "--smtp-port", str(port),
                 "--starttls", cwd=root)
    assert result.exit_code == 1
    assert "certificate is not trusted" in result.stderr and "SSL_CERT_FILE" in result.stderr


def test_connection_refused_is_a_clear_error(tmp_path: Path, run: Any) -> None:
    """Nothing listening: the message names host and port and the options to check."""
    root = sample_publication(tmp_path)
    port = _free_port()
    result = run("send-test", SLUG, "--to", "t@example.net", "--smtp-host", "127.0.0.1", "--smtp-port", str(port),
                 cwd=root)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"cannot connect to 127.0.0.1:{port}: ")
    assert "--smtp-host" in result.stderr and "Traceback" not in result.stderr


def test_password_only_from_the_environment(tmp_path: Path, run: Any) -> None:
    """--user without NEWSLETTER_SMTP_PASSWORD, or without TLS, is a usage error; there is no password flag."""
    root = sample_publication(tmp_path)
    result = run("send-test", SLUG, "--to", "t@example.net", "--starttls", "--user", "editor", cwd=root)
    assert result.exit_code == 2 and "NEWSLETTER_SMTP_PASSWORD" in result.stderr
    result = run("send-test", SLUG, "--to", "t@example.net", "--password", "x", cwd=root)
    assert result.exit_code == 2 and "No such option '--password'" in result.stderr
    result = run("send-test", SLUG, "--to", "t@example.net", "--starttls", "--ssl", cwd=root)
    assert result.exit_code == 2 and "choose one of --starttls" in result.stderr
