"""Migration with Debian's real Dovecot 2.3 (dovecot-imapd, dovecot-pop3d):
both servers serve the same Maildirs, on loopback ports, as the same mail
user (nobody), one after the other and at once. What a client sees must
not change at the switch (UIDVALIDITY, UIDs with their gaps, flags,
keywords, subscriptions, POP3 UIDLs), real clients (mbsync, fetchmail)
download nothing again, and no UID is ever handed out twice."""
import imaplib
import os
import pathlib
import poplib
import pwd
import re
import shutil
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import USERS, free_port
from test_imap_clients import (MBSYNC, mbsync_config, offlineimap_config,
                               run_mbsync, run_offlineimap)
from test_clients_pop3 import FETCHMAIL, store_script

DOVECOT = "/usr/sbin/dovecot"
OFFLINEIMAP = shutil.which("offlineimap")
DOVECOT_IMAP = "/usr/lib/dovecot/imap"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (os.path.exists(DOVECOT) and
                            os.path.exists(DOVECOT_IMAP) and
                            os.path.exists("/usr/lib/dovecot/pop3")),
                       reason="dovecot-imapd/dovecot-pop3d not installed"),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (mail uid)"),
]
NOBODY = pwd.getpwnam("nobody")
CONF = """base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{mail}/%d/%n/Maildir
namespace inbox {{
  inbox = yes
  separator = .
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={mail}/%d/%n
}}
service imap-login {{
  inet_listener imap {{
    port = {imap}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {pop3}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service submission-login {{
  inet_listener submission {{
    port = 0
  }}
}}
"""


class Dovecot:
    """A Dovecot master with its own base_dir, configuration and log."""

    def __init__(self, d, mail_root):
        self.dir = d
        self.imap_port, self.pop3_port = free_port(), free_port()
        for sub in ("run", "state"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        (d / "users").write_text("".join(
            "%s:{PLAIN}%s::::::\n" % (login, pw)
            for login, pw in USERS.values()))
        self.conf = d / "dovecot.conf"
        self.conf.write_text(CONF.format(
            d=d, mail=mail_root, uid=NOBODY.pw_uid, gid=NOBODY.pw_gid,
            imap=self.imap_port, pop3=self.pop3_port))
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(self.conf)],
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while not self.listening():
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("dovecot did not start: " + self.log())
            time.sleep(0.1)

    def listening(self):
        import socket
        try:
            socket.create_connection(("127.0.0.1", self.pop3_port), 1).close()
            socket.create_connection(("127.0.0.1", self.imap_port), 1).close()
            return True
        except OSError:
            return False

    def log(self):
        p = self.dir / "dovecot.log"
        return p.read_text(errors="replace") if p.exists() else ""

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def chown_tree(path):
    for dirpath, dirnames, filenames in os.walk(path):
        os.chown(dirpath, NOBODY.pw_uid, NOBODY.pw_gid)
        for n in filenames:
            os.chown(os.path.join(dirpath, n), NOBODY.pw_uid, NOBODY.pw_gid)


def maildock_as_nobody(make_server, settings, base):
    """Maildock running as the mail user nobody (the other server's), with
    settings, over a mail root and pwfile in base, a directory nobody can
    reach (pytest resets its own temporary directories to mode 0700)."""
    srv = make_server(dict({"server.user": "nobody", "maildir.fsync": "no"},
                           **settings), start=False)
    base.chmod(0o711)
    shutil.copy(srv.dir / "users", base / "users")
    (base / "users").chmod(0o644)
    srv.mail_root = base / "mail"
    srv.settings["mail.location"] = str(srv.mail_root) + "/%d/%n/Maildir"
    srv.settings["auth.pwfile.path"] = str(base / "users")
    srv.write_conf()
    md = srv.maildir("alice")
    for sub in ("tmp", "new", "cur"):
        (md / sub).mkdir(parents=True, exist_ok=True)
    chown_tree(srv.mail_root)
    return srv.start()


