"""Connection limits and timeouts answered with the protocol's own refusal
(issue 2: daemon)."""
import socket
import time


def greet(srv, port):
    c = srv.raw(port)
    return c, c.readline()


def test_per_ip_limit_refuses_with_protocol_messages(make_server):
    srv = make_server({"limits.max_connections_per_ip": "2"})
    a, ga = greet(srv, srv.pop3_port)
    b, gb = greet(srv, srv.imap_port)
    assert ga.startswith("+OK") and gb.startswith("* OK")
    c, gc = greet(srv, srv.pop3_port)
    assert gc.startswith("-ERR") and "Too many connections" in gc
    assert c.closed()
    d, gd = greet(srv, srv.imap_port)
    assert gd.startswith("* BYE") and "Too many connections" in gd
    assert d.closed()
    a.close()
    time.sleep(0.5)
    e, ge = greet(srv, srv.pop3_port)
    assert ge.startswith("+OK")
    assert "refused" in srv.log()
    for x in (b, e):
        x.close()


def test_total_limit(make_server):
    srv = make_server({"limits.max_connections": "1"})
    a, ga = greet(srv, srv.imap_port)
    assert ga.startswith("* OK")
    b, gb = greet(srv, srv.imap_port)
    assert gb.startswith("* BYE")
    a.close()


def test_login_timeout_closes_an_idle_client(make_server):
    srv = make_server({"limits.login_timeout": "1s"})
    c, g = greet(srv, srv.pop3_port)
    assert g.startswith("+OK")
    start = time.time()
    assert c.closed(timeout=10)
    assert time.time() - start < 8
    c2, g2 = greet(srv, srv.imap_port)
    lines = []
    try:
        while True:
            lines.append(c2.readline())
    except (EOFError, ConnectionResetError):
        pass
    assert any(l.startswith("* BYE") for l in lines), lines


def test_idle_timeout_after_login_is_longer(make_server):
    srv = make_server({"limits.login_timeout": "1s", "limits.idle_timeout": "30m"})
    p = srv.pop3()
    p.user("alice@example.org")
    p.pass_("secret-1")
    time.sleep(2.5)
    assert p.noop().startswith(b"+OK")
    p.quit()


def test_overlong_line_is_refused_not_run(make_server):
    srv = make_server({"limits.max_line_length": "1k"})
    c, g = greet(srv, srv.pop3_port)
    # a long line ending in QUIT must not run as QUIT (nor be cut to it)
    c.sendline("NOOP" + " " * 3000 + "QUIT")
    r = c.readline()
    assert r.startswith("-ERR"), r
    c.sendline("CAPA")
    assert c.readline().startswith("+OK")
    c.close()


def test_implicit_tls_listener(server):
    c = server.raw(server.pop3s_port, tls=True)
    assert c.readline().startswith("+OK")
    c.close()
    i = server.imaps()
    assert i.welcome.startswith(b"* OK")
    i.logout()


def test_ipv6_listener(make_server):
    try:
        s = socket.socket(socket.AF_INET6)
        s.bind(("::1", 0))
        port = s.getsockname()[1]
        s.close()
    except OSError:
        import pytest
        pytest.skip("no IPv6 loopback")
    srv = make_server({"imap.listen": "[::1]:%d" % port,
                       "pop3.listen": "127.0.0.1:%d" % __import__("conftest").free_port()})
    c = socket.create_connection(("::1", port), timeout=5)
    assert c.recv(100).startswith(b"* OK")
    c.close()
