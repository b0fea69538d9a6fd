"""Running maildockd as a service (issue 17): log.file and its reopen on
SIGUSR1, the warning when syslog has no /dev/log, the pidfile, and the
systemd unit."""
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

from conftest import BUILDDIR, USERS, Maildock


def wait_for(pred, what, timeout=30):
    deadline = time.time() + timeout
    while not pred():
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


def text(path):
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""


def test_log_file_and_reopen_on_sigusr1(tmp_path):
    log = tmp_path / "maildock.log"
    srv = Maildock(tmp_path, {"log.file": str(log)})
    proc = subprocess.Popen([str(BUILDDIR / "maildockd"), "-F", "-c",
                             str(srv.conf)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: "core: started" in text(log), "start in log.file")
        imap = srv.imap()
        imap.login(*USERS["alice"])
        imap.logout()
        wait_for(lambda: 'login mech=LOGIN tls=0 user="alice@example.org"' in text(log),
                 "the login line")
        # logrotate: move the file, then SIGUSR1
        rotated = tmp_path / "maildock.log.1"
        log.rename(rotated)
        proc.send_signal(signal.SIGUSR1)
        wait_for(log.exists, "a new log.file")
        imap = srv.imap()
        imap.login(*USERS["bob"])
        imap.logout()
        wait_for(lambda: 'login mech=LOGIN tls=0 user="bob@example.org"' in text(log),
                 "bob's login in the new file")
        assert "bob@example.org" not in text(rotated)
        assert oct(log.stat().st_mode & 0o777) == "0o640"
    finally:
        proc.terminate()
        out = proc.communicate(timeout=30)[0]
    assert out == b"", out    # every line went to the file
    assert "core: stopped" in text(log)


def test_log_file_never_follows_a_symlink(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_text("")
    (tmp_path / "maildock.log").symlink_to(target)
    srv = Maildock(tmp_path, {"log.file": str(tmp_path / "maildock.log")})
    r = subprocess.run([str(BUILDDIR / "maildockd"), "-F", "-c",
                        str(srv.conf)], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 1
    assert "log.file: %s: " % (tmp_path / "maildock.log") in r.stderr
    assert target.read_text() == ""


@pytest.mark.skipif(os.path.exists("/dev/log"),
                    reason="/dev/log exists on this machine: no warning due")
def test_warning_when_syslog_has_no_dev_log(tmp_path):
    pid = tmp_path / "maildockd.pid"
    srv = Maildock(tmp_path, {"server.pid_file": str(pid)})
    r = subprocess.run([str(BUILDDIR / "maildockd"), "-c", str(srv.conf)],
                       capture_output=True, text=True, timeout=30)
    try:
        assert r.returncode == 0, r.stderr
        assert "/dev/log does not exist: syslog lines will be lost" in r.stderr
    finally:
        wait_for(lambda: text(pid).endswith("\n"), "the pidfile")
        stop_daemon(int(text(pid)))


def stop_daemon(pid):
    """SIGTERM, then SIGKILL if it is still there after 15 s: a test must
    not leave a daemon behind."""
    os.kill(pid, signal.SIGTERM)
    deadline = time.time() + 15
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)


def daemon_pid(pid_file, srv, stale):
    r = subprocess.run([str(BUILDDIR / "maildockd"), "-c", str(srv.conf)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    # the daemon writes it after daemon(): wait for its own pid
    wait_for(lambda: text(pid_file) not in ("", stale) and
             text(pid_file).endswith("\n"), "the pidfile")
    return int(text(pid_file))


def test_pidfile_locked_while_running_and_removed_at_stop(tmp_path):
    pid_file = tmp_path / "run" / "maildockd.pid"
    pid_file.parent.mkdir()
    stale = "99999999\n"    # left by a crash
    pid_file.write_text(stale)
    srv = Maildock(tmp_path, {"server.pid_file": str(pid_file),
                              "log.file": str(tmp_path / "log")})
    pid = daemon_pid(pid_file, srv, stale)
    try:
        os.kill(pid, 0)
        assert (tmp_path / "log").exists()
        # a second daemon with the same pidfile (other ports) refuses
        other = Maildock(tmp_path / "b", {"server.pid_file": str(pid_file)})
        r = subprocess.run([str(BUILDDIR / "maildockd"), "-F", "-c",
                            str(other.conf)], capture_output=True, text=True,
                           timeout=30)
        assert r.returncode == 1
        assert "another maildockd (pid %d) runs with this pidfile" % pid \
            in r.stderr
        assert int(text(pid_file)) == pid
    finally:
        stop_daemon(pid)
    assert not pid_file.exists()


def test_systemd_unit_verifies(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed (package systemd)")
    unit = (BUILDDIR / "init" / "maildock.service").read_text()
    assert "Type=notify" in unit and "ExecReload=/bin/kill -HUP $MAINPID" \
        in unit
    # verify wants the ExecStart binary where the unit says: the built one
    sbindir = unit.split("ExecStart=")[1].split("/maildockd")[0]
    local = tmp_path / "maildock.service"
    local.write_text(unit.replace(sbindir + "/", str(BUILDDIR) + "/"))
    # --man=no: the manual pages are not installed in the build tree
    r = subprocess.run(["systemd-analyze", "verify", "--man=no", str(local)],
                       capture_output=True, text=True, timeout=60)
    if "Failed to" in r.stderr and "bus" in r.stderr.lower():
        pytest.skip("systemd-analyze cannot run here: " + r.stderr.strip())
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip() == "", r.stderr   # unknown keys only warn


def test_sd_notify_ready_reloading_stopping(tmp_path):
    if "#define HAVE_SYSTEMD 1" not in (BUILDDIR / "config.h").read_text():
        pytest.skip("built without libsystemd (libsystemd-dev)")
    addr = str(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(addr)
    sock.settimeout(30)
    srv = Maildock(tmp_path)
    env = dict(os.environ, NOTIFY_SOCKET=addr)
    log = open(tmp_path / "stderr", "wb")
    proc = subprocess.Popen([str(BUILDDIR / "maildockd"), "-F", "-c",
                             str(srv.conf)], stdout=log,
                            stderr=subprocess.STDOUT, env=env)
    try:
        ready = sock.recv(4096).decode()
        assert "READY=1" in ready and "MAINPID=%d" % proc.pid in ready
        # ready means serving: a client gets the greeting at once
        assert srv.imap().welcome.startswith(b"* OK")
        proc.send_signal(signal.SIGHUP)
        assert "RELOADING=1" in sock.recv(4096).decode()
        assert "READY=1" in sock.recv(4096).decode()
        proc.terminate()
        assert "STOPPING=1" in sock.recv(4096).decode()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        sock.close()


def test_background_start_waits_until_it_serves(tmp_path):
    """Without -F the command returns once the server serves: 0, with the
    control socket made and the port answering at once."""
    pid_file = tmp_path / "maildockd.pid"
    srv = Maildock(tmp_path, {"server.pid_file": str(pid_file),
                              "log.file": str(tmp_path / "log")})
    r = subprocess.run([str(BUILDDIR / "maildockd"), "-c", str(srv.conf)],
                       capture_output=True, text=True, timeout=60)
    try:
        assert r.returncode == 0, r.stderr
        assert "core: started" in text(tmp_path / "log")
        assert srv.imap().noop()[0] == "OK"
        who = subprocess.run([str(BUILDDIR / "maildock-admin"), "-c",
                              str(srv.conf), "who"], capture_output=True,
                             text=True, timeout=30)
        assert who.returncode == 0, who.stderr
    finally:
        wait_for(lambda: text(pid_file).endswith("\n"), "the pidfile")
        stop_daemon(int(text(pid_file)))


def test_background_start_that_fails_exits_1_and_says_why(tmp_path):
    srv = Maildock(tmp_path, {"log.file": str(tmp_path / "log")})
    taken = socket.socket()
    taken.bind(("127.0.0.1", srv.imap_port))
    taken.listen(1)
    try:
        r = subprocess.run([str(BUILDDIR / "maildockd"), "-c",
                            str(srv.conf)], capture_output=True, text=True,
                           timeout=60)
    finally:
        taken.close()
    assert r.returncode == 1
    assert "127.0.0.1:%d" % srv.imap_port in r.stderr
    assert "in use" in r.stderr
    assert "core: started" not in text(tmp_path / "log")


def test_make_install_puts_manuals_and_documents(tmp_path):
    """What an admin reads after make install: every manual page and the
    documents (doc/*.md, README.md) in the documentation directory."""
    r = subprocess.run(["make", "-s", "-C", str(BUILDDIR), "install-data",
                        "DESTDIR=" + str(tmp_path)], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    installed = {p.name for p in tmp_path.rglob("*") if p.is_file()}
    for page in ("maildockd.8", "maildock.conf.5", "maildock-admin.8",
                 "maildock-auth.8", "maildock-pw.1", "maildirmake.1",
                 "maildock-migrate.1"):
        assert page in installed, page
    docs = next(tmp_path.rglob("doc/maildock"))
    for name in ("README.md", "ARCHITECTURE.md", "SECURITY.md", "auth.md",
                 "maildock.logrotate"):
        assert (docs / name).is_file(), name
    conf5 = next(tmp_path.rglob("maildock.conf.5")).read_text()
    assert "@confdir@" not in conf5