@pytest.fixture
def mail_base():
    base = pathlib.Path(tempfile.mkdtemp(prefix="maildock-migrate-"))
    yield base
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def servers(make_server, mail_base):
    """Maildock (Dovecot's files kept, Dovecot's UIDLs) and Dovecot over
    the same mail root."""
    srv = maildock_as_nobody(make_server, {"maildir.compat": "dovecot",
                                           "pop3.uidl_format": "dovecot"},
                             mail_base)
    dc = Dovecot(mail_base / "dovecot", srv.mail_root)
    yield srv, dc
    dc.stop()


_seq = [0]


def deliver(srv, subject, folder=None):
    """Deliver into new/ as an MTA running as the mail user does (tmp,
    then rename), while the servers may be moving files to cur/."""
    md = srv.maildir("alice")
    if folder:
        md = md / ("." + folder)
    _seq[0] += 1
    now = time.time_ns()
    name = "%d.M%06dP%dQ%d.mta" % (now // 10**9, now // 1000 % 10**6,
                                   os.getpid(), _seq[0])
    tmp = md / "tmp" / name
    tmp.write_bytes(b"Subject: %s\r\n\r\nbody\r\n" % subject.encode())
    os.chown(tmp, NOBODY.pw_uid, NOBODY.pw_gid)
    os.rename(tmp, md / "new" / name)


def imap_login(port):
    m = imaplib.IMAP4("127.0.0.1", port)
    m.login(*USERS["alice"])
    return m


def snapshot(port):
    """Per folder: UIDVALIDITY, UIDNEXT, (uid, flags, subject) of each
    message; the subscriptions; as a client sees them."""
    m = imap_login(port)
    out = {}
    typ, data = m.list('""', "*")
    folders = sorted(re.search(rb'"\." "?([^"]*)"?$', l).group(1).decode()
                     for l in data)
    for f in folders:
        typ, data = m.select('"%s"' % f, readonly=True)
        assert typ == "OK", (f, data)
        uidv = int(m.response("UIDVALIDITY")[1][0])
        typ, st = m.status('"%s"' % f, "(UIDNEXT)")
        uidnext = int(re.search(rb"UIDNEXT (\d+)", st[0]).group(1))
        msgs = []
        typ, data = m.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS "
                          "(SUBJECT)])")
        for item in data:
            if not isinstance(item, tuple):
                continue
            uid = int(re.search(rb"UID (\d+)", item[0]).group(1))
            flags = re.search(rb"FLAGS \(([^)]*)\)", item[0]).group(1)
            flags = sorted(x for x in flags.decode().split()
                           if x != "\\Recent")
            subject = item[1].decode().strip()
            msgs.append((uid, tuple(flags), subject))
        out[f] = (uidv, uidnext, sorted(msgs))
        m.close()
    typ, data = m.lsub('""', "*")
    # Courier lists INBOX in LSUB whether subscribed or not
    subs = sorted(re.search(rb'"\." "?([^"]*)"?$', l).group(1).decode()
                  for l in data if l)
    subs = [x for x in subs if x != "INBOX"]
    m.logout()
    return out, subs


def uidls(port):
    p = poplib.POP3("127.0.0.1", port)
    p.user(USERS["alice"][0])
    p.pass_(USERS["alice"][1])
    got = [x.split()[1] for x in p.uidl()[1]]
    p.quit()
    return got


