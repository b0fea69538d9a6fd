"""LMTP delivery (RFC 2033): what an MTA sends and what the users then see
over IMAP. One reply per accepted recipient after DATA (RFC 2033 4.2),
recipients looked up in the auth chain, quota at RCPT TO, dot-unstuffing
(RFC 5321 4.5.2), the trace fields, and pipelining (RFC 2920)."""
import socket
import subprocess

import pytest

from conftest import BUILDDIR, free_port

MSG = (b"From: sender@example.net\r\nTo: alice@example.org\r\n"
       b"Subject: lmtp test\r\nMessage-ID: <lmtp-1@example.net>\r\n\r\n"
       b"Hello.\r\n..a line that began with a dot\r\n.\r\n")
# what the mailbox must hold after unstuffing (the final "." ends DATA)
BODY = b"Hello.\r\n.a line that began with a dot\r\n"


class Lmtp:
    """A raw LMTP client: replies are read line by line, so the per-
    recipient replies after DATA can be checked one by one."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.f = self.sock.makefile("rb")
        assert self.reply()[0] == 220

    def reply(self):
        lines = []
        while True:
            line = self.f.readline().decode()
            assert line.endswith("\r\n"), repr(line)
            lines.append(line[4:-2])
            if line[3] == " ":
                return int(line[:3]), lines

    def cmd(self, line):
        self.sock.sendall(line.encode() + b"\r\n")
        return self.reply()

    def close(self):
        self.sock.close()


@pytest.fixture
def lmtp_server(make_server):
    port = free_port()
    srv = make_server({"lmtp.listen": "127.0.0.1:%d" % port,
                       "lmtp.recipient_delimiter": "+",
                       "server.hostname": "mx.example.org"})
    srv.lmtp_port = port
    for user in ("alice", "bob"):
        srv.reset_user(user)
    return srv


def inbox(srv, user):
    """[(uid, full message bytes)] of the user's INBOX, over IMAP."""
    m = srv.login_imap(user)
    m.select("INBOX")
    typ, data = m.uid("FETCH", "1:*", "(BODY.PEEK[])")
    m.logout()
    out = []
    for item in data:
        if isinstance(item, tuple):
            uid = int(item[0].split(b"UID ")[1].split()[0])
            out.append((uid, item[1]))
    return out


def transaction(c, sender, rcpts, data):
    """MAIL, RCPT... DATA; returns (rcpt replies, data replies)."""
    assert c.cmd("MAIL FROM:<%s>" % sender)[0] == 250
    rr = [c.cmd("RCPT TO:<%s>" % r)[0] for r in rcpts]
    if not any(code == 250 for code in rr):
        return rr, []
    assert c.cmd("DATA")[0] == 354
    c.sock.sendall(data)
    return rr, [c.reply() for code in rr if code == 250]


def test_lhlo_advertises_pipelining_and_size(lmtp_server):
    c = Lmtp(lmtp_server.lmtp_port)
    code, lines = c.cmd("LHLO mta.example.net")
    assert code == 250
    assert lines[0] == "mx.example.org"
    assert "PIPELINING" in lines and "ENHANCEDSTATUSCODES" in lines
    assert "SIZE %d" % (100 * 1024 * 1024) in lines
    # LMTP is not SMTP: HELO and EHLO are unknown commands (RFC 2033 4.1)
    assert c.cmd("EHLO mta.example.net")[0] == 500
    assert c.cmd("QUIT")[0] == 221
    c.close()


def test_delivery_reaches_inbox_with_trace_fields(lmtp_server):
    c = Lmtp(lmtp_server.lmtp_port)
    c.cmd("LHLO mta.example.net")
    rr, dr = transaction(c, "sender@example.net", ["alice@example.org"], MSG)
    assert rr == [250]
    assert dr[0][0] == 250 and "<alice@example.org>" in dr[0][1][0]
    c.cmd("QUIT")
    msgs = inbox(lmtp_server, "alice")
    assert len(msgs) == 1
    raw = msgs[0][1]
    assert raw.startswith(b"Return-Path: <sender@example.net>\r\n"
                          b"Delivered-To: <alice@example.org>\r\n"
                          b"Received: from mta.example.net ([127.0.0.1])")
    head, body = raw.split(b"\r\n\r\n", 1)
    assert b"Subject: lmtp test" in head
    assert body == BODY
    # the reply names the UID the message got
    assert "UID %d" % msgs[0][0] in dr[0][1][0]


