"""Postfix delivering to Maildock over LMTP, as a hosting provider runs it
(virtual_transport = lmtp:inet:...): messages to many users, each in the
right Maildir exactly once; a user over quota gets the configured RCPT
reply (Postfix defers on 452) and nothing is written. A private Postfix
instance in a temporary directory, on loopback ports."""
import os
import pathlib
import shutil
import smtplib
import subprocess
import tempfile
import time

import pytest

from conftest import BUILDDIR, free_port

pytestmark = pytest.mark.slow

POSTFIX = "/usr/lib/postfix/sbin/master"
NUSERS = 50
NMSGS = 1000


def postfix_instance(tmp, smtp_port, lmtp_port):
    """Start a private Postfix; returns its master process. tmp must be
    reachable by the postfix user (pytest's own folders are not)."""
    conf, queue, data = tmp / "pf-conf", tmp / "pf-queue", tmp / "pf-data"
    for d in (conf, queue, data):
        d.mkdir()
    os.chown(data, *(int(x) for x in subprocess.check_output(
        ["id", "-u", "postfix"]).split() +
        subprocess.check_output(["id", "-g", "postfix"]).split()))
    (conf / "main.cf").write_text(f"""\
compatibility_level = 3.6
queue_directory = {queue}
data_directory = {data}
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.example.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
virtual_mailbox_domains = example.org
virtual_transport = lmtp:inet:127.0.0.1:{lmtp_port}
maillog_file = {tmp}/maillog
maillog_file_prefixes = {tmp}
smtpd_relay_restrictions = permit_mynetworks, reject
lmtp_destination_concurrency_limit = 4
queue_run_delay = 1s
meta_directory = /etc/postfix
minimal_backoff_time = 1s
maximal_backoff_time = 2s
biff = no
""")
    # the services a delivery needs, none chrooted, our own smtpd port;
    # postlog serves maillog_file
    (conf / "master.cf").write_text(f"""\
127.0.0.1:{smtp_port} inet n - n - - smtpd
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
lmtp      unix - - n - - lmtp
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
""")
    env = dict(os.environ, MAIL_CONFIG=str(conf))
    subprocess.run(["/usr/lib/postfix/sbin/post-install",
                    "config_directory=%s" % conf,
                    "meta_directory=/etc/postfix", "create-missing"],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    # in the foreground (postfix(1) itself refuses a configuration
    # directory that the system's main.cf does not list)
    master = subprocess.Popen(["/usr/lib/postfix/sbin/master", "-c",
                               str(conf), "-d"], env=env)
    return master


def wait_smtp(port):
    for _ in range(100):
        try:
            smtplib.SMTP("127.0.0.1", port, timeout=5).quit()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("postfix smtpd did not come up")


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists(POSTFIX),
                    reason="needs root and Debian's postfix")
def test_postfix_delivers_over_lmtp(make_server, tmp_path):
    lmtp_port, smtp_port = free_port(), free_port()
    users = tmp_path / "users"
    mail = tmp_path / "mail"
    with open(users, "w") as f:
        for i in range(NUSERS):
            f.write("u%d@example.org:{PLAIN}x::::::\n" % i)
    srv = make_server({"lmtp.listen": "127.0.0.1:%d" % lmtp_port,
                       "auth.pwfile.path": str(users),
                       "mail.location": str(mail) + "/%d/%n/Maildir",
                       "log.level": "info"})
    # u0 is full: 452 at RCPT, Postfix keeps deferring, nothing written
    full = mail / "example.org" / "u0" / "Maildir"
    full.parent.mkdir(parents=True)
    subprocess.run([str(BUILDDIR / "maildirmake"), str(full)], check=True)
    subprocess.run([str(BUILDDIR / "maildirmake"), "-q", "1S",
                    str(full)], check=True)
    pf_dir = pathlib.Path(tempfile.mkdtemp(prefix="maildock-postfix-"))
    os.chmod(pf_dir, 0o755)
    master = postfix_instance(pf_dir, smtp_port, lmtp_port)
    try:
        wait_smtp(smtp_port)
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as s:
            for n in range(NMSGS):
                rcpt = "u%d@example.org" % (1 + n % (NUSERS - 1))
                s.sendmail("sender@example.net", [rcpt],
                           "From: sender@example.net\r\nTo: %s\r\n"
                           "Message-ID: <pf-%d@example.net>\r\n"
                           "Subject: %d\r\n\r\nbody %d\r\n" %
                           (rcpt, n, n, n))
            s.sendmail("sender@example.net", ["u0@example.org"],
                       "Subject: to the full one\r\n\r\nx\r\n")
        want = {}
        for n in range(NMSGS):
            want.setdefault(1 + n % (NUSERS - 1), set()).add(
                b"<pf-%d@example.net>" % n)
        deadline = time.time() + 120
        while time.time() < deadline:
            got = sum(len(os.listdir(mail / "example.org" / ("u%d" % u) /
                                     "Maildir" / "cur"))
                      for u in want
                      if (mail / "example.org" / ("u%d" % u) / "Maildir" /
                          "cur").is_dir())
            if got >= NMSGS:
                break
            time.sleep(0.5)
        for u, ids in want.items():
            cur = mail / "example.org" / ("u%d" % u) / "Maildir" / "cur"
            seen = []
            for name in os.listdir(cur):
                data = (cur / name).read_bytes()
                seen.append(data.split(b"Message-ID: ")[1].split(b"\r\n")[0])
                assert b"Delivered-To: <u%d@example.org>" % u in data
            assert sorted(seen) == sorted(ids), "u%d" % u
        assert os.listdir(full / "cur") == [] and os.listdir(full / "new") == []
        log = (pf_dir / "maillog").read_text()
        assert "452 4.2.2 <u0@example.org> Mailbox is full" in log
    finally:
        master.terminate()
        master.wait(timeout=30)
        shutil.rmtree(pf_dir, ignore_errors=True)
