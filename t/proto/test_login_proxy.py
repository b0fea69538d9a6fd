"""Login proxy mode: two Maildock proxies in front of three Maildock
backends, users routed by the auth result's proxy_host or by rendezvous
hashing over proxy.backends; IMAP and POP3 relayed byte-exact (IDLE, a
10 MB APPEND, RETR); a backend that dies mid-session gives its clients a
clean BYE / -ERR. The backends take the client's address from the PROXY
header the proxies send."""
import imaplib
import os
import poplib
import re
import signal
import socket
import time

import pytest

from conftest import USERS, free_port

NUSERS = 24


def users_file(path):
    with open(path, "w") as f:
        for name, (login, pw) in USERS.items():
            extra = "proxy_host=127.0.0.2" if name == "alice" else ""
            f.write("%s:{PLAIN}%s::::::%s\n" % (login, pw, extra))
        for i in range(NUSERS):
            f.write("h%d@example.org:{PLAIN}pw%d::::::\n" % (i, i))


@pytest.fixture
def cluster(make_server, tmp_path):
    """Backends on 127.0.0.2-4 (alice is pinned to .2 by her proxy_host,
    the others hashed over .3 and .4), all on the same IMAP and POP3
    ports; two proxies on 127.0.0.1."""
    imap_port, pop3_port = free_port(), free_port()
    users = tmp_path / "users"
    users_file(users)
    backends = [make_server({
        "imap.listen": "127.0.0.%d:%d" % (i, imap_port),
        "pop3.listen": "127.0.0.%d:%d" % (i, pop3_port),
        "auth.pwfile.path": str(users),
        "proxy.trusted_networks": "127.0.0.0/8"}) for i in (2, 3, 4)]
    proxies = [make_server({
        "auth.pwfile.path": str(users),
        "proxy.enabled": "yes",
        "proxy.backends": "127.0.0.3 127.0.0.4",
        "imap.proxy_port": str(imap_port),
        "pop3.proxy_port": str(pop3_port)}) for _ in range(2)]
    return backends, proxies


def backend_of(proxy, user):
    """The backend address the proxy's log names for user's last login."""
    hosts = re.findall(r'proxy: login backend=(127\.0\.0\.\d+):\d+ '
                       r'user="%s"' % re.escape(user), proxy.log())
    return hosts[-1] if hosts else None


class IMAP4From(imaplib.IMAP4):
    """imaplib from a chosen loopback source address."""

    def __init__(self, port, source):
        self.source = source
        super().__init__("127.0.0.1", port)

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout,
                                        source_address=(self.source, 0))


def login(proxy, user, pw, source="127.0.0.1"):
    m = IMAP4From(proxy.imap_port, source)
    m.login(user, pw)
    return m


def test_routes_by_host_and_by_hash_the_same_on_every_proxy(cluster):
    backends, proxies = cluster
    m = login(proxies[0], "alice@example.org", "secret-1", "127.0.0.9")
    m.logout()
    assert backend_of(proxies[0], "alice@example.org") == "127.0.0.2"
    seen = {}
    for i in range(NUSERS):
        user = "h%d@example.org" % i
        for p in proxies:
            login(p, user, "pw%d" % i).logout()
        a, b = (backend_of(p, user) for p in proxies)
        assert a == b and a in ("127.0.0.3", "127.0.0.4")
        seen.setdefault(a, 0)
        seen[a] += 1
    # both hashed backends get users
    assert len(seen) == 2 and min(seen.values()) >= NUSERS // 6
    # the backend saw the client named in the proxy's header
    assert 'user="alice@example.org" ip=127.0.0.9' in backends[0].log()


def test_rendezvous_moves_only_the_removed_backends_users(cluster,
                                                          make_server):
    backends, proxies = cluster
    before = {}
    for i in range(NUSERS):
        user = "h%d@example.org" % i
        login(proxies[0], user, "pw%d" % i).logout()
        before[user] = backend_of(proxies[0], user)
    # the same users through a proxy that lists a third backend
    set_ = dict(proxies[0].settings)
    set_.pop("imap.listen"); set_.pop("imaps.listen")
    set_.pop("pop3.listen"); set_.pop("pop3s.listen")
    set_["proxy.backends"] = "127.0.0.2 127.0.0.3 127.0.0.4"
    three = make_server(set_)
    moved = 0
    for i in range(NUSERS):
        user = "h%d@example.org" % i
        login(three, user, "pw%d" % i).logout()
        now = backend_of(three, user)
        if now != before[user]:
            assert now == "127.0.0.2"      # only onto the added backend
            moved += 1
    assert 0 < moved < NUSERS


