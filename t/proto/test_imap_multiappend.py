"""MULTIAPPEND (RFC 3502): several messages in one APPEND, each with its
own flags and date, delivered all or none; APPENDUID with a UID set (RFC
4315 3); the limits (message size, quota, message count) and bad syntax
in a later message leave the folder as it was."""
import pytest

from test_imap_mailbox import Session


def msg(n, size=0):
    return ("From: a@example.org\r\nSubject: m%d\r\n\r\nbody %d%s\r\n"
            % (n, n, "x" * size)).encode()


@pytest.fixture
def s(server, alice):
    return Session(server)


def send_sync(s, tag, head, parts):
    """APPEND with synchronizing literals: head, then for each (args,
    data) the arguments, a literal and its data after the "+"."""
    s.raw.send(("%s APPEND %s" % (tag, head)).encode())
    for i, (args, data) in enumerate(parts):
        s.raw.send((" %s{%d}\r\n" % (args, len(data))).encode())
        line = s.raw.readline()
        if not line.startswith("+ "):
            return [line]
        s.raw.send(data)
    s.raw.send(b"\r\n")
    return s.raw.read_until_tagged(tag)


def count(s, box="INBOX"):
    line = s.cmd("STATUS %s (MESSAGES)" % box)[0]
    return int(line.rsplit(" ", 1)[1].rstrip(")"))


def test_multiappend_sync(s):
    assert "MULTIAPPEND" in s.cmd("CAPABILITY")[0].split()
    lines = send_sync(s, "a1", "INBOX", [
        ("(\\Seen) ", msg(1)),
        ('"01-Feb-2020 10:00:00 +0000" ', msg(2)),
        ("(\\Flagged $Work) \"02-Feb-2020 10:00:00 +0000\" ", msg(3))])
    assert lines[-1].startswith("a1 OK [APPENDUID "), lines
    uidv, uids = lines[-1].split()[3:5]
    assert uids == "1:3]"
    s.cmd("SELECT INBOX")
    got = s.cmd("FETCH 1:3 (FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS "
                "(SUBJECT)])")
    text = "\n".join(got)
    assert "FLAGS (\\Seen \\Recent)" in got[0]
    assert 'INTERNALDATE "01-Feb-2020 10:00:00 +0000"' in text
    assert "\\Flagged" in text and "$Work" in text
    assert "m1" in text and "m2" in text and "m3" in text


def test_multiappend_nonsync(s):
    data = b"t2 APPEND INBOX"
    for i in range(1, 4):
        m = msg(i)
        data += b" {%d+}\r\n%s" % (len(m), m)
    s.raw.send(data + b"\r\n")
    line = s.raw.read_until_tagged("t2")[-1]
    assert line.startswith("t2 OK [APPENDUID ") and " 1:3] " in line, line
    assert count(s) == 3


def test_multiappend_atomic_bad_later_message(s):
    """A syntax error in the third message: BAD, and none is appended."""
    lines = send_sync(s, "a3", "INBOX", [
        ("", msg(1)), ("", msg(2)), ("(\\Bogus) ", msg(3))])
    assert lines[-1].startswith("a3 BAD"), lines
    assert count(s) == 0
    s.raw.send(b"a4 APPEND INBOX {5+}\r\nhello {3+}\r\nabc junk\r\n")
    assert s.raw.read_until_tagged("a4")[-1].startswith("a4 BAD")
    assert count(s) == 0


def test_multiappend_atomic_too_big(make_server):
    srv = make_server({"imap.max_append": "1k"})
    s = Session(srv)
    lines = send_sync(s, "a5", "INBOX", [("", msg(1)), ("", msg(2, 2000))])
    assert lines[-1].startswith("a5 NO [TOOBIG]"), lines
    assert count(s) == 0
    # a non-synchronizing one over the limit cannot be skipped: BYE
    m = msg(1)
    s.raw.send(b"a6 APPEND INBOX {%d+}\r\n%s {5000+}\r\n" % (len(m), m))
    lines = []
    while True:
        line = s.raw.readline()
        lines.append(line)
        if line.startswith("a6 ") or line.startswith("* BYE"):
            break
    assert lines[-1].startswith("* BYE"), lines
    s2 = Session(srv)
    assert count(s2) == 0


def test_multiappend_atomic_quota(server, alice):
    md = server.maildir("alice")
    md.mkdir(parents=True, exist_ok=True)
    (md / "maildirsize").write_text("250S,1000C\n0 0\n")
    s = Session(server)
    lines = send_sync(s, "a7", "INBOX", [("", msg(1, 100)),
                                         ("", msg(2, 100))])
    assert lines[-1].startswith("a7 NO [OVERQUOTA]"), lines
    assert count(s) == 0
    assert send_sync(s, "a8", "INBOX", [("", msg(1, 100))])[-1] \
        .startswith("a8 OK")


def test_multiappend_message_cap(s):
    """At most 100 messages in one APPEND (each is held open until the
    command ends): the 101st makes it NO [LIMIT], none appended."""
    m = msg(1)
    data = b"a9 APPEND INBOX"
    for i in range(101):
        data += b" {%d+}\r\n%s" % (len(m), m)
    s.raw.send(data + b"\r\n")
    line = s.raw.read_until_tagged("a9")[-1]
    assert line.startswith("a9 NO [LIMIT]"), line
    assert count(s) == 0
    data = b"a10 APPEND INBOX"
    for i in range(100):
        data += b" {%d+}\r\n%s" % (len(m), m)
    s.raw.send(data + b"\r\n")
    assert s.raw.read_until_tagged("a10")[-1].startswith(
        "a10 OK [APPENDUID ")
    assert count(s) == 100


def test_multiappend_missing_folder(s):
    lines = send_sync(s, "b1", "Nowhere", [("", msg(1)), ("", msg(2))])
    assert lines[-1].startswith("b1 NO [TRYCREATE]"), lines


def test_replace_takes_one_message(s):
    assert s.append("INBOX", msg(1))
    s.cmd("SELECT INBOX")
    m = msg(2)
    s.raw.send(b"r1 REPLACE 1 INBOX {%d+}\r\n%s {%d+}\r\n%s\r\n"
               % (len(m), m, len(m), m))
    assert s.raw.read_until_tagged("r1")[-1].startswith("r1 BAD")
    assert count(s) == 1


def test_multiappend_imaplib_single_still_works(server, alice):
    m = server.login_imap()
    typ, data = m.append("INBOX", None, None, msg(1))
    assert typ == "OK" and b"APPENDUID" in data[0]
    m.logout()
