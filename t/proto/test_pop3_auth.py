"""POP3 login: USER/PASS (RFC 1939 sec. 7), AUTH PLAIN and LOGIN with and
without an initial response (RFC 5034; B46), response codes (RFC 2449,
3206), plaintext policy. Fixtures: conftest.py."""
import base64
import poplib
import re
import time

import pytest

from conftest import USERS

from test_pop3_session import F1, deliver, capa_of


def b64(s):
    return base64.b64encode(s.encode()).decode()


ALICE_PLAIN = b64("\0alice@example.org\0secret-1")
assert ALICE_PLAIN == "AGFsaWNlQGV4YW1wbGUub3JnAHNlY3JldC0x"


def greeted(srv):
    c = srv.raw(srv.pop3_port)
    assert c.readline().startswith("+OK")
    return c


def assert_logged_in(c):
    c.sendline("STAT")
    assert c.readline().startswith("+OK ")


def test_user_pass_poplib(alice):
    deliver(alice, F1)
    p = alice.pop3()
    assert p.user("alice@example.org").startswith(b"+OK")
    assert p.pass_("secret-1").startswith(b"+OK")
    assert p.stat() == (1, 167)
    p.quit()


def test_wrong_password_is_auth_code(alice):
    c = greeted(alice)
    c.sendline("USER alice@example.org")
    assert c.readline().startswith("+OK")
    c.sendline("PASS wrong")
    assert c.readline().startswith("-ERR [AUTH]")
    # still in AUTHORIZATION: a new USER/PASS works
    c.sendline("USER alice@example.org")
    assert c.readline().startswith("+OK")
    c.sendline("PASS secret-1")
    assert c.readline().startswith("+OK")
    assert_logged_in(c)


def test_unknown_user_same_answer(alice):
    c = greeted(alice)
    c.sendline("USER nobody@example.org")
    assert c.readline().startswith("+OK")
    c.sendline("PASS secret-1")
    assert c.readline().startswith("-ERR [AUTH]")


def test_password_with_specials(carol, dave):
    """carol's password has a backslash, a quote and a space."""
    for user in ("carol", "dave"):
        p = carol.pop3()
        p.user(USERS[user][0])
        assert p.pass_(USERS[user][1]).startswith(b"+OK")
        p.quit()


def test_password_not_logged(alice):
    c = greeted(alice)
    c.sendline("USER alice@example.org")
    c.readline()
    c.sendline("PASS very-secret-wrong-password")
    c.readline()
    c.sendline("AUTH PLAIN " + b64("\0alice@example.org\0other-secret-pw"))
    c.readline()
    c.close()
    log = alice.log()
    assert "very-secret-wrong-password" not in log
    assert "other-secret-pw" not in log


def test_auth_plain_initial_response(alice):
    c = greeted(alice)
    c.sendline("AUTH PLAIN " + ALICE_PLAIN)
    assert c.readline().startswith("+OK")
    assert_logged_in(c)


def test_auth_plain_two_step(alice):
    c = greeted(alice)
    c.sendline("AUTH PLAIN")
    assert c.readline() == "+ "
    c.sendline(ALICE_PLAIN)
    assert c.readline().startswith("+OK")
    assert_logged_in(c)


def test_auth_plain_cancel(alice):
    c = greeted(alice)
    c.sendline("AUTH PLAIN")
    assert c.readline() == "+ "
    c.sendline("*")
    assert c.readline().startswith("-ERR")
    c.sendline("STAT")
    assert c.readline().startswith("-ERR")    # not logged in


def test_auth_plain_wrong_password(alice):
    c = greeted(alice)
    c.sendline("AUTH PLAIN AGFsaWNlQGV4YW1wbGUub3JnAHdyb25nLXB3")
    assert c.readline().startswith("-ERR [AUTH]")


def test_auth_plain_authzid(alice):
    c = greeted(alice)
    # alice asks to act as bob: refused
    c.sendline("AUTH PLAIN Ym9iQGV4YW1wbGUub3JnAGFsaWNlQGV4YW1wbGUub3JnAHNlY3JldC0x")
    assert c.readline().startswith("-ERR")
    # authzid equal to authcid is fine
    c.sendline("AUTH PLAIN " + b64("alice@example.org\0alice@example.org\0secret-1"))
    assert c.readline().startswith("+OK")


def test_auth_plain_garbage(alice):
    c = greeted(alice)
    c.sendline("AUTH PLAIN !!!!")
    assert c.readline().startswith("-ERR")
    c.sendline("AUTH PLAIN")
    assert c.readline() == "+ "
    c.sendline("not base64 at all")
    assert c.readline().startswith("-ERR")
    c.sendline("AUTH PLAIN " + b64("no-nuls-here"))
    assert c.readline().startswith("-ERR")
    c.sendline("AUTH CRAM-MD5")
    assert c.readline().startswith("-ERR")
    c.sendline("AUTH PLAIN " + ALICE_PLAIN)
    assert c.readline().startswith("+OK")


