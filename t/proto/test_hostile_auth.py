"""Hostile clients at authentication (issue 9): brute force is slowed and
then refused per address, odd user names (%, *, (, ', NUL, CRLF, 10 kB)
never log anyone in nor corrupt the log, and no password - right, wrong,
in LOGIN, AUTHENTICATE, USER/PASS, AUTH or a malformed command - ever
reaches the daemon's log, even at log.level = debug (RFC 3501 sec. 6.2,
RFC 4616, RFC 1939 sec. 7, RFC 5034).
"""
import base64
import time

import pytest

from test_hostile_prelogin import Conn, imap, pop3, tagged, SLOW

PASSWORDS = ["Wr0ng-Pa55-IMAP-LOGIN", "Wr0ng-Pa55-PLAIN-IR", "Wr0ng-Pa55-PLAIN",
             "Wr0ng-Pa55-LOGIN-MECH", "Wr0ng-Pa55-POP3-PASS", "Wr0ng-Pa55-POP3-AUTH",
             "Wr0ng-Pa55-BADSYNTAX", "Wr0ng-Pa55-AFTER-LOGIN", "Wr0ng-Pa55-LITERAL",
             "Wr0ng-Pa55-APOP"]


def b64(s):
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


def imap_login(c, tag, user, password):
    """LOGIN with both arguments as synchronizing literals (any bytes)."""
    if isinstance(user, str):
        user = user.encode()
    if isinstance(password, str):
        password = password.encode()
    c.send(b"%s LOGIN {%d}\r\n" % (tag.encode(), len(user)))
    cont = c.line()
    if cont is None or not cont.startswith("+"):
        return cont
    c.send(user + b" {%d}\r\n" % len(password))
    cont = c.line()
    if cont is None or not cont.startswith("+"):
        return cont
    c.send(password + b"\r\n")
    lines, last = c.until(tagged(tag))
    return last


def test_brute_force_is_slowed_then_refused_per_address(make_server):
    srv = make_server({"auth.failure_delay": "1s",
                       "auth.max_failures_per_ip": "4",
                       "auth.max_failures_per_user": "0",
                       "auth.failure_window": "5m"})
    c = imap(srv)
    for i in range(4):
        t0 = time.time()
        c.send("f%d LOGIN alice@example.org wrong-%d\r\n" % (i, i))
        lines, last = c.until(tagged("f%d" % i))
        assert last is not None and last.startswith("f%d NO" % i), lines
        assert time.time() - t0 >= 0.9, "failure answered without delay"
    # the address is now refused even with the right password
    c.send("r1 LOGIN alice@example.org secret-1\r\n")
    lines, last = c.until(tagged("r1"))
    assert last is None or last.startswith(("r1 NO", "* BYE")), lines
    c.close()
    p = pop3(srv)
    p.send("USER alice@example.org\r\nPASS secret-1\r\n")
    p.line()
    line = p.line()
    assert line is None or line.startswith("-ERR"), line
    p.close()
    # another address is not punished for it
    c = Conn(srv.imap_port, "127.0.0.2")
    c.line()
    c.send("g1 LOGIN alice@example.org secret-1\r\n")
    lines, last = c.until(tagged("g1"))
    assert last is not None and last.startswith("g1 OK"), lines
    c.close()


def test_parallel_guessing_does_not_skip_the_delay(make_server):
    srv = make_server({"auth.failure_delay": "1s",
                       "auth.max_failures_per_ip": "0",
                       "auth.max_failures_per_user": "0"})
    conns = [imap(srv) for _ in range(8)]
    t0 = time.time()
    for i, c in enumerate(conns):
        c.send("p LOGIN alice@example.org guess-%d\r\n" % i)
    for c in conns:
        lines, last = c.until(tagged("p"))
        assert last is not None and last.startswith("p NO"), lines
        assert time.time() - t0 >= 0.9
        c.close()


ODD_NAMES = [
    b"%", b"*", b"(", b"'", b"alice@example.org'", b"' OR '1'='1",
    b"*)(uid=*))(|(uid=*", b"alice@example.org)(|(x=*)",
    b"alice@example.org\x00", b"alice@example.org\x00bob@example.org",
    b"\x00alice@example.org", b"alice%example.org", b"alice@example.org%",
    b"alice@example.org\r\n* OK [ALERT] injected", b"alice@example.org\n",
    b"../../../../etc/passwd", b"alice@example.org/../bob@example.org",
    b"\\", b"\"", b"alice@example.org\\", b"ALICE@EXAMPLE.ORG\x00",
    b"a" * 10240, b"alice@" + b"x" * 3000 + b".org",
]


