"""SEARCH and UID SEARCH (RFC 3501 6.4.4): every search key, CHARSET,
nesting limits, ESEARCH (RFC 4731), and FIELD-BUGS B22 and B23."""
import pytest

from test_imap_fetch_util import logout_after, F1, F2, F4, F6, login_with, search


@pytest.fixture
def box(alice):
    """INBOX with F1, F4, F6, F2 (sequence numbers 1..4); 1 is \\Seen and
    \\Flagged, 2 is \\Answered \\Deleted with keyword Work, 3 \\Draft."""
    imap = alice.login_imap()
    flags = [r"(\Seen \Flagged)", r"(\Answered \Deleted Work)", r"(\Draft)",
             None]
    dates = ['"01-Jul-2014 12:00:00 +0000"', '"15-Aug-2019 08:00:00 +0000"',
             '"02-Jan-2024 12:00:00 +0000"', '"03-Jan-2024 12:00:00 +0000"']
    for m, f, d in zip((F1, F4, F6, F2), flags, dates):
        typ, _ = imap.append("INBOX", f, d, m)
        assert typ == "OK"
    imap.select("INBOX")
    return imap


KEYS = [
    ("ALL", [1, 2, 3, 4]),
    ("ANSWERED", [2]), ("UNANSWERED", [1, 3, 4]),
    ("DELETED", [2]), ("UNDELETED", [1, 3, 4]),
    ("DRAFT", [3]), ("UNDRAFT", [1, 2, 4]),
    ("FLAGGED", [1]), ("UNFLAGGED", [2, 3, 4]),
    ("SEEN", [1]), ("UNSEEN", [2, 3, 4]),
    ("KEYWORD Work", [2]), ("UNKEYWORD Work", [1, 3, 4]),
    ("KEYWORD Nope", []),
    ("RECENT", [1, 2, 3, 4]), ("NEW", [2, 3, 4]), ("OLD", []),
    ("BEFORE 1-Jan-2020", [1, 2]), ("ON 15-Aug-2019", [2]),
    ("SINCE 2-Jan-2024", [3, 4]),
    ("SENTBEFORE 2-Jan-2024", [1, 3]), ("SENTON 3-Jan-2024", [2]),
    ("SENTSINCE 2-Jan-2024", [2, 4]),
    ("LARGER 166", [1, 3, 4]), ("SMALLER 167", [2]),
    ("LARGER 167 SMALLER 1000", [3, 4]),
    ('FROM "alice@example.org"', [1, 2, 3, 4]), ("FROM Alice", [1, 2, 3, 4]),
    ("TO bob", [1, 2, 3, 4]), ("CC bob", []), ("BCC bob", []),
    ("SUBJECT hello", [1]), ("SUBJECT HELLO", [1]), ('SUBJECT ""', [1, 2, 3, 4]),
    ("HEADER Message-ID f1@example", [1]), ('HEADER Message-ID ""', [1]),
    ("HEADER MIME-Version 1.0", [3, 4]),
    ("BODY \"line two\"", [1]), ("BODY attached", [4]), ("BODY inner", []),
    ("BODY \"html body\"", [4]), ("TEXT inner", [4]), ("TEXT hello", [1]),
    ("TEXT \"plain old\"", [2]),
    ("NOT SEEN", [2, 3, 4]), ("OR SEEN DRAFT", [1, 3]),
    ("OR (SEEN FLAGGED) (ANSWERED KEYWORD Work)", [1, 2]),
    ("NOT (OR SEEN DRAFT)", [2, 4]),
    ("1", [1]), ("2:3", [2, 3]), ("*", [4]), ("3:*", [3, 4]), ("*:3", [3, 4]),
    ("1,4", [1, 4]), ("UID 1:*", [1, 2, 3, 4]),
    ("2:4 NOT 3", [2, 4]),
]


@pytest.mark.parametrize("key,expect", KEYS)
def test_search_key(box, key, expect):
    typ, got = search(box, key)
    assert typ == "OK", key
    assert got == expect, key


def test_search_uid(box):
    typ, data = box.fetch("1:*", "(UID)")
    uids = [int(x.split()[2].rstrip(b")")) for x in data]
    typ, got = search(box, "DRAFT", uid=True)
    assert got == [uids[2]]
    typ, got = search(box, "UID %d" % uids[3], uid=True)
    assert got == [uids[3]]
    typ, got = search(box, "UID %d:*" % (uids[3] + 100))
    assert got == [4]          # n:* with n above the highest UID: the last


def test_search_bad_syntax(box):
    for bad in ("FOO", "SUBJECT", "LARGER x", "BEFORE 2024-01-01", "OR SEEN",
                "NOT", "0", "UID", "BEFORE 31-Feb-2024", '"ALL"'):
        with pytest.raises(box.error):
            box.search(None, bad)
    typ, _ = box.noop()
    assert typ == "OK"


