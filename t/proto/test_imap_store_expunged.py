"""Messages another session expunged but not yet announced (RFC 2180 4;
doc/expunged-messages.md), and keywords another session created (RFC 3501
7.2.6). Both were protocol violations in imaptest's stress mode.

STORE on such messages used to end NO [EXPUNGEISSUED] (RFC 2180 4.2.2's
suggestion): clients, imaptest's model of them among them, then take the
whole STORE as failed. It now answers OK with no FETCH for the vanished
messages, as Dovecot does (RFC 2180 4.2.1)."""
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


def expunge_first_two(alice):
    for n in range(3):
        alice.deliver("alice", "From: a@b\r\nSubject: %d\r\n\r\nbody\r\n" % n)
    a, b = session(alice), session(alice)
    assert cmd(a, "a1", "STORE 1:2 +FLAGS.SILENT (\\Deleted)")[-1].startswith("a1 OK")
    assert cmd(a, "a2", "EXPUNGE")[-1].startswith("a2 OK")
    return a, b


def test_store_on_messages_expunged_elsewhere(alice):
    a, b = expunge_first_two(alice)
    lines = cmd(b, "b1", "STORE 1:3 +FLAGS (\\Deleted)")
    fetches = [l for l in lines if " FETCH " in l]
    assert fetches == ["* 3 FETCH (FLAGS (\\Deleted))"], lines
    assert lines[-1].startswith("b1 OK"), lines
    # no EXPUNGE during STORE (RFC 3501 7.4.1): the next NOOP tells
    assert not [l for l in lines if l.endswith(" EXPUNGE")], lines
    lines = cmd(b, "b2", "NOOP")
    assert len([l for l in lines if l.endswith(" EXPUNGE")]) == 2, lines
    assert lines[-1].startswith("b2 OK")
    lines = cmd(b, "b3", "FETCH 1 FLAGS")
    assert lines[0] == "* 1 FETCH (FLAGS (\\Deleted))", lines
    for c in (a, b):
        c.close()


def test_store_only_on_expunged_messages(alice):
    a, b = expunge_first_two(alice)
    lines = cmd(b, "b1", "STORE 1:2 +FLAGS (\\Seen)")
    assert lines == ["b1 OK Store completed."], lines
    lines = cmd(b, "b2", "UID STORE 1:2 +FLAGS.SILENT (\\Seen)")
    assert lines == ["b2 OK Store completed."], lines
    for c in (a, b):
        c.close()


def test_keyword_of_another_session_comes_in_flags_first(alice):
    alice.deliver("alice", "From: a@b\r\nSubject: k\r\n\r\nbody\r\n")
    a, b = session(alice), session(alice)
    assert cmd(a, "a1", "STORE 1 +FLAGS.SILENT (NewWord)")[-1].startswith("a1 OK")
    lines = cmd(b, "b1", "NOOP")
    flags = [i for i, l in enumerate(lines) if l.startswith("* FLAGS ")]
    perm = [i for i, l in enumerate(lines)
            if l.startswith("* OK [PERMANENTFLAGS ")]
    fetch = [i for i, l in enumerate(lines) if " FETCH " in l]
    assert flags and perm and fetch, lines
    assert "NewWord" in lines[flags[0]] and "NewWord" in lines[perm[0]]
    assert flags[0] < perm[0] < fetch[0], lines
    assert "NewWord" in lines[fetch[0]]
    for c in (a, b):
        c.close()
