"""COMPRESS=DEFLATE (RFC 4978) over plain and TLS connections, tested with
Python's zlib over a raw socket (raw deflate both ways, a sync flush per
command), and with isync's mbsync, which asks for COMPRESS itself when the
server offers it. The inflated octets are held to the same line and
literal limits, and a decompression bomb costs no memory."""
import re
import shutil
import socket
import ssl
import subprocess
import zlib

import pytest

from conftest import USERS, client_ssl_context
from imapwire import message


class Zconn:
    """An IMAP connection that turns DEFLATE on after login."""

    def __init__(self, server, tls=False, login=True):
        s = socket.create_connection(("127.0.0.1", server.imaps_port if tls
                                      else server.imap_port), timeout=20)
        self.sock = client_ssl_context().wrap_socket(s) if tls else s
        self.buf = b""
        self.z = None
        self.n = 0
        assert self.line().startswith(b"* OK")
        if login:
            assert self.cmd("LOGIN %s %s" % USERS["alice"])[-1].startswith(
                b"a1 OK")

    def recv(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("closed; pending %r" % self.buf)
        return self.z[1].decompress(data) if self.z else data

    def line(self):
        while b"\n" not in self.buf:
            self.buf += self.recv()
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r")

    def send(self, data, flush=True):
        if isinstance(data, str):
            data = data.encode()
        if self.z:
            data = self.z[0].compress(data) + (
                self.z[0].flush(zlib.Z_SYNC_FLUSH) if flush else b"")
        self.sock.sendall(data)

    def cmd(self, text):
        self.n += 1
        tag = b"a%d" % self.n
        self.send(tag + b" " + (text.encode() if isinstance(text, str)
                                else text) + b"\r\n")
        lines = []
        while True:
            lines.append(self.line())
            if lines[-1].startswith(tag + b" "):
                return lines

    def compress(self):
        lines = self.cmd("COMPRESS DEFLATE")
        assert lines[-1].startswith(b"a%d OK" % self.n), lines
        assert self.buf == b""      # nothing after the OK yet
        self.z = (zlib.compressobj(wbits=-15), zlib.decompressobj(wbits=-15))

    def closed(self):
        try:
            while True:
                self.recv()
        except (EOFError, ConnectionResetError, ssl.SSLError, zlib.error):
            return True
        except socket.timeout:
            return False


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
def test_compress_round_trip(server, alice, tls):
    c = Zconn(server, tls=tls)
    assert b"COMPRESS=DEFLATE" in c.cmd("CAPABILITY")[0]
    c.compress()
    caps = c.cmd("CAPABILITY")
    assert b"COMPRESS=DEFLATE" not in caps[0] and caps[-1].endswith(
        b"OK Capability completed.")
    big = message("big", body=("line of text %d\r\n" * 3000) % tuple(
        range(3000)))
    c.n += 1
    c.send(b"a%d APPEND INBOX {%d}\r\n" % (c.n, len(big)))
    assert c.line().startswith(b"+")
    c.send(big.encode() + b"\r\n")
    assert c.line().startswith(b"a%d OK" % c.n)
    assert c.cmd("SELECT INBOX")[-1].startswith(b"a%d OK" % c.n)
    lines = c.cmd("FETCH 1 BODY[]")
    m = re.search(rb"\{(\d+)\}$", lines[0])
    assert m and int(m.group(1)) == len(big)
    # the literal came inflated, line by line: join it back
    got = b"\r\n".join(lines[1:-2]) + b"\r\n"
    assert got == big.encode()
    c.cmd("LOGOUT")


def test_compress_twice_and_bad_args(server, alice):
    c = Zconn(server)
    assert c.cmd("COMPRESS GZIP")[-1].startswith(b"a2 BAD")
    assert c.cmd("COMPRESS")[-1].startswith(b"a3 BAD")
    c.compress()
    assert c.cmd("COMPRESS DEFLATE")[-1].startswith(
        b"a5 NO [COMPRESSIONACTIVE]")
    assert c.cmd("NOOP")[-1].startswith(b"a6 OK")


def test_compress_not_before_login(server, alice):
    c = Zconn(server, login=False)
    assert c.cmd("COMPRESS DEFLATE")[-1].startswith(b"a1 BAD")


def test_compressed_line_limit(make_server, alice):
    srv = make_server({"imap.max_line_length": "2k"})
    c = Zconn(srv)
    c.compress()
    # an over-long line compresses to almost nothing: still refused whole
    # (its tag is not kept: the answer is "* BAD" or tagged, issue 15's
    # tagged-completion audit decides)
    c.n += 1
    c.send("a3 NOOP " + "x" * 100000 + "\r\n")
    line = c.line()
    assert b"BAD [TOOBIG]" in line, line
    assert c.cmd("NOOP")[-1].startswith(b"a4 OK")


def test_decompression_bomb(make_server, alice):
    srv = make_server({"imap.max_line_length": "4k"})
    c = Zconn(srv)
    c.compress()
    c.sock.settimeout(60)
    # 200 MB of "A" (about 200 KB compressed) with no line end, then a
    # command: the server throws the line away as it inflates it
    co = c.z[0]
    chunk = co.compress(b"A" * (1 << 20))
    for _ in range(200):
        c.sock.sendall(chunk + co.compress(b"A" * (1 << 20)))
    c.send(b"\r\na9 NOOP\r\n")
    lines = []
    while not lines or not lines[-1].startswith(b"a9 "):
        lines.append(c.line())
    assert lines[0].startswith(b"* BAD") or b"TOOBIG" in lines[0], lines
    assert lines[-1].startswith(b"a9 OK")
    # the daemon's size stayed small (no 200 MB buffer): its workers' peak
    rss = max(int(re.search(r"VmHWM:\s+(\d+)", open(
        "/proc/%d/status" % pid).read()).group(1))
        for pid in srv.worker_pids())
    assert rss < 100 * 1024, rss


def test_corrupt_stream_closes(server, alice):
    c = Zconn(server)
    c.compress()
    c.sock.sendall(b"\xff\xff\xff\xff not deflate at all\r\n")
    c.sock.settimeout(10)
    assert c.closed()


def test_starttls_refused_after_compress(server, alice):
    c = Zconn(server)
    c.compress()
    assert c.cmd("UNAUTHENTICATE")[-1].startswith(b"a3 OK")
    assert c.cmd("STARTTLS")[-1].startswith(b"a4 BAD")
    assert c.cmd("LOGIN %s %s" % USERS["alice"])[-1].startswith(b"a5 OK")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("mbsync") is None, reason="isync missing")
def test_mbsync_uses_compress(server, alice, tmp_path):
    from test_imap_clients import mbsync_config
    for i in range(5):
        server.deliver("alice", message("m%d" % i, body="text %d\r\n" % i))
    local = tmp_path / "mail"
    local.mkdir()
    cfg = mbsync_config(tmp_path, server, local, tls=False)
    before = len(server.log())
    r = subprocess.run(["mbsync", "-c", str(cfg), "-a"], capture_output=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    assert "name=COMPRESS" in server.log()[before:]
    files = list((local / "INBOX" / "new").iterdir()) + \
        list((local / "INBOX" / "cur").iterdir())
    assert len(files) == 5
