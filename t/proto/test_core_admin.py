"""maildock-admin against the real daemon: who, kick, refusal of a
non-admin (issue 17)."""
import json
import os
import poplib
import shutil
import subprocess
import tempfile
import time

import pytest

from conftest import BUILDDIR, USERS


def admin(srv, *args, user=None):
    def become():
        os.setgid(65534)
        os.setgroups([])
        os.setuid(user)
    return subprocess.run([str(BUILDDIR / "maildock-admin"), "-c",
                           str(srv.conf)] + list(args), capture_output=True,
                          text=True, timeout=30,
                          preexec_fn=become if user is not None else None)


def who(srv):
    r = admin(srv, "-j", "who")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def wait_sessions(srv, pred, timeout=10):
    deadline = time.time() + timeout
    while True:
        rows = who(srv)
        if pred(rows) or time.time() > deadline:
            return rows
        time.sleep(0.05)


def test_who_lists_imap_and_pop3_sessions(make_server):
    srv = make_server()
    imap = srv.imaps()
    imap.login(*USERS["alice"])
    pop = srv.pop3()
    pop.user(USERS["bob"][0])
    pop.pass_(USERS["bob"][1])
    anon = srv.imap()               # connected, not logged in
    rows = wait_sessions(srv, lambda r: len(r) == 3)
    by_user = {r["user"]: r for r in rows}
    assert by_user["alice@example.org"]["protocol"] == "imap"
    assert by_user["alice@example.org"]["tls"] == 1
    assert by_user["bob@example.org"]["protocol"] == "pop3"
    assert by_user["bob@example.org"]["tls"] == 0
    assert by_user["-"]["protocol"] == "imap"
    assert all(r["ip"] == "127.0.0.1" for r in rows)
    # ids are 8 hex digits: strings, even when all digits ("01234567")
    assert all(isinstance(r["id"], str) and len(r["id"]) == 8 for r in rows)
    assert all(abs(r["since"] - time.time()) < 120 for r in rows)
    text = admin(srv, "who")
    assert text.returncode == 0
    lines = text.stdout.splitlines()
    assert lines[0].split() == ["id", "user", "ip", "protocol", "tls", "since"]
    assert len(lines) == 4
    imap.logout()
    pop.quit()
    anon.logout()


def test_kick_ends_exactly_that_users_sessions(make_server):
    srv = make_server()
    a1 = srv.login_imap("alice")
    a2 = srv.pop3()
    a2.user(USERS["alice"][0])
    a2.pass_(USERS["alice"][1])
    b = srv.login_imap("bob")
    wait_sessions(srv, lambda r: len(r) == 3)
    r = admin(srv, "kick", USERS["alice"][0])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "kicked 2 sessions of alice@example.org"
    rows = wait_sessions(srv, lambda r: len(r) == 1)
    assert [x["user"] for x in rows] == ["bob@example.org"]
    # alice's connections are gone; bob's works on
    with pytest.raises(Exception):
        a1.noop()
    with pytest.raises((poplib.error_proto, OSError, EOFError)):
        a2.stat()
    assert b.noop()[0] == "OK"
    kicked = [l for l in srv.log().splitlines()
              if "disconnect reason=kicked" in l]
    assert len(kicked) == 2
    assert all('user="alice@example.org"' in l for l in kicked)
    # nobody left to kick: a script sees it
    r = admin(srv, "kick", USERS["alice"][0])
    assert r.returncode == 1
    assert r.stdout.strip() == "kicked 0 sessions of alice@example.org"
    b.logout()


def test_kick_says_goodbye_in_each_protocol(make_server):
    """A kicked IMAP session reads "* BYE" (RFC 3501 7.1.5), over TLS and
    while parked in IDLE too; a POP3 session reads "-ERR" before the close."""
    srv = make_server()
    plain = srv.login_imap("alice")
    tls = srv.imaps()
    tls.login(*USERS["alice"])
    idler = srv.login_imap("alice")
    idler.select("INBOX")
    idler.send(b"i1 IDLE\r\n")
    assert idler.readline().startswith(b"+ ")
    pop = srv.pop3()
    pop.user(USERS["alice"][0])
    pop.pass_(USERS["alice"][1])
    wait_sessions(srv, lambda r: len(r) == 4)
    time.sleep(0.3)                 # the IDLE session parks
    r = admin(srv, "kick", USERS["alice"][0])
    assert r.stdout.strip() == "kicked 4 sessions of alice@example.org"
    for m in (plain, tls, idler):
        assert (m.readline() ==
                b"* BYE Disconnected by the administrator\r\n")
        assert m.readline() == b""
    assert pop.file.readline() == b"-ERR Disconnected by the administrator.\r\n"
    assert pop.file.readline() == b""
    assert wait_sessions(srv, lambda r: r == []) == []


def test_kick_by_address(make_server):
    srv = make_server()
    held = [srv.login_imap("alice"), srv.login_imap("bob")]
    assert len(wait_sessions(srv, lambda r: len(r) == 2)) == len(held)
    r = admin(srv, "-j", "kick", "127.0.0.1")
    assert r.returncode == 0
    assert json.loads(r.stdout) == {"kicked": 2}
    assert wait_sessions(srv, lambda r: r == []) == []


def test_log_level_stats_reload_and_errors(make_server):
    srv = make_server()
    assert admin(srv, "log", "level", "warning").returncode == 0
    before = len(srv.log())
    srv.login_imap("alice").logout()
    time.sleep(0.2)
    assert "imap: login" not in srv.log()[before:]
    r = admin(srv, "-j", "stats")
    assert r.returncode == 0
    assert json.loads(r.stdout)["maildock_processes"] >= 1
    before = len(srv.log())
    assert admin(srv, "reload").returncode == 0
    # the master reloads, and every worker with it
    deadline = time.time() + 10
    while ("reload: configuration reloaded" not in srv.log()[before:] and
           time.time() < deadline):
        time.sleep(0.05)
    assert "reload: configuration reloaded" in srv.log()[before:]
    # usage errors exit 2, as maildock-admin(8) says
    for args in (["frobnicate"], [], ["who", "extra"], ["kick"],
                 ["log", "level", "loud"], ["log", "volume", "info"]):
        bad = admin(srv, *args)
        assert bad.returncode == 2, args
        assert bad.stderr.startswith("usage: maildock-admin"), args


def test_no_server_answers(make_server):
    srv = make_server(start=False)
    r = admin(srv, "who")
    assert r.returncode == 3
    assert "no maildockd answers" in r.stderr


@pytest.fixture
def shared_dir():
    """A directory others may traverse (pytest's own are root-only)."""
    d = tempfile.mkdtemp(prefix="maildock-admin-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to change uid")
@pytest.mark.parametrize("group, allowed", [("", False), ("nogroup", True)])
def test_non_admin_uid_is_refused(make_server, shared_dir, group, allowed):
    srv = make_server({"control.socket_dir": shared_dir + "/run",
                       "control.admin_group": group}, start=False)
    # the tool reads the configuration first: let nobody read a copy
    srv.conf = shutil.copy(srv.conf, shared_dir + "/maildock.conf")
    os.chmod(srv.conf, 0o644)
    srv.start()
    held = srv.login_imap("alice")
    r = admin(srv, "who", user=65534)       # nobody, group nogroup
    if allowed:
        assert r.returncode == 0, r.stderr
        assert "alice@example.org" in r.stdout
    else:
        assert r.returncode == 4
        assert "permission denied" in r.stderr
        assert admin(srv, "kick", "alice@example.org",
                     user=65534).returncode == 4
        assert "alice@example.org" in admin(srv, "who").stdout
    held.logout()
