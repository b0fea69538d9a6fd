"""IDLE that scales (issue 12): many idlers share one inotify instance per
process, a waiting IDLE session holds no thread and one descriptor, and
DONE, client input, closes, deliveries and folder changes reach parked
sessions, in plaintext and over TLS.
"""
import os
import selectors
import socket
import ssl
import time

import pytest

from conftest import USERS, client_ssl_context
from test_auth_passwd import accounts  # noqa: F401 (fixture)

MANY = 300          # > fs.inotify.max_user_instances (128 by default)
WAIT = 30           # seconds; generous: these assert arrival, not timing

MSG = b"From: a@example.org\r\nSubject: idle\r\n\r\nhello\r\n"


def scale_server(make_server, **extra):
    settings = {"limits.max_connections_per_ip": "2000",
                "limits.max_connections": "2000",
                "log.level": "info"}
    settings.update(extra)
    return make_server(settings)


class Idler:
    """One raw client taken to IDLE in a folder (pipelined: LOGIN, SELECT
    and IDLE in one write)."""

    def __init__(self, srv, folder="INBOX", tls=False, user="alice",
                 tail="i IDLE\r\n", login=None):
        port = srv.imaps_port if tls else srv.imap_port
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        if tls:
            self.sock = client_ssl_context().wrap_socket(self.sock)
        self.buf = b""
        login, password = login or USERS[user]
        self.send('l LOGIN "%s" "%s"\r\ns SELECT "%s"\r\n%s'
                  % (login, password, folder, tail))

    def send(self, data):
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("closed; pending %r" % self.buf)
        self.buf += chunk

    def line(self):
        while b"\n" not in self.buf:
            self.fill()
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode()

    def until(self, pred):
        lines = []
        while True:
            lines.append(self.line())
            if pred(lines[-1]):
                return lines

    def idling(self):
        lines = self.until(lambda l: l.startswith("+ ") or
                           l.startswith("i ") or l.startswith("l NO"))
        assert lines[-1].startswith("+ "), lines
        return lines

    def close(self):
        self.sock.close()


def open_idlers(srv, n, **kw):
    idlers = [Idler(srv, **kw) for _ in range(n)]
    for c in idlers:
        c.idling()
    return idlers


def wait_all(idlers, pred):
    """Read every idler until pred(line) holds for one of its lines."""
    sel = selectors.DefaultSelector()
    pending = {}
    for c in idlers:
        if any(pred(l) for l in c.buf.decode().split("\r\n")):
            continue
        c.sock.setblocking(False)
        sel.register(c.sock, selectors.EVENT_READ, c)
        pending[c] = True
    deadline = time.time() + WAIT
    while pending and time.time() < deadline:
        for key, _ in sel.select(timeout=1):
            c = key.data
            try:
                c.fill()
            except (BlockingIOError, ssl.SSLWantReadError):
                continue
            if any(pred(l) for l in c.buf.decode().split("\r\n")):
                sel.unregister(c.sock)
                del pending[c]
    sel.close()
    for c in idlers:
        c.sock.setblocking(True)
    return len(pending)


def test_delivery_into_new_reaches_more_idlers_than_inotify_instances(
        make_server):
    srv = scale_server(make_server)
    idlers = open_idlers(srv, MANY)
    srv.deliver("alice", MSG)
    assert wait_all(idlers, lambda l: l == "* 1 EXISTS") == 0
    for c in idlers:
        c.close()


def daemon_threads(srv):
    """Threads of the worker processes (where the sessions are)."""
    total = 0
    for pid in srv.worker_pids():
        with open("/proc/%d/status" % pid) as f:
            total += next(int(line.split()[1]) for line in f
                          if line.startswith("Threads:"))
    return total


def daemon_fds(srv):
    """Descriptors of the worker processes."""
    return sum(len(os.listdir("/proc/%d/fd" % pid))
               for pid in srv.worker_pids())


def settle(check, timeout=WAIT):
    """Poll check() until true (the last parking threads end)."""
    deadline = time.time() + timeout
    while not check() and time.time() < deadline:
        time.sleep(0.05)
    return check()


