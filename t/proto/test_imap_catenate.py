"""CATENATE (RFC 4469): APPEND builds a message from TEXT literals and
IMAP URLs (RFC 5092) naming messages or sections of the user's mailboxes,
as BODY.PEEK[section]<partial> sends them; a URL that does not resolve is
NO [BADURL url] and nothing is appended (MULTIAPPEND: no message); a
missing target is NO [TRYCREATE]; bad part syntax is BAD."""
import re

import pytest

from test_imap_mailbox import Session

DRAFT = (b"From: a@example.org\r\nSubject: draft\r\n"
         b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n"
         b"--XX\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n"
         b"--XX\r\nContent-Type: text/plain\r\n\r\nsecond part\r\n"
         b"--XX--\r\n")


@pytest.fixture
def s(server, alice):
    sess = Session(server)
    assert sess.ok("CREATE Drafts")
    assert sess.append("Drafts", DRAFT)
    return sess


def send(s, text):
    """One command with LITERAL+ literals given as {n+}; the tagged line."""
    s.n += 1
    tag = "t%d" % s.n
    s.raw.send(("%s %s\r\n" % (tag, text)).encode())
    lines = s.raw.read_until_tagged(tag)
    s.status = lines[-1][len(tag) + 1:]
    return lines[:-1]


def lit(data):
    return "{%d+}\r\n%s" % (len(data), data)


def fetch(s, box, seq, item):
    assert s.ok("EXAMINE %s" % box)
    lines = s.cmd("FETCH %d %s" % (seq, item))
    assert s.status.startswith("OK")
    m = re.match(r"\* \d+ FETCH \(.*\{(\d+)\}$", lines[0])
    if m is None:
        return None
    # read_until_tagged joins a literal's lines with the next: rebuild
    return "\r\n".join(lines[1:])[:int(m.group(1))]


def uidvalidity(s, box):
    line = s.cmd("STATUS %s (UIDVALIDITY)" % box)[0]
    return int(re.search(r"UIDVALIDITY (\d+)", line).group(1))


def test_capability(s):
    assert "CATENATE" in s.cmd("CAPABILITY")[0].split()


def test_rfc4469_example(s):
    """RFC 4469 5: a forwarded draft made of the old header, new text and
    the old parts, with UIDVALIDITY checked"""
    v = uidvalidity(s, "Drafts")
    base = "/Drafts;UIDVALIDITY=%d/;UID=1" % v
    send(s, 'APPEND Drafts (\\Seen \\Draft) CATENATE (URL "%s/;section=HEADER"'
         ' TEXT %s URL "%s/;section=1.MIME" URL "%s/;section=1" TEXT %s)'
         % (base, lit("--XX\r\n"), base, base, lit("\r\n--XX--\r\n")))
    assert re.match(r"OK \[APPENDUID %d 2\] " % v, s.status), s.status
    header = fetch(s, "Drafts", 1, "BODY.PEEK[HEADER]")
    mime1 = fetch(s, "Drafts", 1, "BODY.PEEK[1.MIME]")
    part1 = fetch(s, "Drafts", 1, "BODY.PEEK[1]")
    new = fetch(s, "Drafts", 2, "BODY.PEEK[]")
    assert new == header + "--XX\r\n" + mime1 + part1 + "\r\n--XX--\r\n"
    assert fetch(s, "Drafts", 2, "FLAGS") is None
    assert "\\Seen \\Draft" in s.cmd("FETCH 2 FLAGS")[0]


def test_url_forms(s):
    body = fetch(s, "Drafts", 1, "BODY.PEEK[TEXT]")
    # relative to the selected mailbox, whole message, partial
    assert s.ok("SELECT Drafts")
    send(s, 'APPEND INBOX CATENATE (URL ";UID=1/;SECTION=TEXT")')
    assert s.status.startswith("OK"), s.status
    send(s, 'APPEND INBOX CATENATE (URL "/Drafts/;uid=1/;partial=5.10")')
    assert s.status.startswith("OK"), s.status
    send(s, 'APPEND INBOX CATENATE (URL "imap://alice@example.org@localhost'
         '/Drafts/;UID=1")')
    assert s.status.startswith("OK"), s.status
    send(s, 'APPEND INBOX CATENATE (URL "imap://localhost/%44rafts/;UID=1")')
    assert s.status.startswith("OK"), s.status
    assert fetch(s, "INBOX", 1, "BODY.PEEK[]") == body
    assert fetch(s, "INBOX", 2, "BODY.PEEK[]") == \
        DRAFT.decode()[5:15]
    assert fetch(s, "INBOX", 3, "BODY.PEEK[]") == DRAFT.decode()
    assert fetch(s, "INBOX", 4, "BODY.PEEK[]") == DRAFT.decode()


