"""CONDSTORE and QRESYNC (RFC 7162): modseqs kept per folder, the commands
and modifiers, their error cases, and a QRESYNC client's resynchronisation
checked against a fresh full FETCH."""
import os
import re

import pytest

from conftest import USERS


def cmd(c, tag, line):
    c.sendline("%s %s" % (tag, line))
    return c.read_until_tagged(tag)


def ok(c, tag, line):
    lines = cmd(c, tag, line)
    assert lines[-1].startswith(tag + " OK"), lines
    return lines


def login(srv, enable=None, select=None):
    c = srv.raw(srv.imap_port)
    c.readline()
    user, password = USERS["alice"]
    ok(c, "l", 'LOGIN "%s" "%s"' % (user, password))
    if enable:
        ok(c, "e", "ENABLE " + enable)
    if select:
        ok(c, "s", select)
    return c


def deliver(srv, n):
    for i in range(n):
        srv.deliver("alice", "From: a@b\r\nSubject: %d\r\n\r\nbody %d\r\n"
                    % (i, i))


def code(lines, name):
    for l in lines:
        m = re.search(r"\[%s (\d+)\]" % name, l)
        if m:
            return int(m.group(1))
    return None


FETCH = re.compile(r"^\* (\d+) FETCH \((.*)\)$")


def fetched(lines):
    """{uid: (flags set, modseq)} from untagged FETCH lines."""
    out = {}
    for l in lines:
        m = FETCH.match(l)
        if not m:
            continue
        body = m.group(2)
        uid = int(re.search(r"UID (\d+)", body).group(1))
        flags = re.search(r"FLAGS \(([^)]*)\)", body)
        modseq = re.search(r"MODSEQ \((\d+)\)", body)
        out[uid] = (set(flags.group(1).split()) - {"\\Recent"}
                    if flags else None,
                    int(modseq.group(1)) if modseq else None)
    return out


def test_capability_and_enable(alice):
    c = login(alice)
    caps = cmd(c, "c", "CAPABILITY")[0].split()
    assert "CONDSTORE" in caps and "QRESYNC" in caps
    assert ok(c, "e1", "ENABLE CONDSTORE")[0] == "* ENABLED CONDSTORE"
    # QRESYNC implies CONDSTORE, already on: only QRESYNC is new
    assert ok(c, "e2", "ENABLE QRESYNC")[0] == "* ENABLED QRESYNC"
    assert ok(c, "e3", "ENABLE QRESYNC CONDSTORE")[0] == "* ENABLED"
    c.close()


def test_select_condstore_and_fetch_modseq(alice):
    deliver(alice, 3)
    c = login(alice)
    lines = ok(c, "s", "SELECT INBOX (CONDSTORE)")
    highest = code(lines, "HIGHESTMODSEQ")
    assert highest is not None and highest >= 1
    got = fetched(ok(c, "f", "UID FETCH 1:* (FLAGS MODSEQ)"))
    assert sorted(got) == [1, 2, 3]
    assert all(1 <= ms <= highest for _, ms in got.values())
    # a change gets a modseq above every other, and HIGHESTMODSEQ follows
    lines = ok(c, "st", "STORE 2 +FLAGS (\\Flagged)")
    assert fetched(lines)[2] == ({"\\Flagged"}, highest + 1), lines
    status = ok(c, "x", "STATUS INBOX (HIGHESTMODSEQ)")[0]
    assert status == '* STATUS "INBOX" (HIGHESTMODSEQ %d)' % (highest + 1)
    c.close()


def test_fetch_changedsince_and_errors(alice):
    deliver(alice, 4)
    c = login(alice, select="SELECT INBOX")
    # FETCH MODSEQ is CONDSTORE-enabling: the code comes at once (3.1)
    lines = ok(c, "f0", "FETCH 1 (MODSEQ)")
    base = code(lines, "HIGHESTMODSEQ")
    assert base is not None, lines
    ok(c, "a", "STORE 3 +FLAGS.SILENT (\\Seen)")
    got = fetched(ok(c, "f1", "FETCH 1:* (UID FLAGS) (CHANGEDSINCE %d)"
                     % base))
    assert list(got) == [3] and got[3][1] == base + 1
    assert cmd(c, "b1", "FETCH 1:* FLAGS (CHANGEDSINCE 0)")[-1] \
        .startswith("b1 BAD")
    assert cmd(c, "b2", "FETCH 1:* FLAGS (CHANGEDSINCE x)")[-1] \
        .startswith("b2 BAD")
    # VANISHED needs UID FETCH and ENABLE QRESYNC (RFC 7162 3.2.6)
    assert cmd(c, "b3", "UID FETCH 1:* FLAGS (CHANGEDSINCE 1 VANISHED)")[-1] \
        .startswith("b3 BAD")
    c.close()


