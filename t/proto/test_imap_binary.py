"""BINARY (RFC 3516): FETCH BINARY[n], BINARY.PEEK[n], BINARY.SIZE[n] with
the transfer encoding undone by the server, literal8 ("~{n}") for data
with NUL, APPEND of a literal8, NO [UNKNOWN-CTE], and the syntax limits
(part numbers only, no partial on BINARY.SIZE)."""
import base64
import re

import pytest

from test_imap_mailbox import Session

DATA = bytes(range(256)) * 3                       # NULs and 8-bit octets
QP_BODY = b"hello  \r\nbar=\r\n\r\nfoo=3D =\t\r\nbaz\r\n"
QP_TEXT = b"hello\r\nbar\r\nfoo= baz\r\n"          # RFC 2045 6.7 rules 3, 5


def multipart(*parts):
    out = (b"From: a@example.org\r\nSubject: bin\r\nMIME-Version: 1.0\r\n"
           b'Content-Type: multipart/mixed; boundary="xx"\r\n\r\n')
    for cte, body in parts:
        out += (b"--xx\r\nContent-Type: application/octet-stream\r\n"
                b"Content-Transfer-Encoding: " + cte + b"\r\n\r\n" + body +
                b"\r\n")
    return out + b"--xx--\r\n"


B64 = base64.encodebytes(DATA).replace(b"\n", b"\r\n").rstrip(b"\r\n")
MSG = multipart((b"base64", B64), (b"quoted-printable", QP_BODY),
                (b"7bit", b"plain text"), (b"x-uuencode", b"begin 644 x"))


def fetch_items(s, tag, what):
    """Send "tag FETCH what" and return ({item: bytes or int or None},
    literal8 item names, status line)."""
    s.raw.sendline("%s FETCH %s" % (tag, what))
    items, lit8 = {}, set()
    while True:
        line = s.raw.readline()
        if line.startswith(tag + " "):
            return items, lit8, line
        rest = line.split(" FETCH (", 1)[1] if " FETCH (" in line else ""
        while rest:
            m = re.match(r" ?([A-Z0-9.\[\]<>]+) (~?)\{(\d+)\}$", rest)
            if m:
                data = s.raw.read_exact(int(m.group(3)))
                items[m.group(1)] = data
                if m.group(2):
                    lit8.add(m.group(1))
                rest = s.raw.readline()
                continue
            m = re.match(r" ?([A-Z0-9.\[\]<>]+) (\d+|NIL|\([^)]*\))(.*)$",
                         rest)
            if not m:
                break
            v = m.group(2)
            items[m.group(1)] = None if v == "NIL" else \
                int(v) if v.isdigit() else v
            rest = m.group(3)


@pytest.fixture
def s(server, alice):
    server.deliver("alice", MSG)
    sess = Session(server)
    assert sess.ok("SELECT INBOX")
    return sess


def test_binary_capability(s):
    assert "BINARY" in s.cmd("CAPABILITY")[0].split()


def test_binary_base64_decoded(s):
    items, lit8, st = fetch_items(s, "f1", "1 (BINARY.SIZE[1] "
                                  "BINARY.PEEK[1] BINARY.PEEK[1]<2.5>)")
    assert st.startswith("f1 OK"), st
    assert items["BINARY.SIZE[1]"] == len(DATA)
    assert items["BINARY[1]"] == DATA
    assert "BINARY[1]" in lit8                     # NULs: literal8
    assert items["BINARY[1]<2>"] == DATA[2:7]
    assert "BINARY[1]<2>" not in lit8              # no NUL in it
    assert "\\Seen" not in s.cmd("FETCH 1 FLAGS")[0]


def test_binary_qp_and_identity(s):
    items, lit8, st = fetch_items(s, "f2", "1 (BINARY.PEEK[2] "
                                  "BINARY.SIZE[2] BINARY.PEEK[3])")
    assert st.startswith("f2 OK"), st
    assert items["BINARY[2]"] == QP_TEXT
    assert items["BINARY.SIZE[2]"] == len(QP_TEXT)
    assert items["BINARY[3]"] == b"plain text"
    assert not lit8


def test_binary_sets_seen(s):
    items, lit8, st = fetch_items(s, "f3", "1 (BINARY[3])")
    assert st.startswith("f3 OK")
    assert "\\Seen" in s.cmd("FETCH 1 FLAGS")[0]


def test_binary_unknown_cte(s):
    items, lit8, st = fetch_items(s, "f4", "1 (BINARY.PEEK[4])")
    assert st.startswith("f4 NO [UNKNOWN-CTE]"), st
    items, lit8, st = fetch_items(s, "f5", "1 (BINARY.SIZE[4])")
    assert st.startswith("f5 NO [UNKNOWN-CTE]"), st
    # BODY[4] is still the stored text
    items, lit8, st = fetch_items(s, "f6", "1 (BODY.PEEK[4])")
    assert items["BODY[4]"] == b"begin 644 x"


def test_binary_missing_part_is_nil(s):
    items, lit8, st = fetch_items(s, "f7", "1 (BINARY.PEEK[9])")
    assert st.startswith("f7 OK") and items["BINARY[9]"] is None


@pytest.mark.parametrize("item", [
    "BINARY[1.MIME]", "BINARY[HEADER]", "BINARY[1.TEXT]",
    "BINARY.SIZE[1]<0.1>", "BINARY[0]", "BINARY[1]<0.0>", "BINARY[1",
    "BINARY.FOO[1]", "BINARY.PEEK[x]"])
def test_binary_bad_syntax(s, item):
    s.cmd("FETCH 1 (%s)" % item)
    assert s.status.startswith("BAD"), (item, s.status)


def test_append_literal8(server, alice):
    """APPEND ~{n} (RFC 3516 4.4): a body with NUL is stored as sent;
    BINARY of its "binary" part gives those octets back (literal8), BODY
    never sends a NUL."""
    body = b"\x00-\xe4\n\r\n\n"
    msg = (b"From: a@example.org\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: application/octet-stream\r\n"
           b"Content-Transfer-Encoding: binary\r\n\r\n" + body)
    s = Session(server)
    s.raw.send(b"a1 APPEND INBOX ~{%d}\r\n" % len(msg))
    assert s.raw.readline().startswith("+ ")
    s.raw.send(msg + b"\r\n")
    assert s.raw.read_until_tagged("a1")[-1].startswith("a1 OK [APPENDUID")
    s.raw.send(b"a2 APPEND INBOX ~{%d+}\r\n%s\r\n" % (len(msg), msg))
    assert s.raw.read_until_tagged("a2")[-1].startswith("a2 OK [APPENDUID")
    assert s.ok("SELECT INBOX")
    items, lit8, st = fetch_items(s, "f1", "1:2 (BINARY.SIZE[1] "
                                  "BINARY.PEEK[1] BODY.PEEK[1])")
    assert items["BINARY.SIZE[1]"] == len(body)
    assert items["BINARY[1]"] == body and "BINARY[1]" in lit8
    assert b"\x00" not in items["BODY[1]"]
    # literal8 only where APPEND takes its message
    s.raw.send(b"b1 SELECT ~{5}\r\n")
    assert s.raw.readline().startswith("b1 BAD")
