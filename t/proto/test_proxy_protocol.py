"""The PROXY protocol (HAProxy's proxy-protocol.txt, v1 and v2): from
proxy.trusted_networks the header names the client, and limits, logs and
auth.plaintext = loopback see that client; from elsewhere a header is
never believed. Raw sockets for the exact headers, and Debian's HAProxy in
TCP mode (send-proxy, send-proxy-v2) in front of IMAP and IMAPS."""
import os
import shutil
import socket
import ssl
import struct
import subprocess
import time

import pytest

from conftest import client_ssl_context, free_port

V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v2_header(src, sport, dst="127.0.0.1", dport=143):
    addrs = socket.inet_aton(src) + socket.inet_aton(dst) + \
        struct.pack("!HH", sport, dport)
    return V2_SIG + bytes([0x21, 0x11]) + struct.pack("!H", len(addrs)) + addrs


def connect(port, source="127.0.0.1"):
    s = socket.socket()
    s.settimeout(10)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def read_line(s):
    """One line; b"" when the server closed (a reset, when it closed with
    our unread bytes in its buffer, is a close too)."""
    data = b""
    while not data.endswith(b"\r\n"):
        try:
            chunk = s.recv(1)
        except ConnectionResetError:
            return b""
        if not chunk:
            break
        data += chunk
    return data


@pytest.fixture
def proxied(make_server):
    return make_server({"proxy.trusted_networks": "127.0.0.1/32, 10.9.9.9",
                        "limits.max_connections_per_ip": "2",
                        "auth.plaintext": "loopback"})


def test_v1_header_names_the_client(proxied):
    s = connect(proxied.imap_port)
    s.sendall(b"PROXY TCP4 192.0.2.7 127.0.0.1 40000 143\r\n")
    assert read_line(s).startswith(b"* OK")
    # 192.0.2.7 is not loopback: a plaintext LOGIN is refused as for any
    # remote client (RFC 3501 6.2.3 LOGINDISABLED)
    s.sendall(b"a CAPABILITY\r\n")
    assert b"LOGINDISABLED" in read_line(s)
    s.close()
    time.sleep(0.2)
    assert "ip=192.0.2.7" in proxied.log()


def test_v2_header_then_implicit_tls(proxied):
    s = connect(proxied.imaps_port)
    s.sendall(v2_header("198.51.100.9", 40001, dport=993))
    t = client_ssl_context().wrap_socket(s, server_hostname="localhost")
    assert read_line(t).startswith(b"* OK")
    t.sendall(b"a LOGIN alice@example.org secret-1\r\n")
    assert read_line(t).startswith(b"a OK")
    t.close()
    time.sleep(0.2)
    log = proxied.log()
    assert "ip=198.51.100.9" in log and 'user="alice@example.org"' in log


def test_per_ip_limit_counts_the_client_not_the_proxy(proxied):
    held = []
    for i in range(2):
        s = connect(proxied.imap_port)
        s.sendall(b"PROXY TCP4 192.0.2.50 127.0.0.1 %d 143\r\n" % (4000 + i))
        assert read_line(s).startswith(b"* OK")
        held.append(s)
    s = connect(proxied.imap_port)
    s.sendall(b"PROXY TCP4 192.0.2.50 127.0.0.1 4002 143\r\n")
    assert read_line(s) == b"* BYE Too many connections from your address.\r\n"
    s.close()
    # another client behind the same proxy is not affected
    s = connect(proxied.imap_port)
    s.sendall(b"PROXY TCP4 192.0.2.51 127.0.0.1 4003 143\r\n")
    assert read_line(s).startswith(b"* OK")
    for h in held + [s]:
        h.close()


def test_trusted_peer_without_a_header_is_refused(proxied):
    s = connect(proxied.imap_port)
    s.sendall(b"a LOGIN alice@example.org secret-1\r\n")
    assert read_line(s) == b""          # closed, nothing served
    s.close()
    time.sleep(0.2)
    assert 'no valid PROXY header' in proxied.log()


