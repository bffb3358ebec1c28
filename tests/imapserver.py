"""A real IMAP server for the tests: Debian's dovecot, started on free ports with its own config.

Plain IMAP and STARTTLS on one port, IMAPS on another, one user, a Maildir in a
temporary folder; the certificate is made for 127.0.0.1 and handed to the code under
test through ``HELPDESK_IMAP_CA_FILE``.
"""

from __future__ import annotations

import imaplib
import shutil
import subprocess
import time
from pathlib import Path

from tests.mailserver import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "support@example.com", "imap-secret"


def available() -> bool:
    return Path(DOVECOT).exists()


class ImapServer:
    def __init__(self, root: Path):
        self.root = root
        self.port = free_port()
        self.tls_port = free_port()
        self.cert = root / "cert.pem"
        self.process: subprocess.Popen | None = None

    def _write_config(self) -> Path:
        root = self.root
        for name in ("run", "state", "home"):
            (root / name).mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(root / "key.pem"), "-out", str(self.cert)],
            check=True, capture_output=True,
        )  # fmt: skip
        (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        shutil.chown(root / "home", "nobody", "nogroup")
        config = root / "dovecot.conf"
        config.write_text(
            f"""protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = yes
ssl_cert = <{self.cert}
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid=65534 gid=65534 home={root}/home/%u
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Processed {{
    auto = create
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
  }}
}}
service anvil {{
  chroot =
}}
"""
        )
        return config

    def start(self) -> ImapServer:
        config = self._write_config()
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        for _ in range(100):
            try:
                self.client().logout()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not start: {(self.root / 'dovecot.log').read_text(errors='replace')}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=5)
        client.login(USER, PASSWORD)
        return client

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        client = self.client()
        client.append(folder, None, None, raw)
        client.logout()

    def count(self, folder: str) -> int:
        client = self.client()
        status, data = client.select(f'"{folder}"')
        client.logout()
        return int(data[0])

    def clear(self) -> None:
        client = self.client()
        for folder in ("INBOX", "Processed"):
            status, data = client.select(f'"{folder}"')
            if int(data[0]):
                client.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
                client.expunge()
        client.logout()
