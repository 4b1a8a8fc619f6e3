"""Outgoing mail: SMTP when configured; in development and tests a copy in instance/outbox/."""

import logging
import smtplib
import ssl
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, url_for

log = logging.getLogger(__name__)


class MailError(Exception):
    """The message could not be handed to the mail server."""


def absolute_url(endpoint: str, **values) -> str:
    """An absolute link to put in a mail, built on PUBLIC_URL.

    Never on the request's Host header: whoever sends the request chooses it, and a reset link
    pointing at their host would hand them the token. Only debug and tests, where PUBLIC_URL
    may be missing (create_app refuses to start without it anywhere else), use the request.
    """
    public = current_app.config.get("PUBLIC_URL")
    if not public:
        return url_for(endpoint, _external=True, **values)
    parts = urlsplit(public)
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def outbox_folder() -> Path:
    return Path(current_app.instance_path) / "outbox"


def build_message(to: str, subject: str, body: str, html: str | None = None) -> EmailMessage:
    """A plain-text message; with ``html``, the same content as an HTML alternative too."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="tavolo")
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def send_mail(to: str, subject: str, body: str, *, html: str | None = None) -> EmailMessage:
    """Send one message (plain text, plus ``html`` as an alternative when given); raise
    MailError if the server refuses or cannot be reached."""
    config = current_app.config
    message = build_message(to, subject, body, html)
    if config["MAIL_OUTBOX"]:
        folder = outbox_folder()
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
        (folder / name).write_bytes(bytes(message))
    if config["MAIL_SERVER"]:
        try:
            _deliver(message)
        except (OSError, smtplib.SMTPException) as error:
            log.warning("mail to %s not sent: %s", to, error)
            raise MailError(str(error)) from error
    return message


def _deliver(message: EmailMessage) -> None:
    config = current_app.config
    host, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"]
    if config["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)
