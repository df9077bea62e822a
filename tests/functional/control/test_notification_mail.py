# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The notification mail through a real SMTP server (aiosmtpd on 127.0.0.1) that requires STARTTLS and a login:
the mail goes only over TLS to a certificate the configured CA signed, with the configured credentials; a server
whose certificate is not trusted gets nothing, not even the password."""
from __future__ import annotations

import datetime as dt
import ipaddress
import ssl

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.test import override_settings
from storage_backup.catalog.models import Job, JobState
from storage_backup.notifications import events, mail
from storage_backup_sandbox.launch import free_port

USER, PASSWORD = "backup-mailer", "mail-password"


def _certificate(directory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1: (certificate file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
                   .not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "smtp.crt", directory / "smtp.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


class Mailbox:
    def __init__(self) -> None:
        self.messages: list = []
        self.logins: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((session.authenticated, list(envelope.rcpt_tos), envelope.content.decode()))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append(auth_data.login.decode())
        ok = (auth_data.login.decode(), auth_data.password.decode()) == (USER, PASSWORD)
        return AuthResult(success=ok)


@pytest.fixture
def smtp_server(tmp_path):
    cert, key = _certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), tls_context=context,
                            require_starttls=True, authenticator=mailbox.authenticate, auth_required=True)
    controller.start()
    try:
        yield controller, mailbox, cert
    finally:
        controller.stop()


def _event() -> events.JobEvent:
    job = Job(id="job-mail", type="backup", project_id="project-a", instance_name="db-1", state=JobState.FAILED,
              error="Cinder refused the snapshot")
    return events.build(job, events.Phase.ERROR, "snapshot_failed")


def _config(port: int, ca_file: str) -> dict:
    return {**settings.NOTIFICATIONS, "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": True,
            "smtp_username": USER, "smtp_password": PASSWORD, "smtp_ca_file": ca_file, "smtp_timeout": 10}


def test_the_mail_goes_over_starttls_with_the_login(smtp_server):
    controller, mailbox, cert = smtp_server
    with override_settings(NOTIFICATIONS=_config(controller.port, cert)):
        mail.send(_event(), ["ops@example.org"])
    [(authenticated, recipients, content)] = mailbox.messages
    assert authenticated and recipients == ["ops@example.org"]
    assert "Subject: [storage-backup] Backup of db-1 failed" in content and "Cinder refused the snapshot" in content


def test_an_untrusted_certificate_gets_neither_mail_nor_password(smtp_server, tmp_path):
    controller, mailbox, _cert = smtp_server
    (tmp_path / "other").mkdir()
    other_ca, _key = _certificate(tmp_path / "other")  # a CA that did not sign the server's certificate
    with override_settings(NOTIFICATIONS=_config(controller.port, other_ca)), pytest.raises(ssl.SSLError):
        mail.send(_event(), ["ops@example.org"])
    assert mailbox.messages == [] and mailbox.logins == []
