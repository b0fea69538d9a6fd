"""Authentication through the pwfile module over IMAP and POP3 (issue 4):
LOGIN, AUTHENTICATE PLAIN/LOGIN, bad base64, the failure delay, throttling,
master users, user-name normalisation, per-user service options, the
users file re-read when it changes, malformed lines, a missing file
(temporary failure) and the plaintext policy. Fixtures: conftest.py."""
import base64
import imaplib
import subprocess
import time

import pytest

from conftest import BUILDDIR


def b64(s):
    return base64.b64encode(s.encode()).decode()


def hash_pw(password, scheme="SHA512-CRYPT"):
    r = subprocess.run([str(BUILDDIR / "maildock-pw"), "-s", scheme],
                       input=password + "\n", capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def users_file(tmp_path, lines):
    path = tmp_path / "users"
    path.write_text("".join(line + "\n" for line in lines))
    return path


def own_server(make_server, tmp_path, lines, **settings):
    path = users_file(tmp_path, lines)
    settings = {k.replace("__", "."): v for k, v in settings.items()}
    settings["auth.pwfile.path"] = str(path)
    return make_server(settings), path


def imap_login(srv, user, password):
    m = srv.imap()
    try:
        m.login(user, password)
        return m
    except imaplib.IMAP4.error as e:
        m.shutdown()
        return str(e)


def tagged(c, tag, line):
    c.sendline("%s %s" % (tag, line))
    return c.read_until_tagged(tag)[-1]


def greeted_imap(srv):
    c = srv.raw(srv.imap_port)
    assert c.readline().startswith("* OK")
    return c


def test_imap_login_hashed_schemes(make_server, tmp_path):
    lines = ["s1@example.org:%s" % hash_pw("pw one", "SHA512-CRYPT"),
             "s2@example.org:%s" % hash_pw("pw two", "SSHA256"),
             "s3@example.org:%s" % hash_pw("pw three", "BLF-CRYPT"),
             "s4@example.org:%s" % hash_pw("pw four", "YESCRYPT")]
    srv, _ = own_server(make_server, tmp_path, lines)
    for i, pw in enumerate(["pw one", "pw two", "pw three", "pw four"], 1):
        m = imap_login(srv, "s%d@example.org" % i, pw)
        assert not isinstance(m, str), m
        m.logout()
        assert "AUTHENTICATIONFAILED" in imap_login(srv, "s%d@example.org" % i,
                                                    pw + "x")


def test_imap_authenticate_plain_and_login(alice):
    c = greeted_imap(alice)
    assert tagged(c, "a1", "AUTHENTICATE PLAIN " +
                  b64("\0alice@example.org\0secret-1")).startswith("a1 OK")
    c = greeted_imap(alice)
    c.sendline("a2 AUTHENTICATE PLAIN")
    assert c.readline().startswith("+")
    c.sendline(b64("\0alice@example.org\0secret-1"))
    assert c.read_until_tagged("a2")[-1].startswith("a2 OK")
    c = greeted_imap(alice)
    c.sendline("a3 AUTHENTICATE LOGIN")
    assert c.readline() == "+ VXNlcm5hbWU6"
    c.sendline(b64("alice@example.org"))
    assert c.readline() == "+ UGFzc3dvcmQ6"
    c.sendline(b64("secret-1"))
    assert c.read_until_tagged("a3")[-1].startswith("a3 OK")


def test_imap_authenticate_bad_input(alice):
    c = greeted_imap(alice)
    # not base64: refused, and the connection stays usable
    assert tagged(c, "b1", "AUTHENTICATE PLAIN AHRp!!!=").startswith("b1 BAD")
    c.sendline("b2 AUTHENTICATE PLAIN")
    assert c.readline().startswith("+")
    c.sendline("*")		# cancelled by the client (RFC 3501 6.2.2)
    assert c.read_until_tagged("b2")[-1].startswith("b2 BAD")
    # one NUL only: malformed PLAIN
    r = tagged(c, "b3", "AUTHENTICATE PLAIN " + b64("alice@example.org\0x"))
    assert r.startswith("b3 BAD") or r.startswith("b3 NO")
    assert tagged(c, "b4", "AUTHENTICATE PLAIN " +
                  b64("\0alice@example.org\0secret-1")).startswith("b4 OK")


def test_pop3_and_imap_same_user(alice):
    p = alice.pop3()
    p.user("Alice@Example.org")		# lower-cased by default
    assert p.pass_("secret-1").startswith(b"+OK")
    p.quit()
    m = alice.imap()
    m.login("ALICE@example.org", "secret-1")
    m.logout()


def test_failure_delay_is_applied(make_server, tmp_path):
    srv, _ = own_server(make_server, tmp_path,
                        ["u@example.org:{PLAIN}pw"], auth__failure_delay="1s")
    t0 = time.monotonic()
    assert "AUTHENTICATIONFAILED" in imap_login(srv, "u@example.org", "no")
    assert time.monotonic() - t0 >= 1.0
    t0 = time.monotonic()
    assert "AUTHENTICATIONFAILED" in imap_login(srv, "x@example.org", "pw")
    assert time.monotonic() - t0 >= 1.0	# unknown users wait as long
    t0 = time.monotonic()
    imap_login(srv, "u@example.org", "pw").logout()
    assert time.monotonic() - t0 < 1.0


def test_throttle_per_user(make_server, tmp_path):
    srv, _ = own_server(make_server, tmp_path,
                        ["u@example.org:{PLAIN}pw", "v@example.org:{PLAIN}pw"],
                        auth__max_failures_per_user="2")
    for _ in range(2):
        assert "AUTHENTICATIONFAILED" in imap_login(srv, "u@example.org", "x")
    r = imap_login(srv, "u@example.org", "pw")
    assert isinstance(r, str) and "UNAVAILABLE" in r
    p = srv.pop3()
    p.user("u@example.org")
    with pytest.raises(Exception) as e:
        p.pass_("pw")
    assert "-ERR" in str(e.value)
    imap_login(srv, "v@example.org", "pw").logout()	# others unaffected
    assert "too many failures" in srv.log()


def test_master_user_authzid(make_server, tmp_path):
    srv, _ = own_server(make_server, tmp_path,
                        ["u@example.org:{PLAIN}pw", "admin@example.org:{PLAIN}adm",
                         "bob@example.org:{PLAIN}bb"],
                        auth__master_users="admin@example.org",
                        auth__master_separator="*")
    # LOGIN and USER/PASS: "target*master" with the master's password
    imap_login(srv, "u@example.org*admin@example.org", "adm").logout()
    assert "AUTHENTICATIONFAILED" in imap_login(
        srv, "u@example.org*bob@example.org", "bb")
    p = srv.pop3()
    p.user("u@example.org*admin@example.org")
    assert p.pass_("adm").startswith(b"+OK")
    p.quit()
    c = greeted_imap(srv)
    assert tagged(c, "m1", "AUTHENTICATE PLAIN " +
                  b64("u@example.org\0admin@example.org\0adm")).startswith("m1 OK")
    # the session belongs to the target: its Maildir is the one opened
    assert tagged(c, "m1b", "SELECT INBOX").startswith("m1b OK")
    assert (srv.mail_root / "example.org" / "u" / "Maildir").is_dir()
    assert not (srv.mail_root / "example.org" / "admin").exists()
    c = greeted_imap(srv)
    r = tagged(c, "m2", "AUTHENTICATE PLAIN " +
               b64("u@example.org\0bob@example.org\0bb"))
    assert r.startswith("m2 NO")
    p = srv.raw(srv.pop3_port)
    assert p.readline().startswith("+OK")
    p.sendline("AUTH PLAIN " + b64("u@example.org\0admin@example.org\0adm"))
    assert p.readline().startswith("+OK")


def test_default_domain_and_percent(make_server, tmp_path):
    srv, _ = own_server(make_server, tmp_path, ["u@example.org:{PLAIN}pw"],
                        auth__default_domain="example.org",
                        auth__domain_separators="@%")
    imap_login(srv, "u", "pw").logout()
    imap_login(srv, "U%example.org", "pw").logout()
    assert "AUTHENTICATIONFAILED" in imap_login(srv, "u%example.org@x", "pw")


def test_disable_imap_option(make_server, tmp_path):
    srv, _ = own_server(make_server, tmp_path,
                        ["p@example.org:{PLAIN}pw:::::: disable-imap"])
    assert "AUTHENTICATIONFAILED" in imap_login(srv, "p@example.org", "pw")
    p = srv.pop3()
    p.user("p@example.org")
    assert p.pass_("pw").startswith(b"+OK")
    p.quit()


def test_users_file_reread_and_malformed_lines(make_server, tmp_path):
    srv, path = own_server(make_server, tmp_path,
                           ["u@example.org:{PLAIN}old", "broken line",
                            "w@example.org:{PLAIN}pw:notanumber"])
    imap_login(srv, "u@example.org", "old").logout()
    log = srv.log()
    assert "%s:2: no ':' after the user name, skipped" % path in log
    assert "%s:3: uid is not a number, skipped" % path in log
    # an admin changes the file: no restart, no reload
    new = tmp_path / "users.new"
    new.write_text("u@example.org:{PLAIN}new\nn@example.org:{PLAIN}pw\n")
    new.rename(path)
    assert "AUTHENTICATIONFAILED" in imap_login(srv, "u@example.org", "old")
    imap_login(srv, "u@example.org", "new").logout()
    imap_login(srv, "n@example.org", "pw").logout()


def test_missing_users_file_is_temporary_failure(make_server, tmp_path):
    srv, path = own_server(make_server, tmp_path, ["u@example.org:{PLAIN}pw"])
    path.unlink()
    r = imap_login(srv, "u@example.org", "pw")
    assert "UNAVAILABLE" in r
    c = srv.raw(srv.pop3_port)
    assert c.readline().startswith("+OK")
    c.sendline("USER u@example.org")
    c.readline()
    c.sendline("PASS pw")
    assert c.readline().startswith("-ERR [SYS/TEMP]")


def test_plaintext_refused_without_tls(make_server, tmp_path):
    srv, _ = own_server(make_server, tmp_path, ["u@example.org:{PLAIN}pw"],
                        auth__plaintext="no")
    c = greeted_imap(srv)
    c.sendline("c1 CAPABILITY")
    caps = " ".join(c.read_until_tagged("c1"))
    assert "LOGINDISABLED" in caps
    r = tagged(c, "c2", "LOGIN u@example.org pw")
    assert r.startswith("c2 NO") or r.startswith("c2 BAD")
    m = srv.imaps()
    m.login("u@example.org", "pw")
    m.logout()


def test_reload_switches_users_file(make_server, tmp_path):
    srv, path = own_server(make_server, tmp_path, ["u@example.org:{PLAIN}pw"])
    other = tmp_path / "other-users"
    other.write_text("z@example.org:{PLAIN}zz\n")
    srv.settings["auth.pwfile.path"] = str(other)
    srv.settings["auth.pwfile.bogus"] = "1"
    srv.write_conf()
    # a bad reload keeps the running configuration
    srv.reload(expect="auth.pwfile.bogus")
    imap_login(srv, "u@example.org", "pw").logout()
    del srv.settings["auth.pwfile.bogus"]
    srv.write_conf()
    srv.reload()
    imap_login(srv, "z@example.org", "zz").logout()
    assert "AUTHENTICATIONFAILED" in imap_login(srv, "u@example.org", "pw")
