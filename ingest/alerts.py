"""Alerts for a failed stage or an error-level anomaly: a Slack-compatible webhook and/or e-mail.

Both are optional and configured in `.env`:
  ENERGY_ALERT_WEBHOOK_URL                     POST {"text": …} (Slack incoming-webhook format)
  ENERGY_SMTP_HOST, ENERGY_SMTP_PORT (25), ENERGY_SMTP_USER, ENERGY_SMTP_PASSWORD,
  ENERGY_SMTP_STARTTLS (0/1), ENERGY_ALERT_EMAIL_FROM, ENERGY_ALERT_EMAIL_TO (comma-separated)
Every message goes through `redact`, which replaces the value of any environment variable that
looks secret (KEY, TOKEN, SECRET, PASSWORD, WEBHOOK, CREDENTIAL in its name) with `***`, so a
secret that leaked into an error text never leaves the machine. Delivery failures are reported,
never raised: an alert must not turn a warning into a crash.
"""

from __future__ import annotations

import os
import re
import smtplib
from email.message import EmailMessage

import requests

SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|WEBHOOK|CREDENTIAL)", re.IGNORECASE)


def redact(text: str, environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    secrets = sorted((v for k, v in env.items() if SECRET_NAME.search(k) and v and len(v) >= 6), key=len, reverse=True)
    for value in secrets:
        text = text.replace(value, "***")
    return text


def send(subject: str, body: str) -> list[str]:
    """Send to every configured channel; return what happened per channel (for the log)."""
    subject, body = redact(subject), redact(body)
    results = []
    url = os.environ.get("ENERGY_ALERT_WEBHOOK_URL", "").strip()
    if url:
        try:
            resp = requests.post(url, json={"text": f"*{subject}*\n{body}"}, timeout=10)
            results.append(f"webhook: HTTP {resp.status_code}")
        except requests.RequestException as exc:
            results.append(redact(f"webhook: failed ({type(exc).__name__})"))
    host = os.environ.get("ENERGY_SMTP_HOST", "").strip()
    to = os.environ.get("ENERGY_ALERT_EMAIL_TO", "").strip()
    if host and to:
        msg = EmailMessage()
        msg["Subject"] = subject
        msg["From"] = os.environ.get("ENERGY_ALERT_EMAIL_FROM", "energy-forecast@localhost")
        msg["To"] = to
        msg.set_content(body)
        try:
            with smtplib.SMTP(host, int(os.environ.get("ENERGY_SMTP_PORT", "25")), timeout=10) as smtp:
                if os.environ.get("ENERGY_SMTP_STARTTLS", "0") == "1":
                    smtp.starttls()
                if os.environ.get("ENERGY_SMTP_USER"):
                    smtp.login(os.environ["ENERGY_SMTP_USER"], os.environ.get("ENERGY_SMTP_PASSWORD", ""))
                smtp.send_message(msg)
            results.append(f"email: sent to {len(to.split(','))} recipient(s)")
        except (OSError, smtplib.SMTPException) as exc:
            results.append(redact(f"email: failed ({type(exc).__name__})"))
    return results or ["no alert channel configured"]