def test_parked_sessions_hold_no_thread_and_one_descriptor(make_server):
    srv = scale_server(make_server)
    first = open_idlers(srv, 1)     # the daemon's shared descriptors exist
    fds0 = daemon_fds(srv)
    idlers = open_idlers(srv, MANY)
    assert settle(lambda: daemon_threads(srv) < 50), daemon_threads(srv)
    assert daemon_fds(srv) - fds0 == MANY   # the socket, nothing else
    # a delivery wakes them all, and they go back to sleep
    srv.deliver("alice", MSG)
    assert wait_all(first + idlers, lambda l: l == "* 1 EXISTS") == 0
    assert settle(lambda: daemon_threads(srv) < 50), daemon_threads(srv)
    assert daemon_fds(srv) - fds0 == MANY
    for c in first + idlers:
        c.close()


def test_append_flag_change_and_expunge_reach_parked_sessions(make_server):
    srv = scale_server(make_server)
    idlers = open_idlers(srv, 20)
    other = srv.login_imap()
    other.append("INBOX", None, None, MSG)
    assert wait_all(idlers, lambda l: l == "* 1 EXISTS") == 0
    other.select("INBOX")
    other.store("1", "+FLAGS", "(\\Flagged)")
    assert wait_all(idlers, lambda l: l.startswith("* 1 FETCH (") and
                    "\\Flagged" in l) == 0
    other.store("1", "+FLAGS", "(\\Deleted)")
    other.expunge()
    assert wait_all(idlers, lambda l: l == "* 1 EXPUNGE") == 0
    for c in idlers:
        c.send("DONE\r\n")
        assert c.until(lambda l: l.startswith("i "))[-1].startswith("i OK")
        c.close()
    other.logout()


def test_done_in_the_same_packet_as_the_next_command(make_server):
    srv = scale_server(make_server)
    c, = open_idlers(srv, 1)
    time.sleep(0.2)                 # parked by now
    c.send("DONE\r\nn1 NOOP\r\nn2 IDLE\r\n")
    assert c.until(lambda l: l.startswith("i "))[-1].startswith("i OK")
    assert c.until(lambda l: l.startswith("n1 "))[-1].startswith("n1 OK")
    c.idling()                      # n2 parks again
    srv.deliver("alice", MSG)
    assert "* 1 EXISTS" in c.until(lambda l: l == "* 1 EXISTS")
    c.send("DONE\r\nn3 LOGOUT\r\n")
    lines = c.until(lambda l: l.startswith("n3 "))
    assert "i OK" not in lines and lines[-1].startswith("n3 OK")


def test_idle_over_tls_with_pipelined_done(make_server):
    srv = scale_server(make_server)
    # DONE in the same TLS record as IDLE: it sits in OpenSSL's buffer,
    # where the poller cannot see it; the session must not park on it
    c = Idler(srv, tls=True, tail="x IDLE\r\nDONE\r\n")
    assert c.until(lambda l: l.startswith("+ "))
    assert c.until(lambda l: l.startswith("x "))[-1].startswith("x OK")
    # parked over TLS: woken by a delivery, then DONE plus a command
    c.send("y IDLE\r\n")
    assert c.until(lambda l: l.startswith("+ "))
    time.sleep(0.2)
    srv.deliver("alice", MSG)
    assert c.until(lambda l: l == "* 1 EXISTS")
    c.send("DONE\r\nz NOOP\r\n")
    assert c.until(lambda l: l.startswith("y "))[-1].startswith("y OK")
    assert c.until(lambda l: l.startswith("z "))[-1].startswith("z OK")
    c.close()


def test_client_closing_while_parked_frees_its_slot(make_server):
    srv = scale_server(make_server, **{"limits.max_connections": "12"})
    idlers = open_idlers(srv, 10) + open_idlers(srv, 2, tls=True)
    time.sleep(0.2)
    for c in idlers:
        c.close()
    # the slots are free again: 12 new sessions get in
    assert settle(lambda: srv.log().count("disconnect reason=") == 12)
    again = open_idlers(srv, 12)
    srv.deliver("alice", MSG)
    assert wait_all(again, lambda l: l == "* 1 EXISTS") == 0
    for c in again:
        c.close()


