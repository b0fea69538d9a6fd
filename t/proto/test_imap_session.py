"""IMAP session basics: greeting, CAPABILITY, NOOP, LOGOUT, LOGIN,
AUTHENTICATE (B38), STARTTLS (B36, B37), states, bad commands, literals
(B01, B40) and limits."""
import base64
import imaplib
import socket
import ssl
import time

import pytest

from conftest import client_ssl_context


def greet(raw):
    line = raw.readline()
    assert line.startswith("* OK [CAPABILITY IMAP4rev1 ")
    assert line.endswith("] Maildock ready.")
    return line


def cmd(raw, tag, text):
    raw.sendline("%s %s" % (tag, text))
    return raw.read_until_tagged(tag)


def login(raw, tag="l1"):
    lines = cmd(raw, tag, "LOGIN alice@example.org secret-1")
    assert lines[-1].startswith(tag + " OK"), lines


def test_greeting_and_capability(server, alice):
    raw = server.raw(server.imap_port)
    line = greet(raw)
    # loopback allows plaintext by default: AUTH= offered, STARTTLS too
    assert "STARTTLS" in line and "AUTH=PLAIN" in line
    assert "LITERAL+" in line and "SASL-IR" in line
    lines = cmd(raw, "a0", "CAPABILITY")
    assert lines[0].startswith("* CAPABILITY IMAP4rev1 ")
    assert lines[-1].startswith("a0 OK")
    assert cmd(raw, "a1", "noop")[-1].startswith("a1 OK")
    lines = cmd(raw, "a2", "LOGOUT")
    assert lines[0].startswith("* BYE")
    assert lines[-1].startswith("a2 OK")
    with pytest.raises(EOFError):
        raw.readline()


def test_seed_session(server, alice):
    """The seed's session: a login, b select inbox, c logout."""
    raw = server.raw(server.imap_port)
    greet(raw)
    lines = cmd(raw, "a", "login alice@example.org secret-1")
    assert lines[-1].startswith("a OK [CAPABILITY IMAP4rev1 ")
    assert "AUTH=" not in lines[-1] and "STARTTLS" not in lines[-1]
    lines = cmd(raw, "b", "select inbox")
    assert lines[0].startswith("* FLAGS (\\Answered \\Flagged \\Deleted "
                               "\\Seen \\Draft")
    assert any(l.startswith("* OK [PERMANENTFLAGS (") and "\\*)]" in l
               for l in lines)
    assert "* 0 EXISTS" in lines and "* 0 RECENT" in lines
    uidv = [l for l in lines if l.startswith("* OK [UIDVALIDITY ")]
    assert uidv and int(uidv[0].split()[3].rstrip("]")) >= 1
    uidnext = [l for l in lines if l.startswith("* OK [UIDNEXT ")]
    assert uidnext and int(uidnext[0].split()[3].rstrip("]")) >= 1
    assert lines[-1].startswith("b OK [READ-WRITE]")
    lines = cmd(raw, "c", "logout")
    assert lines[0].startswith("* BYE") and lines[-1].startswith("c OK")


def test_imaplib_login(server, alice):
    m = server.imap()
    typ, _ = m.login("alice@example.org", "secret-1")
    assert typ == "OK"
    typ, data = m.select("INBOX")
    assert typ == "OK" and data == [b"0"]
    m.logout()


def test_login_quoting(server, carol, dave):
    """carol's password has a backslash, a quote and a space."""
    m = server.imap()
    assert m.login("carol@example.org", 'a\\b"c d')[0] == "OK"
    m.logout()
    raw = server.raw(server.imap_port)
    greet(raw)
    assert cmd(raw, "a", 'LOGIN "carol@example.org" "a\\\\b\\"c d"'
               )[-1].startswith("a OK")
    raw = server.raw(server.imap_port)
    greet(raw)
    assert cmd(raw, "a", "LOGIN dave@example.org tilde~pass"
               )[-1].startswith("a OK")


def test_login_failure(server, alice):
    raw = server.raw(server.imap_port)
    greet(raw)
    lines = cmd(raw, "a", "LOGIN alice@example.org Xyzzy-93")
    assert lines[-1].startswith("a NO [AUTHENTICATIONFAILED]")
    lines = cmd(raw, "b", "LOGIN nobody@example.org Xyzzy-93")
    assert lines[-1].startswith("b NO [AUTHENTICATIONFAILED]")
    assert cmd(raw, "c", "NOOP")[-1].startswith("c OK")
    assert "Xyzzy-93" not in server.log()


