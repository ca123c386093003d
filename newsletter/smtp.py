"""send-test: send the issue's message to one address through an SMTP server."""

from __future__ import annotations

import base64
import contextlib
import re
import smtplib
import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING

from newsletter.config import ADDRESS
from newsletter.errors import NewsletterError, UsageError
from newsletter.exporters.common import sender
from newsletter.mail import build_message
from newsletter.model import Rendered

if TYPE_CHECKING:
    from email.message import EmailMessage

PASSWORD_VARIABLE = "NEWSLETTER_SMTP_PASSWORD"
SUBJECT_PREFIX = "[TEST] "


@dataclass(frozen=True)
class Server:
    """Where and how to connect: host, port, security ('plain', 'starttls' or 'ssl'), login."""

    host: str = "localhost"
    port: int = 0
    security: str = "plain"
    user: str = ""
    password: str = ""
    timeout: float = 30.0

    @property
    def real_port(self) -> int:
        """Return the port, defaulting by security: 25, 587 for STARTTLS, 465 for SSL."""
        return self.port or {"plain": 25, "starttls": 587, "ssl": 465}[self.security]


@dataclass(frozen=True)
class Security:
    """The TLS flags of the command line."""

    starttls: bool = False
    ssl: bool = False


def server_from(host: str, port: int, flags: Security, user: str, environ: dict[str, str], *,
                timeout: float = 30.0) -> Server:
    """Return the Server for the command-line options; the password only from the environment."""
    starttls, use_ssl = flags.starttls, flags.ssl
    if starttls and use_ssl:
        raise UsageError("choose one of --starttls (upgrade a plain connection, usually port 587) and --ssl "
                         "(TLS from the start, usually port 465)")
    security = "ssl" if use_ssl else "starttls" if starttls else "plain"
    password = environ.get(PASSWORD_VARIABLE, "")
    if user and not password:
        raise UsageError(f"--user {user} needs a password: set it in the {PASSWORD_VARIABLE} environment "
                         "variable (it is never read from a flag or a file)")
    if user and security == "plain":
        raise UsageError("refusing to send the password unencrypted: add --starttls or --ssl")
    return Server(host=host, port=port, security=security, user=user, password=password, timeout=timeout)


def send_test(rendered: Rendered, to: str, server: Server) -> bytes:
    """Send the issue's message with a [TEST] subject to one address; return the bytes sent.

    Once the server has accepted the message, the test has succeeded: a failed goodbye (a 5xx reply to QUIT,
    a dropped connection) changes nothing. Everything the server said is shown without its control
    characters, so a reply cannot drive the terminal.
    """
    if not ADDRESS.fullmatch(to):
        raise UsageError(f"--to {_text(to)!r} is not one email address (such as editor@example.org, on one line)")
    _, address = sender(rendered.issue.settings)
    msg = build_message(rendered, to=to, subject_prefix=SUBJECT_PREFIX)
    where = f"{server.host}:{server.real_port}"
    try:
        _deliver(server, msg, address, to, where)
    except ssl.SSLCertVerificationError as exc:
        raise NewsletterError(f"{where}: the server's TLS certificate is not trusted ({_text(exc.verify_message)}); "
                              "if it uses a private CA, point SSL_CERT_FILE at that CA's certificate") from None
    except ssl.SSLError as exc:
        raise NewsletterError(f"{where}: TLS failed ({_text(exc.reason or exc)}); check --ssl (port 465) versus "
                              "--starttls (port 587)") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise NewsletterError(f"{where} does not support what was asked ({_text(exc)}); check --starttls, --ssl and "
                              "--user") from None
    except smtplib.SMTPAuthenticationError as exc:
        raise NewsletterError(f"{where} refused the login for {_text(server.user)}: {exc.smtp_code} "
                              f"{_text(exc.smtp_error)}; check --user and {PASSWORD_VARIABLE}") from None
    except smtplib.SMTPRecipientsRefused as exc:
        codes = "; ".join(f"{_text(rcpt)}: {code} {_text(text)}" for rcpt, (code, text) in exc.recipients.items())
        raise NewsletterError(f"{where} refused the recipient ({codes})") from None
    except smtplib.SMTPSenderRefused as exc:
        raise NewsletterError(f"{where} refused the sender {address}: {exc.smtp_code} {_text(exc.smtp_error)}; "
                              "check from_email in newsletter.toml") from None
    except smtplib.SMTPServerDisconnected as exc:
        if "timed out" in str(exc) and server.security != "ssl":
            raise NewsletterError(f"{where} sent no greeting within {server.timeout:g} s; if it is an implicit-TLS "
                                  "port (usually 465) use --ssl, otherwise check --smtp-host and --smtp-port"
                                  ) from None
        raise NewsletterError(f"{where} closed the connection ({_text(exc)}); check --smtp-port and "
                              "--ssl/--starttls") from None
    except smtplib.SMTPResponseException as exc:
        raise NewsletterError(f"{where}: {exc.smtp_code} {_text(exc.smtp_error)}") from None
    except smtplib.SMTPException as exc:
        raise NewsletterError(f"{where}: {_text(exc)}") from None
    except TimeoutError:
        raise NewsletterError(f"cannot connect to {where}: timed out after {server.timeout:g} s; "
                              "check --smtp-host and --smtp-port") from None
    except OSError as exc:
        raise NewsletterError(f"cannot connect to {where}: {_text(exc.strerror or exc)}; check --smtp-host and "
                              "--smtp-port") from None
    return msg.as_bytes()


