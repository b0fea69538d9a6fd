"""POP3 maildrop: STAT/LIST/UIDL/RETR/TOP/DELE/RSET/QUIT over a snapshot
(RFC 1939), dot-stuffing and CRLF sizes, streaming of a large message,
the IN-USE lock, uncommitted drops, UIDL stability, and IMAP seeing POP3
deletions. FIELD-BUGS B41, B43, B44. Fixtures: conftest.py."""
import os
import signal
import socket
import time

import pytest

from conftest import USERS

from test_pop3_session import F1, deliver, multiline, raw_login

F4 = (b"From: Alice <alice@example.org>\r\nTo: Bob <bob@example.org>\r\n"
      b"Subject: nomime\r\nDate: Mon, 01 Jan 2024 11:00:00 +0000\r\n\r\n"
      b"plain old text\r\n")
F5 = (b"From: alice@example.org\r\nSubject: dots\r\n\r\n"
      b"first\r\n.\r\n.dot\r\nlast\r\n")
F5_LF = F5.replace(b"\r\n", b"\n")
F7_LF = b"Subject: lf\nFrom: alice@example.org\n\nbody\n"
F1_HEADER = F1.split(b"\r\n\r\n")[0].decode().split("\r\n") + [""]


def login(srv, user="alice"):
    p = srv.pop3()
    p.user(USERS[user][0])
    p.pass_(USERS[user][1])
    return p


def read_reply_bytes(c):
    """Status line and raw multi-line body up to and including CRLF.CRLF."""
    status = c.readline()
    while b"\r\n.\r\n" not in c.buf and not c.buf.startswith(b".\r\n"):
        chunk = c.sock.recv(65536)
        assert chunk, "connection closed"
        c.buf += chunk
    if c.buf.startswith(b".\r\n"):
        body, c.buf = b".\r\n", c.buf[3:]
    else:
        i = c.buf.index(b"\r\n.\r\n") + 5
        body, c.buf = c.buf[:i], c.buf[i:]
    return status, body


def test_f5_dot_stuffing_on_the_wire(alice):
    deliver(alice, F5)
    deliver(alice, F5_LF)
    c = raw_login(alice)
    c.sendline("LIST")
    c.readline()
    assert multiline(c) == ["1 64", "2 64"]
    for n in (1, 2):
        c.sendline("RETR %d" % n)
        status, body = read_reply_bytes(c)
        assert status.startswith("+OK")
        assert body == (b"From: alice@example.org\r\nSubject: dots\r\n\r\n"
                        b"first\r\n..\r\n..dot\r\nlast\r\n.\r\n")


def test_retr_poplib_unstuffed(alice):
    deliver(alice, F5_LF)
    p = login(alice)
    resp, lines, octets = p.retr(1)
    assert lines == F5.rstrip(b"\r\n").split(b"\r\n")


def test_lf_message_crlf_size(alice):
    """F7-LF: 42 octets on disk, 46 in CRLF form, in STAT, LIST, RETR."""
    deliver(alice, F7_LF)
    c = raw_login(alice)
    c.sendline("STAT")
    assert c.readline() == "+OK 1 46"
    c.sendline("LIST 1")
    assert c.readline() == "+OK 1 46"
    c.sendline("RETR 1")
    status, body = read_reply_bytes(c)
    assert body == F7_LF.replace(b"\n", b"\r\n") + b".\r\n"
    assert len(body) - 3 == 46


def test_no_final_newline(alice):
    deliver(alice, b"Subject: x\r\n\r\nno newline at end")
    c = raw_login(alice)
    c.sendline("RETR 1")
    status, body = read_reply_bytes(c)
    assert body == b"Subject: x\r\n\r\nno newline at end\r\n.\r\n"


