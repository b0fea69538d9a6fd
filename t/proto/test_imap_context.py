"""CONTEXT=SEARCH (RFC 5267 4): SEARCH RETURN (UPDATE) keeps the result
current with ESEARCH ADDTO/REMOVEFROM (position 0: a SEARCH result has no
order), sent after FETCH/EXISTS and, for an expunge, before the EXPUNGE
while its number is still valid; CANCELUPDATE and closing the mailbox end
it; a tag is one context; past the limit NO [NOUPDATE]; SORT has no
UPDATE (no CONTEXT=SORT)."""
import pytest

from test_imap_mailbox import Session


@pytest.fixture
def s(server, alice):
    sess = Session(server)
    for i in range(1, 6):
        data = ("From: x@example.org\r\nSubject: m%d\r\n\r\nbody %d\r\n"
                % (i, i)).encode()
        assert sess.append("INBOX", data)
    assert sess.ok("SELECT INBOX")
    return sess


def tag(s):
    return "t%d" % s.n


def test_capability(s):
    caps = s.cmd("CAPABILITY")[0].split()
    assert "CONTEXT=SEARCH" in caps and "ESEARCH" in caps
    assert "CONTEXT=SORT" not in caps


def test_update_own_store(s):
    # RFC 5267 4.3.3/4.3.4's example, with this folder's UIDs
    assert s.cmd("UID SEARCH RETURN (UPDATE) DELETED") == \
        ['* ESEARCH (TAG "%s") UID' % tag(s)]
    assert s.status.startswith("OK")
    u = tag(s)
    assert s.cmd("STORE 2,4 +FLAGS (\\Deleted)") == [
        "* 2 FETCH (FLAGS (\\Deleted \\Recent))",
        "* 4 FETCH (FLAGS (\\Deleted \\Recent))",
        '* ESEARCH (TAG "%s") UID ADDTO (0 2,4)' % u]
    assert s.cmd("STORE 2 -FLAGS.SILENT (\\Deleted)") == [
        '* ESEARCH (TAG "%s") UID REMOVEFROM (0 2)' % u]
    # no change to the result: nothing sent
    assert s.cmd("STORE 1 +FLAGS (\\Flagged)") == [
        "* 1 FETCH (FLAGS (\\Flagged \\Recent))"]


def test_update_alone_answers_all_and_hint(s):
    assert s.ok("STORE 1,3 +FLAGS.SILENT (\\Seen)")
    assert s.cmd("SEARCH RETURN (UPDATE CONTEXT) SEEN") == \
        ['* ESEARCH (TAG "%s") ALL 1,3' % tag(s)]
    assert s.cmd("SEARCH RETURN (CONTEXT COUNT) SEEN") == \
        ['* ESEARCH (TAG "%s") COUNT 2' % tag(s)]
    assert s.cmd("SEARCH RETURN (UPDATE COUNT) UNSEEN") == \
        ['* ESEARCH (TAG "%s") COUNT 3' % tag(s)]


def test_update_other_session_and_expunge(s, server):
    assert s.cmd("SEARCH RETURN (UPDATE ALL) UNSEEN") == \
        ['* ESEARCH (TAG "%s") ALL 1:5' % tag(s)]
    u = tag(s)
    b = Session(server)
    assert b.ok("SELECT INBOX")
    assert b.ok("STORE 2 +FLAGS.SILENT (\\Seen)")
    assert s.cmd("NOOP") == ["* 2 FETCH (UID 2 FLAGS (\\Seen \\Recent))",
                             '* ESEARCH (TAG "%s") REMOVEFROM (0 2)' % u]
    # the expunged message leaves the result first, by its old number
    assert b.ok("STORE 3 +FLAGS.SILENT (\\Deleted)") and b.ok("EXPUNGE")
    lines = s.cmd("NOOP")
    gone = '* ESEARCH (TAG "%s") REMOVEFROM (0 3)' % u
    assert gone in lines and "* 3 EXPUNGE" in lines
    assert lines.index(gone) < lines.index("* 3 EXPUNGE"), lines
    # a new message: EXISTS, then ADDTO
    assert s.append("INBOX")
    assert s.cmd("NOOP") == []          # APPEND's own sync told it
    assert s.cmd("SEARCH RETURN (ALL) UNSEEN") == \
        ['* ESEARCH (TAG "%s") ALL 1,3:5' % tag(s)]


