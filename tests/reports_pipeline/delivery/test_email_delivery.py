"""Email delivery against aiosmtpd on 127.0.0.1, with messages parsed back by the email package."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from reports_pipeline.delivery.email import EmailSender
from reports_pipeline.delivery.model import EmailChannel
from reports_pipeline.delivery.retry import (
    PermanentDeliveryError,
    RetryPolicy,
    TransientDeliveryError,
    deliver_with_retries,
)
from tests.delivery_servers import SilentServer, SmtpServer, closed_port, self_signed_tls

CSV = b"severity,alerts\r\ncritical,12\r\nhigh,40\r\n"
PDF = b"%PDF-1.7\n" + b"x" * 3000

CHANNEL = EmailChannel(
    type="email",
    to=["board@acme.example.com", "ciso@acme.example.com"],
    cc=["audit@acme.example.com"],
    bcc=["archive@acme.example.com"],
)


def parse(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def bodies(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    page = message.get_body(preferencelist=("html",))
    assert text is not None
    assert page is not None
    return str(text.get_content()), str(page.get_content())


def test_email_attaches_artifacts(smtp_server, settings_for, content_for) -> None:
    settings = settings_for(smtp_port=smtp_server.port)
    content = content_for({"csv": CSV, "pdf": PDF})
    receipt = EmailSender(CHANNEL, content, settings, "rdlv_1").send(1)

    assert receipt.detail == "accepted for 4 of 4 recipients"
    [mail] = smtp_server.messages
    assert mail.mail_from == "reports@example.com"
    assert sorted(mail.recipients) == sorted([*CHANNEL.to, *CHANNEL.cc, *CHANNEL.bcc])
    message = parse(mail.content)
    assert message["To"] == "board@acme.example.com, ciso@acme.example.com"
    assert message["Cc"] == "audit@acme.example.com"
    assert message["Bcc"] is None
    assert message["Subject"] == "Alerts by severity: 2026-04-01 to 2026-04-30"
    assert message["X-Trinitite-Delivery"] == "rdlv_1"
    text, page = bodies(message)
    for body in (text, page):
        assert "Alerts by severity" in body
        assert "2026-04-01 to 2026-04-30 (America/Los_Angeles)" in body
        assert content.run_id in body
    attachments = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert attachments == {
        "Alerts by severity 2026-04-30.csv": CSV.decode(),
        "Alerts by severity 2026-04-30.pdf": PDF,
    }


def test_email_subject_from_channel(smtp_server, settings_for, content_for) -> None:
    settings = settings_for(smtp_port=smtp_server.port)
    channel = CHANNEL.model_copy(update={"subject": "Acme weekly executive summary"})
    EmailSender(channel, content_for({"csv": CSV}), settings, "rdlv_2").send(1)
    assert parse(smtp_server.messages[0].content)["Subject"] == "Acme weekly executive summary"


def test_non_ascii_file_name_uses_rfc2231(smtp_server, settings_for, content_for) -> None:
    settings = settings_for(smtp_port=smtp_server.port)
    content = content_for({"csv": CSV}, title="Übersicht: Sécurité — 東京")
    EmailSender(CHANNEL, content, settings, "rdlv_3").send(1)

    raw = smtp_server.messages[0].content
    # A long name is split into RFC 2231 continuations: filename*0*=utf-8''..., filename*1*=...
    assert re.search(rb"filename\*(0\*)?=utf-8''", raw)
    [attachment] = parse(raw).iter_attachments()
    # The colon is not allowed in file names on Windows, so it becomes a hyphen.
    assert attachment.get_filename() == "Übersicht- Sécurité — 東京 2026-04-30.csv"


def test_email_over_limit_sends_links(smtp_server, settings_for, content_for) -> None:
    settings = settings_for(smtp_port=smtp_server.port, email_max_attachment_bytes=1000)
    content = content_for({"csv": CSV, "pdf": PDF})
    EmailSender(CHANNEL, content, settings, "rdlv_4").send(1)

    message = parse(smtp_server.messages[0].content)
    assert list(message.iter_attachments()) == []
    text, page = bodies(message)
    assert "more than the 1.0 KB this service attaches" in text
    for artifact in content.artifacts:
        assert artifact.url in text
        assert artifact.url.replace("&", "&amp;") in page
    assert "Download them from these links until 2030-01-01 00:00 UTC" in text


AUTH_WITHOUT_TLS = "ignore:Requiring AUTH while not requiring TLS"


@pytest.mark.filterwarnings(AUTH_WITHOUT_TLS)
def test_email_logs_in(settings_for, content_for) -> None:
    server = SmtpServer(username="mailer", password="smtp-Secret-42").start()
    try:
        settings = settings_for(
            smtp_port=server.port, smtp_username="mailer", smtp_password="smtp-Secret-42"
        )
        EmailSender(CHANNEL, content_for({"csv": CSV}), settings, "rdlv_5").send(1)
        assert server.logins == [("mailer", "smtp-Secret-42")]
        assert len(server.messages) == 1
    finally:
        server.stop()


@pytest.mark.filterwarnings(AUTH_WITHOUT_TLS)
def test_email_wrong_password_is_permanent(settings_for, content_for, observer) -> None:
    server = SmtpServer(username="mailer", password="smtp-Secret-42").start()
    try:
        settings = settings_for(
            smtp_port=server.port, smtp_username="mailer", smtp_password="wrong-password"
        )
        sender = EmailSender(CHANNEL, content_for({"csv": CSV}), settings, "rdlv_6")
        results = deliver_with_retries(
            sender.send, RetryPolicy.from_settings(settings), observer, sleep=lambda _: None
        )
        assert observer.statuses == ["failed"]
        assert results[0].error is not None
        assert "SMTP authentication as 'mailer'" in results[0].error
        assert "wrong-password" not in results[0].error
        assert server.messages == []
    finally:
        server.stop()


def test_smtp_4xx_is_retried(smtp_server, settings_for, content_for, observer) -> None:
    settings = settings_for(smtp_port=smtp_server.port)
    smtp_server.handler.data_replies = ["451 4.3.0 Try again later"]
    sender = EmailSender(CHANNEL, content_for({"csv": CSV}), settings, "rdlv_7")
    results = deliver_with_retries(
        sender.send, RetryPolicy.from_settings(settings), observer, sleep=lambda _: None
    )
    assert observer.statuses == ["retrying", "delivered"]
    assert results[0].remote_detail == "451 4.3.0 Try again later"
    assert len(smtp_server.messages) == 1


def test_smtp_5xx_is_permanent(smtp_server, settings_for, content_for, observer) -> None:
    settings = settings_for(smtp_port=smtp_server.port)
    smtp_server.handler.data_replies = ["554 5.7.1 Message rejected"]
    sender = EmailSender(CHANNEL, content_for({"csv": CSV}), settings, "rdlv_8")
    results = deliver_with_retries(
        sender.send, RetryPolicy.from_settings(settings), observer, sleep=lambda _: None
    )
    assert observer.statuses == ["failed"]
    assert results[0].error == "SMTP server rejected the message: 554 5.7.1 Message rejected"


def test_smtp_server_down_is_transient(settings_for, content_for, observer) -> None:
    settings = settings_for(smtp_port=closed_port())
    sender = EmailSender(CHANNEL, content_for({"csv": CSV}), settings, "rdlv_9")
    with pytest.raises(TransientDeliveryError, match="ConnectionRefusedError"):
        sender.send(1)
    results = deliver_with_retries(
        sender.send, RetryPolicy.from_settings(settings), observer, sleep=lambda _: None
    )
    assert observer.statuses == ["retrying", "retrying", "failed"]
    assert results[-1].error is not None


def test_slow_smtp_server_times_out(silent_server: SilentServer, settings_for, content_for) -> None:
    settings = settings_for(smtp_port=silent_server.port, smtp_timeout_seconds=0.3)
    sender = EmailSender(CHANNEL, content_for({"csv": CSV}), settings, "rdlv_10")
    with pytest.raises(TransientDeliveryError) as raised:
        sender.send(1)
    assert (
        raised.value.message == f"SMTP server 127.0.0.1:{silent_server.port} timed out after 0.3 s"
    )


def test_missing_smtp_host_is_permanent(settings_for, content_for) -> None:
    sender = EmailSender(CHANNEL, content_for({"csv": CSV}), settings_for(smtp_host=None), "r")
    with pytest.raises(PermanentDeliveryError, match="REPORTS_SMTP_HOST"):
        sender.send(1)


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_with_trusted_certificate(
    security, tmp_path, settings_for, content_for, monkeypatch
) -> None:
    context, certificate = self_signed_tls(tmp_path)
    server = SmtpServer(tls=context, implicit_tls=security == "tls").start()
    try:
        # The documented way to trust a private CA: OpenSSL reads SSL_CERT_FILE.
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
        settings = settings_for(smtp_port=server.port, smtp_security=security)
        EmailSender(CHANNEL, content_for({"csv": CSV}), settings, "rdlv_t").send(1)
        assert len(server.messages) == 1
    finally:
        server.stop()


def test_untrusted_certificate_is_permanent(tmp_path, settings_for, content_for) -> None:
    context, _ = self_signed_tls(tmp_path)
    server = SmtpServer(tls=context).start()
    try:
        settings = settings_for(smtp_port=server.port, smtp_security="starttls")
        sender = EmailSender(CHANNEL, content_for({"csv": CSV}), settings, "rdlv_u")
        with pytest.raises(PermanentDeliveryError, match="TLS certificate of SMTP server"):
            sender.send(1)
        assert server.messages == []
    finally:
        server.stop()