def fill(port, srv, prefix=""):
    """Folders with a non-ASCII name, gaps in UIDs, flags, keywords and a
    subscription, made through the server on port; plus MTA deliveries."""
    for i in range(3):
        deliver(srv, "delivered %d" % i)
    m = imap_login(port)
    cafe = '"%sCaf&AOk-"' % prefix
    assert m.create(cafe)[0] == "OK"
    assert m.subscribe(cafe)[0] == "OK"
    for i in range(4):
        assert m.append("INBOX", "(\\Seen $Label1)" if i % 2 else "()",
                        None, b"Subject: inbox %d\r\n\r\nx\r\n" % i)[0] == "OK"
        assert m.append(cafe, "(\\Flagged Project-X)", None,
                        b"Subject: cafe %d\r\n\r\nx\r\n" % i)[0] == "OK"
    m.select(cafe)
    m.store("2", "+FLAGS", "(\\Deleted)")   # a gap in the UIDs
    m.expunge()
    m.select("INBOX")
    m.store("1", "+FLAGS", "(Later)")
    m.store("4", "+FLAGS", "(\\Deleted)")
    m.expunge()
    m.logout()


def fetchmail_count(port, tmp):
    """Messages fetchmail downloads (POP3, UIDL-tracked, kept on the
    server) from the server on port; its id file persists in tmp."""
    run = tmp / ("fetchmail%d" % len(list(tmp.glob("fetchmail*"))))
    run.mkdir()
    out, store = store_script(run)
    rc = run / "fetchmailrc"
    rc.write_text(
        "set no bouncemail\n"
        "poll 127.0.0.1 service %d protocol POP3 uidl timeout 60\n"
        '  user "%s" there with password "%s" is "root" here\n'
        '  options keep no rewrite sslproto "" mda "/bin/sh %s"\n'
        % (port, USERS["alice"][0], USERS["alice"][1], store))
    rc.chmod(0o600)
    # its pid file per run (a stale one names a pid reused meanwhile);
    # the id file, which carries what it fetched, is shared
    env = dict(os.environ, HOME=str(run), FETCHMAILHOME=str(run))
    r = subprocess.run([FETCHMAIL, "-f", str(rc), "-i", str(tmp / "ids"),
                        "--nosyslog"], env=env, capture_output=True,
                       timeout=300)
    # 1: no new mail
    assert r.returncode in (0, 1), r.stdout.decode() + r.stderr.decode()
    return len(list(out.iterdir()))


def local_files(local):
    return sorted(f.name.split(":")[0] for f in local.rglob("*")
                  if f.is_file() and f.parent.name in ("cur", "new"))


def offline_files(local):
    """offlineimap's copy: its file names (which carry the UID it got) per
    folder, flags aside."""
    return sorted(str(f.relative_to(local)).split(":")[0]
                  for f in local.rglob("*")
                  if f.is_file() and f.parent.name in ("cur", "new"))


def switch(first, second, srv, tmp_path, prefix=""):
    """Fill through first, let the clients sync from it, switch them to
    second (each a server with imap_port, and pop3_port or None):
    nothing changes for them: mbsync and offlineimap download nothing
    again, offlineimap uploads nothing and creates no folder, fetchmail
    fetches nothing again."""
    pop3 = first.pop3_port and second.pop3_port and os.path.exists(FETCHMAIL)
    fill(first.imap_port, srv, prefix)
    before, subs = snapshot(first.imap_port)
    local = tmp_path / "local"
    local.mkdir()
    if MBSYNC:
        run_mbsync(mbsync_config(tmp_path, first, local, False))
    got = local_files(local)
    offline = tmp_path / "offline"
    offline.mkdir()
    if OFFLINEIMAP:
        run_offlineimap(offlineimap_config(tmp_path, first, offline))
        offline_got = offline_files(offline)
        assert len(offline_got) == sum(len(v[2]) for v in before.values())
    if pop3:
        pop_before = uidls(first.pop3_port)
        assert fetchmail_count(first.pop3_port, tmp_path) == len(pop_before)
    after, subs_after = snapshot(second.imap_port)
    assert after == before
    assert subs_after == subs == [prefix + "Caf&AOk-"]
    if pop3:
        # the same UIDLs; Courier's pop3d numbers messages by file name
        # (arrival), Maildock by UID, so their order may differ
        assert sorted(uidls(second.pop3_port)) == sorted(pop_before)
        assert fetchmail_count(second.pop3_port, tmp_path) == 0
    if MBSYNC:
        run_mbsync(mbsync_config(tmp_path, second, local, False))
        assert local_files(local) == got     # 0 downloaded
        assert len(got) == sum(len(v[2]) for v in before.values())
    if OFFLINEIMAP:
        # the same account (its state kept), now served by second
        run_offlineimap(offlineimap_config(tmp_path, second, offline))
        assert offline_files(offline) == offline_got
        assert snapshot(second.imap_port) == (before, subs)
    # and the first server still agrees after the second one served
    assert snapshot(first.imap_port) == (before, subs)


