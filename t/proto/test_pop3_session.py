"""POP3 session: greeting, CAPA, state errors, bad commands, pipelining,
STLS (B45) and POP3S (RFC 1939, 2449, 2595). Fixtures: conftest.py."""
import poplib
import ssl
import time

import pytest

from conftest import USERS, client_ssl_context

F1 = (b"From: Alice <alice@example.org>\r\nTo: Bob <bob@example.org>\r\n"
      b"Subject: hello\r\nDate: Mon, 01 Jan 2024 10:00:00 +0000\r\n"
      b"Message-ID: <f1@example.org>\r\n\r\nline one\r\nline two\r\n")


_seq = [0]


def deliver(srv, data, user="alice"):
    """Deliver into new/ under names that sort in delivery order, so the
    message numbers follow the order of the calls."""
    _seq[0] += 1
    return srv.deliver(user, data, name="%d.M%06dP1.pop3test" %
                       (1700000000 + _seq[0], _seq[0]))


def multiline(c):
    """The lines of a multi-line reply after its status line, unstuffed."""
    lines = []
    while True:
        line = c.readline()
        if line == ".":
            return lines
        lines.append(line[1:] if line.startswith(".") else line)


def raw_login(srv, user="alice", tls=False):
    c = srv.raw(srv.pop3s_port if tls else srv.pop3_port, tls=tls)
    assert c.readline().startswith("+OK")
    c.sendline("USER " + USERS[user][0])
    assert c.readline().startswith("+OK")
    c.sendline("PASS " + USERS[user][1])
    line = c.readline()
    assert line.startswith("+OK"), line
    return c


def capa_of(c):
    c.sendline("CAPA")
    assert c.readline().startswith("+OK")
    return multiline(c)


def test_greeting_is_courier_form(alice):
    c = alice.raw(alice.pop3_port)
    assert c.readline() == "+OK Hello there."
    c.close()


def test_seed_session(alice):
    """The seed's telnet session: user, pass, stat, quit (lower case)."""
    deliver(alice, F1)
    c = alice.raw(alice.pop3_port)
    assert c.readline() == "+OK Hello there."
    c.sendline("user alice@example.org")
    assert c.readline().startswith("+OK")
    c.sendline("pass secret-1")
    assert c.readline().startswith("+OK")
    c.sendline("stat")
    assert c.readline() == "+OK 1 167"
    c.sendline("quit")
    assert c.readline().startswith("+OK")
    assert c.closed()


def test_greeting_configurable(make_server):
    srv = make_server({"pop3.greeting": "Maildock POP3 ready",
                       "pop3.implementation": "Maildock"})
    c = srv.raw(srv.pop3_port)
    assert c.readline() == "+OK Maildock POP3 ready"
    assert "IMPLEMENTATION Maildock" in capa_of(c)


def test_capa_before_and_after_login(alice):
    c = alice.raw(alice.pop3_port)
    c.readline()
    caps = capa_of(c)
    for cap in ("TOP", "UIDL", "USER", "SASL PLAIN LOGIN", "STLS",
                "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING",
                "EXPIRE NEVER"):
        assert cap in caps, (cap, caps)
    assert not any(x.startswith("IMPLEMENTATION") for x in caps)
    assert not any(x.startswith("APOP") for x in caps)
    c.close()
    c = raw_login(alice)
    caps = capa_of(c)
    assert "TOP" in caps and "UIDL" in caps and "STLS" not in caps


def test_poplib_capa(alice):
    p = alice.pop3()
    caps = p.capa()
    assert "UIDL" in caps and "TOP" in caps and "STLS" in caps
    assert caps["SASL"] == ["PLAIN", "LOGIN"]
    assert caps["EXPIRE"] == ["NEVER"]
    p.quit()