def test_folder_deleted_or_renamed_while_sessions_are_parked(make_server):
    srv = scale_server(make_server)
    other = srv.login_imap()
    for name in ("Gone", "Moved"):
        assert other.create(name)[0] == "OK"
        other.append(name, None, None, MSG)
    gone = open_idlers(srv, 5, folder="Gone")
    moved = open_idlers(srv, 5, folder="Moved")
    time.sleep(0.2)
    assert other.delete("Gone")[0] == "OK"
    assert other.rename("Moved", "Elsewhere")[0] == "OK"
    time.sleep(0.5)
    # every session still answers: DONE ends IDLE, the next command runs
    for c in gone + moved:
        c.send("DONE\r\nn NOOP\r\n")
        lines = c.until(lambda l: l.startswith("n ") or l.startswith("* BYE"))
        assert lines[-1].startswith("n ") or lines[-1].startswith("* BYE")
        c.close()
    # and the daemon serves new sessions
    fresh = open_idlers(srv, 1, folder="Elsewhere")
    fresh[0].send("DONE\r\n")
    assert fresh[0].until(lambda l: l.startswith("i "))[-1].startswith("i OK")
    other.logout()


def test_shutdown_says_bye_to_parked_sessions(make_server):
    srv = scale_server(make_server)
    idlers = open_idlers(srv, 5)
    time.sleep(0.2)
    srv.proc.send_signal(15)
    for c in idlers:
        assert "* BYE Server shutting down" in c.until(
            lambda l: l.startswith("* BYE"))
    srv.proc.wait(timeout=WAIT)


@pytest.mark.skipif(os.geteuid() != 0, reason="system-users mode needs root")
def test_system_users_resumed_sessions_act_as_their_user(accounts, make_server):
    """A parked session's next thread takes the session's user identity
    (auth.system_users): what it creates after IDLE belongs to the user."""
    for name, uid in (("sysalice", 5001), ("sysbob", 5002)):
        os.chown(accounts / name, uid, uid)
        (accounts / name).chmod(0o700)
    srv = make_server({"auth.modules": "passwd", "auth.system_users": "yes",
                       "auth.username_lowercase": "no",
                       "server.user": "nobody", "log.level": "info",
                       "mail.location": "%h/Maildir"})
    who = {"sysalice": ("sys pass 1", 5001), "sysbob": ("sys pass 2", 5002)}
    idlers = {n: Idler(srv, login=(n, pw)) for n, (pw, _) in who.items()}
    for c in idlers.values():
        c.idling()
    time.sleep(0.2)
    for name, (_, uid) in who.items():
        md = accounts / name / "Maildir"
        tmp = md / "tmp" / "1.M1P1.mta"
        tmp.write_bytes(MSG)
        os.chown(tmp, uid, uid)
        os.rename(tmp, md / "new" / "1.M1P1.mta")
    assert wait_all(list(idlers.values()), lambda l: l == "* 1 EXISTS") == 0
    for name, c in idlers.items():
        c.send("DONE\r\nc CREATE Work\r\n")
        assert c.until(lambda l: l.startswith("c "))[-1].startswith("c OK")
        c.close()
    for name, (_, uid) in who.items():
        assert (accounts / name / "Maildir" / ".Work").stat().st_uid == uid


def test_kick_ends_parked_sessions(make_server):
    """maildock-admin kick shuts a parked session's socket down: the
    poller sees it, and the session ends as kicked."""
    from test_core_admin import admin
    srv = scale_server(make_server)
    idlers = open_idlers(srv, 3) + open_idlers(srv, 1, tls=True)
    bob, = open_idlers(srv, 1, user="bob")
    time.sleep(0.2)
    r = admin(srv, "kick", USERS["alice"][0])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "kicked 4 sessions of alice@example.org"
    assert settle(lambda: srv.log().count("disconnect reason=kicked") == 4)
    srv.deliver("bob", MSG)
    assert wait_all([bob], lambda l: l == "* 1 EXISTS") == 0
