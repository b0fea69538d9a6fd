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

from conftest import USERS, client_ssl_context

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

    def __init__(self, srv, folder="INBOX", tls=False, user="alice"):
        port = srv.imaps_port if tls else srv.imap_port
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        if tls:
            self.sock = client_ssl_context().wrap_socket(self.sock)
        self.buf = b""
        login, password = USERS[user]
        self.send('l LOGIN "%s" "%s"\r\ns SELECT "%s"\r\ni IDLE\r\n'
                  % (login, password, folder))

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
