"""Real IMAP clients from Debian against the daemon (issue 5): curl's
imap:// and imaps:// fetch a message and list folders; mbsync (isync)
uploads a corpus sample from a local Maildir and a second mbsync run
downloads it again, byte for byte modulo CRLF; fetchmail downloads a
corpus sample over IMAP and IMAPS; offlineimap syncs a Maildir up and
down; mutt, driven on a pseudo-terminal, lists a folder."""
import getpass
import os
import re
import shutil
import subprocess

import pytest

from conftest import USERS
from test_clients_pop3 import (check_stored, normalise, sample,
                               store_script)
from test_pop3_session import deliver
from test_imap_mailbox import F1

CURL = shutil.which("curl")
MBSYNC = shutil.which("mbsync")
SAMPLE = 25


@pytest.fixture(scope="module")
def corpus_sample():
    import conftest
    if not (conftest.CORPUS / "messages").is_dir():
        pytest.skip("corpus not found at %s" % conftest.CORPUS)
    return sample(conftest.CORPUS)[:SAMPLE]


def curl(args):
    if CURL is None:
        pytest.skip("curl not installed")
    r = subprocess.run([CURL, "-s", "-S", "--max-time", "30", "--user",
                        "%s:%s" % USERS["alice"]] + args,
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr.decode()
    return r.stdout


@pytest.mark.parametrize("tls", [False, True], ids=["imap", "imaps"])
def test_curl_fetch_and_list(server, alice, tls):
    server.deliver("alice", F1)
    if tls:
        url, extra = "imaps://127.0.0.1:%d" % server.imaps_port, ["-k"]
    else:
        url, extra = "imap://127.0.0.1:%d" % server.imap_port, []
    assert curl(extra + [url + "/INBOX;UID=1"]) == F1
    m = server.login_imap()
    assert m.create("Curl.Sub")[0] == "OK"
    m.logout()
    out = curl(extra + [url + "/"]).decode()
    assert '* LIST (\\HasNoChildren) "." "INBOX"' in out
    assert '"Curl.Sub"' in out


def mbsync_config(tmp, server, local, tls):
    if tls:
        cert = tmp / "server.pem"
        cert.write_text(server.cert_pem)
        ssl = "SSLType IMAPS\nCertificateFile %s\n" % cert
        port, host = server.imaps_port, "localhost"   # the cert's CN
    else:
        ssl, port, host = "SSLType None\n", server.imap_port, "127.0.0.1"
    cfg = tmp / ("mbsyncrc-%s" % local.name)
    cfg.write_text(
        "IMAPAccount srv\nHost %s\nPort %d\nUser %s\nPass %s\n%s"
        "AuthMechs PLAIN LOGIN\nTimeout 60\n\n"
        "IMAPStore remote\nAccount srv\n\n"
        "MaildirStore local\nPath %s/\nInbox %s/INBOX\n"
        "SubFolders Verbatim\n\n"
        "Channel ch\nFar :remote:\nNear :local:\nPatterns *\n"
        "Create Both\nExpunge None\nSync All\nSyncState *\n"
        % (host, port, USERS["alice"][0], USERS["alice"][1], ssl, local, local))
    return cfg


def run_mbsync(cfg):
    if MBSYNC is None:
        pytest.skip("mbsync not installed")
    r = subprocess.run([MBSYNC, "-c", str(cfg), "ch"], capture_output=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()


def untuid(data):
    """mbsync marks the messages it uploads with an X-TUID header field
    (its own bookkeeping, not the server's doing)"""
    return re.sub(rb"(?m)^X-TUID: [^\r\n]*\r?\n", b"", normalise(data), 1)


def maildir_messages(path):
    out = []
    for sub in ("cur", "new"):
        d = path / sub
        if d.is_dir():
            out += [f.read_bytes() for f in d.iterdir()]
    return out


@pytest.mark.slow
@pytest.mark.parametrize("tls", [False, True], ids=["imap", "imaps"])
def test_mbsync_both_ways(server, alice, corpus_sample, tmp_path, tls):
    msgs = [raw for _, raw in corpus_sample]
    assert len(msgs) >= 20
    up = tmp_path / "up"
    for sub in ("cur", "new", "tmp"):
        (up / "INBOX" / sub).mkdir(parents=True)
    for i, raw in enumerate(msgs):
        (up / "INBOX" / "cur" / ("%d.%d.test:2,S" % (1700000000 + i, i))
         ).write_bytes(raw)
    run_mbsync(mbsync_config(tmp_path, server, up, tls))
    # what the server holds is what went in
    m = server.login_imap()
    typ, data = m.select("INBOX")
    assert int(data[0]) == len(msgs)
    typ, data = m.fetch("1:*", "(FLAGS BODY.PEEK[])")
    bodies = [d[1] for d in data if isinstance(d, tuple)]
    assert sorted(map(untuid, bodies)) == sorted(map(normalise, msgs))
    assert all(b"\\Seen" in d[0] for d in data if isinstance(d, tuple))
    m.logout()
    # and a fresh Maildir gets the same messages back
    down = tmp_path / "down"
    down.mkdir()
    run_mbsync(mbsync_config(tmp_path, server, down, tls))
    got = maildir_messages(down / "INBOX")
    assert sorted(map(untuid, got)) == sorted(map(normalise, msgs))
    # a change on the server side travels down: a new message and a flag
    server.deliver("alice", F1)
    run_mbsync(mbsync_config(tmp_path, server, down, tls))
    got = maildir_messages(down / "INBOX")
    assert len(got) == len(msgs) + 1
    assert [untuid(g) for g in got if b"<f1@example.org>" in g] == \
        [normalise(F1)]


@pytest.mark.slow
@pytest.mark.parametrize("tls", [False, True], ids=["imap", "imaps"])
def test_fetchmail_imap(alice, corpus_sample, tmp_path, tls):
    fetchmail = shutil.which("fetchmail")
    if fetchmail is None:
        pytest.skip("fetchmail not installed")
    msgs = corpus_sample
    for _, raw in msgs:
        deliver(alice, raw)
    out, store = store_script(tmp_path)
    if tls:
        port, opts = alice.imaps_port, "ssl no sslcertck"
    else:
        port, opts = alice.imap_port, 'sslproto ""'
    rc = tmp_path / "fetchmailrc"
    rc.write_text(
        "set no bouncemail\n"
        "poll 127.0.0.1 service %d protocol IMAP timeout 60\n"
        '  user "%s" there with password "%s" is "%s" here\n'
        '  options fetchall keep no rewrite %s mda "/bin/sh %s"\n'
        % (port, USERS["alice"][0], USERS["alice"][1], getpass.getuser(),
           opts, store))
    rc.chmod(0o600)
    env = dict(os.environ, HOME=str(tmp_path), FETCHMAILHOME=str(tmp_path))
    r = subprocess.run([fetchmail, "-f", str(rc), "--nosyslog", "-v"],
                       env=env, capture_output=True, timeout=300)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    got = [f.read_bytes() for f in sorted(out.iterdir())]
    check_stored(got, msgs, b"Received: from 127.0.0.1 [127.0.0.1]")
    m = alice.login_imap()
    assert m.select("INBOX", readonly=True)[1] == [str(len(msgs)).encode()]
    m.logout()


def offlineimap_config(tmp, server, local):
    cfg = tmp / ("offlineimaprc-%s" % local.name)
    cfg.write_text(
        "[general]\naccounts = t\nmetadata = %s/meta-%s\n"
        "ui = quiet\n\n"
        "[Account t]\nlocalrepository = local\nremoterepository = remote\n\n"
        "[Repository local]\ntype = Maildir\nlocalfolders = %s\n\n"
        "[Repository remote]\ntype = IMAP\nremotehost = 127.0.0.1\n"
        "remoteport = %d\nremoteuser = %s\nremotepass = %s\n"
        "ssl = no\nstarttls = no\n"
        % (tmp, local.name, local, server.imap_port, USERS["alice"][0],
           USERS["alice"][1]))
    return cfg


def run_offlineimap(cfg):
    exe = shutil.which("offlineimap")
    if exe is None:
        pytest.skip("offlineimap not installed")
    r = subprocess.run([exe, "-c", str(cfg), "-o", "-u", "quiet"],
                       capture_output=True, timeout=300)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()


def unmark(data):
    """offlineimap may tag what it uploads with X-OfflineIMAP"""
    return re.sub(rb"(?m)^X-OfflineIMAP: [^\r\n]*\r?\n", b"",
                  normalise(data), 1)


@pytest.mark.slow
def test_offlineimap_both_ways(server, alice, corpus_sample, tmp_path):
    msgs = [raw for _, raw in corpus_sample]
    up = tmp_path / "up"
    for sub in ("cur", "new", "tmp"):
        (up / "INBOX" / sub).mkdir(parents=True)
    for i, raw in enumerate(msgs):
        (up / "INBOX" / "cur" / ("%d_%d.test:2,S" % (1700000000 + i, i))
         ).write_bytes(raw)
    run_offlineimap(offlineimap_config(tmp_path, server, up))
    m = server.login_imap()
    typ, data = m.select("INBOX")
    assert int(data[0]) == len(msgs)
    typ, data = m.fetch("1:*", "(BODY.PEEK[])")
    bodies = [d[1] for d in data if isinstance(d, tuple)]
    assert sorted(map(unmark, bodies)) == sorted(map(normalise, msgs))
    m.logout()
    down = tmp_path / "down"
    down.mkdir()
    server.deliver("alice", F1)
    run_offlineimap(offlineimap_config(tmp_path, server, down))
    got = maildir_messages(down / "INBOX")
    assert sorted(map(unmark, got)) == sorted(map(normalise,
                                                  msgs + [F1]))


@pytest.mark.slow
def test_mutt_lists_folder(server, alice, tmp_path):
    mutt, script = shutil.which("mutt"), shutil.which("script")
    if mutt is None or script is None:
        pytest.skip("mutt or script not installed")
    for i in range(3):
        server.deliver("alice", F1.replace(b"hello", b"hello %d" % i)
                       .replace(b"<f1@", b"<f1-%d@" % i))
    rc = tmp_path / "muttrc"
    out = tmp_path / "out.mbox"
    rc.write_text('set imap_user="%s"\nset imap_pass="%s"\n'
                  "set ssl_starttls=no\nset ssl_force_tls=no\n"
                  "set confirmappend=no\nset confirmcreate=no\n"
                  "set mbox_type=mbox\nset move=no\nset quit=yes\n"
                  'set header_cache=""\n' % USERS["alice"])
    # the index is drawn (every subject on the screen), the current
    # message is copied out, and mutt quits
    cmd = ("%s -n -F %s -f imap://127.0.0.1:%d/INBOX -e 'push "
           '"<tag-pattern>~A<enter><tag-prefix><copy-message>%s<enter>'
           '<quit>"\'' %
           (mutt, rc, server.imap_port, out))
    r = subprocess.run([script, "-qec", cmd, "/dev/null"],
                       capture_output=True, timeout=60,
                       env={"TERM": "vt100", "HOME": str(tmp_path),
                            "PATH": "/usr/bin:/bin"})
    for i in range(3):
        assert b"hello %d" % i in r.stdout
    assert b"line one" in out.read_bytes()