def test_untrusted_header_is_never_believed(make_server):
    srv = make_server({"proxy.trusted_networks": "10.9.9.9"})
    s = connect(srv.imap_port)
    s.sendall(b"PROXY TCP4 192.0.2.99 127.0.0.1 4000 143\r\n")
    first = read_line(s)
    if first:
        # the header raced the server's look at the connection: it is then
        # only a bad command, and the client stays 127.0.0.1
        assert first.startswith(b"* OK")
        assert b" BAD " in read_line(s)
    s.close()
    time.sleep(0.2)
    log = srv.log()
    assert "192.0.2.99" not in log.replace(
        'reason="PROXY header from an untrusted address"', "")


def test_bad_trusted_networks_names_the_line(make_server):
    srv = make_server({"proxy.trusted_networks": "10.0.0.0/8 proxy.example"},
                      start=False)
    from conftest import BUILDDIR
    r = subprocess.run([str(BUILDDIR / "maildockd"), "-t", "-c",
                        str(srv.conf)], capture_output=True, text=True)
    assert r.returncode != 0
    assert "proxy.trusted_networks" in r.stderr
    assert '"proxy.example" is not an address' in r.stderr


HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists(HAPROXY), reason="needs haproxy")
def test_haproxy_in_front(make_server, tmp_path):
    """HAProxy (TCP mode) from 127.0.0.2 in front of two backends, for IMAP
    (send-proxy-v2, round robin) and IMAPS (send-proxy); clients from
    127.0.0.3 and 127.0.0.4: each backend's per-IP limit and log see the
    client, never HAProxy."""
    backends = [make_server({"proxy.trusted_networks": "127.0.0.2",
                             "limits.max_connections_per_ip": "1"})
                for _ in range(2)]
    p_imap, p_imaps = free_port(), free_port()
    cfg = tmp_path / "haproxy.cfg"
    servers = "".join(
        "    server m%d 127.0.0.1:%d source 127.0.0.2 send-proxy-v2\n"
        % (i, b.imap_port) for i, b in enumerate(backends))
    cfg.write_text(f"""\
global
    maxconn 100
defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend imap
    bind 127.0.0.1:{p_imap}
    default_backend imap
backend imap
    balance roundrobin
{servers}frontend imaps
    bind 127.0.0.1:{p_imaps}
    default_backend imaps
backend imaps
    server m 127.0.0.1:{backends[0].imaps_port} source 127.0.0.2 send-proxy
""")
    hap = subprocess.Popen([HAPROXY, "-db", "-f", str(cfg)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", p_imap), 1).close()
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(0.5)
        # one connection per backend from 127.0.0.3 (round robin), each
        # the client's only one there: both served
        held = []
        for _ in range(2):
            s = connect(p_imap, source="127.0.0.3")
            assert read_line(s).startswith(b"* OK")
            held.append(s)
        # a third from the same client is over its limit on whichever
        # backend it reaches; another client is not
        s = connect(p_imap, source="127.0.0.3")
        assert read_line(s).startswith(b"* BYE Too many connections")
        s.close()
        s = connect(p_imap, source="127.0.0.5")
        assert read_line(s).startswith(b"* OK")
        held.append(s)
        # over TLS, from another client address: served, logged as it
        t = client_ssl_context().wrap_socket(connect(p_imaps, "127.0.0.4"),
                                             server_hostname="localhost")
        assert read_line(t).startswith(b"* OK")
        t.sendall(b"a LOGIN bob@example.org secret-2\r\na LOGOUT\r\n")
        assert read_line(t).startswith(b"a OK")
        t.close()
        for h in held:
            h.close()
        time.sleep(0.3)
        for b in backends:
            connects = [ln for ln in b.log().splitlines()
                        if "connect port" in ln]
            assert any("ip=127.0.0.3" in ln for ln in connects)
            # HAProxy's own address never appears as a client
            assert not any(" ip=127.0.0.2" in ln for ln in connects)
        assert 'user="bob@example.org" ip=127.0.0.4' in backends[0].log()
    finally:
        hap.terminate()
        hap.wait(timeout=10)
