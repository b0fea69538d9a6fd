"""Worker processes (issue 12): a fault in one worker ends only its own
sessions. With server.workers = 2, one worker is killed with SIGKILL under
many logged-in sessions (some in IDLE): exactly the sessions that worker
held drop, every other one still answers NOOP, the master logs the death
with its cause and restarts the worker, and a login right after the death
line succeeds. The limits that must be global (connections in all, per
client address, failed logins) hold across workers, and a dead worker's
connections are given back."""
import os
import re
import resource
import selectors
import signal
import socket
import time

from conftest import USERS

SLOW = float(os.environ.get("MAILDOCK_TIME_FACTOR", "1"))
LOGIN = "%s %s" % (USERS["alice"][0], USERS["alice"][1])


def sessions_wanted():
    """1,000 sessions, or as many as this process's descriptors allow."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(50, min(1000, (soft - 100) // 2))


class Client:
    def __init__(self, port, source="127.0.0.1"):
        self.sock = socket.socket()
        self.sock.bind((source, 0))
        self.sock.settimeout(30)
        self.sock.connect(("127.0.0.1", port))
        self.buf = b""

    def line(self, timeout=30):
        self.sock.settimeout(timeout)
        while b"\n" not in self.buf:
            try:
                chunk = self.sock.recv(4096)
            except (ConnectionResetError, socket.timeout, TimeoutError):
                return None
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(errors="replace").rstrip("\r")

    def until(self, prefix, timeout=30):
        while True:
            line = self.line(timeout)
            if line is None or line.startswith(prefix):
                return line

    def send(self, text):
        try:
            self.sock.sendall(text.encode())
            return True
        except OSError:
            return False


def owners(srv):
    """Map the daemon's sockets to worker pids: {client port: worker pid}
    for the connections to the IMAP port (from /proc/net/tcp inodes)."""
    inode_port = {}
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(name) as f:
            next(f)
            for row in f:
                cols = row.split()
                local, remote, inode = cols[1], cols[2], cols[9]
                if int(local.split(":")[1], 16) == srv.imap_port:
                    inode_port[inode] = int(remote.split(":")[1], 16)
    result = {}
    for pid in srv.worker_pids():
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            m = re.match(r"socket:\[(\d+)\]", target)
            if m and m.group(1) in inode_port:
                result[inode_port[m.group(1)]] = pid
    return result


def wait_log(srv, pattern, start, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = re.search(pattern, srv.log()[start:])
        if m:
            return m
        time.sleep(0.005)
    raise AssertionError("no %r in log: %s" % (pattern, srv.log()[start:]))


def login_once(srv):
    c = Client(srv.imap_port)
    assert c.line(10).startswith("* OK")
    c.send("l1 LOGIN %s\r\n" % LOGIN)
    r = c.until("l1 ", 10)
    c.sock.close()
    return r


def test_sigkill_of_a_worker_drops_only_its_sessions(make_server):
    n = sessions_wanted()
    srv = make_server({"server.workers": "2",
                       "limits.max_connections": str(n + 50),
                       "limits.max_connections_per_ip": str(n + 50),
                       "log.level": "info"})
    assert len(srv.worker_pids()) == 2
    clients = [Client(srv.imap_port) for _ in range(n)]
    for c in clients:
        assert c.line().startswith("* OK")
        c.send("a1 LOGIN %s\r\n" % LOGIN)
    idlers = clients[::4]
    for c in clients:
        assert c.until("a1 ").startswith("a1 OK")
    for c in idlers:
        c.send("a2 SELECT INBOX\r\n")
    for c in idlers:
        assert c.until("a2 ").startswith("a2 OK")
        c.send("a3 IDLE\r\n")
    for c in idlers:
        assert c.until("+").startswith("+")
    held = owners(srv)
    port_of = {c: c.sock.getsockname()[1] for c in clients}
    assert all(port_of[c] in held for c in clients), "a session unseen"
    victim = srv.worker_pids()[0]
    doomed = {c for c in clients if held[port_of[c]] == victim}
    assert 0 < len(doomed) < n, len(doomed)

    start = len(srv.log())
    os.kill(victim, signal.SIGKILL)
    killed = time.time()
    m = wait_log(srv, r"worker \d+ pid=%d killed by signal SIGKILL "
                 r"sessions=(\d+): restarting it" % victim, start, 10 * SLOW)
    # the first login after the death line is served
    assert login_once(srv).startswith("l1 OK")
    assert time.time() - killed < 1.0 * SLOW + 0.5
    assert int(m.group(1)) == len(doomed)

    for c in clients:
        if c in idlers:
            ok = c.send("DONE\r\n") and (c.until("a3 ", 10) or "") \
                .startswith("a3 OK")
        else:
            ok = c.send("n1 NOOP\r\n") and (c.until("n1 ", 10) or "") \
                .startswith("n1 OK")
        assert ok == (c not in doomed), (ok, c in doomed)
    # the worker is back, under a new pid
    deadline = time.time() + 10 * SLOW
    while len(srv.worker_pids()) < 2 or victim in srv.worker_pids():
        assert time.time() < deadline, srv.worker_pids()
        time.sleep(0.05)
    for c in clients:
        c.sock.close()


def greet(port, source="127.0.0.1"):
    c = Client(port, source)
    return c, c.line(10) or ""


def test_connection_limits_are_global(make_server):
    srv = make_server({"server.workers": "4",
                       "limits.max_connections": "5",
                       "limits.max_connections_per_ip": "3"})
    # per address: 3 in all, however the workers share them out
    got = [greet(srv.imap_port) for _ in range(8)]
    ok = [c for c, g in got if g.startswith("* OK")]
    refused = [g for c, g in got if not g.startswith("* OK")]
    assert len(ok) == 3, [g for c, g in got]
    assert all("from your address" in g for g in refused), refused
    # in all: 5, from any address
    more = [greet(srv.imap_port, "127.0.0.%d" % i) for i in range(2, 8)]
    ok2 = [c for c, g in more if g.startswith("* OK")]
    assert len(ok2) == 2, [g for c, g in more]
    for c, g in got + more:
        if not g.startswith("* OK"):
            c.sock.close()
    # the connections of a killed worker are given back by the master
    held = owners(srv)
    victim = held[ok[0].sock.getsockname()[1]]
    lost = [c for c in ok + ok2 if held[c.sock.getsockname()[1]] == victim]
    start = len(srv.log())
    os.kill(victim, signal.SIGKILL)
    wait_log(srv, r"pid=%d killed by signal SIGKILL sessions=%d" %
             (victim, len(lost)), start, 10 * SLOW)
    again = [greet(srv.imap_port, "127.0.0.9") for _ in range(len(lost) + 1)]
    assert [g.startswith("* OK") for c, g in again] == \
        [True] * len(lost) + [False], [g for c, g in again]
    for c, g in got + more + again:
        c.sock.close()


def test_failed_logins_are_counted_across_workers(make_server):
    srv = make_server({"server.workers": "4",
                       "auth.max_failures_per_ip": "4",
                       "auth.max_failures_per_user": "0"})
    for i in range(4):
        c, g = greet(srv.imap_port)
        c.send("f1 LOGIN %s wrong-%d\r\n" % (USERS["alice"][0], i))
        assert c.until("f1 ").startswith("f1 NO")
        c.sock.close()
    # whichever worker takes them, the address is refused now
    for i in range(4):
        r = login_once(srv)
        assert r is None or r.startswith("l1 NO"), r


def two_workers(srv):
    """Connections until two are in different workers: (a, b, all)."""
    sessions = []
    while len({w for _, w in sessions}) < 2:
        assert len(sessions) < 40, "every session went to one worker"
        c = Client(srv.imap_port)
        assert c.line().startswith("* OK")
        sessions.append((c, owners(srv)[c.sock.getsockname()[1]]))
    b = next(c for c, w in sessions if w != sessions[0][1])
    return sessions[0][0], b, sessions


def test_keywords_stored_from_two_workers_are_both_kept(make_server):
    """Two sessions of one user in different workers each add a keyword
    to the same message: each STORE re-reads what the other process wrote
    (courierimapkeywords/), so neither keyword is lost (each STORE wrote
    back its own process's stale list before)."""
    srv = make_server({"server.workers": "2"})
    a, b, sessions = two_workers(srv)
    srv.deliver("alice", "Subject: kw\r\n\r\nbody\r\n")
    for tag, c in (("a", a), ("b", b)):
        c.send("%s1 LOGIN %s\r\n%s2 SELECT INBOX\r\n" % (tag, LOGIN, tag))
        assert c.until("%s2 " % tag).startswith("%s2 OK" % tag)
    a.send("a3 STORE 1 +FLAGS (kwa)\r\n")
    assert a.until("a3 ").startswith("a3 OK")
    b.send("b3 STORE 1 +FLAGS (kwb)\r\n")
    assert b.until("b3 ").startswith("b3 OK")
    # what another process changed is reported at the next command that
    # may (RFC 3501 sec. 7): NOOP, then FETCH from the updated state
    a.send("a4 NOOP\r\n")
    assert a.until("a4 ").startswith("a4 OK")
    a.send("a5 FETCH 1 FLAGS\r\n")
    line = a.until("* 1 FETCH")
    assert "kwa" in line and "kwb" in line, line
    for c, _ in sessions:
        c.sock.close()


def test_keyword_names_reach_the_other_worker(make_server):
    """A keyword that no message carries any more is still a name of the
    folder (RFC 3501 7.2.6 FLAGS): a session in another worker lists it
    too. The names lived only in the memory of the worker that stored
    them (test_imap_messages.py's b28 failed with 2 workers); they are
    written to courierimapkeywords/:list, as Courier keeps them."""
    srv = make_server({"server.workers": "2"})
    a, b, sessions = two_workers(srv)
    srv.deliver("alice", "Subject: kw\r\n\r\nbody\r\n")
    a.send("a1 LOGIN %s\r\na2 SELECT INBOX\r\n"
           "a3 STORE 1 +FLAGS ($Label1 Project-X)\r\n"
           "a4 STORE 1 FLAGS (\\Seen)\r\n" % LOGIN)
    assert a.until("a4 ").startswith("a4 OK")
    b.send("b1 LOGIN %s\r\nb2 SELECT INBOX\r\n" % LOGIN)
    line = b.until("* FLAGS")
    assert "$Label1" in line and "Project-X" in line, line
    assert b.until("b2 ").startswith("b2 OK")
    for c, _ in sessions:
        c.sock.close()