def test_wrong_state(server, alice):
    raw = server.raw(server.imap_port)
    greet(raw)
    for c in ("SELECT INBOX", "LIST \"\" *", "FETCH 1 FLAGS", "CLOSE",
              "CREATE x", "APPEND INBOX {1}", "IDLE"):
        assert cmd(raw, "s", c)[-1].startswith("s BAD"), c
    login(raw)
    assert cmd(raw, "t", "LOGIN alice@example.org secret-1"
               )[-1].startswith("t BAD")
    for c in ("FETCH 1 FLAGS", "STORE 1 FLAGS (\\Seen)", "CLOSE", "EXPUNGE",
              "COPY 1 INBOX", "UID FETCH 1 FLAGS", "SEARCH ALL", "UNSELECT"):
        assert cmd(raw, "u", c)[-1].startswith("u BAD"), c


def test_bad_syntax(server, alice):
    raw = server.raw(server.imap_port)
    greet(raw)
    assert cmd(raw, "a", "FROBNICATE")[-1].startswith("a BAD")
    assert cmd(raw, "b", "NOOP extra")[-1].startswith("b BAD")
    assert cmd(raw, "c", "LOGIN \"unterminated")[-1].startswith("c BAD")
    assert cmd(raw, "d", "LOGIN a)")[-1].startswith("d BAD")
    raw.sendline("")
    assert raw.readline().startswith("* BAD")
    raw.sendline("+tag NOOP")
    assert raw.readline().startswith("* BAD")
    assert cmd(raw, "e", "UID FROB 1")[-1].startswith("e BAD")
    assert cmd(raw, "f", "NOOP")[-1].startswith("f OK")


def test_refused_command_no_updates(server, alice):
    """A command refused before it runs (unknown, wrong arguments, a
    syntax error) is answered alone: the new message is announced at the
    next command that ran (RFC 3501 7: untagged data belongs to a command's
    processing; the dispatcher syncs only after a handler)."""
    server.reset_user("alice")
    server.deliver("alice", "Subject: one\r\n\r\nbody\r\n")
    raw = server.raw(server.imap_port)
    greet(raw)
    login(raw)
    assert cmd(raw, "s", "SELECT INBOX")[-1].startswith("s OK")
    server.deliver("alice", "Subject: two\r\n\r\nbody\r\n")
    assert cmd(raw, "a", "FROBNICATE") == ["a BAD Unknown command"]
    assert cmd(raw, "b", "UID FROB 1") == ["b BAD Unknown UID command"]
    assert cmd(raw, "c", "NOOP extra") == ["c BAD Invalid arguments"]
    lines = cmd(raw, "d", "FETCH (")
    assert len(lines) == 1 and lines[0].startswith("d BAD"), lines
    lines = cmd(raw, "e", "NOOP")
    assert "* 2 EXISTS" in lines and lines[-1].startswith("e OK"), lines


def test_literal_admission(server, alice):
    """One admission check before the "+" and before dispatch: no "+" for
    a literal of an unknown UID command; an APPEND refused at dispatch has
    its non-synchronizing message read and dropped, never run."""
    server.reset_user("alice")
    server.deliver("alice", "Subject: one\r\n\r\nbody\r\n")
    raw = server.raw(server.imap_port)
    greet(raw)
    login(raw)
    assert cmd(raw, "s", "SELECT INBOX")[-1].startswith("s OK")
    raw.sendline("u UID FROB {3}")
    assert raw.readline() == "u BAD Unknown UID command"
    raw.send(b"a APPEND INBOX () \"01-Jan-2020 00:00:00 +0000\" x y "
             b"{12+}\r\nb NOOP\r\nxxx\r\n")
    assert raw.readline() == "a BAD Invalid arguments"
    lines = cmd(raw, "c", "NOOP")
    assert lines[-1].startswith("c OK") and not any(
        l.startswith("b ") for l in lines), lines


