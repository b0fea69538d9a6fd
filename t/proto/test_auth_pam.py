"""The pam auth module through pam_wrapper (issue 8).

maildockd is started under pam_wrapper (LD_PRELOAD=libpam_wrapper.so,
PAM_WRAPPER=1, a private PAM_WRAPPER_SERVICE_DIR) whose "maildock" service
uses pam_matrix with a password file, so no system account and no
/etc/pam.d change is needed. nss_wrapper supplies a passwd entry for the
test of uid/gid/home mapping. Logins over IMAP and POP3, a wrong password,
an unknown user and a locked account (pam_matrix refuses account
management for a service the user may not use). Skipped without
pam_wrapper."""
import os
import pathlib

import pytest

LIBDIRS = ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib")

USERS = {
    "alice@example.org": "alice-pam",
    "bob@example.net": "bob-pam",
    "sysuser": "sys-pam",
}


def find_lib(name):
    for d in LIBDIRS:
        p = pathlib.Path(d) / name
        if p.exists():
            return p
    return None


@pytest.fixture
def pamenv(tmp_path, monkeypatch):
    """Write the service and passdb; return a function that starts a
    daemon (from make_server) under pam_wrapper and nss_wrapper."""
    wrapper = find_lib("libpam_wrapper.so")
    matrix = find_lib("pam_wrapper/pam_matrix.so")
    if wrapper is None or matrix is None:
        pytest.skip("pam_wrapper not installed (apt-get install libpam-wrapper)")
    nss = find_lib("libnss_wrapper.so")
    svc = tmp_path / "pam.d"
    svc.mkdir()
    passdb = tmp_path / "passdb"
    lines = ["%s:%s:maildock" % (u, p) for u, p in USERS.items()]
    lines.append("locked@example.org:locked-pam:webmail")  # not for maildock
    passdb.write_text("\n".join(lines) + "\n")
    empty = tmp_path / "passdb-empty"
    empty.write_text("")
    for name, db in (("maildock", passdb), ("webmail", passdb), ("other", empty)):
        (svc / name).write_text("auth required %s passdb=%s\n"
                                "account required %s passdb=%s\n"
                                % (matrix, db, matrix, db))
    home = tmp_path / "home" / "sysuser"
    home.mkdir(parents=True)
    (tmp_path / "passwd").write_text(
        "sysuser:x:%d:%d:PAM test user:%s:/bin/false\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
        % (os.getuid(), os.getgid(), home))
    (tmp_path / "group").write_text("sysgroup:x:%d:\nnogroup:x:65534:\n" % os.getgid())

    def start(make_server, settings):
        d = make_server(settings, start=False)
        preload = [str(wrapper)] + ([str(nss)] if nss else [])
        monkeypatch.setenv("LD_PRELOAD", " ".join(preload))
        monkeypatch.setenv("PAM_WRAPPER", "1")
        # sanitizer builds refuse libpam loaded with RTLD_DEEPBIND
        monkeypatch.setenv("UID_WRAPPER_DISABLE_DEEPBIND", "1")
        monkeypatch.setenv("NSS_WRAPPER_DISABLE_DEEPBIND", "1")
        monkeypatch.setenv("PAM_WRAPPER_SERVICE_DIR", str(svc))
        monkeypatch.setenv("NSS_WRAPPER_PASSWD", str(tmp_path / "passwd"))
        monkeypatch.setenv("NSS_WRAPPER_GROUP", str(tmp_path / "group"))
        monkeypatch.setenv("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:"
                           "verify_asan_link_order=0")
        # TSan builds: nss_wrapper's fork handlers unlock mutexes that its
        # constructor locked before TSan saw them (not our code)
        supp = tmp_path / "tsan-suppressions"
        supp.write_text("mutex:libnss_wrapper.so\n")
        tsan = os.environ.get("TSAN_OPTIONS", "")
        monkeypatch.setenv("TSAN_OPTIONS", (tsan + ":" if tsan else "") +
                           "suppressions=%s" % supp)
        try:
            d.start()
        finally:
            for k in ("LD_PRELOAD", "PAM_WRAPPER", "PAM_WRAPPER_SERVICE_DIR",
                      "UID_WRAPPER_DISABLE_DEEPBIND", "NSS_WRAPPER_DISABLE_DEEPBIND",
                      "NSS_WRAPPER_PASSWD", "NSS_WRAPPER_GROUP", "ASAN_OPTIONS",
                      "TSAN_OPTIONS"):
                monkeypatch.delenv(k, raising=False)
        return d
    start.home = home
    start.has_nss = nss is not None
    return start


def settings(**extra):
    s = {"auth.modules": "pam", "auth.pam.lookup_passwd": "no",
         "auth.max_failures_per_ip": "100000", "auth.max_failures_per_user": "100000"}
    s.update(extra)
    return s