def _deliver(server: Server, msg: EmailMessage, address: str, to: str, where: str) -> None:
    """Connect, secure, log in and send; say goodbye, which may fail once the message is accepted."""
    smtp = _connect(server)
    try:
        if server.security == "starttls":
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                raise NewsletterError(f"{where} does not offer STARTTLS; use --ssl if it is an implicit-TLS "
                                      "port (usually 465), or drop --starttls for a local test server")
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if server.user:
            smtp.ehlo_or_helo_if_needed()
            if not smtp.has_extn("auth"):
                raise NewsletterError(f"{where} does not offer AUTH (login) on this connection; drop --user, "
                                      "or add --starttls or --ssl if it only allows login over TLS")
            _login(smtp, server.user, server.password, where)
        smtp.send_message(msg, from_addr=address, to_addrs=[to])
        with contextlib.suppress(smtplib.SMTPException, OSError):
            smtp.quit()  # the message was accepted, which is what the test is about: a failed goodbye is fine
    finally:
        smtp.close()


def _login(smtp: smtplib.SMTP, user: str, password: str, where: str) -> None:
    """Log in; a user name or password beyond ASCII goes as UTF-8 with AUTH PLAIN or LOGIN (RFC 4616).

    smtplib encodes both as ASCII and fails on anything else.
    """
    if user.isascii() and password.isascii():
        smtp.login(user, password)
        return
    offered = smtp.esmtp_features.get("auth", "").upper().split()

    def encoded(value: bytes) -> str:
        return base64.b64encode(value).decode("ascii")

    if "PLAIN" in offered:
        code, reply = smtp.docmd("AUTH", "PLAIN " + encoded(b"\0" + user.encode() + b"\0" + password.encode()))
    elif "LOGIN" in offered:
        code, reply = smtp.docmd("AUTH", "LOGIN " + encoded(user.encode()))
        if code == 334:
            code, reply = smtp.docmd(encoded(password.encode()))
    else:
        raise NewsletterError(f"{where} offers only {' '.join(offered) or 'no'} login methods, which cannot carry a "
                              "user name or password with non-ASCII characters; it needs AUTH PLAIN or LOGIN")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def _connect(server: Server) -> smtplib.SMTP:
    """Open the SMTP connection, with TLS from the start for --ssl."""
    if server.security == "ssl":
        return smtplib.SMTP_SSL(server.host, server.real_port, timeout=server.timeout,
                                context=ssl.create_default_context())
    return smtplib.SMTP(server.host, server.real_port, timeout=server.timeout)


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _text(value: object) -> str:
    """Return a server's reply (or anything from outside) as one printable line: control characters escaped."""
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if m.group() not in "\r\n" else " ", text)
    return text if len(text) <= 300 else text[:300] + "…"