def test_search_10000_ors_bad_not_crash(alice):
    raw = alice.raw(alice.imap_port)
    raw.readline()
    raw.sendline("a LOGIN alice@example.org secret-1")
    assert raw.read_until_tagged("a")[-1].startswith("a OK")
    raw.sendline("b SELECT INBOX")
    assert raw.read_until_tagged("b")[-1].startswith("b OK")
    raw.sendline("c SEARCH " + "OR " * 10000 + "SEEN DRAFT")
    assert raw.read_until_tagged("c")[-1].startswith("c BAD")
    raw.sendline("d SEARCH " + "NOT " * 5000 + "SEEN")
    assert raw.read_until_tagged("d")[-1].startswith("d BAD")
    raw.sendline("e SEARCH " + "(" * 8 + "SEEN" + ")" * 8)
    assert raw.read_until_tagged("e")[-1].startswith("e OK")
    raw.sendline("f NOOP")
    assert raw.read_until_tagged("f")[-1].startswith("f OK")


def test_search_charset(box):
    typ, got = search(box, "SUBJECT hello", charset="US-ASCII")
    assert got == [1]
    typ, got = search(box, "SUBJECT hello", charset="utf-8")
    assert got == [1]
    typ, data = box._simple_command("SEARCH", "CHARSET", "X-UNKNOWN",
                                    "SUBJECT", "hello")
    assert typ == "NO"
    assert b"[BADCHARSET (UTF-8 US-ASCII)]" in data[-1]


# B22
def test_search_b22_utf8(alice):
    imap = login_with(alice, F6, F1)
    imap.literal = "Grüße".encode()
    typ, data = imap.search("UTF-8", "SUBJECT")
    assert typ == "OK" and data[0].split() == [b"1"]
    imap.literal = "Grüße".encode()
    typ, data = imap.search("UTF-8", "BODY")
    assert typ == "OK" and data[0].split() == [b"1"]
    imap.literal = "KÖLN".encode()
    typ, data = imap.search("UTF-8", "SUBJECT")
    assert typ == "OK" and data[0].split() == [b"1"]
    typ, data = imap._simple_command("SEARCH", "CHARSET", "X-UNKNOWN",
                                     "SUBJECT", "hello")
    assert typ == "NO" and b"BADCHARSET" in data[-1]
    imap.literal = "Grüße".encode()
    typ, data = imap.search(None, "SUBJECT")
    assert typ == "OK" and data[0].split() == [b"1"]


# B23
def test_search_b23_day_boundaries(make_server, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    srv = make_server()
    imap = srv.login_imap()
    for d in ("01-Jul-2014 12:00:00 +0000", "02-Jul-2014 00:00:00 +0000",
              "02-Jul-2014 12:00:00 +0000", "03-Jul-2014 12:00:00 +0000"):
        typ, _ = imap.append("INBOX", None, '"%s"' % d, F1)
        assert typ == "OK"
    imap.select("INBOX")
    assert search(imap, "BEFORE 2-Jul-2014")[1] == [1]
    assert search(imap, "ON 02-Jul-2014")[1] == [2, 3]
    assert search(imap, 'SINCE "2-Jul-2014"')[1] == [2, 3, 4]
    assert search(imap, "SENTON 1-Jan-2024")[1] == [1, 2, 3, 4]


def test_search_sent_date_in_own_zone(alice):
    late = F1.replace(b"Mon, 01 Jan 2024 10:00:00 +0000",
                      b"Mon, 01 Jan 2024 23:30:00 -1000")
    imap = login_with(alice, late)
    assert search(imap, "SENTON 1-Jan-2024")[1] == [1]
    assert search(imap, "SENTSINCE 2-Jan-2024")[1] == []


def test_esearch_return(box):
    typ, data = box._simple_command("SEARCH", "RETURN", "(MIN MAX COUNT)",
                                    "UNSEEN")
    assert typ == "OK"
    line = box.untagged_responses.pop("ESEARCH")[0]
    assert b"MIN 2" in line and b"MAX 4" in line and b"COUNT 3" in line
    typ, data = box._simple_command("SEARCH", "RETURN", "()", "ALL")
    line = box.untagged_responses.pop("ESEARCH")[0]
    assert line.endswith(b"ALL 1:4")
    typ, data = box._simple_command("UID", "SEARCH", "RETURN", "(COUNT)",
                                    "KEYWORD", "Nope")
    line = box.untagged_responses.pop("ESEARCH")[0]
    assert b" UID " in line and line.endswith(b"COUNT 0")
    with pytest.raises(box.error):      # SAVE is SEARCHRES's, see there
        box._simple_command("SEARCH", "RETURN", "(BOGUS)", "ALL")


def test_search_empty_mailbox(alice):
    imap = alice.login_imap()
    imap.select("INBOX")
    assert search(imap, "ALL")[1] == []
    assert search(imap, "1:*")[1] == []
    assert search(imap, "BODY x")[1] == []


def test_search_message_file_vanished(alice):
    for m in (F1, F4):
        alice.deliver("alice", m)
    imap = alice.login_imap()
    imap.select("INBOX")
    md = alice.maildir("alice")
    for sub in ("new", "cur"):
        for p in (md / sub).iterdir():
            if b"nomime" in p.read_bytes():
                p.unlink()
    typ, got = search(imap, "BODY plain")
    assert typ == "OK" and got == []
    assert search(imap, "ALL")[1] == [1, 2]       # no EXPUNGE during SEARCH
