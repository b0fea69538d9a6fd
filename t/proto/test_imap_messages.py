"""IMAP message commands: APPEND, STORE, COPY, MOVE, EXPUNGE, CLOSE,
UNSELECT, EXAMINE, UID variants, IDLE and the untagged updates between
sessions. Field bugs B02 B11 B12 B25 B26 B28 B29 B30 B31 B34."""
import datetime
import re
import time

import pytest

from test_imap_mailbox import F1, Session

F4 = (b"From: alice@example.org\r\nTo: bob@example.org\r\n"
      b"Subject: nomime\r\nDate: Mon, 01 Jan 2024 11:00:00 +0000\r\n"
      b"\r\nplain\r\n")


def code(status, name):
    m = re.search(r"\[%s ([^\]]*)\]" % name, status)
    return m.group(1).split() if m else None


@pytest.fixture
def s(server, alice):
    return Session(server)


def fetch_flags(s, seq):
    lines = s.cmd("FETCH %s (FLAGS)" % seq)
    assert s.status.startswith("OK"), s.status
    return {int(l.split()[1]): l[l.index("FLAGS (") + 7:l.rindex("))")]
            for l in lines if " FETCH " in l}


def test_append_flags_date_b30(s):
    s.raw.sendline('a1 APPEND INBOX (\\Seen $Label1) '
                   '"18-Jul-2017 12:33:30 +0100" {167}')
    assert s.raw.readline().startswith("+ ")
    s.raw.send(F1 + b"\r\n")
    st = s.raw.read_until_tagged("a1")[-1]
    assert st.startswith("a1 OK [APPENDUID ")
    uidv, uid = code(st, "APPENDUID")
    assert s.ok("SELECT INBOX")
    lines = s.cmd("UID FETCH %s (FLAGS INTERNALDATE)" % uid)
    assert "\\Seen" in lines[0] and "$Label1" in lines[0]
    when = re.search(r'INTERNALDATE "([^"]+)"', lines[0]).group(1)
    fmt = "%d-%b-%Y %H:%M:%S %z"
    assert datetime.datetime.strptime(when, fmt) == \
        datetime.datetime.strptime("18-Jul-2017 12:33:30 +0100", fmt)
    s.raw.sendline('a4 APPEND INBOX " 9-Apr-2018 18:08:15 +0000" {167}')
    assert s.raw.readline().startswith("+ ")
    s.raw.send(F1 + b"\r\n")
    assert s.raw.read_until_tagged("a4")[-1].startswith("a4 OK")
    s.raw.sendline('a6 APPEND INBOX "31-Foo-2018 18:08:15 +0000" {167}')
    assert s.raw.readline().startswith("a6 BAD")   # refused before "+"
    s.raw.sendline('a7 APPEND INBOX (\\Recent) {167}')
    assert s.raw.readline().startswith("a7 BAD")
    s.raw.sendline('a8 APPEND INBOX (bad]kw) {167}')
    assert s.raw.readline().startswith("a8 BAD")
    s.raw.sendline('a9 APPEND INBOX () {167+}')
    s.raw.send(F1 + b"\r\n")
    lines = s.raw.read_until_tagged("a9")
    assert lines[-1].startswith("a9 OK [APPENDUID")
    assert not any(l.startswith("+") for l in lines)   # LITERAL+
    assert s.ok("NOOP")