def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def imap_login(srv, user, password):
    c = srv.raw(srv.imap_port)
    c.readline()
    c.sendline("a LOGIN %s %s" % (quote(user), quote(password)))
    line = c.read_until_tagged("a")[-1]
    c.close()
    return line


def pop3_login(srv, user, password):
    c = srv.raw(srv.pop3_port)
    c.readline()
    c.sendline("USER " + user)
    c.readline()
    c.sendline("PASS " + password)
    line = c.readline()
    c.close()
    return line


def test_pam_logins(pamenv, make_server):
    srv = pamenv(make_server, settings())
    for user in ("alice@example.org", "bob@example.net"):
        assert imap_login(srv, user, USERS[user]).startswith("a OK"), srv.log()[-2000:]
        assert pop3_login(srv, user, USERS[user]).startswith("+OK")
    assert "module=pam" in srv.log()


def test_pam_wrong_password_and_unknown(pamenv, make_server):
    srv = pamenv(make_server, settings())
    line = imap_login(srv, "alice@example.org", "bob-pam")
    assert line.startswith("a NO [AUTHENTICATIONFAILED]"), line
    line = pop3_login(srv, "alice@example.org", "bob-pam")
    assert line.startswith("-ERR") and "SYS/TEMP" not in line, line
    line = imap_login(srv, "nobody@example.org", "x")
    assert line.startswith("a NO"), line


def test_pam_locked_account(pamenv, make_server):
    # the password is right, account management refuses the service
    srv = pamenv(make_server, settings())
    line = imap_login(srv, "locked@example.org", "locked-pam")
    assert line.startswith("a NO"), line
    assert "UNAVAILABLE" not in line
    line = pop3_login(srv, "locked@example.org", "locked-pam")
    assert line.startswith("-ERR") and "SYS/TEMP" not in line, line
    assert "account disabled" in srv.log()


def test_pam_service_name(pamenv, make_server):
    # auth.pam.service picks the PAM service: under "webmail" the locked
    # user may log in and alice (allowed only "maildock") may not
    srv = pamenv(make_server, settings(**{"auth.pam.service": "webmail"}))
    assert imap_login(srv, "locked@example.org", "locked-pam").startswith("a OK")
    assert imap_login(srv, "alice@example.org", USERS["alice@example.org"]).startswith("a NO")


def test_pam_passwd_mapping(pamenv, make_server):
    # with lookup_passwd (the default) uid/gid/home come from getpwnam_r
    if not pamenv.has_nss:
        pytest.skip("nss_wrapper not installed (apt-get install libnss-wrapper)")
    srv = pamenv(make_server, settings(**{"auth.pam.lookup_passwd": "yes",
                                          "mail.location": "~/Maildir"}))
    md = pamenv.home / "Maildir"
    for sub in ("tmp", "new", "cur"):
        (md / sub).mkdir(parents=True, exist_ok=True)
    (md / "new" / "1.M1P1.pamtest").write_bytes(b"Subject: pam\r\n\r\nhome\r\n")
    c = srv.raw(srv.pop3_port)
    c.readline()
    c.sendline("USER sysuser")
    c.readline()
    c.sendline("PASS sys-pam")
    assert c.readline().startswith("+OK"), srv.log()[-2000:]
    c.sendline("STAT")
    assert c.readline().startswith("+OK 1 ")
    c.close()
    # a PAM user without a passwd entry is not a system user (an unknown
    # user, not a backend failure)
    line = imap_login(srv, "alice@example.org", USERS["alice@example.org"])
    assert line.startswith("a NO [AUTHENTICATIONFAILED]"), line


def test_pam_with_privilege_drop(pamenv, make_server):
    # maildockd drops root (server.user): the PAM module, NEEDS_ROOT, runs
    # in the privileged helper and logins still work
    if os.geteuid() != 0:
        pytest.skip("needs root to drop privileges")
    import shutil
    import tempfile
    # the pytest tree is root-only (0700): the mail goes where nobody can go
    mail = tempfile.mkdtemp(prefix="maildock-pamdrop-")
    try:
        os.chown(mail, 65534, 65534)
        srv = pamenv(make_server, settings(**{"server.user": "nobody",
                                              "mail.location": mail + "/%d/%n/Maildir"}))
        assert "privileged helper started" in srv.log()
        line = imap_login(srv, "alice@example.org", USERS["alice@example.org"])
        assert line.startswith("a OK"), srv.log()[-3000:]
        line = imap_login(srv, "alice@example.org", "wrong")
        assert line.startswith("a NO [AUTHENTICATIONFAILED]"), line
        line = imap_login(srv, "locked@example.org", "locked-pam")
        assert line.startswith("a NO") and "UNAVAILABLE" not in line, line
    finally:
        shutil.rmtree(mail, ignore_errors=True)
