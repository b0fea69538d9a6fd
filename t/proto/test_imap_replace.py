"""REPLACE and UID REPLACE (RFC 8508): the new message is appended, then
the old one expunged; every refusal comes before the literal is invited
and leaves the old message alone."""
import re

import pytest

from imapwire import Wire, message


@pytest.fixture
def w(server, alice):
    c = Wire(server)
    c.append("INBOX", message("first draft"))
    c.append("INBOX", message("other"))
    assert c.ok("CREATE Drafts")
    yield c
    c.close()


def replace(w, cmd, msg, sync=True):
    """send cmd + a literal of msg; (untagged lines, tagged status)"""
    if isinstance(msg, str):
        msg = msg.encode()
    w.n += 1
    tag = "r%d" % w.n
    w.raw.sendline("%s %s {%d%s}" % (tag, cmd, len(msg), "" if sync else "+"))
    if sync:
        line = w.raw.readline()
        if not line.startswith("+"):
            assert line.startswith(tag + " "), line
            return [], line[len(tag) + 1:]
    w.raw.send(msg + b"\r\n")
    lines = w.raw.read_until_tagged(tag)
    return lines[:-1], lines[-1][len(tag) + 1:]


def headers(w):
    out = []
    w.n += 1
    tag = "h%d" % w.n
    w.raw.sendline("%s FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])" % tag)
    data = b""
    while True:
        line = w.raw.readline()
        if line.startswith(tag + " "):
            break
        m = re.search(r"\{(\d+)\}$", line)
        if m:
            data = w.raw.read_exact(int(m.group(1)))
            out.append(data.decode().strip().split(": ", 1)[1])
    return out


def test_capability(w):
    assert "REPLACE" in w.caps()


def test_replace_in_same_mailbox(w):
    assert w.ok("SELECT INBOX")
    lines, status = replace(w, "REPLACE 1 INBOX (\\Seen \\Draft)",
                            message("second draft"))
    assert status.startswith("OK"), status
    m = re.match(r"\* OK \[APPENDUID (\d+) 3\]", lines[0])
    assert m, lines
    assert "* 1 EXPUNGE" in lines
    assert lines.index("* 1 EXPUNGE") > 0
    assert "* 2 EXISTS" in lines, lines
    assert headers(w) == ["other", "second draft"]
    assert "\\Draft" in w.cmd("FETCH 2 FLAGS")[0]


def test_uid_replace_into_other_mailbox(w):
    assert w.ok("SELECT INBOX")
    lines, status = replace(w, "UID REPLACE 2 Drafts", message("v2"))
    assert status.startswith("OK"), status
    assert re.match(r"\* OK \[APPENDUID \d+ 1\]", lines[0]), lines
    assert "* 2 EXPUNGE" in lines
    assert headers(w) == ["first draft"]
    assert w.ok("SELECT Drafts")
    assert headers(w) == ["v2"]


def test_replace_non_synchronizing_literal(w):
    assert w.ok("SELECT INBOX")
    lines, status = replace(w, "REPLACE 2 INBOX", message("lit+"), sync=False)
    assert status.startswith("OK"), status
    assert headers(w) == ["first draft", "lit+"]


@pytest.mark.parametrize("cmd,want", [
    ("UID REPLACE 99 INBOX", "NO"),         # no such UID
    ("REPLACE 3 INBOX", "BAD"),             # past EXISTS
    ("REPLACE 1:2 INBOX", "BAD"),           # one message only
    ("REPLACE 0 INBOX", "BAD"),
    ("REPLACE * INBOX", "BAD"),
    ("REPLACE 1 Nope", "NO [TRYCREATE]"),   # no such target
    ("REPLACE 1 INBOX (\\Bogus)", "BAD"),
    ("REPLACE 1 INBOX \"bad date\"", "BAD"),
])
def test_refusals_leave_the_old_message(w, cmd, want):
    assert w.ok("SELECT INBOX")
    lines, status = replace(w, cmd, message("never"))
    assert status.startswith(want), (cmd, status)
    assert headers(w) == ["first draft", "other"]
    assert w.ok("NOOP")


def test_refused_read_only_and_not_selected(server, w):
    w.cmd("UNSELECT")
    lines, status = replace(w, "REPLACE 1 INBOX", message("x"))
    assert status.startswith("BAD"), status
    assert w.ok("EXAMINE INBOX")
    lines, status = replace(w, "REPLACE 1 INBOX", message("x"))
    assert status.startswith("NO"), status
    assert headers(w) == ["first draft", "other"]


def test_too_big_refused_before_literal(make_server, alice):
    srv = make_server({"imap.max_append": "1k"})
    w = Wire(srv)
    w.append("INBOX", message("small"))
    assert w.ok("SELECT INBOX")
    lines, status = replace(w, "REPLACE 1 INBOX", "x" * 5000)
    assert status.startswith("NO [TOOBIG]"), status
    assert w.ok("NOOP")
    w.close()


def test_replace_without_literal(w):
    assert w.ok("SELECT INBOX")
    w.cmd("REPLACE 1 INBOX")
    assert w.status.startswith("BAD"), w.status
    w.cmd("REPLACE 1 INBOX \"text\"")
    assert w.status.startswith("BAD"), w.status
    assert headers(w) == ["first draft", "other"]