@pytest.mark.slow
def test_append_large_b02(s):
    big = F1[:147] + (b"x" * 74 + b"\r\n") * (3 * 1024 * 1024 // 76)
    uids = []
    for opts in ("", "(\\Seen) ", '"01-Jan-2024 10:00:00 +0000" '):
        s.raw.sendline("b APPEND INBOX %s{%d}" % (opts, len(big)))
        assert s.raw.readline().startswith("+ ")
        s.raw.send(big + b"\r\n")
        st = s.raw.read_until_tagged("b")[-1]
        assert st.startswith("b OK [APPENDUID"), st
        uids.append(int(code(st, "APPENDUID")[1]))
    assert uids == sorted(uids) and len(set(uids)) == 3
    lines = s.cmd("STATUS INBOX (MESSAGES)")
    assert lines == ['* STATUS "INBOX" (MESSAGES 3)']


def test_append_to_selected_reports_exists(s):
    assert s.ok("SELECT INBOX")
    s.raw.sendline("c APPEND INBOX {167}")
    assert s.raw.readline().startswith("+ ")
    s.raw.send(F1 + b"\r\n")
    lines = s.raw.read_until_tagged("c")
    assert "* 1 EXISTS" in lines
    assert lines[-1].startswith("c OK")


def test_store_keywords_b28(server, s):
    assert s.append("INBOX")
    assert s.ok("SELECT INBOX")
    lines = s.cmd("STORE 1 +FLAGS ($Label1 Project-X)")
    assert s.status.startswith("OK")
    assert any(l.startswith("* FLAGS (") and "$Label1" in l for l in lines)
    assert "* 1 FETCH (FLAGS (\\Recent $Label1 Project-X))" in lines
    s.cmd("STORE 1 +FLAGS (bad]kw)")
    assert s.status.startswith("BAD")
    lines = s.cmd("STORE 1 -FLAGS.SILENT (Project-X)")
    assert not any(" FETCH " in l for l in lines)
    lines = s.cmd("STORE 1 FLAGS \\Seen")   # a single flag without parens
    assert "* 1 FETCH (FLAGS (\\Seen \\Recent))" in lines
    s2 = Session(server)
    lines = s2.cmd("SELECT INBOX")
    assert any(l.startswith("* FLAGS (") and "$Label1" in l and
               "Project-X" in l for l in lines)
    assert any("PERMANENTFLAGS" in l and "$Label1" in l and "\\*" in l
               for l in lines)


def test_recent_b29(server, s):
    server.deliver("alice", F1)
    lines = s.cmd("EXAMINE INBOX")
    assert "* 1 RECENT" in lines
    assert s.ok("CLOSE")
    lines = s.cmd("SELECT INBOX")
    assert "* 1 RECENT" in lines
    assert fetch_flags(s, "1") == {1: "\\Recent"}
    b = Session(server)
    lines = b.cmd("SELECT INBOX")
    assert "* 0 RECENT" in lines
    assert fetch_flags(b, "1") == {1: ""}
    b.cmd("STORE 1 +FLAGS (\\Recent)")
    assert b.status.startswith("BAD") or b.status.startswith("NO")
    assert s.ok("LOGOUT") or True
    c = Session(server)
    assert "* 0 RECENT" in c.cmd("SELECT INBOX")


def test_examine_read_only_b11(server, s):
    assert s.append("INBOX")
    lines = s.cmd("EXAMINE INBOX")
    assert s.status.startswith("OK [READ-ONLY]")
    assert "* OK [PERMANENTFLAGS ()] Read-only mailbox" in lines
    s.cmd("STORE 1 +FLAGS (\\Deleted)")
    assert s.status.startswith("NO")
    lines = s.cmd("FETCH 1 (BODY[TEXT])")
    assert not any("\\Seen" in l for l in lines)
    s.cmd("EXPUNGE")
    assert s.status.startswith("NO")
    s.cmd("MOVE 1 INBOX")
    assert s.status.startswith("NO")
    assert s.ok("CLOSE")
    assert s.ok("SELECT INBOX")
    flags = fetch_flags(s, "1")[1]
    assert "\\Seen" not in flags and "\\Deleted" not in flags


def test_close_unselect_b12(s):
    for _ in range(3):
        assert s.append("INBOX")
    assert s.ok("SELECT INBOX")
    assert s.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    assert "* 3 EXISTS" in s.cmd("SELECT INBOX")      # implicit close
    assert s.ok("UNSELECT")
    assert "* 3 EXISTS" in s.cmd("SELECT INBOX")
    lines = s.cmd("CLOSE")
    assert s.status.startswith("OK") and not any("EXPUNGE" in l
                                                 for l in lines)
    assert "* 2 EXISTS" in s.cmd("SELECT INBOX")
    assert s.ok("UNSELECT")
    s.cmd("CLOSE")
    assert s.status.startswith("BAD")
    # CLOSE of an EXAMINEd mailbox expunges nothing
    assert s.ok("SELECT INBOX")
    assert s.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    assert s.ok("EXAMINE INBOX")
    assert s.ok("CLOSE")
    assert "* 2 EXISTS" in s.cmd("SELECT INBOX")


def test_expunge(s):
    for _ in range(3):
        assert s.append("INBOX")
    assert s.ok("SELECT INBOX")
    assert s.ok("STORE 1,3 +FLAGS.SILENT (\\Deleted)")
    lines = s.cmd("EXPUNGE")
    assert lines == ["* 3 EXPUNGE", "* 1 EXPUNGE"]
    assert s.status.startswith("OK")
    s.cmd("EXPUNGE 1")
    assert s.status.startswith("BAD")


def test_empty_mailbox_sequence_sets_b25(s):
    assert s.ok("CREATE Empty")
    lines = s.cmd("SELECT Empty")
    assert "* 0 EXISTS" in lines
    nxt = [int(l.split()[3].rstrip("]")) for l in lines
           if l.startswith("* OK [UIDNEXT ")]
    assert nxt and nxt[0] >= 1
    assert s.cmd("UID FETCH 1:* (FLAGS)") == [] and s.status.startswith("OK")
    assert s.cmd("UID STORE 1:* +FLAGS (\\Seen)") == []
    assert s.status.startswith("OK")
    assert s.cmd("UID COPY 1:* INBOX") == []
    assert s.status.startswith("OK") and "COPYUID" not in s.status
    lines = s.cmd("FETCH 1:* (FLAGS)")
    assert not any(" FETCH " in l for l in lines)
    assert s.status.split()[0] in ("OK", "NO", "BAD")
    assert s.cmd("STATUS Empty (MESSAGES UIDNEXT)") == [
        '* STATUS "Empty" (MESSAGES 0 UIDNEXT %d)' % nxt[0]]
    s.cmd("FETCH 0 (FLAGS)")
    assert s.status.startswith("BAD")
    s.cmd("FETCH 1:x (FLAGS)")
    assert s.status.startswith("BAD")


def test_uid_model_b26(server, s):
    lines = s.cmd("SELECT INBOX")
    v = int([l for l in lines if "UIDVALIDITY" in l][0].split()[3][:-1])
    n = int([l for l in lines if "UIDNEXT" in l][0].split()[3][:-1])
    assert 1 <= v <= 4294967295 and n >= 1
    uids = []
    for _ in range(3):
        assert s.append("INBOX")
        uids.append(int(code(s.status, "APPENDUID")[1]))
    assert uids[0] >= n and uids == sorted(set(uids))
    assert s.ok("STORE 3 +FLAGS.SILENT (\\Deleted)")
    assert s.ok("EXPUNGE")
    s2 = Session(server)
    lines = s2.cmd("SELECT INBOX")
    assert any("UIDVALIDITY %d]" % v in l for l in lines)
    n2 = int([l for l in lines if "UIDNEXT" in l][0].split()[3][:-1])
    assert n2 >= uids[2] + 1
    got = s2.cmd("UID FETCH 1:* (UID)")
    assert [int(re.search(r"UID (\d+)", l).group(1)) for l in got] == \
        uids[:2]


def test_uidplus_copy_b31(s):
    assert s.append("INBOX", F1) and s.append("INBOX", F4)
    assert s.ok("CREATE Dest")
    lines = s.cmd("STATUS Dest (UIDVALIDITY UIDNEXT)")
    w = lines[0].split("(")[1].rstrip(")").split()
    V, N = int(w[1]), int(w[3])
    assert s.append("Dest")
    assert code(s.status, "APPENDUID") == [str(V), str(N)]
    lines = s.cmd("SELECT INBOX")
    src = [int(l.split()[1]) for l in s.cmd("UID SEARCH ALL")[0:1]
           for l in [l.replace("* SEARCH", "* 0")]] if False else None
    uids = [int(re.search(r"UID (\d+)", l).group(1))
            for l in s.cmd("FETCH 1:* (UID)")]
    s.cmd("UID COPY %d:%d Dest" % (uids[0], uids[1]))
    assert s.status.startswith("OK")
    assert code(s.status, "COPYUID") == [
        str(V), "%d:%d" % (uids[0], uids[1]), "%d:%d" % (N + 1, N + 2)]
    s.cmd("UID COPY 99 Dest")
    assert s.status.startswith("OK") and "COPYUID" not in s.status
    s.cmd("COPY 2,1 Dest")
    assert s.status.startswith("OK [COPYUID")
    assert s.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    assert s.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
    lines = s.cmd("UID EXPUNGE %d" % uids[0])
    assert lines == ["* 1 EXPUNGE"] and s.status.startswith("OK")
    assert "* 1 EXISTS" not in lines


def test_move(server, s):
    assert s.append("INBOX", F1) and s.append("INBOX", F4)
    assert s.ok("CREATE Archive")
    assert s.ok("SELECT INBOX")
    lines = s.cmd("MOVE 1 Archive")
    assert s.status.startswith("OK")
    assert any(l.startswith("* OK [COPYUID ") for l in lines)
    assert "* 1 EXPUNGE" in lines
    lines = s.cmd("UID MOVE 1:* Archive")
    assert "* 1 EXPUNGE" in lines
    assert s.cmd("STATUS Archive (MESSAGES)") == [
        '* STATUS "Archive" (MESSAGES 2)']
    assert s.cmd("STATUS INBOX (MESSAGES)") == [
        '* STATUS "INBOX" (MESSAGES 0)']
    s.cmd("MOVE 1 Nowhere")
    assert s.status.startswith("BAD")        # no message 1 any more


def test_two_sessions_updates(server, s):
    assert s.append("INBOX") and s.append("INBOX")
    assert s.ok("SELECT INBOX")
    b = Session(server)
    assert b.ok("SELECT INBOX")
    assert b.ok("STORE 1 +FLAGS.SILENT (\\Flagged)")
    assert b.append("INBOX")
    lines = s.cmd("NOOP")
    assert "* 3 EXISTS" in lines
    assert any(l.startswith("* 1 FETCH (") and "\\Flagged" in l
               for l in lines)
    assert b.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
    assert b.ok("EXPUNGE")
    # no EXPUNGE during FETCH, STORE or SEARCH (RFC 3501 7.4.1)
    for c in ("FETCH 1:* (FLAGS)", "STORE 1 +FLAGS.SILENT (\\Seen)",
              "SEARCH ALL"):
        assert not any("EXPUNGE" in l for l in s.cmd(c)), c
    lines = s.cmd("NOOP")
    assert "* 2 EXPUNGE" in lines


def test_idle_b34(server, s):
    assert s.ok("SELECT INBOX")
    s.raw.sendline("a2 IDLE")
    assert s.raw.readline().startswith("+ ")
    b = Session(server)
    assert b.append("INBOX")
    t0 = time.time()
    line = s.raw.readline()
    assert line == "* 1 EXISTS" and time.time() - t0 < 2
    s.raw.sendline("DONE")
    assert s.raw.read_until_tagged("a2")[-1].startswith("a2 OK")
    s.raw.sendline("a3 IDLE")
    assert s.raw.readline().startswith("+ ")
    server.deliver("alice", F4)
    t0 = time.time()
    lines = [s.raw.readline()]
    assert lines[0] == "* 2 EXISTS" and time.time() - t0 < 6
    s.raw.sendline("done")
    assert s.raw.read_until_tagged("a3")[-1].startswith("a3 OK")
    s.raw.sendline("a4 IDLE")
    assert s.raw.readline().startswith("+ ")
    s.raw.sendline("NOPE")
    assert s.raw.read_until_tagged("a4")[-1].startswith("a4 BAD")


def test_store_copy_bad_args(s):
    assert s.append("INBOX")
    assert s.ok("SELECT INBOX")
    for c in ("STORE 1 FOO (\\Seen)", "STORE 1 +FLAGS (\\Bogus)",
              "STORE x FLAGS (\\Seen)", "STORE 5 FLAGS (\\Seen)",
              "COPY 1", "COPY 9 INBOX", "UID STORE", "UID EXPUNGE x"):
        s.cmd(c)
        assert s.status.startswith("BAD"), c
    s.cmd("UID STORE 4000000000 +FLAGS (\\Seen)")
    assert s.status.startswith("OK")


def test_append_nonsync_refusals_b40(server, s):
    # a refused non-synchronizing APPEND is read and thrown away
    s.raw.send(b"n1 APPEND NoSuchBox {167+}\r\n" + F1 + b"\r\n")
    assert s.raw.read_until_tagged("n1")[-1].startswith("n1 NO [TRYCREATE]")
    s.raw.send(b"n2 APPEND INBOX (\\Bogus) {167+}\r\n" + F1 + b"\r\n")
    assert s.raw.read_until_tagged("n2")[-1].startswith("n2 BAD")
    assert s.ok("NOOP")
    caps = s.cmd("CAPABILITY")[0].split()
    limit = [int(c.split("=")[1]) for c in caps if c.startswith("APPENDLIMIT=")]
    assert limit and limit[0] >= 1024 * 1024
    # one too big to skip: BYE and close
    s.raw.send(b"n3 APPEND INBOX {4000000000+}\r\n")
    assert s.raw.readline().startswith("* BYE")
    with pytest.raises(EOFError):
        s.raw.readline()


def test_literal_limits_after_login(s):
    assert s.ok("SELECT INBOX")
    s.raw.sendline("l1 SEARCH TEXT {2000000}")
    assert s.raw.readline().startswith("l1 BAD [TOOBIG]")
    s.raw.sendline("l2 LIST \"\" {3}")
    assert s.raw.readline().startswith("+ ")
    s.raw.sendline("abc")
    assert s.raw.read_until_tagged("l2")[-1].startswith("l2 OK")
    # a literal inside a list (LIST-EXTENDED patterns)
    s.raw.send(b"l3 LIST \"\" (\"Nothing\" {5+}\r\nINBOX)\r\n")
    lines = s.raw.read_until_tagged("l3")
    assert lines[-1].startswith("l3 OK") and lines[0].endswith('"INBOX"')
    # status items are atoms: a string is no item
    s.raw.send(b"l4 STATUS INBOX ({8+}\r\nMESSAGES)\r\n")
    assert s.raw.read_until_tagged("l4")[-1].startswith("l4 BAD")


def test_idle_in_authenticated_state(s):
    s.raw.sendline("i1 IDLE")
    assert s.raw.readline().startswith("+ ")
    s.raw.sendline("DONE")
    assert s.raw.read_until_tagged("i1")[-1].startswith("i1 OK")
    # DONE pipelined with the next command
    s.raw.sendline("i2 IDLE")
    assert s.raw.readline().startswith("+ ")
    s.raw.send(b"DONE\r\ni3 NOOP\r\n")
    assert s.raw.read_until_tagged("i2")[-1].startswith("i2 OK")
    assert s.raw.read_until_tagged("i3")[-1].startswith("i3 OK")


def test_uid_triple_never_reused_b26(s):
    assert s.ok("CREATE Work")
    assert s.append("Work", F1)
    v1, uid1 = map(int, code(s.status, "APPENDUID"))
    assert s.ok("RENAME Work Work-old")
    assert s.ok("CREATE Work")
    assert s.append("Work", F4)
    v2, uid2 = map(int, code(s.status, "APPENDUID"))
    assert v2 != v1 or uid2 > uid1
    lines = s.cmd("STATUS Work (UIDVALIDITY UIDNEXT)")
    w = lines[0].split("(")[1].rstrip(")").split()
    assert int(w[1]) == v2 and int(w[3]) > uid2


def test_thirty_keywords_persist_b28(server, s):
    assert s.append("INBOX")
    assert s.ok("SELECT INBOX")
    kws = ["kw%02d" % i for i in range(30)]
    assert s.ok("STORE 1 +FLAGS.SILENT (%s)" % " ".join(kws))
    assert s.ok("LOGOUT") or True
    s2 = Session(server)
    lines = s2.cmd("SELECT INBOX")
    perm = [l for l in lines if "PERMANENTFLAGS" in l][0]
    got = set(fetch_flags(s2, "1")[1].split())
    assert set(kws) <= got or "\\*" not in perm


def test_uids_survive_flag_rename_b26(server, s):
    server.deliver("alice", F1)
    assert s.ok("SELECT INBOX")
    before = s.cmd("UID FETCH 1:* (UID)")
    b = Session(server)
    assert b.ok("SELECT INBOX")
    assert b.ok("STORE 1 +FLAGS (\\Seen)")       # new/ -> cur/, renamed
    s.cmd("NOOP")
    uid = re.compile(r"UID (\d+)")
    after = s.cmd("UID FETCH 1:* (UID)")
    assert uid.search(after[0]).group(1) == uid.search(before[0]).group(1)


def test_append_without_date_is_now_b30(s):
    t0 = time.time()
    assert s.append("INBOX", F1)          # F1's Date: is 2024-01-01
    assert s.ok("SELECT INBOX")
    line = s.cmd("FETCH 1 (INTERNALDATE)")[0]
    when = re.search(r'INTERNALDATE "([^"]+)"', line).group(1)
    t = datetime.datetime.strptime(when, "%d-%b-%Y %H:%M:%S %z").timestamp()
    assert abs(t - t0) < 120


def test_copy_from_read_only_b11(s):
    assert s.append("INBOX")
    assert s.ok("CREATE Dest")
    assert s.ok("EXAMINE INBOX")
    s.cmd("COPY 1 Dest")
    assert s.status.startswith("OK [COPYUID")


def test_append_literal_out_of_place(s):
    """After the message, a literal that starts no next message (MULTIAPPEND
    is in test_imap_multiappend.py): BAD without "+", or BYE when it is
    non-synchronizing and cannot be framed."""
    s.raw.send(b"m1 APPEND INBOX {167}\r\n")
    assert s.raw.readline().startswith("+ ")
    s.raw.send(F1 + b" ({3}\r\n")
    line = s.raw.read_until_tagged("m1")[-1]
    assert line.startswith("m1 BAD")      # no "+" for that literal
    assert s.ok("NOOP")
    assert s.cmd("STATUS INBOX (MESSAGES)") == [
        '* STATUS "INBOX" (MESSAGES 0)']
    s.raw.send(b"m2 APPEND INBOX {167+}\r\n" + F1 + b" ({3+}\r\n")
    assert s.raw.readline().startswith("* BYE")


def test_copyuid_long_sets(server, s):
    """COPYUID of thousands of separate UIDs is sent whole (no cut at a
    fixed reply size), tagged for COPY and untagged for MOVE."""
    md = server.maildir("alice")
    for i in range(4000):
        (md / "cur" / ("%d.M%dP1.test,S=%d:2," % (1700000000, i, len(F4)))
         ).write_bytes(F4)
    assert s.ok("CREATE Many")
    assert s.ok("SELECT INBOX")
    odd = ",".join(str(n) for n in range(1, 4001, 2))
    s.cmd("COPY %s Many" % odd)
    assert s.status.startswith("OK [COPYUID ")
    assert code(s.status, "COPYUID")[1].count(",") == 1999
    lines = s.cmd("MOVE %s Many" % odd)
    assert s.status.startswith("OK")
    assert any(l.startswith("* OK [COPYUID ") and
               code(l, "COPYUID")[1].count(",") == 1999 for l in lines)
    assert sum(1 for l in lines if l.endswith(" EXPUNGE")) == 2000
