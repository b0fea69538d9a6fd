"""STORE on messages another session expunged but not yet announced
(RFC 2180 4.2; found by a fresh review: FETCH FLAGS () was sent for them
and the STORE answered OK)."""
from conftest import USERS


def cmd(c, tag, line):
    c.sendline("%s %s" % (tag, line))
    return c.read_until_tagged(tag)


def session(srv):
    c = srv.raw(srv.imap_port)
    c.readline()
    login, password = USERS["alice"]
    assert cmd(c, "l", 'LOGIN "%s" "%s"' % (login, password))[-1].startswith("l OK")
    assert cmd(c, "s", "SELECT INBOX")[-1].startswith("s OK")
    return c


def test_store_on_messages_expunged_elsewhere(alice):
    for n in range(3):
        alice.deliver("alice", "From: a@b\r\nSubject: %d\r\n\r\nbody\r\n" % n)
    a, b = session(alice), session(alice)
    assert cmd(a, "a1", "STORE 1:2 +FLAGS.SILENT (\\Deleted)")[-1].startswith("a1 OK")
    assert cmd(a, "a2", "EXPUNGE")[-1].startswith("a2 OK")
    lines = cmd(b, "b1", "STORE 1:3 +FLAGS (\\Deleted)")
    fetches = [l for l in lines if " FETCH " in l]
    assert fetches == ["* 3 FETCH (FLAGS (\\Deleted))"], lines
    assert lines[-1].startswith("b1 NO [EXPUNGEISSUED]"), lines
    lines = cmd(b, "b2", "NOOP")
    assert len([l for l in lines if l.endswith(" EXPUNGE")]) == 2, lines
    assert lines[-1].startswith("b2 OK")
    for c in (a, b):
        c.close()