def test_b43_maildrop_commands(alice):
    for m in (F1, F4, F5):
        deliver(alice, m)
        time.sleep(0.01)
    total = len(F1) + len(F4) + len(F5)
    c = raw_login(alice)
    c.sendline("STAT")
    assert c.readline() == "+OK 3 %d" % total
    c.sendline("LIST 2")
    assert c.readline() == "+OK 2 %d" % len(F4)
    c.sendline("LIST 9")
    assert c.readline().startswith("-ERR")
    c.sendline("DELE 2")
    assert c.readline().startswith("+OK")
    c.sendline("STAT")
    assert c.readline() == "+OK 2 %d" % (total - len(F4))
    c.sendline("LIST")
    assert c.readline().startswith("+OK")
    assert multiline(c) == ["1 %d" % len(F1), "3 %d" % len(F5)]
    c.sendline("UIDL")
    assert c.readline().startswith("+OK")
    assert [x.split()[0] for x in multiline(c)] == ["1", "3"]
    for cmd in ("RETR 2", "DELE 2", "LIST 2", "UIDL 2", "TOP 2 0"):
        c.sendline(cmd)
        assert c.readline().startswith("-ERR"), cmd
    c.sendline("RSET")
    assert c.readline().startswith("+OK")
    c.sendline("STAT")
    assert c.readline() == "+OK 3 %d" % total
    c.sendline("DELE 1")
    assert c.readline().startswith("+OK")
    c.close()                                   # drop without QUIT
    time.sleep(0.3)
    c = raw_login(alice)
    c.sendline("STAT")
    assert c.readline() == "+OK 3 %d" % total   # nothing was expunged
    c.sendline("DELE 1")
    assert c.readline().startswith("+OK")
    c.sendline("QUIT")
    assert c.readline().startswith("+OK")
    assert c.closed()
    c = raw_login(alice)
    c.sendline("STAT")
    assert c.readline() == "+OK 2 %d" % (total - len(F1))


def test_b41_top(alice):
    deliver(alice, F1)
    c = raw_login(alice)
    c.sendline("TOP 1 0")
    assert c.readline().startswith("+OK")
    assert multiline(c) == F1_HEADER
    c.sendline("TOP 1 1")
    assert c.readline().startswith("+OK")
    assert multiline(c) == F1_HEADER + ["line one"]
    c.sendline("TOP 1 99")
    assert c.readline().startswith("+OK")
    assert multiline(c) == F1_HEADER + ["line one", "line two"]
    for cmd in ("TOP 1", "TOP 9 0", "TOP 1 -1", "TOP", "TOP x 1"):
        c.sendline(cmd)
        assert c.readline().startswith("-ERR"), cmd
    c.sendline("NOOP")
    assert c.readline() == "+OK"


def test_top_poplib_dots(alice):
    deliver(alice, F5_LF)
    p = login(alice)
    resp, lines, octets = p.top(1, 2)
    assert lines == [b"From: alice@example.org", b"Subject: dots", b"",
                     b"first", b"."]


def test_list_uidl_single(alice):
    deliver(alice, F1)
    deliver(alice, F4)
    p = login(alice)
    assert p.list(2) == b"+OK 2 %d" % len(F4)
    resp, listing, _ = p.uidl()
    ids = [x.split()[1] for x in listing]
    assert p.uidl(2) == b"+OK 2 " + ids[1]


def test_b44_uidl_unique_and_stable(alice):
    deliver(alice, F1)
    time.sleep(0.01)
    deliver(alice, F4)
    p = login(alice)
    assert "UIDL" in p.capa()
    resp, listing, _ = p.uidl()
    ids = [x.split()[1] for x in listing]
    assert len(ids) == 2 and ids[0] != ids[1]
    for i in ids:
        assert 1 <= len(i) <= 70
        assert all(0x21 <= b <= 0x7e for b in i)
    p.quit()
    # a flag change renames the file (as IMAP \Seen would)
    cur = alice.maildir() / "cur"
    for f in list(cur.iterdir()) + list((alice.maildir() / "new").iterdir()):
        base = f.name.split(":")[0]
        os.rename(f, cur / (base + ":2,S"))
    p = login(alice)
    assert [x.split()[1] for x in p.uidl()[1]] == ids
    p.dele(1)
    p.quit()
    deliver(alice, F5)
    p = login(alice)
    new_ids = [x.split()[1] for x in p.uidl()[1]]
    assert new_ids[0] == ids[1]
    assert new_ids[1] not in ids
    p.quit()