def test_one_reply_per_recipient_and_unknown_user(lmtp_server):
    c = Lmtp(lmtp_server.lmtp_port)
    c.cmd("LHLO mta.example.net")
    rr, dr = transaction(c, "", ["alice@example.org", "ghost@example.org",
                                 "bob+lists@example.org"], MSG)
    assert rr == [250, 550, 250]
    assert [r[0] for r in dr] == [250, 250]
    assert "<alice@example.org>" in dr[0][1][0]
    assert "<bob+lists@example.org>" in dr[1][1][0]
    c.cmd("QUIT")
    for user, rcpt in (("alice", b"alice@example.org"),
                       ("bob", b"bob+lists@example.org")):
        msgs = inbox(lmtp_server, user)
        assert len(msgs) == 1
        assert msgs[0][1].startswith(b"Return-Path: <>\r\nDelivered-To: <" +
                                     rcpt + b">\r\n")


@pytest.mark.parametrize("policy,code", [("temporary", 452),
                                         ("permanent", 552)])
def test_over_quota_refused_at_rcpt_and_nothing_written(make_server, policy,
                                                        code):
    port = free_port()
    srv = make_server({"lmtp.listen": "127.0.0.1:%d" % port,
                       "lmtp.quota_full": policy})
    srv.reset_user("alice")
    srv.deliver("alice", b"Subject: filler\r\n\r\n" + b"x" * 2000 + b"\r\n")
    subprocess.run([str(BUILDDIR / "maildirmake"), "-q", "1000S",
                    str(srv.maildir("alice"))], check=True)
    c = Lmtp(port)
    c.cmd("LHLO mta.example.net")
    rr, dr = transaction(c, "s@example.net", ["alice@example.org"], MSG)
    assert rr == [code] and dr == []
    c.cmd("QUIT")
    assert len(inbox(srv, "alice")) == 1


def test_size_limits(make_server):
    port = free_port()
    srv = make_server({"lmtp.listen": "127.0.0.1:%d" % port,
                       "lmtp.max_message_size": "1k"})
    srv.reset_user("alice")
    c = Lmtp(port)
    c.cmd("LHLO mta.example.net")
    assert c.cmd("MAIL FROM:<s@example.net> SIZE=5000")[0] == 552
    # undeclared but too big: every recipient is told after DATA
    big = b"Subject: big\r\n\r\n" + b"y" * 3000 + b"\r\n.\r\n"
    rr, dr = transaction(c, "s@example.net", ["alice@example.org"], big)
    assert rr == [250] and dr[0][0] == 552
    # the session stays in step and the next message goes through
    rr, dr = transaction(c, "s@example.net", ["alice@example.org"], MSG)
    assert dr[0][0] == 250
    c.cmd("QUIT")
    assert len(inbox(srv, "alice")) == 1


def test_sequence_errors(lmtp_server):
    c = Lmtp(lmtp_server.lmtp_port)
    assert c.cmd("MAIL FROM:<a@example.net>")[0] == 503   # LHLO first
    c.cmd("LHLO mta.example.net")
    assert c.cmd("RCPT TO:<alice@example.org>")[0] == 503  # MAIL first
    assert c.cmd("DATA")[0] == 503
    assert c.cmd("MAIL FROM:a@example.net")[0] == 501      # no brackets
    assert c.cmd("MAIL FROM:<a@example.net>")[0] == 250
    assert c.cmd("MAIL FROM:<a@example.net>")[0] == 503
    assert c.cmd("DATA")[0] == 503                          # no recipient
    assert c.cmd("RSET")[0] == 250
    assert c.cmd("NOOP")[0] == 250
    c.close()