def test_transaction_commands_refused_before_login(alice):
    c = alice.raw(alice.pop3_port)
    c.readline()
    for cmd in ("STAT", "LIST", "LIST 1", "RETR 1", "DELE 1", "RSET",
                "NOOP", "UIDL", "TOP 1 0"):
        c.sendline(cmd)
        assert c.readline().startswith("-ERR"), cmd
    c.sendline("PASS secret-1")
    assert c.readline().startswith("-ERR")    # USER first
    c.sendline("QUIT")
    assert c.readline().startswith("+OK")
    assert c.closed()


def test_authorization_commands_refused_after_login(alice):
    c = raw_login(alice)
    for cmd in ("USER alice@example.org", "PASS secret-1", "STLS",
                "AUTH PLAIN AGFsaWNlQGV4YW1wbGUub3JnAHNlY3JldC0x"):
        c.sendline(cmd)
        assert c.readline().startswith("-ERR"), cmd
    c.sendline("NOOP")
    assert c.readline() == "+OK"


def test_every_status_line_is_ok_or_err(alice):
    """B43: only "+OK" and "-ERR" (never "+ERR")."""
    deliver(alice, F1)
    c = raw_login(alice)
    for cmd in ("STAT", "LIST 1", "LIST 9", "UIDL 1", "UIDL 0", "NOOP",
                "DELE 1", "DELE 1", "RETR 1", "RSET", "XYZZY", "TOP 1",
                "TOP 1 -1", "TOP 9 0"):
        c.sendline(cmd)
        line = c.readline()
        assert line.startswith("+OK") or line.startswith("-ERR "), (cmd, line)


def test_unknown_and_malformed_commands(alice):
    c = alice.raw(alice.pop3_port)
    c.readline()
    for cmd in ("XYZZY", "", "STAT extra", "LIST x", "USER", "APOP a b"):
        c.sendline(cmd)
        assert c.readline().startswith("-ERR"), cmd
    c.sendline("CAPA")
    assert c.readline().startswith("+OK")


def test_too_many_bad_commands_disconnect(alice):
    c = alice.raw(alice.pop3_port)
    c.readline()
    for _ in range(10):
        c.sendline("BOGUS")
    lines = [c.readline() for _ in range(10)]
    assert all(x.startswith("-ERR") for x in lines)
    assert c.closed()


def test_bad_command_counter_resets(alice):
    c = alice.raw(alice.pop3_port)
    c.readline()
    for _ in range(3):
        for _ in range(9):
            c.sendline("BOGUS")
        c.sendline("NOOP")      # refused (not logged in) but a command
        for _ in range(10):
            assert c.readline().startswith("-ERR")
    c.sendline("CAPA")
    assert c.readline().startswith("+OK")


def test_overlong_line_refused_not_run(alice):
    c = alice.raw(alice.pop3_port)
    c.readline()
    c.send(b"QUIT" + b" " * 70000 + b"x\r\n")
    assert c.readline().startswith("-ERR")
    c.sendline("NOOP")
    assert c.readline().startswith("-ERR")
    assert not c.closed(timeout=0.5)


def test_pipelining(alice):
    """RFC 2449 PIPELINING: every command in one write, replies in order."""
    deliver(alice, F1)
    deliver(alice, F1)
    c = alice.raw(alice.pop3_port)
    c.readline()
    c.send("USER alice@example.org\r\nPASS secret-1\r\nSTAT\r\nLIST\r\n"
           "UIDL 2\r\nRETR 1\r\nTOP 2 0\r\nDELE 1\r\nSTAT\r\nNOOP\r\n"
           "RSET\r\nSTAT\r\nQUIT\r\n")
    assert c.readline().startswith("+OK")
    assert c.readline().startswith("+OK")
    assert c.readline() == "+OK 2 334"
    assert c.readline().startswith("+OK")
    assert multiline(c) == ["1 167", "2 167"]
    assert c.readline().startswith("+OK 2 ")
    assert c.readline().startswith("+OK")
    assert len(multiline(c)) == 8
    assert c.readline().startswith("+OK")
    assert len(multiline(c)) == 6
    assert c.readline().startswith("+OK")
    assert c.readline() == "+OK 1 167"
    assert c.readline() == "+OK"
    assert c.readline().startswith("+OK")
    assert c.readline() == "+OK 2 334"
    assert c.readline().startswith("+OK")
    assert c.closed()


