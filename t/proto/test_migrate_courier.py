"""Migration with Debian's real Courier-IMAP 5.0.13 and courier-authdaemon
(userdb), unpacked by tools/deps.sh with dpkg-deb -x (its packages conflict
with Dovecot's in dpkg) and run in a mount namespace of its own
(courier-run.sh), on a loopback port, as the same mail user as Maildock.
Maildock is configured as the README says for Courier 5 migrants: the
INBOX. namespace, UTF-8 folder names, Courier's files kept."""
import os
import pathlib
import signal
import socket
import subprocess
import time

import pytest

from conftest import HERE, USERS, free_port
from test_migrate_dovecot import (NOBODY, both_at_once, mail_base,  # noqa
                                  maildock_as_nobody, switch)

ROOT = pathlib.Path(os.environ.get("MAILDOCK_COURIER_ROOT",
                                   "/var/cache/maildock/courier"))
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (ROOT / "usr/bin/imapd").exists(),
                       reason="Courier not unpacked (tools/deps.sh test)"),
    pytest.mark.skipif(os.geteuid() != 0,
                       reason="needs root (mount namespace, mail uid)"),
]


class Courier:
    """couriertcpd + imaplogin + imapd, authdaemond with a userdb."""

    def __init__(self, d, mail_root):
        d.mkdir(parents=True)
        self.dir = d
        self.imap_port, self.pop3_port = free_port(), None
        if (ROOT / "usr/lib/courier/courier/courierpop3d").exists():
            self.pop3_port = free_port()
        lines = []
        for login, pw in USERS.values():
            crypt = subprocess.run(["openssl", "passwd", "-6", pw],
                                   capture_output=True, text=True,
                                   check=True).stdout.strip()
            local, domain = login.split("@")
            home = mail_root / domain / local
            lines.append("%s\tuid=%d|gid=%d|home=%s|mail=%s/Maildir|"
                         "systempw=%s\n" % (login, NOBODY.pw_uid,
                                            NOBODY.pw_gid, home, home, crypt))
        (d / "userdb").write_text("".join(lines))
        self.log = open(d / "courier.log", "wb")
        self.proc = subprocess.Popen(
            ["unshare", "-m", "sh", str(HERE / "courier-run.sh"), str(ROOT),
             str(d / "work"), str(self.imap_port), str(d / "userdb"),
             str(self.pop3_port or "")],
            stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.time() + 20
        while True:
            try:
                for port in filter(None, (self.imap_port, self.pop3_port)):
                    socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("courier did not start: " +
                                       (d / "courier.log").read_text())
                time.sleep(0.1)

    def stop(self):
        """End every process of the session courier-run.sh leads:
        couriertcpd moves itself into a process group of its own, so a
        group kill would leave the pop3d listener running."""
        for pid in session_pids(self.proc.pid):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        self.proc.wait(10)
        self.log.close()


def session_pids(sid):
    """The pids of the processes in session sid (from /proc)."""
    pids = []
    for d in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, ValueError, IndexError):
            continue        # not a process, or it ended meanwhile
        if int(fields[3]) == sid:
            pids.append(int(d))
    return pids


@pytest.fixture
def servers(make_server, mail_base):
    srv = maildock_as_nobody(make_server, {
        "maildir.compat": "courier", "imap.namespace_prefix": "INBOX.",
        "maildir.utf8_folder_names": "yes"}, mail_base)
    cr = Courier(mail_base / "courier", srv.mail_root)
    yield srv, cr
    cr.stop()


def test_courier_to_maildock(servers, tmp_path):
    srv, cr = servers
    switch(cr, srv, srv, tmp_path, prefix="INBOX.")


def test_maildock_to_courier(servers, tmp_path):
    srv, cr = servers
    switch(srv, cr, srv, tmp_path, prefix="INBOX.")


def test_both_at_once_courier(servers):
    """Courier's imapd rescans the folder under its lock for each APPEND
    (about a second each past 900 messages): 200 APPENDs keep this test
    within the suite's time budget."""
    both_at_once(*servers, prefix="INBOX.", n=100)