def test_append_reports_exists_then_addto(s):
    s.cmd("UID SEARCH RETURN (UPDATE) UNSEEN")
    u = tag(s)
    s.n += 1
    t = tag(s)
    msg = b"Subject: new\r\n\r\nnew\r\n"
    s.raw.sendline("%s APPEND INBOX {%d}" % (t, len(msg)))
    assert s.raw.readline().startswith("+ ")
    s.raw.send(msg + b"\r\n")
    lines = s.raw.read_until_tagged(t)
    added = '* ESEARCH (TAG "%s") UID ADDTO (0 6)' % u
    assert added in lines and lines.index("* 6 EXISTS") < lines.index(added)
    assert lines[-1].startswith(t + " OK")


def test_sequence_numbers_name_messages(s):
    # "2:3" names the messages with UIDs 2 and 3 for the whole update
    assert s.cmd("SEARCH RETURN (UPDATE) 2:3 FLAGGED") == \
        ['* ESEARCH (TAG "%s")' % tag(s)]
    u = tag(s)
    assert s.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    assert s.cmd("EXPUNGE") == ["* 1 EXPUNGE"]
    assert s.cmd("STORE 3 +FLAGS.SILENT (\\Flagged)") == []   # UID 4
    assert s.cmd("STORE 2 +FLAGS.SILENT (\\Flagged)") == [    # UID 3
        '* ESEARCH (TAG "%s") ADDTO (0 2)' % u]


def test_cancelupdate(s):
    s.cmd("SEARCH RETURN (UPDATE) SEEN")
    u1 = tag(s)
    s.cmd("SEARCH RETURN (UPDATE) FLAGGED")
    u = tag(s)
    assert s.ok('CANCELUPDATE "%s"' % u1)
    assert s.cmd("STORE 1 +FLAGS.SILENT (\\Seen \\Flagged)") == [
        '* ESEARCH (TAG "%s") ADDTO (0 1)' % u]
    s.cmd('CANCELUPDATE "%s" "%s"' % (u, u1))
    assert s.status.startswith("NO")       # t1 ended: nothing cancelled
    assert s.cmd("STORE 2 +FLAGS.SILENT (\\Flagged)") == [
        '* ESEARCH (TAG "%s") ADDTO (0 2)' % u]
    assert s.ok('CANCELUPDATE "%s"' % u)
    assert s.cmd("STORE 3 +FLAGS.SILENT (\\Flagged)") == []
    s.cmd("CANCELUPDATE")
    assert s.status.startswith("BAD")


def test_close_ends_updates(s):
    s.cmd("SEARCH RETURN (UPDATE) SEEN")
    u = tag(s)
    assert s.ok("SELECT INBOX")
    assert s.cmd("STORE 1 +FLAGS.SILENT (\\Seen)") == []
    s.cmd('CANCELUPDATE "%s"' % u)
    assert s.status.startswith("NO")


def test_refusals(s):
    s.raw.sendline("dup SEARCH RETURN (UPDATE) SEEN")
    assert s.raw.read_until_tagged("dup")[-1].startswith("dup OK")
    s.raw.sendline("dup SEARCH RETURN (UPDATE) FLAGGED")
    assert s.raw.read_until_tagged("dup")[-1].startswith("dup BAD")
    s.cmd("SEARCH RETURN (UPDATE UPDATE) SEEN")
    assert s.status.startswith("BAD")
    s.cmd("SORT RETURN (UPDATE) (ARRIVAL) UTF-8 ALL")
    assert s.status.startswith("BAD")
    s.cmd("SEARCH RETURN (UPDATE) BOGUS")
    assert s.status.startswith("BAD")


def test_noupdate_past_the_limit(s):
    for i in range(15):                  # 16 with "dup" below
        s.cmd("SEARCH RETURN (UPDATE) SEEN")
    s.raw.sendline("dup SEARCH RETURN (UPDATE) SEEN")
    assert s.raw.read_until_tagged("dup")[-1].startswith("dup OK")
    lines = s.cmd("SEARCH RETURN (UPDATE COUNT) SEEN")
    assert lines == ['* ESEARCH (TAG "%s") COUNT 0' % tag(s),
                     '* NO [NOUPDATE "%s"] Too many updating searches'
                     % tag(s)]
    assert s.status.startswith("OK")
    assert "* ESEARCH (TAG \"dup\") ADDTO (0 1)" in \
        s.cmd("STORE 1 +FLAGS.SILENT (\\Seen)")