def test_too_many_bad_commands(server, alice):
    raw = server.raw(server.imap_port)
    greet(raw)
    for i in range(9):
        assert cmd(raw, "x%d" % i, "BOGUS")[-1].startswith("x%d BAD" % i)
    raw.sendline("y BOGUS")
    assert raw.readline().startswith("y BAD")
    assert raw.readline().startswith("* BYE")
    with pytest.raises(EOFError):
        raw.readline()


def test_line_too_long(server, alice):
    raw = server.raw(server.imap_port)
    greet(raw)
    raw.sendline("a NOOP " + "x" * 70000)
    # the line is thrown away, its tag still answered (RFC 3501 2.2.2)
    assert raw.readline().startswith("a BAD [TOOBIG]")
    assert cmd(raw, "b", "NOOP")[-1].startswith("b OK")


def test_literal_plus_login_b01(server, alice):
    raw = server.raw(server.imap_port)
    greet(raw)
    raw.send(b"a1 LOGIN {17+}\r\nalice@example.org {8+}\r\nsecret-1\r\n")
    lines = raw.read_until_tagged("a1")
    assert not any(l.startswith("+") for l in lines)
    assert lines[-1].startswith("a1 OK")
    raw.send(b"a2 SELECT {5+}\r\nINBOX\r\n")
    assert raw.read_until_tagged("a2")[-1].startswith("a2 OK [READ-WRITE]")


def test_literal_plus_malformed_b01(server, alice):
    raw = server.raw(server.imap_port)
    greet(raw)
    assert cmd(raw, "a3", "LOGIN {+5}")[-1].startswith("a3 BAD")
    # a bad command announcing a non-synchronizing literal: closed
    raw.sendline("a4 LOGIN x {5++}")
    lines = []
    with pytest.raises(EOFError):
        while True:
            lines.append(raw.readline())
    assert lines and lines[0].startswith("a4 BAD") or \
        lines[0].startswith("* BYE")


def test_sync_literal(server, alice):
    raw = server.raw(server.imap_port)
    greet(raw)
    raw.sendline("a LOGIN {17}")
    assert raw.readline().startswith("+ ")
    raw.sendline("alice@example.org {8}")
    assert raw.readline().startswith("+ ")
    raw.sendline("secret-1")
    assert raw.read_until_tagged("a")[-1].startswith("a OK")


def test_huge_literal_b40(server, alice):
    raw = server.raw(server.imap_port)
    greet(raw)
    raw.sendline("a1 LOGIN {4294967295}")
    line = raw.readline()
    assert line.startswith("a1 BAD") or line.startswith("a1 NO")
    raw.sendline("a2 LOGIN {99999999999}")
    line = raw.readline()
    assert line.startswith("a2 BAD")
    # pre-auth literals are small
    raw.sendline("a3 LOGIN {5000}")
    assert raw.readline().startswith("a3 BAD [TOOBIG]")
    assert cmd(raw, "a4", "NOOP")[-1].startswith("a4 OK")
    # a too-big non-synchronizing literal cannot be framed: BYE
    raw.sendline("a5 LOGIN {4000000000+}")
    assert raw.readline().startswith("* BYE")
    with pytest.raises(EOFError):
        raw.readline()
    raw = server.raw(server.imap_port)
    greet(raw)
    login(raw)
    raw.sendline("a6 APPEND INBOX {4000000000}")
    line = raw.readline()
    assert line.startswith("a6 NO [TOOBIG]")
    raw.sendline("a7 SEARCH TEXT {50000000}")
    line = raw.readline()
    assert line.startswith("a7 BAD") or line.startswith("a7 NO")
    assert cmd(raw, "a8", "NOOP")[-1].startswith("a8 OK")


def auth_plain(user, password, authzid=""):
    return base64.b64encode(("%s\0%s\0%s" % (authzid, user, password))
                            .encode()).decode()


