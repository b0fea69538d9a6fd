"""Out of file descriptors (issue 12): the daemon raises its soft
RLIMIT_NOFILE, says when limits.max_connections cannot fit, and when
accept() fails with EMFILE it tells the queued clients (IMAP "* BYE",
POP3 "-ERR") through a reserve descriptor and pauses accepting instead of
spinning on the queue, and accepts again once descriptors are free."""
import resource
import socket
import time

NOFILE = 64


def low_nofile():
    resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, NOFILE))


def read_first_line(s):
    """The first line the server sent on s ("" when it closed at once)."""
    buf = b""
    try:
        while b"\n" not in buf:
            chunk = s.recv(512)
            if not chunk:
                break
            buf += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    return buf.split(b"\n")[0].decode(errors="replace").rstrip("\r")


def first_line(port, timeout=10):
    """Connect and return (socket, first line)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return s, read_first_line(s)


def full_lines(srv):
    return [l for l in srv.log().splitlines()
            if "out of file descriptors" in l]


def test_raises_soft_limit_to_hard(make_server):
    srv = make_server({"limits.max_connections": "100000"}, start=False)
    srv.start(preexec_fn=lambda: resource.setrlimit(
        resource.RLIMIT_NOFILE, (256, 4096)))
    log = srv.log()
    # 100000 sessions cannot fit in 4096: the warning names both figures
    warn = [l for l in log.splitlines() if "RLIMIT_NOFILE" in l]
    assert warn and "is 4096 (hard 4096)" in warn[0], log
    assert "limits.max_connections=100000" in warn[0]


def test_emfile_refuses_queued_clients_and_recovers(make_server):
    srv = make_server({"limits.max_connections_per_ip": "100000",
                       "server.workers": "2", "log.level": "info"},
                      start=False)
    srv.start(preexec_fn=low_nofile)
    assert any("RLIMIT_NOFILE is %d" % NOFILE in l
               for l in srv.log().splitlines()), srv.log()
    held, refused = [], []
    # all connect at once, so that the clients beyond wait in the queue
    # together; 150 is more than fit (NOFILE descriptors per worker) and
    # less than the two listeners' backlogs
    socks = [socket.create_connection(
        ("127.0.0.1", srv.imap_port if i % 2 else srv.pop3_port), timeout=10)
        for i in range(150)]
    for s in socks:
        line = read_first_line(s)
        if line.startswith("* OK") or line.startswith("+OK"):
            held.append(s)
        else:
            assert line.startswith("* BYE") or line.startswith("-ERR"), line
            assert "out of resources" in line, line
            refused.append(s)
    assert len(held) >= NOFILE // 2 and len(refused) >= 10, (len(held), len(refused))
    # more clients keep arriving for a while: each is told, and the log
    # grows by at most a report per 10 s, not a line per wake-up
    lines_before = len(srv.log().splitlines())
    until = time.time() + 2
    while time.time() < until:
        s, line = first_line(srv.imap_port)
        assert line.startswith("* BYE"), line
        s.close()
    grown = len(srv.log().splitlines()) - lines_before
    assert grown <= 4, srv.log().splitlines()[lines_before:]
    assert 1 <= len(full_lines(srv)) <= 4, full_lines(srv)
    assert "Too many open files" in full_lines(srv)[0]
    # descriptors come free: new clients are served again
    for s in held + refused:
        s.close()
    deadline = time.time() + 10
    while True:
        s, line = first_line(srv.imap_port)
        s.close()
        if line.startswith("* OK"):
            break
        assert time.time() < deadline, line
        time.sleep(0.2)
    m = srv.login_imap()
    assert m.noop()[0] == "OK"
    m.logout()


def open_files(srv, what):
    """How many of the daemon's descriptors (every process) name a file
    whose name ends with what."""
    import os
    n = 0
    for pid in srv.pids():
        fd_dir = "/proc/%d/fd" % pid
        for fd in os.listdir(fd_dir):
            try:
                n += os.readlink(os.path.join(fd_dir, fd)).endswith(what)
            except OSError:
                pass
    return n


def test_selected_folders_hold_no_descriptor_each(make_server):
    """A session with a folder selected used to keep that folder's modseq
    log open (and its parsed-message cache once a FETCH filled it): 1.5
    descriptors per session, so limits.max_connections could not fit in
    the descriptors (issue 12). The log is open only while it is written;
    cache descriptors are bounded per process."""
    srv = make_server({"limits.max_connections_per_ip": "100"})
    sessions = []
    for i in range(80):
        m = srv.login_imap("alice")
        name = "F%d" % i
        assert m.create(name)[0] == "OK"
        assert m.append(name, None, None,
                        b"Subject: %d\r\n\r\nbody\r\n" % i)[0] == "OK"
        assert m.select(name)[0] == "OK"
        assert m.fetch("1", "(ENVELOPE BODYSTRUCTURE)")[0] == "OK"
        assert m.store("1", "+FLAGS", "(\\Seen kw)")[0] == "OK"
        sessions.append(m)
    assert open_files(srv, "/maildock-modseq") == 0
    assert open_files(srv, "/maildock-cache") <= 64
    for m in sessions:		# and they all still work
        assert m.noop()[0] == "OK"
        m.logout()