@pytest.mark.slow
def test_idle_append_and_fetch_through_the_proxy(cluster):
    backends, proxies = cluster
    m = login(proxies[1], "alice@example.org", "secret-1")
    big = b"Subject: big\r\n\r\n" + (b"0123456789abcdef" * 64 + b"\r\n") * \
        (10 * 1024 * 1024 // 1026)
    typ, _ = m.append("INBOX", None, None, big)
    assert typ == "OK"
    m.select("INBOX")
    typ, data = m.fetch("1", "(BODY.PEEK[])")
    assert data[0][1] == big
    # IDLE: a file an MTA drops into the backend's Maildir reaches the
    # client through the proxy
    tag = m._new_tag().decode()
    m.send(("%s IDLE\r\n" % tag).encode())
    assert m.readline().startswith(b"+")
    backends[0].deliver("alice", b"Subject: new\r\n\r\nhi\r\n")
    line = m.readline()
    while b"EXISTS" not in line:
        line = m.readline()
    assert line == b"* 2 EXISTS\r\n"
    m.send(b"DONE\r\n")
    while not m.readline().startswith(tag.encode()):
        pass
    m.logout()


def test_pop3_retr_through_the_proxy(cluster):
    backends, proxies = cluster
    body = b"Subject: pop\r\n\r\n" + b"line\r\n.dot line\r\n" * 5000
    backends[0].deliver("alice", body)
    p = poplib.POP3("127.0.0.1", proxies[0].pop3_port)
    p.user("alice@example.org")
    assert p.pass_("secret-1").startswith(b"+OK")
    resp, lines, octets = p.retr(1)
    assert b"\r\n".join(lines) + b"\r\n" == body
    p.dele(1)
    assert p.quit().startswith(b"+OK")
    time.sleep(0.3)
    assert os.listdir(backends[0].maildir("alice") / "cur") == []
    # nothing after QUIT's +OK: the proxy added no error of its own
    assert "closed the session" not in proxies[0].log()


def test_wrong_password_and_backend_down(cluster):
    backends, proxies = cluster
    with pytest.raises(imaplib.IMAP4.error) as e:
        login(proxies[0], "alice@example.org", "wrong")
    assert "AUTHENTICATIONFAILED" in str(e.value)
    backends[0].stop()
    with pytest.raises(imaplib.IMAP4.error) as e:
        login(proxies[0], "alice@example.org", "secret-1")
    assert "UNAVAILABLE" in str(e.value)


def test_backend_killed_mid_session_gives_bye(cluster):
    backends, proxies = cluster
    m = login(proxies[0], "alice@example.org", "secret-1")
    m.select("INBOX")
    # the backend's worker processes die (the master would end them
    # gracefully, with its own BYE)
    master = backends[0].proc.pid
    for p in os.listdir("/proc"):
        try:
            stat = open("/proc/%s/stat" % p).read()
        except (OSError, ValueError):
            continue
        if stat.rsplit(")", 1)[1].split()[1] == str(master):
            os.kill(int(p), signal.SIGKILL)
    with pytest.raises((imaplib.IMAP4.abort, imaplib.IMAP4.error)) as e:
        m.noop()
    assert "Server disconnected" in str(e.value)
    # the proxy itself is fine
    login(proxies[0], "h1@example.org", "pw1").logout()


def test_failover_to_the_next_backend(cluster, make_server):
    backends, proxies = cluster
    set_ = dict(proxies[0].settings)
    for k in ("imap.listen", "imaps.listen", "pop3.listen", "pop3s.listen"):
        set_.pop(k)
    set_["proxy.failover"] = "yes"
    fo = make_server(set_)
    login(fo, "h0@example.org", "pw0").logout()
    first = backend_of(fo, "h0@example.org")
    dead = {"127.0.0.3": backends[1], "127.0.0.4": backends[2]}[first]
    dead.stop()
    # with failover the user goes to the other backend, at once and after
    for _ in range(2):
        login(fo, "h0@example.org", "pw0").logout()
        assert backend_of(fo, "h0@example.org") not in (first, None)
    # without it, the user is told to come back later, and the proxy does
    # not wait out a connect timeout for each login meanwhile
    for _ in range(2):
        with pytest.raises(imaplib.IMAP4.error) as e:
            login(proxies[0], "h0@example.org", "pw0")
        assert "UNAVAILABLE" in str(e.value)
    # a user pinned by proxy_host never moves
    backends[0].stop()
    with pytest.raises(imaplib.IMAP4.error):
        login(fo, "alice@example.org", "secret-1")


def test_backend_that_accepts_but_never_answers(cluster):
    """A stopped backend still accepts connections (the kernel does): the
    login fails after proxy.connect_timeout, not the idle timeout."""
    backends, proxies = cluster
    pids = backends[0].pids()
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        t0 = time.time()
        with pytest.raises(imaplib.IMAP4.error) as e:
            login(proxies[0], "alice@example.org", "secret-1")
        assert "UNAVAILABLE" in str(e.value)
        assert time.time() - t0 < 30          # connect_timeout is 5 s
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
