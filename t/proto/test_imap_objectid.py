"""OBJECTID (RFC 8474): MAILBOXID from CREATE, SELECT and STATUS, kept by
RENAME, new after DELETE and CREATE; EMAILID the same for every copy of a
message; THREADID shared by a thread's messages; the EMAILID and THREADID
search keys; all of it the same after a restart (storage/store-info.h)."""
import re
import threading

import pytest

from imapwire import Wire, message

ID = r"\(([A-Za-z0-9_-]+)\)"


@pytest.fixture
def w(server, alice):
    c = Wire(server)
    yield c
    c.close()


def status_id(w, box):
    line = w.cmd("STATUS %s (MAILBOXID)" % box)[0]
    m = re.search(r"MAILBOXID " + ID, line)
    assert m, line
    return m.group(1)


def ids(w, seqs="1:*"):
    out = {}
    for l in w.cmd("FETCH %s (EMAILID THREADID)" % seqs):
        m = re.match(r"\* (\d+) FETCH \(EMAILID %s THREADID %s\)$" % (ID, ID),
                     l)
        assert m, l
        out[int(m.group(1))] = (m.group(2), m.group(3))
    assert w.status.startswith("OK"), w.status
    return out


def test_capability(w):
    assert "OBJECTID" in w.caps()


def test_mailboxid_create_select_status(w):
    w.cmd("CREATE Box")
    m = re.match(r"OK \[MAILBOXID %s\]" % ID, w.status)
    assert m, w.status
    mid = m.group(1)
    assert re.fullmatch(r"F[0-9a-f]{24}", mid)
    assert status_id(w, "Box") == mid
    sel = w.cmd("SELECT Box")
    assert "* OK [MAILBOXID (%s)] Ok" % mid in sel, sel
    assert w.cmd('LIST "" Box RETURN (STATUS (MAILBOXID))')[1] == \
        '* STATUS "Box" (MAILBOXID (%s))' % mid
    assert status_id(w, "INBOX") != mid


def test_mailboxid_follows_rename_not_recreate(w):
    assert w.ok("CREATE A.B")
    a, b = status_id(w, "A"), status_id(w, "A.B")
    assert a != b
    assert w.ok("RENAME A Z")
    assert status_id(w, "Z") == a and status_id(w, "Z.B") == b
    assert w.ok("DELETE Z.B")
    assert w.ok("CREATE Z.B")
    assert status_id(w, "Z.B") != b


def test_rename_inbox_keeps_inbox_id(w):
    w.append("INBOX", message("m"))
    inbox = status_id(w, "INBOX")
    assert w.ok("RENAME INBOX Old")
    assert status_id(w, "INBOX") == inbox
    assert status_id(w, "Old") != inbox


def test_mailboxid_race_agrees(server, w):
    server.deliver("alice", message("x"), folder="Fresh")  # no id yet
    got, clients = [], [Wire(server) for _ in range(6)]
    threads = [threading.Thread(target=lambda c=c: got.append(
        status_id(c, "Fresh"))) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(got)) == 1 and len(got) == 6, got
    assert status_id(w, "Fresh") == got[0]
    for c in clients:
        c.close()


def test_emailid_same_for_copies_threadid_for_replies(w):
    w.append("INBOX", message("root"))
    w.append("INBOX", message("reply", extra="References: <root@example.org>"
                              "\r\nIn-Reply-To: <root@example.org>\r\n"))
    w.append("INBOX", message("other"))
    w.append("INBOX", "Subject: no ids\r\n\r\nplain\r\n")
    assert w.ok("CREATE Arch")
    assert w.ok("SELECT INBOX")
    before = ids(w)
    e = [before[i][0] for i in (1, 2, 3, 4)]
    t = [before[i][1] for i in (1, 2, 3, 4)]
    assert len(set(e)) == 4 and all(re.fullmatch(r"M[0-9a-f]{24}", x)
                                    for x in e)
    assert t[0] == t[1] and t[2] != t[0]
    # no Message-ID at all: a thread of its own, named after the message
    assert t[3][1:] == e[3][1:]
    assert w.ok("COPY 1 Arch")
    assert w.ok("MOVE 3 Arch")
    assert w.ok("SELECT Arch")
    after = ids(w)
    assert after[1] == before[1] and after[2] == before[3]
    # the search keys (RFC 8474 6)
    assert w.cmd("SEARCH EMAILID %s" % e[0]) == ["* SEARCH 1"]
    assert w.ok("SELECT INBOX")
    assert w.cmd("SEARCH THREADID %s" % t[0]) == ["* SEARCH 1 2"]
    assert w.cmd("UID SEARCH EMAILID %s" % e[0].upper()) == ["* SEARCH"]


def test_search_objectid_bad_syntax(w):
    w.append("INBOX", message("x"))
    assert w.ok("SELECT INBOX")
    for bad in ("SEARCH EMAILID", 'SEARCH EMAILID "a b"',
                "SEARCH THREADID (T1)", "SEARCH EMAILID " + "x" * 256,
                'SEARCH EMAILID "M1!"', "FETCH 1 (EMAILID.PEEK)"):
        w.cmd(bad)
        assert w.status.startswith("BAD"), (bad, w.status)
    w.cmd("STATUS INBOX (MAILBOXID BOGUS)")
    assert w.status.startswith("BAD")


def test_ids_survive_restart(make_server, alice):
    srv = make_server()
    w = Wire(srv)
    assert w.ok("CREATE Keep")
    w.append("Keep", message("kept"))
    mid = status_id(w, "Keep")
    assert w.ok("SELECT Keep")
    first = ids(w)
    w.close()
    srv.stop()
    srv.start()
    w = Wire(srv)
    assert status_id(w, "Keep") == mid
    assert w.ok("SELECT Keep")
    assert ids(w) == first
    w.close()
