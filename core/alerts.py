"""Alerts for a failed stage or an error-level anomaly: a Slack-compatible webhook and/or e-mail.

Both are optional and configured in `.env` (see `core.settings`):
  ENERGY_ALERT_WEBHOOK_URL                     POST {"text": …} (Slack incoming-webhook format)
  ENERGY_SMTP_HOST, ENERGY_SMTP_PORT (25), ENERGY_SMTP_USER, ENERGY_SMTP_PASSWORD,
  ENERGY_SMTP_STARTTLS (0/1), ENERGY_ALERT_EMAIL_FROM, ENERGY_ALERT_EMAIL_TO (comma-separated)
Every message goes through `redact`, which replaces the value of any environment variable that
looks secret (KEY, TOKEN, SECRET, PASSWORD, WEBHOOK, CREDENTIAL in its name) with `***`, so a
secret that leaked into an error text never leaves the machine. Delivery failures are reported,
never raised: an alert must not turn a warning into a crash.
"""

from __future__ import annotations

import re
import smtplib
from email.message import EmailMessage

import requests

from core import settings as config

SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|WEBHOOK|CREDENTIAL)", re.IGNORECASE)


def redact(text: str, environ: dict[str, str] | None = None) -> str:
    if environ is None:
        secrets = config.secret_values()
    else:
        secrets = sorted(
            (v for k, v in environ.items() if SECRET_NAME.search(k) and v and len(v) >= 6), key=len, reverse=True
        )
    for value in secrets:
        text = text.replace(value, "***")
    return text


def send(subject: str, body: str) -> list[str]:
    """Send to every configured channel; return what happened per channel (for the log)."""
    subject, body = redact(subject), redact(body)
    results = []
    cfg = config.AlertSettings()
    url = cfg.webhook_url
    if url:
        try:
            resp = requests.post(url, json={"text": f"*{subject}*\n{body}"}, timeout=10)
            results.append(f"webhook: HTTP {resp.status_code}")
        except requests.RequestException as exc:
            results.append(redact(f"webhook: failed ({type(exc).__name__})"))
    host, to = cfg.smtp_host, cfg.email_to
    if host and to:
        msg = EmailMessage()
        msg["Subject"] = subject
        msg["From"] = cfg.email_from
        msg["To"] = to
        msg.set_content(body)
        try:
            with smtplib.SMTP(host, int(cfg.smtp_port), timeout=10) as smtp:
                if cfg.smtp_starttls:
                    smtp.starttls()
                if cfg.smtp_user:
                    smtp.login(cfg.smtp_user, cfg.smtp_password)
                smtp.send_message(msg)
            results.append(f"email: sent to {len(to.split(','))} recipient(s)")
        except (OSError, ValueError, smtplib.SMTPException) as exc:  # ValueError: ENERGY_SMTP_PORT not a number
            results.append(redact(f"email: failed ({type(exc).__name__})"))
    return results or ["no alert channel configured"]