def test_pipelined_transactions_on_one_connection(lmtp_server):
    """Postfix pipelines and keeps a connection for many messages: 50
    transactions sent in one write each come back in order."""
    c = Lmtp(lmtp_server.lmtp_port)
    c.cmd("LHLO mta.example.net")
    n = 50
    for i in range(n):
        msg = MSG.replace(b"lmtp-1@", b"lmtp-p%d@" % i)
        c.sock.sendall(b"MAIL FROM:<s@example.net>\r\n"
                       b"RCPT TO:<alice@example.org>\r\n"
                       b"RCPT TO:<bob@example.org>\r\nDATA\r\n")
        assert [c.reply()[0] for _ in range(4)] == [250, 250, 250, 354]
        c.sock.sendall(msg)
        assert [c.reply()[0] for _ in range(2)] == [250, 250]
    c.cmd("QUIT")
    for user in ("alice", "bob"):
        msgs = inbox(lmtp_server, user)
        assert len(msgs) == n
        ids = {m[1].split(b"Message-ID: ")[1].split(b"\r\n")[0]
               for m in msgs}
        assert len(ids) == n


def test_unix_socket_listener(make_server, tmp_path):
    """lmtp.listen may be a UNIX socket path, as Postfix's lmtp:unix:
    transport connects to it (mode 0666: the MTA runs as its own user)."""
    path = tmp_path / "lmtp.sock"
    path.write_text("")          # a non-socket there is an error...
    srv = make_server({"lmtp.listen": str(path)}, start=False)
    r = subprocess.run([str(BUILDDIR / "maildockd"), "-F", "-c",
                        str(srv.conf)], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode != 0 and "lmtp.listen" in r.stderr
    path.unlink()
    srv.start()
    srv.reset_user("alice")
    assert oct(path.stat().st_mode & 0o777) == "0o666"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(str(path))
    c = Lmtp.__new__(Lmtp)
    c.sock, c.f = s, s.makefile("rb")
    assert c.reply()[0] == 220
    c.cmd("LHLO mta.example.net")
    rr, dr = transaction(c, "s@example.net", ["alice@example.org"], MSG)
    assert dr[0][0] == 250
    c.cmd("QUIT")
    assert len(inbox(srv, "alice")) == 1
    # ...and a socket left by an earlier run is replaced at the next start
    srv.stop()
    srv.start()
    assert path.is_socket()


def test_bare_lf_never_ends_the_data(lmtp_server):
    """Only CRLF "." CRLF ends DATA (RFC 5321 4.1.1.4): a bare-LF "." line
    inside a message must not end it and let what follows run as commands
    (SMTP smuggling); a message with a bare LF is refused whole."""
    c = Lmtp(lmtp_server.lmtp_port)
    c.cmd("LHLO mta.example.net")
    smuggled = (b"Subject: smug\r\n\r\nx\n.\nMAIL FROM:<evil@example.net>\n"
                b"RCPT TO:<bob@example.org>\nDATA\nSubject: evil\n\nevil\r\n"
                b".\r\n")
    rr, dr = transaction(c, "s@example.net", ["alice@example.org"], smuggled)
    assert rr == [250] and dr[0][0] == 554
    # in step: the next transaction goes through
    rr, dr = transaction(c, "s@example.net", ["alice@example.org"], MSG)
    assert dr[0][0] == 250
    c.cmd("QUIT")
    assert len(inbox(lmtp_server, "alice")) == 1
    assert inbox(lmtp_server, "bob") == []


def test_lhlo_name_cannot_inject_headers(lmtp_server):
    c = Lmtp(lmtp_server.lmtp_port)
    assert c.cmd("LHLO x\rX-Injected: 1")[0] == 501
    assert c.cmd("LHLO mta.example.net")[0] == 250
    c.close()


def test_clients_on_the_mta_address_cannot_defer_delivery(make_server):
    """LMTP is the MTA's listener: IMAP connections from the same address,
    up to limits.max_connections_per_ip, do not refuse deliveries."""
    port = free_port()
    srv = make_server({"lmtp.listen": "127.0.0.1:%d" % port,
                       "limits.max_connections_per_ip": "3"})
    srv.reset_user("alice")
    held = [socket.create_connection(("127.0.0.1", srv.imap_port))
            for _ in range(3)]
    for h in held:
        assert h.recv(100).startswith(b"* OK")
    c = Lmtp(port)
    c.cmd("LHLO mta.example.net")
    rr, dr = transaction(c, "s@example.net", ["alice@example.org"], MSG)
    assert dr[0][0] == 250
    c.cmd("QUIT")
    for h in held:
        h.close()
