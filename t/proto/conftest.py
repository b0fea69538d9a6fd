"""Fixtures that run the real maildockd on loopback for protocol tests.

Every test gets a server from the session-wide `server` fixture (one daemon
for the whole run) and a fresh account: the `alice` fixture (and `bob`,
`carol`, `dave`) empties that user's Maildir before the test. Accounts are
the FIELD-BUGS.md test accounts, kept in a pwfile (`{PLAIN}` passwords):

    alice@example.org  secret-1     bob@example.org   secret-2
    carol@example.org  a\\b"c d     dave@example.org  tilde~pass

`server` (a Maildock object) gives:
    server.imap_port, imaps_port, pop3_port, pop3s_port   loopback ports
    server.imap() / server.imaps()      a connected imaplib.IMAP4 / IMAP4_SSL
    server.login_imap(user="alice")      a logged-in imaplib.IMAP4
    server.pop3() / server.pop3s()      a connected poplib.POP3 / POP3_SSL
    server.raw(port)                    a RawClient (socket, line helpers)
    server.maildir(user)                the user's Maildir path (pathlib)
    server.deliver(user, data, folder=None)  write a message into new/ as an MTA
    server.log()                        the daemon's stderr so far (str)
    server.reload()                     SIGHUP and wait for the reload line
    server.worker_pids()                the worker processes' pids (the
                                        daemon's own pid is the master's)
    server.pids()                       the master's and the workers' pids
    server.kill_all()                   SIGKILL the whole daemon at once
    server.cert_pem                     the server certificate (PEM text)
MAILDOCK_TEST_WORKERS=N runs every daemon with server.workers = N (a test's
own setting still wins): the suite with several worker processes sharing
each Maildir (issue 12).
A test that needs its own settings uses the `make_server` factory:
    srv = make_server({"limits.max_connections_per_ip": "2"})
which starts a separate daemon (stopped after the test).
At the end of each daemon's life its log is checked for sanitizer reports
(ASan, UBSan, TSan, LeakSanitizer): any report fails the test run.
"""
import imaplib
import os
import pathlib
import poplib
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

import pytest

HERE = pathlib.Path(__file__).resolve().parent
SRCDIR = pathlib.Path(os.environ.get("top_srcdir", HERE.parent.parent)).resolve()
BUILDDIR = pathlib.Path(os.environ.get("top_builddir", SRCDIR)).resolve()
# the shared corpus beside the checkout, or where MAILDOCK_CORPUS says
CORPUS = pathlib.Path(os.environ.get("MAILDOCK_CORPUS") or
                      SRCDIR.parent / "shared" / "corpus")

USERS = {
    "alice": ("alice@example.org", "secret-1"),
    "bob": ("bob@example.org", "secret-2"),
    "carol": ("carol@example.org", 'a\\b"c d'),
    "dave": ("dave@example.org", "tilde~pass"),
}

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:", "WARNING: ThreadSanitizer",
                   "SUMMARY: UndefinedBehaviorSanitizer")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_cert(directory):
    """A throwaway self-signed certificate in the combined layout (private
    key, then certificate) of Courier's TLS_CERTFILE."""
    key = directory / "key.pem"
    crt = directory / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", str(key), "-out", str(crt), "-days", "2",
                    "-subj", "/CN=localhost"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    combined = directory / "combined.pem"
    combined.write_text(key.read_text() + crt.read_text())
    return combined, crt.read_text()