def test_synchronizing_text_literal(s):
    s.n += 1
    tag = "t%d" % s.n
    s.raw.send(("%s APPEND INBOX CATENATE (TEXT {11}\r\n" % tag).encode())
    assert s.raw.readline().startswith("+ ")
    s.raw.send(b"Subject: x\n URL \"/Drafts/;UID=1/;SECTION=1\")\r\n")
    assert s.raw.read_until_tagged(tag)[-1].startswith(tag + " OK")
    assert fetch(s, "INBOX", 1, "BODY.PEEK[]") == \
        "Subject: x\r\nfirst part"


def test_bad_urls_append_nothing(s):
    v = uidvalidity(s, "Drafts")
    for url in ("/Drafts;UIDVALIDITY=%d/;UID=1" % (v + 1),
                "/Drafts/;UID=9",
                "/Nope/;UID=1",
                "/Drafts/;UID=1/;SECTION=7",
                "/Drafts/;UID=1/;SECTION=BOGUS",
                "/Drafts/;UID=1;URLAUTH=anonymous:internal:00",
                "imap://bob@localhost/Drafts/;UID=1",
                ";UID=1"):                  # nothing selected
        send(s, 'APPEND INBOX CATENATE (TEXT %s URL "%s")'
             % (lit("x: y\r\n"), url))
        assert s.status == "NO [BADURL %s] Bad URL" % url, s.status
    # MULTIAPPEND: all or nothing (RFC 3502)
    send(s, 'APPEND INBOX CATENATE (TEXT %s) CATENATE (URL "/Drafts/;UID=9")'
         % lit("x: y\r\n"))
    assert s.status.startswith("NO [BADURL")
    assert s.cmd("STATUS INBOX (MESSAGES)") == \
        ['* STATUS "INBOX" (MESSAGES 0)']


def test_multiappend_mixed_with_literal(s):
    send(s, 'APPEND INBOX CATENATE (URL "/Drafts/;UID=1/;SECTION=1") '
         '(\\Flagged) %s' % lit("Subject: plain\r\n\r\nbody\r\n"))
    assert s.status.startswith("OK [APPENDUID "), s.status
    assert s.status.split()[3] == "1:2]"
    assert fetch(s, "INBOX", 1, "BODY.PEEK[]") == "first part"
    assert fetch(s, "INBOX", 2, "BODY.PEEK[]") == \
        "Subject: plain\r\n\r\nbody\r\n"


def test_text_literal_after_a_streamed_message(s):
    send(s, "APPEND INBOX %s CATENATE (TEXT %s)"
         % (lit("Subject: 1\r\n\r\none\r\n"), lit("Subject: 2\r\n")))
    assert s.status.startswith("OK [APPENDUID "), s.status
    # the same with synchronizing literals: "+" for each
    s.n += 1
    tag = "t%d" % s.n
    s.raw.send(("%s APPEND INBOX {5}\r\n" % tag).encode())
    assert s.raw.readline().startswith("+ ")
    s.raw.send(b"one\r\n CATENATE (TEXT {5}\r\n")
    assert s.raw.readline().startswith("+ ")
    s.raw.send(b"two\r\n)\r\n")
    assert s.raw.read_until_tagged(tag)[-1].startswith(tag + " OK")
    assert fetch(s, "INBOX", 2, "BODY.PEEK[]") == "Subject: 2\r\n"
    assert fetch(s, "INBOX", 4, "BODY.PEEK[]") == "two\r\n"


def test_target_and_syntax(s):
    send(s, 'APPEND Nope CATENATE (URL "/Drafts/;UID=9")')
    assert s.status.startswith("NO [TRYCREATE]")
    for parts in ("()", '(FOO "x")', '(TEXT "quoted")', "(URL)",
                  '(URL "/Drafts/;UID=1" TEXT)'):
        send(s, "APPEND INBOX CATENATE %s" % parts)
        assert s.status.startswith("BAD"), (parts, s.status)