def test_auth_login(alice):
    c = greeted(alice)
    c.sendline("AUTH LOGIN")
    assert c.readline() == "+ VXNlcm5hbWU6"
    c.sendline(b64("alice@example.org"))
    assert c.readline() == "+ UGFzc3dvcmQ6"
    c.sendline(b64("secret-1"))
    assert c.readline().startswith("+OK")
    assert_logged_in(c)


def test_auth_login_initial_response(alice):
    c = greeted(alice)
    c.sendline("auth login " + b64("alice@example.org"))
    assert c.readline() == "+ UGFzc3dvcmQ6"
    c.sendline(b64("secret-1"))
    assert c.readline().startswith("+OK")


def test_auth_without_mechanism_lists_them(alice):
    c = greeted(alice)
    c.sendline("AUTH")
    assert c.readline().startswith("+OK")
    lines = []
    while True:
        line = c.readline()
        if line == ".":
            break
        lines.append(line)
    assert lines == ["PLAIN", "LOGIN"]


def test_plaintext_refused_without_tls(make_server):
    srv = make_server({"auth.plaintext": "no"})
    c = greeted(srv)
    c.sendline("USER alice@example.org")
    assert c.readline().startswith("-ERR [AUTH]")
    c.sendline("PASS secret-1")
    assert c.readline().startswith("-ERR")
    c.sendline("AUTH PLAIN " + ALICE_PLAIN)
    assert c.readline().startswith("-ERR")
    c.sendline("AUTH")                  # no mechanism is offered
    assert c.readline().startswith("+OK")
    assert c.readline() == "."
    # implicit TLS is fine
    p = srv.pop3s()
    p.user(USERS["alice"][0])
    assert p.pass_(USERS["alice"][1]).startswith(b"+OK")
    p.quit()


def test_login_logged(alice):
    p = alice.pop3()
    p.user(USERS["alice"][0])
    p.pass_(USERS["alice"][1])
    p.quit()
    log = alice.log()
    assert "pop3: login" in log and "mech=USER" in log
    assert "pop3: logout" in log and "retr=0" in log


def test_failure_delay(make_server):
    srv = make_server({"auth.failure_delay": "1s"})
    c = greeted(srv)
    c.sendline("USER alice@example.org")
    c.readline()
    t0 = time.monotonic()
    c.sendline("PASS wrong")
    assert c.readline().startswith("-ERR [AUTH]")
    assert time.monotonic() - t0 >= 0.9


def test_login_delay_after_repeated_failures(make_server):
    """Throttled logins get [LOGIN-DELAY] (RFC 2449 sec. 8.1.2), even with
    the right password, and are not [AUTH]."""
    srv = make_server({"auth.max_failures_per_user": "2"})
    c = greeted(srv)
    for _ in range(2):
        c.sendline("USER alice@example.org")
        c.readline()
        c.sendline("PASS wrong")
        assert c.readline().startswith("-ERR [AUTH]")
    c.sendline("USER alice@example.org")
    c.readline()
    c.sendline("PASS secret-1")
    assert c.readline().startswith("-ERR [LOGIN-DELAY]")


def test_unusable_maildir_is_sys_code(alice):
    """A Maildir that cannot be opened: -ERR [SYS/...] and no login."""
    md = alice.maildir()
    md.parent.mkdir(parents=True, exist_ok=True)
    md.write_text("not a directory\n")
    c = greeted(alice)
    c.sendline("USER alice@example.org")
    c.readline()
    c.sendline("PASS secret-1")
    line = c.readline()
    assert line.startswith("-ERR [SYS/PERM]") or \
        line.startswith("-ERR [SYS/TEMP]"), line
    c.sendline("STAT")
    assert c.readline().startswith("-ERR")


def test_sasl_login_logs_the_mechanism_not_the_credentials(server, alice):
    """AUTH PLAIN with its response on the next line, and AUTH LOGIN: the
    log names the mechanism; no byte of the base64 credentials (read into
    the same connection buffer as the command) ever reaches it."""
    user, pw = "alice@example.org", "secret-1"
    plain = base64.b64encode(b"\0" + user.encode() + b"\0" +
                             pw.encode()).decode()
    before = len(server.log())
    for mech, lines in (("PLAIN", [plain]),
                        ("LOGIN", [base64.b64encode(user.encode()).decode(),
                                   base64.b64encode(pw.encode()).decode()])):
        c = server.raw(server.pop3_port)
        assert c.readline().startswith("+OK")
        c.sendline("AUTH " + mech)
        for ln in lines:
            assert c.readline().startswith("+")
            c.sendline(ln)
        assert c.readline().startswith("+OK")
        c.sendline("QUIT")
        c.readline()
        c.close()
    time.sleep(0.3)
    log = server.log()[before:]
    mechs = re.findall(r"pop3: login mech=(\S*)", log)
    assert mechs == ["PLAIN", "LOGIN"], mechs
    assert "\r" not in log