def test_uidl_stable_across_restart(make_server):
    srv = make_server()
    deliver(srv, F1)
    p = login(srv)
    ids = p.uidl()[1]
    p.quit()
    srv.stop()
    srv.start()
    deadline = time.time() + 10
    while True:         # start() can return before the listeners are up
        try:
            p = login(srv)
            break
        except ConnectionRefusedError:
            assert time.time() < deadline
            time.sleep(0.1)
    assert p.uidl()[1] == ids
    p.quit()


def test_dele_rset(alice):
    deliver(alice, F1)
    deliver(alice, F4)
    p = login(alice)
    p.dele(1)
    p.dele(2)
    assert p.stat() == (0, 0)
    assert p.list()[1] == []
    p.rset()
    assert p.stat() == (2, len(F1) + len(F4))
    p.quit()
    p = login(alice)
    assert p.stat() == (2, len(F1) + len(F4))
    p.quit()


def test_snapshot_hides_new_mail(alice):
    deliver(alice, F1)
    p = login(alice)
    assert p.stat() == (1, 167)
    deliver(alice, F4)
    assert p.stat() == (1, 167)
    assert p.list()[1] == [b"1 167"]
    p.dele(1)
    p.quit()
    p = login(alice)
    assert p.stat() == (1, len(F4))     # the new one survived QUIT
    p.quit()


def test_in_use_lock(alice):
    deliver(alice, F1)
    p = login(alice)
    c = alice.raw(alice.pop3_port)
    c.readline()
    c.sendline("USER alice@example.org")
    c.readline()
    c.sendline("PASS secret-1")
    assert c.readline().startswith("-ERR [IN-USE]")
    p.quit()
    time.sleep(0.2)
    q = login(alice)        # free again after QUIT
    q.quit()


def test_in_use_released_on_drop(alice):
    deliver(alice, F1)
    c = raw_login(alice)
    c.close()
    deadline = time.time() + 5
    while True:
        try:
            p = login(alice)
            break
        except Exception:
            assert time.time() < deadline
            time.sleep(0.1)
    p.quit()


def test_shutdown_commits_nothing(make_server):
    srv = make_server()
    deliver(srv, F1)
    c = raw_login(srv)
    c.sendline("DELE 1")
    assert c.readline().startswith("+OK")
    srv.proc.send_signal(signal.SIGTERM)
    srv.proc.wait(timeout=30)
    srv.proc = None
    srv.log_fh.close()
    files = list((srv.maildir() / "new").iterdir()) + \
        list((srv.maildir() / "cur").iterdir())
    assert len(files) == 1
    assert ":2,T" not in files[0].name and not files[0].name.endswith("T")


def vm_hwm(srv):
    """The peak resident memory of the daemon, summed over its processes
    (each peak only grows, so the sum's growth bounds any one's)."""
    total = 0
    for pid in srv.pids():
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) * 1024
    return total