def test_store_unchangedsince_modified(alice):
    """RFC 7162 3.1.3's example: another client changed message 2 since
    the modseq the first one holds; only 1 and 3 change."""
    deliver(alice, 3)
    a = login(alice, select="SELECT INBOX (CONDSTORE)")
    b = login(alice, select="SELECT INBOX")
    held = fetched(ok(a, "f", "FETCH 1:3 (UID MODSEQ)"))
    since = max(ms for _, ms in held.values())
    ok(b, "b", "STORE 2 +FLAGS.SILENT ($Work)")
    lines = ok(a, "u", "STORE 1:3 (UNCHANGEDSINCE %d) +FLAGS (\\Seen)" % since)
    assert "[MODIFIED 2]" in lines[-1], lines
    assert sorted(fetched(lines)) == [1, 3], lines
    lines = ok(a, "u2", "UID STORE 1 (UNCHANGEDSINCE 0) +FLAGS (\\Answered)")
    assert "[MODIFIED 1]" in lines[-1] and not fetched(lines), lines
    assert cmd(a, "u3", "STORE 1 (UNCHANGEDSINCE -1) +FLAGS (\\Seen)")[-1] \
        .startswith("u3 BAD")
    for c in (a, b):
        c.close()


def test_other_session_change_arrives_with_modseq(alice):
    deliver(alice, 2)
    a = login(alice, enable="CONDSTORE", select="SELECT INBOX")
    b = login(alice, select="SELECT INBOX")
    ok(b, "b", "STORE 1 +FLAGS.SILENT (\\Flagged)")
    got = fetched(ok(a, "n", "NOOP"))
    assert got[1][0] == {"\\Flagged"} and got[1][1] is not None
    for c in (a, b):
        c.close()


def test_other_program_rename_gets_new_modseq(alice):
    deliver(alice, 1)
    c = login(alice, enable="CONDSTORE", select="SELECT INBOX")
    before = fetched(ok(c, "f", "UID FETCH 1 (FLAGS MODSEQ)"))[1][1]
    cur = alice.maildir("alice") / "cur"
    name = os.listdir(cur)[0]
    os.rename(cur / name, cur / (name.split(":")[0] + ":2,FS"))
    got = fetched(ok(c, "n", "NOOP"))
    assert got[1][0] == {"\\Flagged", "\\Seen"} and got[1][1] > before
    c.close()


def test_qresync_errors_and_vanished(alice):
    deliver(alice, 3)
    c = login(alice)
    lines = cmd(c, "q", "SELECT INBOX (QRESYNC (1 1))")
    assert lines[-1].startswith("q BAD"), lines      # not enabled
    ok(c, "e", "ENABLE QRESYNC")
    assert cmd(c, "q2", "SELECT INBOX (QRESYNC (0 1))")[-1].startswith("q2 BAD")
    assert cmd(c, "q3", "SELECT INBOX (QRESYNC (1 1 1:2 (1:2 1)))")[-1] \
        .startswith("q3 BAD")          # seq-match-data of unequal sizes
    ok(c, "s", "SELECT INBOX")
    ok(c, "d", "STORE 2 +FLAGS.SILENT (\\Deleted)")
    lines = ok(c, "x", "EXPUNGE")
    assert "* VANISHED 2" in lines and not any("EXPUNGE" in l
                                               for l in lines[:-1]), lines
    lines = ok(c, "v", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)")
    assert lines[0] == "* VANISHED (EARLIER) 2", lines
    # CLOSED marks the end of the old mailbox's responses (3.2.11)
    lines = ok(c, "s2", "EXAMINE INBOX")
    assert lines[0] == "* OK [CLOSED] Previous mailbox closed", lines
    c.close()


def state(c):
    lines = ok(c, "full", "UID FETCH 1:* (FLAGS)")
    return {uid: flags for uid, (flags, _) in fetched(lines).items()}


@pytest.mark.parametrize("known", ["1:6", "1:6 (1:6 1:6)",
                                   "1:6 (1:4294967295 1:4294967295)"])
