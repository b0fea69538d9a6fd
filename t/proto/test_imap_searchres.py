"""SEARCHRES (RFC 5182): SEARCH RETURN (SAVE) keeps the result as "$",
usable as the sequence set of FETCH, STORE, COPY and UID commands and as
a SEARCH key; SAVE alone answers no ESEARCH; SAVE with MIN/MAX keeps only
those; a failed SEARCH (SAVE) and SELECT empty it; "$" follows expunges."""
import pytest

from test_imap_mailbox import Session


@pytest.fixture
def s(server, alice):
    sess = Session(server)
    for i in range(1, 7):
        data = ("From: x@example.org\r\nSubject: %s\r\n\r\nbody\r\n"
                % ("odd" if i % 2 else "even")).encode()
        assert sess.append("INBOX", data)
    assert sess.ok("SELECT INBOX")
    return sess


def test_searchres(s):
    assert "SEARCHRES" in s.cmd("CAPABILITY")[0].split()
    assert s.cmd("SEARCH RETURN (SAVE) SUBJECT odd") == []
    assert s.status.startswith("OK")
    assert s.cmd("FETCH $ (UID)") == ["* 1 FETCH (UID 1)",
                                      "* 3 FETCH (UID 3)",
                                      "* 5 FETCH (UID 5)"]
    assert s.cmd("UID FETCH $ (FLAGS)")[0].startswith("* 1 FETCH (UID 1 ")
    assert s.cmd("SEARCH $ 2:5") == ["* SEARCH 3 5"]
    assert s.cmd("SEARCH NOT $") == ["* SEARCH 2 4 6"]
    assert s.ok("STORE $ +FLAGS.SILENT (\\Flagged)")
    assert s.cmd("SEARCH FLAGGED") == ["* SEARCH 1 3 5"]
    assert s.ok("CREATE Copy") and s.ok("COPY $ Copy")
    assert s.cmd("STATUS Copy (MESSAGES)") == ['* STATUS "Copy" (MESSAGES 3)']
    # "$" holds UIDs: after an expunge it still names the same messages
    assert s.ok("STORE 1 +FLAGS.SILENT (\\Deleted)") and s.ok("EXPUNGE")
    assert s.cmd("FETCH $ (UID)") == ["* 2 FETCH (UID 3)",
                                      "* 4 FETCH (UID 5)"]


def test_searchres_with_options(s):
    lines = s.cmd("SEARCH RETURN (SAVE MIN MAX) SUBJECT even")
    assert lines == ['* ESEARCH (TAG "%s") MIN 2 MAX 6' % ("t%d" % s.n)]
    assert s.cmd("SEARCH $") == ["* SEARCH 2 6"]
    s.cmd("UID SEARCH RETURN (SAVE COUNT) SUBJECT odd")
    assert s.cmd("SEARCH $") == ["* SEARCH 1 3 5"]
    # the keys see the old "$" (RFC 5182 2.1 example)
    assert s.cmd("SEARCH RETURN (SAVE) $ 3:6") == []
    assert s.cmd("SEARCH $") == ["* SEARCH 3 5"]


def test_searchres_emptied(s):
    s.cmd("SEARCH RETURN (SAVE) SUBJECT odd")
    s.cmd("SEARCH RETURN (SAVE) BOGUSKEY")
    assert s.status.startswith("BAD")
    assert s.cmd("SEARCH $") == ["* SEARCH"]
    assert s.cmd("FETCH $ (UID)") == [] and s.status.startswith("OK")
    s.cmd("SEARCH RETURN (SAVE) SUBJECT odd")
    assert s.ok("SELECT INBOX")
    assert s.cmd("SEARCH $") == ["* SEARCH"]


@pytest.mark.parametrize("bad", ["FETCH $:3 (UID)", "FETCH $,1 (UID)",
                                 "SORT RETURN (SAVE) (SIZE) US-ASCII ALL"])
def test_searchres_bad(s, bad):
    s.cmd(bad)
    assert s.status.startswith("BAD"), (bad, s.status)