class RawClient:
    """A plain socket with line helpers, for exact-wire tests."""

    def __init__(self, port, tls=False, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if tls:
            self.sock = client_ssl_context().wrap_socket(self.sock)
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def sendline(self, line):
        self.send((line.encode() if isinstance(line, str) else line) + b"\r\n")

    def readline(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed; pending %r" % self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", "surrogateescape")

    def read_until_tagged(self, tag):
        """Lines up to and including the tagged response for tag."""
        lines = []
        while True:
            line = self.readline()
            lines.append(line)
            if line.startswith(tag + " "):
                return lines

    def read_exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def closed(self, timeout=5):
        """True if the server closes the connection within timeout."""
        self.sock.settimeout(timeout)
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return True
                self.buf += data
        except (socket.timeout, TimeoutError):
            return False
        except (ConnectionResetError, ssl.SSLError):
            return True

    def close(self):
        self.sock.close()


def client_ssl_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Maildock:
    def __init__(self, workdir, settings=None):
        self.dir = pathlib.Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.cert_file, self.cert_pem = make_cert(self.dir)
        self.mail_root = self.dir / "mail"
        self.imap_port, self.imaps_port = free_port(), free_port()
        self.pop3_port, self.pop3s_port = free_port(), free_port()
        users = self.dir / "users"
        with open(users, "w") as f:
            for name, (login, password) in USERS.items():
                f.write("%s:{PLAIN}%s::::%s::\n" % (login, password,
                                                    self.dir / "home" / name))
        self.settings = {
            "imap.listen": "127.0.0.1:%d" % self.imap_port,
            "imaps.listen": "127.0.0.1:%d" % self.imaps_port,
            "pop3.listen": "127.0.0.1:%d" % self.pop3_port,
            "pop3s.listen": "127.0.0.1:%d" % self.pop3s_port,
            "tls.cert_file": str(self.cert_file),
            "auth.modules": "pwfile",
            "auth.module_dir": str(BUILDDIR / "authmods" / ".libs"),
            "auth.pwfile.path": str(users),
            "auth.failure_delay": "0s",
            # many tests fail logins on purpose from 127.0.0.1; throttling
            # has its own tests with their own servers
            "auth.max_failures_per_ip": "0",
            "auth.max_failures_per_user": "0",
            "mail.location": str(self.mail_root) + "/%d/%n/Maildir",
            "log.level": "debug",
            # maildock-admin's sockets: the test's own, not the system's
            "control.socket_dir": str(self.dir / "run"),
        }
        if os.environ.get("MAILDOCK_TEST_WORKERS"):
            self.settings["server.workers"] = \
                os.environ["MAILDOCK_TEST_WORKERS"]
        self.settings.update(settings or {})
        self.conf = self.dir / "maildock.conf"
        self.write_conf()
        self.logfile = self.dir / "maildockd.log"
        self.proc = None

    def write_conf(self):
        with open(self.conf, "w") as f:
            for key, value in self.settings.items():
                f.write('%s = "%s"\n' % (key, value.replace("\\", "\\\\")
                                         .replace('"', '\\"')))

    def start(self, preexec_fn=None):
        """Start the daemon; preexec_fn runs in the child before exec (a
        test sets resource limits there)."""
        self.log_fh = open(self.logfile, "ab")
        log_start = len(self.log())
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        self.proc = subprocess.Popen([str(BUILDDIR / "maildockd"), "-F", "-c",
                                      str(self.conf)], stdout=self.log_fh,
                                     stderr=subprocess.STDOUT, env=env,
                                     preexec_fn=preexec_fn,
                                     start_new_session=True)
        # Ready when it says so: probing the ports would take connection
        # slots that limit tests count.
        deadline = time.time() + 30
        while "core: started" not in self.log()[log_start:]:
            if self.proc.poll() is not None:
                raise RuntimeError("maildockd exited: " + self.log())
            if time.time() > deadline:
                raise RuntimeError("maildockd did not start: " + self.log())
            time.sleep(0.05)
        return self

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.log_fh.close()

    def worker_pids(self):
        """The pids of the worker processes (named maildock-w<N>)."""
        try:
            with open("/proc/%d/task/%d/children" % (self.proc.pid,
                                                     self.proc.pid)) as f:
                kids = [int(x) for x in f.read().split()]
        except OSError:
            return []
        workers = []
        for pid in kids:
            try:
                with open("/proc/%d/comm" % pid) as f:
                    if f.read().startswith("maildock-w"):
                        workers.append(pid)
            except OSError:
                pass
        return workers

    def pids(self):
        return [self.proc.pid] + self.worker_pids()

    def kill_all(self):
        """SIGKILL the master and every worker at once (the session the
        daemon leads), as a crash of the whole machine would."""
        os.killpg(self.proc.pid, signal.SIGKILL)

    def check_sanitizers(self):
        text = self.log()
        for mark in SANITIZER_MARKS:
            if mark in text:
                start = text.index(mark)
                raise AssertionError("sanitizer report in maildockd log:\n"
                                     + text[max(0, start - 2000):start + 6000])

    def log(self):
        try:
            return self.logfile.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def reload(self, expect="reload"):
        before = len(self.log())
        self.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while time.time() < deadline:
            if expect in self.log()[before:]:
                return self.log()[before:]
            time.sleep(0.05)
        raise AssertionError("no reload line in log: " + self.log()[before:])

    # clients
    def imap(self):
        return imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=30)

    def imaps(self):
        return imaplib.IMAP4_SSL("127.0.0.1", self.imaps_port,
                                 ssl_context=client_ssl_context(), timeout=30)

    def login_imap(self, user="alice"):
        m = self.imap()
        m.login(*USERS[user])
        return m

    def pop3(self):
        return poplib.POP3("127.0.0.1", self.pop3_port, timeout=30)

    def pop3s(self):
        return poplib.POP3_SSL("127.0.0.1", self.pop3s_port,
                               context=client_ssl_context(), timeout=30)

    def raw(self, port, tls=False, timeout=10):
        return RawClient(port, tls=tls, timeout=timeout)

    # mailboxes
    def maildir(self, user="alice"):
        login = USERS[user][0]
        local, domain = login.split("@")
        return self.mail_root / domain / local / "Maildir"

    def reset_user(self, user):
        shutil.rmtree(self.maildir(user).parent, ignore_errors=True)

    def deliver(self, user, data, folder=None, name=None):
        """Write a message into new/ the way an MTA does (tmp, then rename)."""
        if isinstance(data, str):
            data = data.encode()
        md = self.maildir(user)
        if folder:
            md = md / ("." + folder)
        for sub in ("tmp", "new", "cur"):
            (md / sub).mkdir(parents=True, exist_ok=True)
        if folder:
            (md / "maildirfolder").touch()
        # Maildir names that sort in delivery order (seconds, microseconds
        # zero-padded, then a counter), so UIDs follow the order of deliver()
        Maildock._seq = getattr(Maildock, "_seq", 0) + 1
        now = time.time_ns()
        name = name or "%d.M%06dP%dQ%06d.testhost" % (
            now // 10**9, (now // 1000) % 1000000, os.getpid(), Maildock._seq)
        tmp = md / "tmp" / name
        tmp.write_bytes(data)
        os.rename(tmp, md / "new" / name)
        return md / "new" / name


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: real-client or soak test; skipped when MAILDOCK_QUICK=1 "
        "(the sanitizer runs of tools/test-all.sh)")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("MAILDOCK_QUICK") == "1":
        skip = pytest.mark.skip(reason="MAILDOCK_QUICK=1 (sanitizer run)")
        for item in items:
            if "slow" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    d = Maildock(tmp_path_factory.mktemp("maildock")).start()
    yield d
    d.stop()
    d.check_sanitizers()


@pytest.fixture
def make_server(tmp_path):
    started = []

    def factory(settings=None, start=True):
        d = Maildock(tmp_path / ("srv%d" % len(started)), settings)
        started.append(d)
        return d.start() if start else d

    yield factory
    for d in started:
        d.stop()
    for d in started:
        d.check_sanitizers()


def _fresh(server, user):
    server.reset_user(user)
    return server


@pytest.fixture
def alice(server):
    return _fresh(server, "alice")


@pytest.fixture
def bob(server):
    return _fresh(server, "bob")


@pytest.fixture
def carol(server):
    return _fresh(server, "carol")


@pytest.fixture
def dave(server):
    return _fresh(server, "dave")


@pytest.fixture
def corpus():
    """Path to ../shared/corpus; skips the test where it is absent."""
    if not (CORPUS / "messages").is_dir():
        pytest.skip("corpus not found at %s" % CORPUS)
    return CORPUS