def test_pop3s_login(alice):
    deliver(alice, F1)
    p = alice.pop3s()
    assert p.getwelcome() == b"+OK Hello there."
    caps = p.capa()
    assert "STLS" not in caps and "USER" in caps
    p.user(USERS["alice"][0])
    p.pass_(USERS["alice"][1])
    assert p.stat() == (1, 167)
    p.quit()


def test_stls_with_poplib(alice):
    deliver(alice, F1)
    p = alice.pop3()
    p.stls(context=client_ssl_context())
    assert "STLS" not in p.capa()
    p.user(USERS["alice"][0])
    p.pass_(USERS["alice"][1])
    assert p.stat() == (1, 167)
    p.quit()


def test_stls_injection_and_capabilities(make_server):
    """B45: with plaintext login disallowed, CAPA hides USER and SASL PLAIN,
    USER is refused, a command pipelined behind STLS is never run, and the
    CAPA after TLS is right."""
    srv = make_server({"auth.plaintext": "no"})
    c = srv.raw(srv.pop3_port)
    c.readline()
    caps = capa_of(c)
    assert "STLS" in caps
    assert "USER" not in caps
    assert not any(x.startswith("SASL") for x in caps)
    c.sendline("USER alice@example.org")
    assert c.readline().startswith("-ERR")
    c.sendline("AUTH PLAIN AGFsaWNlQGV4YW1wbGUub3JnAHNlY3JldC0x")
    assert c.readline().startswith("-ERR")
    c.send(b"STLS\r\nCAPA\r\n")
    assert c.readline().startswith("+OK")
    assert c.buf == b""
    c.sock = client_ssl_context().wrap_socket(c.sock)
    c.sock.settimeout(1)
    with pytest.raises((TimeoutError, OSError)):
        c.sock.recv(100)        # nothing for the injected CAPA
    c.sock.settimeout(10)
    caps = capa_of(c)
    assert "USER" in caps and "SASL PLAIN LOGIN" in caps
    assert "STLS" not in caps
    c.sock.settimeout(1)
    with pytest.raises((TimeoutError, OSError)):
        c.sock.recv(100)        # exactly one CAPA reply
    c.sock.settimeout(10)
    c.sendline("STLS")
    assert c.readline().startswith("-ERR")
    c.sendline("USER alice@example.org")
    assert c.readline().startswith("+OK")
    c.sendline("PASS secret-1")
    assert c.readline().startswith("+OK")


def test_stls_forgets_user(alice):
    """A USER sent in plaintext does not carry over into TLS."""
    c = alice.raw(alice.pop3_port)
    c.readline()
    c.sendline("USER alice@example.org")
    assert c.readline().startswith("+OK")
    c.sendline("STLS")
    assert c.readline().startswith("+OK")
    c.sock = client_ssl_context().wrap_socket(c.sock)
    c.sendline("PASS secret-1")
    assert c.readline().startswith("-ERR")


def test_stls_without_certificate(make_server):
    srv = make_server({"tls.cert_file": ""})
    c = srv.raw(srv.pop3_port)
    c.readline()
    assert "STLS" not in capa_of(c)
    c.sendline("STLS")
    assert c.readline().startswith("-ERR")
    c.sendline("NOOP")
    assert c.readline().startswith("-ERR")


def test_quit_before_login(alice):
    p = alice.pop3()
    assert p.quit().startswith(b"+OK")


def test_login_timeout_closes(make_server):
    srv = make_server({"limits.login_timeout": "1s"})
    c = srv.raw(srv.pop3_port)
    c.readline()
    time.sleep(1.5)
    assert c.readline().startswith("-ERR")
    assert c.closed()