def test_retr_20mb_streamed(make_server):
    srv = make_server()
    line = b"x" * 75 + b"\n"
    body = line * (20 * 1024 * 1024 // len(line))
    msg = b"From: a@example.org\nSubject: big\n\n" + b".dot start\n" + body
    deliver(srv, msg)
    crlf_size = len(msg) + msg.count(b"\n")
    c = raw_login(srv)
    before = vm_hwm(srv)
    c.sendline("LIST 1")
    assert c.readline() == "+OK 1 %d" % crlf_size
    c.sendline("RETR 1")
    status = c.readline()
    assert status.startswith("+OK")
    got = 0
    tail = b""
    c.sock.settimeout(60)
    data = c.buf
    c.buf = b""
    while True:
        got += len(data)
        tail = (tail + data)[-5:]
        if tail == b"\r\n.\r\n":
            break
        data = c.sock.recv(1 << 20)
        assert data
    # dot-stuffing adds one octet; the terminator five
    assert got == crlf_size + 1 + 3
    grew = vm_hwm(srv) - before
    assert grew < 8 * 1024 * 1024, grew
    c.sendline("TOP 1 1")
    assert c.readline().startswith("+OK")
    assert multiline(c) == ["From: a@example.org", "Subject: big", "",
                            ".dot start"]


def test_imap_sees_pop3_deletions(alice):
    deliver(alice, F1)
    deliver(alice, F4)
    try:
        m = alice.login_imap()
        typ, data = m.select("INBOX")
    except Exception as e:          # IMAP not ready in this build
        pytest.skip("IMAP unavailable: %s" % e)
    assert typ == "OK" and data[0] == b"2"
    p = login(alice)
    p.dele(1)
    p.quit()
    typ, data = m.noop()
    typ, data = m.search(None, "ALL")
    assert data[0].split() == [b"1"]
    typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert b"nomime" in data[0][1]
    m.logout()


def test_uidl_from_courier_sizelist(alice):
    """A Maildir migrated from Courier keeps its UIDLs: the numbers in
    courierpop3dsizelist (version 3) give "UID<n>-<uidvalidity>", and a
    new message gets the list's next number."""
    a = deliver(alice, F1)
    b = deliver(alice, F4)
    (alice.maildir() / "courierpop3dsizelist").write_text(
        "/3 10 1234567\n%s 167 7:1234567:0\n%s %d 8:1234567:0\n"
        % (a.name, b.name, len(F4)))
    p = login(alice)
    assert [x.split()[1] for x in p.uidl()[1]] == [b"UID7-1234567",
                                                  b"UID8-1234567"]
    p.quit()
    deliver(alice, F5)
    p = login(alice)
    assert [x.split()[1] for x in p.uidl()[1]] == [
        b"UID7-1234567", b"UID8-1234567", b"UID10-1234567"]
    p.quit()


def test_in_use_across_processes(alice, make_server):
    """The lock holds between two daemons serving the same Maildirs."""
    other = make_server({"mail.location": alice.settings["mail.location"]})
    deliver(alice, F1)
    p = login(alice)
    c = other.raw(other.pop3_port)
    c.readline()
    c.sendline("USER alice@example.org")
    c.readline()
    c.sendline("PASS secret-1")
    assert c.readline().startswith("-ERR [IN-USE]")
    p.quit()
    q = login(other)
    assert q.stat() == (1, 167)
    q.quit()


def imap_or_skip(srv):
    try:
        m = srv.login_imap()
        typ, _ = m.select("INBOX")
        assert typ == "OK"
        return m
    except Exception as e:          # IMAP not ready in this build
        pytest.skip("IMAP unavailable: %s" % e)


def test_quit_expunges_only_pop3_deletions(alice):
    """A message an IMAP client flagged \\Deleted (without EXPUNGE) is not
    removed by POP3's QUIT: only the DELE'd ones are."""
    deliver(alice, F1)
    deliver(alice, F4)
    deliver(alice, F5)
    m = imap_or_skip(alice)
    typ, _ = m.store("3", "+FLAGS", "(\\Deleted)")
    assert typ == "OK"
    p = login(alice)
    p.dele(1)
    p.quit()
    p = login(alice)
    assert p.stat() == (2, len(F4) + len(F5))
    p.quit()
    m.logout()


def test_message_expunged_by_imap_meanwhile(alice):
    deliver(alice, F1)
    deliver(alice, F4)
    p = login(alice)
    m = imap_or_skip(alice)
    m.store("1", "+FLAGS", "(\\Deleted)")
    m.expunge()
    m.logout()
    with pytest.raises(Exception) as e:
        p.retr(1)
    assert str(e.value).startswith("b'-ERR")
    p.dele(1)                       # marking a vanished message is fine
    assert p.retr(2)[1][-1] == b"plain old text"
    p.quit()
    p = login(alice)
    assert p.stat() == (1, len(F4))
    p.quit()


def test_uidl_dovecot_format(make_server):
    srv = make_server({"pop3.uidl_format": "dovecot"})
    deliver(srv, F1)
    deliver(srv, F4)
    m = srv.login_imap()
    m.select("INBOX")
    typ, data = m.response("UIDVALIDITY")
    uidvalidity = int(data[0])
    typ, data = m.fetch("1:2", "(UID)")
    uids = [int(x.split(b"UID ")[1].rstrip(b")")) for x in data]
    m.logout()
    p = login(srv)
    assert [x.split()[1] for x in p.uidl()[1]] == \
        [b"%08x%08x" % (u, uidvalidity) for u in uids]
    assert p.uidl(2) == b"+OK 2 %08x%08x" % (uids[1], uidvalidity)
    p.quit()


def test_uidl_dovecot_bytes(make_server):
    """What Dovecot 2.3.19's pop3d answered for UID 11 of UIDVALIDITY
    1796632410 (its %08Xu%08Xv prints lower-case hex): fetchmail compares
    the bytes, so "0000000B6B166F5A" made it download everything again."""
    srv = make_server({"pop3.uidl_format": "dovecot"})
    md = srv.maildir()
    for sub in ("tmp", "new", "cur"):
        (md / sub).mkdir(parents=True, exist_ok=True)
    (md / "cur" / "1700000011.M1P1.dovecot:2,S").write_bytes(F1)
    (md / "dovecot-uidlist").write_text(
        "3 V1796632410 N12 G3085f01b7f11094c501100008c4a11c1\n"
        "11 :1700000011.M1P1.dovecot\n")
    p = login(srv)
    assert p.uidl(1) == b"+OK 1 0000000b6b166f5a"
    p.quit()


def test_uidl_format_checked(make_server):
    srv = make_server({"pop3.uidl_format": "md5"}, start=False)
    with pytest.raises(RuntimeError) as e:
        srv.start()
    assert "pop3.uidl_format" in str(e.value)


def unstuff(body):
    """A RETR body as it came over the wire, to the message octets."""
    assert body.endswith(b".\r\n")
    lines = body[:-3].split(b"\r\n")
    assert lines[-1] == b""
    return b"\r\n".join(x[1:] if x.startswith(b".") else x
                        for x in lines[:-1]) + b"\r\n"


def test_corpus_sizes_and_content(alice, corpus):
    """Every LIST size is the octet count RETR sends (before dot-stuffing),
    and RETR sends the stored message with each bare LF made CRLF; over
    corpus messages with LF, CRLF, mixed and no line ends, bare CRs, dots."""
    rows = [r.split("\t") for r in
            (corpus / "INDEX.tsv").read_text().splitlines()[1:]]
    rows = [r for r in rows if int(r[1]) < 300000]
    pick = [r for r in rows if r[2] in ("mixed", "none") or "bare-cr" in r[5]]
    pick += rows[::25]
    raws = [(corpus / r[0]).read_bytes() for r in pick]
    for raw in raws:
        deliver(alice, raw)
    c = raw_login(alice)
    c.sendline("LIST")
    c.readline()
    sizes = [int(x.split()[1]) for x in multiline(c)]
    assert len(sizes) == len(raws)
    for n, raw in enumerate(raws, 1):
        c.sendline("RETR %d" % n)
        status, body = read_reply_bytes(c)
        assert status == "+OK %d octets follow." % sizes[n - 1]
        want = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        if raw.endswith(b"\r"):
            want += b"\n"           # the CR gets its LF
        elif not raw.endswith(b"\n"):
            want += b"\r\n"         # the reply ends with a line break
        else:
            assert len(want) == sizes[n - 1], pick[n - 1][0]
        assert unstuff(body) == want, pick[n - 1][0]
