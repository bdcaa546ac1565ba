"""Email delivery over SMTP: a short text and HTML body with the artifacts attached.

When the artifacts together exceed `email_max_attachment_bytes`, the email carries signed
download links instead of attachments and explains why. The message, its Message-ID included, is
built once per delivery, so every attempt sends the same message.
"""

from __future__ import annotations

import html
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import TYPE_CHECKING

from reports_pipeline.delivery.content import ArtifactFile, DeliveryContent, human_size
from reports_pipeline.delivery.model import EmailChannel
from reports_pipeline.delivery.retry import (
    PermanentDeliveryError,
    Receipt,
    TransientDeliveryError,
)

if TYPE_CHECKING:
    from reports_pipeline.settings import Settings

FORMAT_NAMES = {
    "json": "JSON",
    "csv": "CSV",
    "pdf": "PDF",
    "pdf_branded": "branded PDF",
    "xlsx": "Excel workbook",
}


def default_subject(content: DeliveryContent) -> str:
    return f"{content.title}: {content.period_text}"


def _sender_address(settings: Settings) -> str:
    return parseaddr(settings.smtp_sender)[1] or settings.smtp_sender


def _facts(content: DeliveryContent) -> list[str]:
    rows = f"{content.row_count:,} rows"
    if content.truncated:
        rows += ", cut to the report's row limit"
    return [
        f"Period: {content.period_text} ({content.timezone})",
        f"Rows: {rows}",
        f"Run: {content.run_id}",
    ]


def _link_line(artifact: ArtifactFile) -> str:
    return f"{FORMAT_NAMES[artifact.format]} ({human_size(artifact.size_bytes)})"


def build_message(
    channel: EmailChannel, content: DeliveryContent, settings: Settings, delivery_id: str
) -> EmailMessage:
    """Return the email: text and HTML bodies, then the attachments if they fit the limit."""
    attach = content.total_bytes <= settings.email_max_attachment_bytes
    facts = _facts(content)
    expiry = (
        f"{content.artifacts[0].url_expires_at:%Y-%m-%d %H:%M} UTC" if content.artifacts else ""
    )

    text = [content.title, "", *facts, ""]
    page = [f"<p><strong>{html.escape(content.title)}</strong></p>", "<p>"]
    page += [f"{html.escape(fact)}<br>" for fact in facts]
    page.append("</p>")
    if attach:
        text.append("Attached:")
        text += [f"- {_link_line(a)}: {content.attachment_name(a)}" for a in content.artifacts]
        page.append("<p>Attached:</p><ul>")
        page += [
            f"<li>{html.escape(_link_line(a))}: {html.escape(content.attachment_name(a))}</li>"
            for a in content.artifacts
        ]
    else:
        reason = (
            f"The files together are {human_size(content.total_bytes)}, more than the "
            f"{human_size(settings.email_max_attachment_bytes)} this service attaches to an "
            f"email, so they are not attached. Download them from these links until {expiry}:"
        )
        text += [reason]
        text += [f"- {_link_line(a)}: {a.url}" for a in content.artifacts]
        page.append(f"<p>{html.escape(reason)}</p><ul>")
        page += [
            f'<li><a href="{html.escape(a.url)}">{html.escape(_link_line(a))}</a></li>'
            for a in content.artifacts
        ]
    page.append("</ul>")

    message = EmailMessage()
    message["From"] = settings.smtp_sender
    message["To"] = ", ".join(channel.to)
    if channel.cc:
        message["Cc"] = ", ".join(channel.cc)
    message["Subject"] = channel.subject or default_subject(content)
    message["Date"] = format_datetime(content.generated_at)
    domain = _sender_address(settings).rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(idstring=delivery_id, domain=domain)
    message["X-Trinitite-Delivery"] = delivery_id
    message["X-Trinitite-Run"] = content.run_id
    message.set_content("\n".join(text) + "\n")
    message.add_alternative(
        "<!DOCTYPE html><html><body>" + "\n".join(page) + "</body></html>\n", subtype="html"
    )
    if attach:
        for artifact in content.artifacts:
            maintype, _, subtype = artifact.content_type.split(";")[0].strip().partition("/")
            # The email package encodes a non-ASCII file name per RFC 2231 (filename*=utf-8'').
            message.add_attachment(
                artifact.path.read_bytes(),
                maintype=maintype,
                subtype=subtype,
                filename=content.attachment_name(artifact),
            )
    return message


