"""The passwd module over IMAP and POP3 with system accounts made by
nss_wrapper (issue 4): shadow hashes read by the privileged helper when the
daemon runs as root, the minimum uid, locked accounts, the home from the
account, and two modules in one chain (pwfile then passwd)."""
import os
import pathlib
import shutil
import subprocess
import tempfile

import pytest

from conftest import BUILDDIR, USERS

NSS_WRAPPER = [p for p in ("/usr/lib/x86_64-linux-gnu/libnss_wrapper.so",
                           "/usr/lib/aarch64-linux-gnu/libnss_wrapper.so",
                           "/usr/lib64/libnss_wrapper.so",
                           "/usr/lib/libnss_wrapper.so")
               if os.path.exists(p)]


def sanitized():
    r = subprocess.run(["ldd", str(BUILDDIR / "maildockd")],
                       capture_output=True, text=True)
    return "libasan" in r.stdout or "libtsan" in r.stdout


def crypt_hash(password):
    r = subprocess.run([str(BUILDDIR / "maildock-pw"), "-s", "SHA512-CRYPT"],
                       input=password + "\n", capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()[len("{SHA512-CRYPT}"):]


@pytest.fixture
def accounts(tmp_path, monkeypatch):
    if not NSS_WRAPPER:
        pytest.skip("nss_wrapper not installed (apt-get install libnss-wrapper)")
    if sanitized():
        pytest.skip("LD_PRELOAD of nss_wrapper does not mix with sanitizers")
    # homes outside pytest's 0700 tree, so users can reach their own
    home = pathlib.Path(tempfile.mkdtemp(prefix="maildock-homes-"))
    home.chmod(0o755)
    entries = {"sysalice": (5001, "sys pass 1", "x"),
               "sysbob": (5002, "sys pass 2", None),     # hash in passwd
               "syslocked": (5003, "sys pass 3", "!"),
               "sysdaemon": (150, "sys pass 4", "x")}
    pw, sh, gr = [], [], []
    for name, (uid, password, mode) in entries.items():
        (home / name).mkdir(parents=True)
        h = crypt_hash(password)
        field = h if mode is None else "x"
        pw.append("%s:%s:%d:%d:%s:%s:/bin/sh" % (name, field, uid, uid, name,
                                                  home / name))
        sh.append("%s:%s:19000:0:99999:7:::" % (name, ("!" + h) if mode == "!"
                                                 else h))
        gr.append("%s:x:%d:" % (name, uid))
    # the daemon's own account (server.user), as on a real system
    pw.append("nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin")
    gr.append("nogroup:x:65534:")
    for fname, lines in (("passwd", pw), ("shadow", sh), ("group", gr)):
        (tmp_path / fname).write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("LD_PRELOAD", NSS_WRAPPER[0])
    monkeypatch.setenv("NSS_WRAPPER_PASSWD", str(tmp_path / "passwd"))
    monkeypatch.setenv("NSS_WRAPPER_GROUP", str(tmp_path / "group"))
    monkeypatch.setenv("NSS_WRAPPER_SHADOW", str(tmp_path / "shadow"))
    yield home
    shutil.rmtree(home, ignore_errors=True)


def test_passwd_logins(accounts, make_server):
    srv = make_server({"auth.modules": "passwd",
                       "auth.username_lowercase": "no",
                       "mail.location": "%h/Maildir"})
    m = srv.imap()
    m.login("sysalice", "sys pass 1")		# shadow, through the helper
    assert m.select("INBOX")[0] == "OK"
    m.logout()
    assert (accounts / "sysalice" / "Maildir").is_dir()
    p = srv.pop3()
    p.user("sysbob")
    assert p.pass_("sys pass 2").startswith(b"+OK")
    p.quit()
    for user, password in (("sysalice", "wrong"), ("syslocked", "sys pass 3"),
                           ("sysdaemon", "sys pass 4"), ("nobody", "x")):
        m = srv.imap()
        with pytest.raises(Exception) as e:
            m.login(user, password)
        assert "AUTHENTICATIONFAILED" in str(e.value)
    if os.geteuid() == 0:
        assert "privileged helper started" in srv.log()


def test_pwfile_then_passwd(accounts, make_server):
    """Regression: a second module in auth.modules was loaded as the first
    ("libauth_passwd.so: calls itself pwfile")."""
    srv = make_server({"auth.modules": "pwfile passwd",
                       "auth.username_lowercase": "no",
                       # the default mail.location needs a domain
                       "auth.passwd.mail": "%h/Maildir"})
    m = srv.imap()
    m.login(*USERS["alice"])
    m.logout()
    m = srv.imap()
    m.login("sysalice", "sys pass 1")
    m.logout()


def test_passwd_min_uid_setting(accounts, make_server):
    srv = make_server({"auth.modules": "passwd", "auth.passwd.min_uid": "100",
                       "auth.username_lowercase": "no",
                       "mail.location": "%h/Maildir"})
    m = srv.imap()
    m.login("sysdaemon", "sys pass 4")
    m.logout()


@pytest.mark.skipif(os.geteuid() != 0, reason="system-users mode needs root")
@pytest.mark.parametrize("server_user", ["", "nobody"])
def test_system_users_mode(accounts, make_server, server_user):
    """Each session takes its user's uid for itself: what it creates
    belongs to the user, and it cannot read another user's Maildir."""
    for name, uid in (("sysalice", 5001), ("sysbob", 5002)):
        os.chown(accounts / name, uid, uid)
        (accounts / name).chmod(0o700)
    bob_md = accounts / "sysbob" / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (bob_md / sub).mkdir(parents=True)
    (bob_md / "new" / "1.secret").write_text("Subject: bob's\r\n\r\nsecret\r\n")
    for dirpath, dirnames, filenames in os.walk(accounts / "sysbob"):
        for n in dirnames + filenames:
            os.chown(os.path.join(dirpath, n), 5002, 5002)
    # with server.user the process keeps only CAP_SETUID/CAP_SETGID
    srv = make_server({"auth.modules": "passwd", "auth.system_users": "yes",
                       "auth.username_lowercase": "no",
                       "server.user": server_user,
                       "mail.location": "%h/Maildir"})
    m = srv.imap()
    m.login("sysalice", "sys pass 1")
    assert m.select("INBOX")[0] == "OK"
    assert m.create("Work")[0] == "OK"
    m.logout()
    md = accounts / "sysalice" / "Maildir"
    assert md.is_dir()
    assert md.stat().st_uid == 5001 and md.stat().st_gid == 5001
    assert (md / ".Work").stat().st_uid == 5001
    # a folder of alice's that is a link into bob's Maildir
    os.symlink(bob_md, md / ".Spy")
    m = srv.imap()
    m.login("sysalice", "sys pass 1")
    typ, _ = m.select("Spy")
    assert typ == "NO"
    m.logout()
    # bob himself still reads it
    p = srv.pop3()
    p.user("sysbob")
    assert p.pass_("sys pass 2").startswith(b"+OK")
    assert p.stat()[0] == 1
    p.quit()
