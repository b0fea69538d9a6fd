#!/usr/bin/python3
"""COMPRESS=DEFLATE (RFC 4978) figures: octets on the wire for one FETCH
of corpus messages with and without compression, the time each took, and
the daemon's resident memory per connection, plain and compressed. A
benchmark, not a test.

    cd build && python3 ../bench/imap-compress.py [--messages 500] [--conns 200]
"""
import argparse
import os
import pathlib
import sys
import tempfile
import time

SRC = pathlib.Path(__file__).resolve().parent.parent
os.environ.setdefault("top_srcdir", str(SRC))
os.environ.setdefault("top_builddir", os.getcwd())
sys.path.insert(0, str(SRC / "t" / "proto"))
import conftest  # noqa: E402
from test_imap_compress import Zconn  # noqa: E402


def tree(pid):
    """pid and its worker processes (server.workers)"""
    kids = open("/proc/%d/task/%d/children" % (pid, pid)).read().split()
    return [pid] + [int(k) for k in kids]


def rss_kib(pid):
    total = 0
    for p in tree(pid):
        for line in open("/proc/%d/status" % p):
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def cpu_secs(pid):
    total = 0
    for p in tree(pid):
        f = open("/proc/%d/stat" % p).read().rsplit(")", 1)[1].split()
        total += int(f[11]) + int(f[12])
    return total / os.sysconf("SC_CLK_TCK")


def fetch_all(srv, n, compress):
    """(octets on the wire, seconds, daemon CPU seconds) of one FETCH"""
    c = Zconn(srv)
    if compress:
        c.compress()
    c.cmd("SELECT INBOX")
    wire, tail = 0, b""
    cpu, t = cpu_secs(srv.proc.pid), time.time()
    c.send("f1 FETCH 1:%d (BODY.PEEK[])\r\n" % n)
    while not (b"\r\nf1 OK" in tail or b"\r\nf1 NO" in tail):
        data = c.sock.recv(65536)
        wire += len(data)
        data = c.z[1].decompress(data) if c.z else data
        tail = (tail + data)[-64:]
    return wire, time.time() - t, cpu_secs(srv.proc.pid) - cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=500)
    ap.add_argument("--conns", type=int, default=200)
    a = ap.parse_args()
    srv = conftest.Maildock(tempfile.mkdtemp(), {
        "limits.max_connections_per_ip": str(a.conns + 10),
        "limits.max_connections": str(a.conns + 10)}).start()
    try:
        files = sorted((conftest.CORPUS / "messages").rglob("*"))
        files = [f for f in files if f.is_file()][:a.messages]
        raw = 0
        for f in files:
            data = f.read_bytes()
            raw += len(data)
            srv.deliver("alice", data)
        print("messages %d, %d octets in their files" % (len(files), raw))
        for z in (False, True):
            wire, secs, cpu = fetch_all(srv, len(files), z)
            print("FETCH 1:* BODY.PEEK[] %-10s %9d octets on the wire, "
                  "%.2f s, daemon CPU %.2f s" % (
                      "compressed" if z else "plain", wire, secs, cpu))
        for z in (False, True):
            base = rss_kib(srv.proc.pid)
            conns = []
            for _ in range(a.conns):
                c = Zconn(srv)
                if z:
                    c.compress()
                c.cmd("NOOP")
                conns.append(c)
            grown = rss_kib(srv.proc.pid) - base
            print("%d %s connections: daemon RSS +%d KiB (%.1f KiB each)"
                  % (a.conns, "compressed" if z else "plain", grown,
                     grown / a.conns))
            for c in conns:
                c.sock.close()
            time.sleep(1)
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