@pytest.mark.parametrize("proto", ["imap", "pop3"])
def test_odd_user_names_log_nobody_in(make_server, proto):
    srv = make_server({"auth.max_failures_per_ip": "0",
                       "auth.max_failures_per_user": "0"})
    for i, name in enumerate(ODD_NAMES):
        if proto == "imap":
            c = imap(srv)
            last = imap_login(c, "u%d" % i, name, "secret-1")
            assert last is None or last.startswith(
                ("u%d NO" % i, "u%d BAD" % i, "* BYE", "* BAD")), (name, last)
            if last is not None and last.startswith(("u%d NO" % i, "u%d BAD" % i)):
                c.send("s SELECT INBOX\r\n")
                lines, sel = c.until(tagged("s"))
                assert sel is None or not sel.startswith("s OK"), (name, lines)
        elif b"\r" in name or b"\n" in name:
            continue		# no POP3 line can hold them
        else:
            c = pop3(srv)
            c.send(b"USER " + name + b"\r\n")
            first = c.line()
            if first is not None and first.startswith("+OK"):
                c.send("PASS secret-1\r\n")
                second = c.line()
                assert second is None or second.startswith("-ERR"), (name, second)
            c.send("STAT\r\n")
            stat = c.line()
            assert stat is None or stat.startswith("-ERR"), (name, stat)
        c.close()
    # SASL PLAIN with the same names as authcid (and an authzid with NUL)
    if proto == "imap":
        for i, name in enumerate(ODD_NAMES[:12]):
            c = imap(srv)
            msg = b"\x00" + name + b"\x00secret-1"
            c.send("x%d AUTHENTICATE PLAIN %s\r\n" % (i, b64(msg)))
            lines, last = c.until(lambda l: l.startswith("x%d " % i) or
                                  l.startswith(("+", "* BYE")))
            if last is not None and last.startswith("+"):
                c.send("*\r\n")
                lines, last = c.until(tagged("x%d" % i))
            assert last is None or not last.startswith("x%d OK" % i), (name, lines)
            c.close()
    log = srv.logfile.read_bytes()
    assert b"\x00" not in log, "NUL in the log"
    assert b"\n* OK [ALERT] injected" not in log, "log line injected"
    assert b"\r" not in log, "raw CR in the log"
    assert b"a" * 1024 not in log, "10 kB user name logged whole"
    assert srv.proc.poll() is None
    # and the real user still logs in
    c = Conn(srv.imap_port, "127.0.0.2")
    c.line()
    c.send("ok LOGIN alice@example.org secret-1\r\n")
    lines, last = c.until(tagged("ok"))
    assert last is not None and last.startswith("ok OK"), lines
    c.close()


def _pop3_auth_plain(srv, user, password):
    c = pop3(srv)
    c.send("AUTH PLAIN %s\r\n" % b64("\x00%s\x00%s" % (user, password)))
    line = c.line()
    c.close()
    return line


def test_passwords_never_in_the_log(make_server):
    srv = make_server({"log.level": "debug",
                       "auth.max_failures_per_ip": "0",
                       "auth.max_failures_per_user": "0"})
    user = "alice@example.org"
    pw = iter(PASSWORDS)
    # IMAP LOGIN (atom), SASL-IR, two-step PLAIN, LOGIN mechanism
    c = imap(srv)
    c.send("a1 LOGIN %s %s\r\n" % (user, next(pw)))
    c.until(tagged("a1"))
    c.send("a2 AUTHENTICATE PLAIN %s\r\n" % b64("\x00%s\x00%s" % (user, next(pw))))
    c.until(tagged("a2"))
    c.send("a3 AUTHENTICATE PLAIN\r\n")
    if (c.line() or "").startswith("+"):
        c.send(b64("%s\x00%s\x00%s" % (user, user, next(pw))) + "\r\n")
    c.until(tagged("a3"))
    c.send("a4 AUTHENTICATE LOGIN\r\n")
    if (c.line() or "").startswith("+"):
        c.send(b64(user) + "\r\n")
        if (c.line() or "").startswith("+"):
            c.send(b64(next(pw)) + "\r\n")
    c.until(tagged("a4"))
    c.close()
    # POP3 USER/PASS and AUTH PLAIN
    p = pop3(srv)
    p.send("USER %s\r\nPASS %s\r\n" % (user, next(pw)))
    p.line()
    p.line()
    p.close()
    _pop3_auth_plain(srv, user, next(pw))
    # malformed LOGIN (three arguments) and LOGIN after login
    c = imap(srv)
    c.send("b1 LOGIN %s %s extra\r\n" % (user, next(pw)))
    c.until(tagged("b1"))
    c.send("b2 LOGIN alice@example.org secret-1\r\n")
    c.until(tagged("b2"))
    c.send("b3 LOGIN %s %s\r\n" % (user, next(pw)))
    c.until(tagged("b3"))
    c.close()
    c = imap(srv)
    imap_login(c, "b4", user, next(pw))
    c.send("b5 APOP %s %s\r\n" % (user, next(pw)))	# nonsense command
    c.until(tagged("b5"))
    c.close()
    # right passwords, including ones with quotes and blanks
    for who, password in (("carol@example.org", 'a\\b"c d'),
                          ("dave@example.org", "tilde~pass")):
        c = imap(srv)
        assert (imap_login(c, "c1", who, password) or "").startswith("c1 OK")
        c.close()
        assert (_pop3_auth_plain(srv, who, password) or "").startswith("+OK")
    srv.stop()		# flush everything
    log = srv.logfile.read_text(errors="replace")
    for secret in PASSWORDS + ['a\\b"c d', "tilde~pass"]:
        assert secret not in log, "password %r in the log" % secret
        for form in (b64(secret), b64("\x00%s\x00%s" % (user, secret))):
            assert form not in log, "base64 of %r in the log" % secret
    assert "auth" in log		# the attempts were logged, without secrets