def test_authenticate_plain_b38(server, alice):
    raw = server.raw(server.imap_port)
    greet(raw)
    raw.sendline("a1 AUTHENTICATE PLAIN")
    assert raw.readline() == "+ "
    raw.sendline("AGFsaWNlQGV4YW1wbGUub3JnAHNlY3JldC0x")
    assert raw.read_until_tagged("a1")[-1].startswith("a1 OK")
    # SASL-IR, authzid == authcid
    raw = server.raw(server.imap_port)
    greet(raw)
    ir = auth_plain("alice@example.org", "secret-1", "alice@example.org")
    assert cmd(raw, "a1", "AUTHENTICATE PLAIN " + ir)[-1].startswith("a1 OK")
    # alice asks to act as bob
    raw = server.raw(server.imap_port)
    greet(raw)
    ir = auth_plain("alice@example.org", "secret-1", "bob@example.org")
    assert cmd(raw, "a1", "AUTHENTICATE PLAIN " + ir)[-1].startswith("a1 NO")
    # cancel
    raw.sendline("a2 AUTHENTICATE PLAIN")
    assert raw.readline() == "+ "
    raw.sendline("*")
    assert raw.readline().startswith("a2 BAD")
    # wrong password
    ir = auth_plain("alice@example.org", "wrong-pw")
    assert cmd(raw, "a3", "AUTHENTICATE PLAIN " + ir)[-1].startswith(
        "a3 NO [AUTHENTICATIONFAILED]")
    assert cmd(raw, "a4", "AUTHENTICATE CRAM-MD5")[-1].startswith("a4 NO")
    assert cmd(raw, "a5", "AUTHENTICATE PLAIN !!!")[-1].startswith("a5 BAD")


def test_authenticate_login(server, alice):
    raw = server.raw(server.imap_port)
    greet(raw)
    raw.sendline("a1 AUTHENTICATE LOGIN")
    assert raw.readline().startswith("+ ")
    raw.sendline(base64.b64encode(b"alice@example.org").decode())
    assert raw.readline().startswith("+ ")
    raw.sendline(base64.b64encode(b"secret-1").decode())
    assert raw.read_until_tagged("a1")[-1].startswith("a1 OK")


def test_starttls_injection_b36(server, alice):
    for first, second in (("a1 STARTTLS", "a2 CAPABILITY"),
                          ("A1 starttls",
                           "A2 LOGIN alice@example.org secret-1")):
        raw = server.raw(server.imap_port)
        greet(raw)
        raw.send((first + "\r\n" + second + "\r\n").encode())
        assert raw.readline().startswith(first.split()[0] + " OK")
        raw.sock = client_ssl_context().wrap_socket(raw.sock)
        raw.buf = b""
        lines = cmd(raw, "a3", "SELECT INBOX")
        assert not any(l.startswith("a2 ") or l.startswith("A2 ")
                       for l in lines)
        assert lines[-1].startswith("a3 BAD") or lines[-1].startswith("a3 NO")


def test_starttls_injection_split_b36(server, alice):
    """The injected command split over two TCP segments: it is discarded
    or the handshake fails; it never runs."""
    raw = server.raw(server.imap_port)
    greet(raw)
    raw.send(b"a1 STARTTLS\r\na2 LOGIN alice@exa")
    assert raw.readline().startswith("a1 OK")
    time.sleep(0.2)
    try:
        raw.send(b"mple.org secret-1\r\n")
        raw.sock = client_ssl_context().wrap_socket(raw.sock)
    except (ssl.SSLError, OSError):
        return                        # closing is acceptable
    raw.buf = b""
    lines = cmd(raw, "a3", "SELECT INBOX")
    assert not any(l.startswith("a2 ") for l in lines)
    assert lines[-1].startswith("a3 BAD")


def test_starttls_capabilities_b37(make_server):
    srv = make_server({"auth.plaintext": "no"})
    srv.reset_user("alice")
    raw = srv.raw(srv.imap_port)
    greet(raw)
    lines = cmd(raw, "a1", "CAPABILITY")
    assert "STARTTLS" in lines[0] and "LOGINDISABLED" in lines[0]
    assert "AUTH=PLAIN" not in lines[0]
    lines = cmd(raw, "a2", "LOGIN alice@example.org secret-1")
    assert lines[-1].startswith("a2 NO") or lines[-1].startswith("a2 BAD")
    # no "+" that would invite the password in cleartext
    raw.sendline("a2l LOGIN {17}")
    assert raw.readline().startswith("a2l NO [PRIVACYREQUIRED]")
    assert cmd(raw, "a2b", "AUTHENTICATE PLAIN " +
               auth_plain("alice@example.org", "secret-1"))[-1][:6] in (
                   "a2b NO", "a2b BA")
    assert cmd(raw, "a3", "STARTTLS")[-1].startswith("a3 OK")
    raw.sock = client_ssl_context().wrap_socket(raw.sock)
    raw.buf = b""
    lines = cmd(raw, "a4", "CAPABILITY")
    assert "AUTH=PLAIN" in lines[0]
    assert "STARTTLS" not in lines[0] and "LOGINDISABLED" not in lines[0]
    lines = cmd(raw, "a5", "STARTTLS")
    assert lines[-1].startswith("a5 BAD") or lines[-1].startswith("a5 NO")
    assert cmd(raw, "a6", "LOGIN alice@example.org secret-1"
               )[-1].startswith("a6 OK")


