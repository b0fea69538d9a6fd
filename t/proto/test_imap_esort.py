"""ESORT (RFC 5267 3): SORT RETURN (MIN MAX COUNT ALL) answers one ESEARCH
line whose MIN and MAX are the first and last message in sort order and
whose ALL keeps that order; bad RETURN options are BAD."""
import pytest

from test_imap_mailbox import Session


@pytest.fixture
def s(server, alice):
    sess = Session(server)
    for subj, size in (("c", 30), ("a", 10), ("b", 20), ("a", 5)):
        data = ("From: x@example.org\r\nSubject: %s\r\n\r\n%s\r\n"
                % (subj, "y" * size)).encode()
        assert sess.append("INBOX", data)
    assert sess.ok("SELECT INBOX")
    return sess


def esort(s, cmd):
    lines = s.cmd(cmd)
    assert s.status.startswith("OK"), s.status
    assert len(lines) == 1 and lines[0].startswith('* ESEARCH (TAG "t')
    return lines[0].split(") ", 1)[1] if ") " in lines[0] else ""


def test_esort(s):
    assert "ESORT" in s.cmd("CAPABILITY")[0].split()
    assert s.cmd("SORT (SUBJECT) US-ASCII ALL") == ["* SORT 2 4 3 1"]
    assert esort(s, "SORT RETURN (MIN MAX COUNT ALL) (SUBJECT) US-ASCII "
                 "ALL") == "MIN 2 MAX 1 COUNT 4 ALL 2,4,3,1"
    assert esort(s, "SORT RETURN () (REVERSE SIZE) US-ASCII ALL") == \
        "ALL 1,3,2,4"
    assert esort(s, "UID SORT RETURN (COUNT MIN) (SIZE) US-ASCII 2:4") == \
        "UID MIN 4 COUNT 3"
    assert esort(s, "SORT RETURN (COUNT) (SIZE) US-ASCII SUBJECT zzz") == \
        "COUNT 0"


@pytest.mark.parametrize("bad", [
    "SORT RETURN (BOGUS) (SIZE) US-ASCII ALL",
    "SORT RETURN MIN (SIZE) US-ASCII ALL",
    "SORT RETURN (MIN) US-ASCII ALL",
    "SORT RETURN (MIN)",
])
def test_esort_bad(s, bad):
    s.cmd(bad)
    assert s.status.startswith("BAD"), (bad, s.status)
