"""PARTIAL (RFC 9394): SEARCH and SORT RETURN (PARTIAL a:b) answer the
a-th to b-th message of the result (ascending for SEARCH, in sort order
for SORT), "-a:-b" counting from the end, NIL for an empty window; bad
ranges and PARTIAL with ALL are BAD."""
import pytest

from test_imap_mailbox import Session


@pytest.fixture
def s(server, alice):
    sess = Session(server)
    for i in range(1, 11):
        data = ("From: x@example.org\r\nSubject: m%02d\r\n\r\n%s\r\n"
                % (i, "y" * (20 - i))).encode()
        assert sess.append("INBOX", data)
    assert sess.ok("SELECT INBOX")
    return sess


def esearch(s, cmd):
    lines = s.cmd(cmd)
    assert s.status.startswith("OK"), (cmd, s.status)
    assert len(lines) == 1 and lines[0].startswith('* ESEARCH (TAG "t')
    return lines[0].split(") ", 1)[1]


def test_partial_search(s):
    assert "PARTIAL" in s.cmd("CAPABILITY")[0].split()
    assert esearch(s, "SEARCH RETURN (PARTIAL 1:3) ALL") == \
        "PARTIAL (1:3 1:3)"
    # "3:1" is the range "1:3" and is echoed so (RFC 9394 3; imaptest's
    # search-partial expects the same)
    assert esearch(s, "SEARCH RETURN (PARTIAL 3:1 COUNT) ALL") == \
        "COUNT 10 PARTIAL (1:3 1:3)"
    assert esearch(s, "SEARCH RETURN (PARTIAL -2:-1) ALL") == \
        "PARTIAL (-1:-2 9:10)"
    assert esearch(s, "SEARCH RETURN (PARTIAL -1:-2) ALL") == \
        "PARTIAL (-1:-2 9:10)"
    assert esearch(s, "SEARCH RETURN (PARTIAL 9:20) ALL") == \
        "PARTIAL (9:20 9:10)"
    assert esearch(s, "SEARCH RETURN (PARTIAL 11:20) ALL") == \
        "PARTIAL (11:20 NIL)"
    assert esearch(s, "UID SEARCH RETURN (PARTIAL 2:3) 4:10") == \
        "UID PARTIAL (2:3 5:6)"


def test_partial_sort(s):
    # sizes fall with the number: SIZE order is 10, 9, ..., 1
    assert esearch(s, "SORT RETURN (PARTIAL 1:3) (SIZE) US-ASCII ALL") == \
        "PARTIAL (1:3 10,9,8)"
    assert esearch(s, "SORT RETURN (PARTIAL -1:-2 MIN) (SIZE) US-ASCII "
                   "ALL") == "MIN 10 PARTIAL (-1:-2 2,1)"


@pytest.mark.parametrize("bad", [
    "SEARCH RETURN (PARTIAL) ALL", "SEARCH RETURN (PARTIAL 0:5) ALL",
    "SEARCH RETURN (PARTIAL 1:-5) ALL", "SEARCH RETURN (PARTIAL 1:x) ALL",
    "SEARCH RETURN (PARTIAL 1) ALL", "SEARCH RETURN (ALL PARTIAL 1:5) ALL",
    "SEARCH RETURN (PARTIAL 1:2 PARTIAL 3:4) ALL",
    "SEARCH RETURN (PARTIAL 1:4294967296) ALL",
])
def test_partial_bad(s, bad):
    s.cmd(bad)
    assert s.status.startswith("BAD"), (bad, s.status)