def test_imaps_implicit_tls(server, alice):
    raw = server.raw(server.imaps_port, tls=True)
    line = greet(raw)
    assert "STARTTLS" not in line
    login(raw)


def test_namespace_id_enable_unselect(server, alice):
    raw = server.raw(server.imap_port)
    greet(raw)
    lines = cmd(raw, "i", 'ID ("name" "pytest" "version" NIL)')
    assert lines[0].startswith('* ID ("name" "Maildock"')
    assert "version" not in lines[0]
    assert cmd(raw, "j", "ID NIL")[-1].startswith("j OK")
    login(raw)
    lines = cmd(raw, "n", "NAMESPACE")
    # personal "" with ".", other users' folders under #shared. (ACL)
    assert lines[0].startswith('* NAMESPACE (("" ".")) ')
    lines = cmd(raw, "e", "ENABLE CONDSTORE")
    assert lines[0].startswith("* ENABLED") and lines[-1].startswith("e OK")
    assert cmd(raw, "s", "SELECT INBOX")[-1].startswith("s OK")
    # RFC 5161 3.1: only before a mailbox is selected
    assert cmd(raw, "e2", "ENABLE UTF8=ACCEPT")[-1].startswith("e2 BAD")
    assert cmd(raw, "u", "UNSELECT")[-1].startswith("u OK")
    assert cmd(raw, "v", "UNSELECT")[-1].startswith("v BAD")
    assert cmd(raw, "c", "CHECK")[-1].startswith("c BAD")


def test_shutdown_bye(make_server):
    srv = make_server()
    srv.reset_user("alice")
    raw = srv.raw(srv.imap_port)
    greet(raw)
    login(raw)
    srv.stop()
    assert raw.readline().startswith("* BYE")


def test_login_timeout_autologout(make_server):
    srv = make_server({"limits.login_timeout": "1s"})
    raw = srv.raw(srv.imap_port)
    greet(raw)
    t0 = time.time()
    assert raw.readline().startswith("* BYE")
    assert time.time() - t0 < 5
    with pytest.raises(EOFError):
        raw.readline()


def test_imap_settings(make_server):
    srv = make_server({"imap.greeting": "Hello there.",
                       "imap.id_send_version": "yes",
                       "imap.max_bad_commands": "3",
                       "imap.max_literal_preauth": "300",
                       "imap.max_append": "2k"})
    raw = srv.raw(srv.imap_port)
    line = raw.readline()
    assert line.startswith("* OK [CAPABILITY ") and line.endswith("] Hello there.")
    assert "APPENDLIMIT=2048" in line
    lines = cmd(raw, "i", "ID NIL")
    assert '"version"' in lines[0]
    raw.sendline("l LOGIN {301}")
    assert raw.readline().startswith("l BAD [TOOBIG]")
    raw.sendline("l2 LOGIN {17}")
    assert raw.readline().startswith("+ ")
    raw.sendline("alice@example.org {8}")
    assert raw.readline().startswith("+ ")
    raw.sendline("secret-1")
    assert raw.read_until_tagged("l2")[-1].startswith("l2 OK")
    raw.sendline("a APPEND INBOX {2049}")
    assert raw.readline().startswith("a NO [TOOBIG]")
    for t in ("x1", "x2"):
        assert cmd(raw, t, "BOGUS")[-1].startswith(t + " BAD")
    raw.sendline("x3 BOGUS")
    assert raw.readline().startswith("x3 BAD")
    assert raw.readline().startswith("* BYE")