def _classify_reply(
    code: int, text: str, what: str
) -> TransientDeliveryError | PermanentDeliveryError:
    detail = f"{code} {text}".strip()[:500]
    if 400 <= code < 500:
        return TransientDeliveryError(
            f"SMTP server deferred {what}: {detail}", remote_detail=detail
        )
    return PermanentDeliveryError(f"SMTP server rejected {what}: {detail}", remote_detail=detail)


def _reply_text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


class EmailSender:
    """Sends one prepared message to every recipient of an email channel."""

    def __init__(
        self, channel: EmailChannel, content: DeliveryContent, settings: Settings, delivery_id: str
    ) -> None:
        self._settings = settings
        self.message = build_message(channel, content, settings, delivery_id)
        self.recipients = list(dict.fromkeys([*channel.to, *channel.cc, *channel.bcc]))

    def _connect(self) -> smtplib.SMTP:
        settings = self._settings
        assert settings.smtp_host is not None
        timeout = settings.smtp_timeout_seconds
        if settings.smtp_security == "tls":
            return smtplib.SMTP_SSL(
                settings.smtp_host,
                settings.smtp_port,
                timeout=timeout,
                context=ssl.create_default_context(),
            )
        return smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)

    def send(self, attempt: int) -> Receipt:  # noqa: ARG002 - every attempt sends the same message
        settings = self._settings
        if settings.smtp_host is None:
            raise PermanentDeliveryError(
                "no SMTP server is configured; the operator must set REPORTS_SMTP_HOST"
            )
        server = f"{settings.smtp_host}:{settings.smtp_port}"
        try:
            with self._connect() as smtp:
                if settings.smtp_security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if settings.smtp_username:
                    password = settings.smtp_password
                    smtp.login(
                        settings.smtp_username, password.get_secret_value() if password else ""
                    )
                rejected_recipients = smtp.send_message(
                    self.message, from_addr=_sender_address(settings), to_addrs=self.recipients
                )
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentDeliveryError(
                f"SMTP authentication as {settings.smtp_username!r} at {server} failed: "
                f"{exc.smtp_code} {_reply_text(exc.smtp_error)}"
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            # A 5xx for any recipient makes the failure permanent.
            code, reply = max(exc.recipients.values(), key=lambda item: item[0])
            raise _classify_reply(code, _reply_text(reply), "every recipient") from exc
        except smtplib.SMTPResponseException as exc:
            raise _classify_reply(
                exc.smtp_code, _reply_text(exc.smtp_error), "the message"
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentDeliveryError(f"SMTP server {server} does not support {exc}") from exc
        except ssl.SSLCertVerificationError as exc:
            raise PermanentDeliveryError(
                f"the TLS certificate of SMTP server {server} is invalid: {exc.verify_message}"
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            # smtplib reports a read timeout as SMTPServerDisconnected, caused by the timeout.
            if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
                raise TransientDeliveryError(
                    f"SMTP server {server} timed out after {settings.smtp_timeout_seconds:g} s"
                ) from exc
            raise TransientDeliveryError(
                f"cannot deliver through SMTP server {server}: {type(exc).__name__}: {exc}"
            ) from exc
        accepted = len(self.recipients) - len(rejected_recipients)
        detail = f"accepted for {accepted} of {len(self.recipients)} recipients"
        if rejected_recipients:
            detail += "; rejected: " + ", ".join(
                f"{address} ({code})" for address, (code, _) in rejected_recipients.items()
            )
        return Receipt(detail=detail)
