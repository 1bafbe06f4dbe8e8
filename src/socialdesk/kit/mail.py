"""Sending e-mail over the configured SMTP server (SOCIALDESK_SMTP_*), for every domain that mails.

Failures become :class:`MailError` with a reason fit to show and whether a retry could help.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from socialdesk.config import Settings


class MailError(Exception):
    """The message was not accepted; ``permanent`` when sending it again will not help."""

    def __init__(self, reason: str, *, permanent: bool = False):
        super().__init__(reason)
        self.reason, self.permanent = reason, permanent


def send(settings: Settings, message: EmailMessage, *, timeout: float) -> None:
    """Hand ``message`` to the SMTP server (STARTTLS and login as configured)."""
    if not settings.smtp_host:
        raise MailError("this server has no SMTP server: set SOCIALDESK_SMTP_HOST (and _PORT, _USERNAME, _PASSWORD, "
                        "_FROM)")
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, password)
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(f"the SMTP server refused the address {', '.join(exc.recipients)}", permanent=True) from None
    except smtplib.SMTPResponseException as exc:
        reason = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        raise MailError(f"the SMTP server answered {exc.smtp_code}: {reason[:300]}",
                        permanent=500 <= exc.smtp_code < 600 and exc.smtp_code != 535) from None
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"the SMTP server could not be reached ({type(exc).__name__})") from None