def test_dovecot_to_maildock(servers, tmp_path):
    srv, dc = servers
    switch(dc, srv, srv, tmp_path)


def test_maildock_to_dovecot(servers, tmp_path):
    srv, dc = servers
    switch(srv, dc, srv, tmp_path)
    assert "Error" not in dc.log(), dc.log()


def appender(port, prefix, n, uids, errors, folder="Shared"):
    try:
        m = imap_login(port)
        for i in range(n):
            typ, data = m.append(folder, None, None,
                                 b"Subject: %s %d\r\n\r\nx\r\n"
                                 % (prefix.encode(), i))
            assert typ == "OK", data
            code = re.search(rb"APPENDUID (\d+) (\d+)", data[0])
            uids.append((int(code.group(1)), int(code.group(2))))
        m.logout()
    except Exception as e:    # reported by the main thread
        errors.append(repr(e))


def test_both_at_once(servers):
    """APPENDs split between Maildock and Dovecot on one folder, with
    deliveries into new/ meanwhile: every message one UID, the same on
    both, never handed out twice, never reused after EXPUNGE."""
    both_at_once(*servers)


def both_at_once(srv, dc, prefix="", n=500):
    """n APPENDs through each of srv and dc at once (1,000 in all by
    default), with 20 deliveries into new/ meanwhile."""
    shared = prefix + "Shared"
    m = imap_login(srv.imap_port)
    assert m.create(shared)[0] == "OK"
    m.logout()
    ours, theirs, errors = [], [], []
    threads = [threading.Thread(target=appender,
                                args=(srv.imap_port, "md", n, ours, errors,
                                      shared)),
               threading.Thread(target=appender,
                                args=(dc.imap_port, "dc", n, theirs, errors,
                                      shared))]
    for t in threads:
        t.start()
    for i in range(20):
        deliver(srv, "mta %d" % i, folder="Shared")
        time.sleep(0.05)
    for t in threads:
        t.join()
    assert errors == []
    assert len({v for v, _ in ours + theirs}) == 1    # one UIDVALIDITY
    given = [u for _, u in ours + theirs]
    assert len(set(given)) == len(given) == 2 * n
    a, _ = snapshot(srv.imap_port)
    b, _ = snapshot(dc.imap_port)
    assert a[shared] == b[shared]
    msgs = a[shared][2]
    assert len(msgs) == 2 * n + 20
    assert len({uid for uid, _, _ in msgs}) == len(msgs)
    by_subject = {s: uid for uid, _, s in msgs}
    for (_, uid), i in zip(ours, range(n)):
        assert by_subject["Subject: md %d" % i] == uid
    for (_, uid), i in zip(theirs, range(n)):
        assert by_subject["Subject: dc %d" % i] == uid
    # expunge the newest on Maildock, append on Dovecot: never reused
    top = max(uid for uid, _, _ in msgs)
    m = imap_login(srv.imap_port)
    m.select(shared)
    m.uid("STORE", "%d" % top, "+FLAGS", "(\\Deleted)")
    m.expunge()
    m.logout()
    again = []
    appender(dc.imap_port, "late", 1, again, errors, shared)
    assert errors == [] and again[0][1] > top
