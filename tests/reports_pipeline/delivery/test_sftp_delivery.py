"""SFTP delivery against asyncssh's SFTP server on 127.0.0.1, with host-key pinning."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from reports_pipeline.delivery.model import SftpChannel
from reports_pipeline.delivery.retry import (
    PermanentDeliveryError,
    RetryPolicy,
    TransientDeliveryError,
    deliver_with_retries,
)
from reports_pipeline.delivery.sftp import SftpSender, load_private_key, remote_directories
from tests.delivery_servers import SFTP_PASSWORD, SftpServer, SilentServer, closed_port

CSV = b"severity,alerts\r\ncritical,12\r\nhigh,40\r\n"
PDF = b"%PDF-1.7\n" + b"x" * 100_000


def channel_for(server: SftpServer, **fields: object) -> SftpChannel:
    values: dict[str, object] = {
        "type": "sftp",
        "host": "127.0.0.1",
        "port": server.port,
        "username": server.username,
        "remote_path": "/incoming/reports/weekly/",
        "auth": {"type": "password", "value": SFTP_PASSWORD},
        "host_key": server.host_key_line(),
    }
    values.update(fields)
    return SftpChannel.model_validate(values)


def test_sftp_uploads_with_password(sftp_server, settings_for, content_for) -> None:
    content = content_for({"csv": CSV, "pdf": PDF})
    receipt = SftpSender(channel_for(sftp_server), content, settings_for(), "rdlv_1").send(1)

    directory = sftp_server.root / "incoming" / "reports" / "weekly"
    assert sorted(p.name for p in directory.iterdir()) == sorted(
        a.file_name for a in content.artifacts
    )
    for artifact in content.artifacts:
        assert (directory / artifact.file_name).read_bytes() == artifact.path.read_bytes()
    assert receipt.detail is not None
    assert receipt.detail.startswith("uploaded to /incoming/reports/weekly:")


def test_missing_directories_are_created_level_by_level(
    sftp_server, settings_for, content_for
) -> None:
    (sftp_server.root / "incoming").mkdir()
    content = content_for({"csv": CSV})
    SftpSender(channel_for(sftp_server), content, settings_for(), "rdlv_2").send(1)
    created = [path for operation, path in sftp_server.operations if operation == "mkdir"]
    assert created == ["/incoming/reports", "/incoming/reports/weekly"]


def test_upload_goes_through_a_temporary_name(sftp_server, settings_for, content_for) -> None:
    content = content_for({"csv": CSV})
    SftpSender(channel_for(sftp_server), content, settings_for(), "rdlv_3").send(1)
    [artifact] = content.artifacts
    final = f"/incoming/reports/weekly/{artifact.file_name}"
    temporary = f"/incoming/reports/weekly/.{artifact.file_name}.rdlv_3.part"
    assert ("open", temporary) in sftp_server.operations
    assert ("open", final) not in sftp_server.operations
    assert ("posix_rename", final) in sftp_server.operations
    leftovers = [p.name for p in (sftp_server.root / "incoming/reports/weekly").iterdir()]
    assert leftovers == [artifact.file_name]


def test_second_upload_replaces_the_file(sftp_server, settings_for, content_for) -> None:
    content = content_for({"csv": CSV})
    channel = channel_for(sftp_server)
    SftpSender(channel, content, settings_for(), "rdlv_4").send(1)
    SftpSender(channel, content, settings_for(), "rdlv_4").send(2)
    [artifact] = content.artifacts
    assert (sftp_server.root / "incoming/reports/weekly" / artifact.file_name).read_bytes() == CSV


def test_rename_without_posix_rename(tmp_path, settings_for, content_for) -> None:
    root = tmp_path / "root"
    root.mkdir()
    server = SftpServer(root, password=SFTP_PASSWORD, posix_rename=False).start()
    try:
        content = content_for({"csv": CSV})
        [artifact] = content.artifacts
        target = root / "incoming/reports/weekly" / artifact.file_name
        SftpSender(channel_for(server), content, settings_for(), "rdlv_r").send(1)
        target.write_bytes(b"an older file")
        SftpSender(channel_for(server), content, settings_for(), "rdlv_r").send(2)
        assert target.read_bytes() == CSV
        assert ("rename", f"/incoming/reports/weekly/{artifact.file_name}") in server.operations
    finally:
        server.stop()


def test_pinned_fingerprint_is_accepted(sftp_server, settings_for, content_for) -> None:
    channel = channel_for(
        sftp_server, host_key=None, host_key_fingerprint=sftp_server.fingerprint()
    )
    SftpSender(channel, content_for({"csv": CSV}), settings_for(), "rdlv_5").send(1)
    assert sftp_server.auth_attempts == [sftp_server.username]


def test_pinned_key_selects_its_algorithm(tmp_path, settings_for, content_for) -> None:
    root = tmp_path / "root"
    root.mkdir()
    server = SftpServer(
        root, password=SFTP_PASSWORD, host_key_algorithms=("ssh-ed25519", "ecdsa-sha2-nistp256")
    ).start()
    try:
        channel = channel_for(server, host_key=server.host_key_line(1))
        SftpSender(channel, content_for({"csv": CSV}), settings_for(), "rdlv_6").send(1)
        assert len(list((root / "incoming/reports/weekly").iterdir())) == 1
    finally:
        server.stop()


def test_wrong_host_key_aborts_before_auth(
    sftp_server, tmp_path, settings_for, content_for, observer
) -> None:
    other = SftpServer(tmp_path, password=SFTP_PASSWORD)
    channel = channel_for(sftp_server, host_key=other.host_key_line())
    sender = SftpSender(channel, content_for({"csv": CSV}), settings_for(), "rdlv_7")
    results = deliver_with_retries(
        sender.send, RetryPolicy.from_settings(settings_for()), observer, sleep=lambda _: None
    )
    assert observer.statuses == ["failed"]
    assert results[0].error is not None
    assert "does not match the pinned host key; no credential was sent" in results[0].error
    assert sftp_server.fingerprint() in results[0].error
    assert sftp_server.auth_attempts == []
    assert not (sftp_server.root / "incoming").exists()


def test_wrong_fingerprint_aborts_before_auth(sftp_server, settings_for, content_for) -> None:
    channel = channel_for(sftp_server, host_key=None, host_key_fingerprint="SHA256:" + "A" * 43)
    with pytest.raises(PermanentDeliveryError, match="does not match the pinned host key"):
        SftpSender(channel, content_for({"csv": CSV}), settings_for(), "rdlv_8").send(1)
    assert sftp_server.auth_attempts == []


def test_wrong_password_is_permanent(sftp_server, settings_for, content_for) -> None:
    channel = channel_for(sftp_server, auth={"type": "password", "value": "not-the-password"})
    with pytest.raises(PermanentDeliveryError) as raised:
        SftpSender(channel, content_for({"csv": CSV}), settings_for(), "rdlv_9").send(1)
    assert raised.value.message == (
        f"SFTP password authentication failed for 'reports' at 127.0.0.1:{sftp_server.port}"
    )
    assert "not-the-password" not in raised.value.message


def _private_key(kind: str):  # type: ignore[no-untyped-def]
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if kind == "ecdsa":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize(
    ("kind", "encoding"),
    [
        ("ed25519", "openssh"),
        ("ed25519", "pem"),
        ("ecdsa", "openssh"),
        ("ecdsa", "pem"),
        ("rsa", "openssh"),
        ("rsa", "pem"),
    ],
)
def test_key_authentication(kind, encoding, tmp_path, settings_for, content_for) -> None:
    key = _private_key(kind)
    private_format = (
        serialization.PrivateFormat.OpenSSH
        if encoding == "openssh"
        else serialization.PrivateFormat.TraditionalOpenSSL
        if kind != "ed25519"
        else serialization.PrivateFormat.PKCS8
    )
    private = key.private_bytes(
        serialization.Encoding.PEM, private_format, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    root = tmp_path / "root"
    root.mkdir()
    server = SftpServer(root, authorized_keys=[public]).start()
    try:
        channel = channel_for(server, auth={"type": "key", "value": private})
        SftpSender(channel, content_for({"csv": CSV}), settings_for(), "rdlv_k").send(1)
        assert len(list((root / "incoming/reports/weekly").iterdir())) == 1
    finally:
        server.stop()


def test_encrypted_key_is_rejected() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.BestAvailableEncryption(b"passphrase"),
    ).decode()
    with pytest.raises(PermanentDeliveryError, match="encrypted"):
        load_private_key(private)


def test_unknown_key_is_not_accepted(sftp_server, settings_for, content_for) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode()
    channel = channel_for(sftp_server, auth={"type": "key", "value": private})
    with pytest.raises(PermanentDeliveryError, match="SFTP server rejected key authentication"):
        SftpSender(channel, content_for({"csv": CSV}), settings_for(), "rdlv_u").send(1)


def test_file_in_the_way_is_permanent(sftp_server, settings_for, content_for) -> None:
    (sftp_server.root / "incoming").write_text("not a directory")
    with pytest.raises(PermanentDeliveryError, match="exists and is not a directory"):
        SftpSender(channel_for(sftp_server), content_for({"csv": CSV}), settings_for(), "x").send(1)


def test_server_down_is_transient(settings_for, content_for) -> None:
    channel = SftpChannel.model_validate(
        {
            "type": "sftp",
            "host": "127.0.0.1",
            "port": closed_port(),
            "username": "reports",
            "remote_path": "/incoming/",
            "auth": {"type": "password", "value": SFTP_PASSWORD},
            "host_key_fingerprint": "SHA256:" + "A" * 43,
        }
    )
    with pytest.raises(TransientDeliveryError, match="cannot connect to SFTP server"):
        SftpSender(channel, content_for({"csv": CSV}), settings_for(), "rdlv_d").send(1)


def test_slow_server_times_out(silent_server: SilentServer, settings_for, content_for) -> None:
    channel = SftpChannel.model_validate(
        {
            "type": "sftp",
            "host": "127.0.0.1",
            "port": silent_server.port,
            "username": "reports",
            "remote_path": "/incoming/",
            "auth": {"type": "password", "value": SFTP_PASSWORD},
            "host_key_fingerprint": "SHA256:" + "A" * 43,
        }
    )
    settings = settings_for(sftp_timeout_seconds=0.3)
    with pytest.raises(TransientDeliveryError) as raised:
        SftpSender(channel, content_for({"csv": CSV}), settings, "rdlv_s").send(1)
    assert raised.value.message == (
        f"SFTP server 127.0.0.1:{silent_server.port} timed out after 0.3 s"
    )


def test_egress_policy_applies_to_sftp_hosts(sftp_server, settings_for, content_for) -> None:
    settings = settings_for(egress_allowed_hosts=[])
    with pytest.raises(PermanentDeliveryError, match="SFTP host blocked"):
        SftpSender(channel_for(sftp_server), content_for({"csv": CSV}), settings, "x").send(1)
    assert sftp_server.auth_attempts == []


@pytest.mark.parametrize(
    ("remote_path", "expected"),
    [
        ("/incoming/", ["/incoming"]),
        ("/a/b/c", ["/a", "/a/b", "/a/b/c"]),
        ("drop/here/", ["drop", "drop/here"]),
        ("/", []),
        ("./out", ["out"]),
    ],
)
def test_remote_directories(remote_path: str, expected: list[str]) -> None:
    assert remote_directories(remote_path) == expected


def test_upload_leaves_no_temporary_file(sftp_server, settings_for, content_for) -> None:
    content = content_for({"csv": CSV, "pdf": PDF})
    SftpSender(channel_for(sftp_server), content, settings_for(), "rdlv_t").send(1)
    names = [p.name for p in Path(sftp_server.root, "incoming/reports/weekly").iterdir()]
    assert not [name for name in names if name.endswith(".part")]


def test_banner_timeout_counts_as_timeout() -> None:
    # paramiko raises "Error reading SSH protocol banner" while handling the socket's timeout.
    import paramiko

    from reports_pipeline.delivery.sftp import _caused_by_timeout

    def read_banner() -> None:
        try:
            raise TimeoutError("timed out")
        except Exception as exc:
            raise paramiko.SSHException(f"Error reading SSH protocol banner{exc}")  # noqa: B904

    with pytest.raises(paramiko.SSHException) as raised:
        read_banner()
    assert raised.value.__context__ is not None
    assert _caused_by_timeout(raised.value)
    assert not _caused_by_timeout(paramiko.SSHException("Incompatible ssh peer"))
