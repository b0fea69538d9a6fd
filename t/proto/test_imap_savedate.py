"""SAVEDATE (RFC 8514): FETCH SAVEDATE and the SAVEDBEFORE, SAVEDON,
SAVEDSINCE and SAVEDATESUPPORTED search keys. The save date is the time
in the Maildir unique name, written with the message (storage/store-info.h):
APPEND, delivery and COPY/MOVE set it, a flag change keeps it, and a file
whose name does not follow the Maildir rule has none (NIL)."""
import calendar
import re
import time

import pytest

from imapwire import Wire, message

OLD = "1000000000.M1P1Q1.testhost"     # 2001-09-09 01:46:40 UTC


@pytest.fixture
def w(server, alice):
    c = Wire(server)
    yield c
    c.close()


def fetch(w, seqs, items):
    out = {}
    for l in w.cmd("FETCH %s (%s)" % (seqs, items)):
        m = re.match(r"\* (\d+) FETCH \((.*)\)$", l)
        if m:
            out[int(m.group(1))] = m.group(2)
    assert w.status.startswith("OK"), w.status
    return out


def epoch(text):
    """the epoch seconds of an IMAP date-time "dd-Mon-yyyy hh:mm:ss +zzzz"""
    d = text.strip('"')
    t = calendar.timegm(time.strptime(d[:20], "%d-%b-%Y %H:%M:%S"))
    z = d[21:]
    off = (int(z[1:3]) * 3600 + int(z[3:5]) * 60) * (-1 if z[0] == "-" else 1)
    return t - off


def saved(w, seq):
    v = re.search(r'SAVEDATE (NIL|"[^"]+")', fetch(w, seq, "SAVEDATE")[seq])
    return None if v.group(1) == "NIL" else epoch(v.group(1))


def test_capability(w):
    assert "SAVEDATE" in w.caps()


def test_append_sets_save_date_not_internal_date(w):
    before = time.time()
    lit = message("old").encode()
    w.raw.sendline('a1 APPEND INBOX "01-Jan-2001 10:00:00 +0000" {%d}'
                   % len(lit))
    assert w.raw.readline().startswith("+")
    w.raw.send(lit + b"\r\n")
    assert w.raw.read_until_tagged("a1")[-1].startswith("a1 OK")
    assert w.ok("SELECT INBOX")
    got = fetch(w, 1, "INTERNALDATE SAVEDATE")[1]
    assert 'INTERNALDATE "01-Jan-2001' in got, got
    s = saved(w, 1)
    assert before - 2 <= s <= time.time() + 2, got


def test_delivery_name_is_the_save_date_and_flags_keep_it(server, w):
    server.deliver("alice", message("delivered"), name=OLD)
    assert w.ok("SELECT INBOX")
    assert saved(w, 1) == 1000000000
    assert w.ok("STORE 1 +FLAGS (\\Seen \\Flagged)")
    # a new session, after the file was renamed for its flags
    w2 = Wire(server)
    assert w2.ok("SELECT INBOX")
    assert saved(w2, 1) == 1000000000
    w2.close()


def test_copy_and_move_save_now(server, w):
    server.deliver("alice", message("one"), name=OLD)
    server.deliver("alice", message("two"),
                   name="1000000001.M1P1Q2.testhost")
    assert w.ok("CREATE Dst")
    assert w.ok("SELECT INBOX")
    start = time.time()
    assert w.ok("COPY 1 Dst")
    assert w.ok("MOVE 2 Dst")
    assert saved(w, 1) == 1000000000      # the original is unchanged
    assert w.ok("SELECT Dst")
    for seq in (1, 2):
        assert start - 2 <= saved(w, seq) <= time.time() + 2


def test_foreign_name_has_no_save_date(server, w):
    server.deliver("alice", message("odd"), name="not-a-maildir-name")
    assert w.ok("SELECT INBOX")
    assert saved(w, 1) is None
    # RFC 8514 4: searched by its internal date instead (the file's mtime,
    # today)
    today = time.strftime("%d-%b-%Y")
    assert w.cmd("SEARCH SAVEDON %s" % today) == ["* SEARCH 1"]


def test_search_saved_keys(server, w):
    server.deliver("alice", message("old"), name=OLD)
    w.append("INBOX", message("new"))
    assert w.ok("SELECT INBOX")
    assert w.cmd("SEARCH SAVEDBEFORE 1-Jan-2002") == ["* SEARCH 1"]
    assert w.cmd("SEARCH SAVEDSINCE 1-Jan-2002") == ["* SEARCH 2"]
    day = time.strftime("%d-%b-%Y", time.localtime(1000000000))
    assert w.cmd("SEARCH SAVEDON %s" % day) == ["* SEARCH 1"]
    assert w.cmd("SEARCH SAVEDATESUPPORTED") == ["* SEARCH 1 2"]
    assert w.cmd("SEARCH NOT SAVEDATESUPPORTED") == ["* SEARCH"]
    # the internal date of the old delivery is today: not a save date
    assert w.cmd("SEARCH SINCE 1-Jan-2002") == ["* SEARCH 1 2"]
    assert w.cmd("UID SEARCH SAVEDBEFORE 1-Jan-2002 SEEN") == ["* SEARCH"]


def test_bad_syntax(w):
    w.append("INBOX", message("x"))
    assert w.ok("SELECT INBOX")
    for bad in ("SEARCH SAVEDBEFORE", "SEARCH SAVEDON 32-Jan-2020",
                "SEARCH SAVEDSINCE yesterday", "FETCH 1 SAVEDATE.PEEK",
                "FETCH 1 (SAVEDATE"):
        w.cmd(bad)
        assert w.status.startswith("BAD"), (bad, w.status)
    assert w.ok("NOOP")