def test_qresync_walkthrough(alice, known):
    """A client records UIDVALIDITY, HIGHESTMODSEQ, UIDs and flags; other
    sessions and another program change flags, expunge and deliver; its
    SELECT (QRESYNC ...) rebuilds exactly what a full FETCH now shows, with
    known UIDs alone and with seq-match-data (RFC 7162 3.2.5.2)."""
    deliver(alice, 6)
    a = login(alice, enable="QRESYNC")
    lines = ok(a, "s", "SELECT INBOX")
    uidv, highest = code(lines, "UIDVALIDITY"), code(lines, "HIGHESTMODSEQ")
    cache = state(a)
    ok(a, "lo", "LOGOUT")
    b = login(alice, select="SELECT INBOX")
    ok(b, "1", "STORE 1 +FLAGS.SILENT (\\Seen $Done)")
    ok(b, "2", "STORE 2:3 +FLAGS.SILENT (\\Deleted)")
    ok(b, "3", "EXPUNGE")
    ok(b, "4", "STORE 4 -FLAGS.SILENT (\\Seen)")
    deliver(alice, 2)
    cur = alice.maildir("alice") / "cur"
    ok(b, "5", "NOOP")          # files in cur/ have UIDs
    uid6 = sorted(os.listdir(cur))[3]   # messages 1, 4, 5, 6 remain
    os.rename(cur / uid6, cur / (uid6.split(":")[0] + ":2,F"))
    b.close()
    a = login(alice, enable="QRESYNC")
    lines = ok(a, "r", "SELECT INBOX (QRESYNC (%d %d %s))"
               % (uidv, highest, known))
    for l in lines:
        m = re.match(r"^\* VANISHED \(EARLIER\) (.*)$", l)
        if m:
            for part in m.group(1).split(","):
                lo, _, hi = part.partition(":")
                for uid in range(int(lo), int(hi or lo) + 1):
                    cache.pop(uid, None)
    for uid, (flags, _) in fetched(lines).items():
        cache[uid] = flags
    exists = int([l for l in lines if l.endswith(" EXISTS")][0].split()[1])
    new = state(a)
    # the new messages came too: their modseqs are above the old highest
    assert new == cache and len(new) == exists
    a.close()


@pytest.mark.parametrize("restart", [False, True])
def test_modseq_persists(make_server, restart):
    srv = make_server()
    deliver(srv, 2)
    c = login(srv, enable="CONDSTORE", select="SELECT INBOX")
    ok(c, "s", "STORE 1 +FLAGS.SILENT (\\Seen)")
    before = fetched(ok(c, "f", "UID FETCH 1:* (MODSEQ)"))
    high = code(ok(c, "x", "SELECT INBOX"), "HIGHESTMODSEQ")
    c.close()
    if restart:
        srv.stop()
        srv.start()
    c = login(srv, enable="CONDSTORE")
    assert code(ok(c, "s", "SELECT INBOX"), "HIGHESTMODSEQ") == high
    assert fetched(ok(c, "f", "UID FETCH 1:* (MODSEQ)")) == before
    ok(c, "t", "STORE 2 +FLAGS.SILENT (\\Seen)")
    assert fetched(ok(c, "g", "UID FETCH 2 (MODSEQ)"))[2][1] == high + 1
    c.close()


def test_search_modseq(alice):
    """RFC 7162 3.1.5: SEARCH MODSEQ with and without an entry name; the
    answer carries the highest MODSEQ of the matches, ESEARCH too."""
    deliver(alice, 4)
    c = login(alice, select="SELECT INBOX")
    lines = ok(c, "s0", "SEARCH MODSEQ 1")
    assert code(lines, "HIGHESTMODSEQ") is not None   # CONDSTORE-enabling
    base = code(lines, "HIGHESTMODSEQ")
    ok(c, "a", "STORE 2 +FLAGS.SILENT (\\Draft)")
    ok(c, "b", "STORE 4 +FLAGS.SILENT (\\Seen)")
    lines = ok(c, "s1", 'SEARCH MODSEQ "/flags/\\\\draft" all %d' % (base + 1))
    assert lines[0] == "* SEARCH 2 4 (MODSEQ %d)" % (base + 2), lines
    lines = ok(c, "s2", "UID SEARCH MODSEQ %d" % (base + 5))
    assert lines[0] == "* SEARCH", lines        # no match, no MODSEQ
    lines = ok(c, "s3", "SEARCH RETURN (MIN) MODSEQ %d" % (base + 1))
    assert lines[0] == '* ESEARCH (TAG "s3") MIN 2 MODSEQ %d' % (base + 1)
    lines = ok(c, "s4", "SEARCH RETURN (ALL) MODSEQ %d" % (base + 1))
    assert lines[0] == '* ESEARCH (TAG "s4") ALL 2,4 MODSEQ %d' % (base + 2)
    for bad in ('MODSEQ "/flags/\\\\draft" every 1', 'MODSEQ "/x" all 1',
                "MODSEQ x"):
        assert cmd(c, "b", "SEARCH " + bad)[-1].startswith("b BAD"), bad
    c.close()
