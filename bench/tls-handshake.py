#!/usr/bin/python3
"""TLS handshakes: Maildock's implicit-TLS port beside OpenSSL's own
`openssl s_server` with the same certificate (the physical limit of the
library on this machine), both driven by `openssl s_time` (one client
process, one connection at a time), for an RSA-2048 and an ECDSA P-256
certificate, full TLS 1.3 handshakes (-new) and resumed ones (-reuse
-tls1_2: a TLS 1.2 session ticket, as s_time cannot resume TLS 1.3). Reported per run: connections, s_time's own rate (connections
per second of the client's user CPU, which is what s_time prints), the
wall-clock rate, and the server's CPU time per handshake (user + system,
all threads) with its inverse, handshakes per second of one core: on a
shared machine the CPU figures are the ones to compare. Then the cost per
command over TLS: 2,000 NOOPs on one connection, the daemon's system
calls per command (strace -c -f).

    cd build && python3 ../bench/tls-handshake.py [--secs 10] [--no-strace]

A benchmark, not a test: nothing is asserted. Run from a build directory.
"""
import argparse
import os
import pathlib
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time

SRC = pathlib.Path(__file__).resolve().parent.parent
os.environ.setdefault("top_srcdir", str(SRC))
os.environ.setdefault("top_builddir", os.getcwd())
sys.path.insert(0, str(SRC / "t" / "proto"))
from conftest import Maildock, client_ssl_context, free_port  # noqa: E402


def cpu_of(pids):
    """User + system CPU seconds of these processes (threads included)."""
    total = 0
    for pid in pids:
        f = pathlib.Path("/proc/%d/stat" % pid).read_text()
        f = f.rsplit(")", 1)[1].split()
        total += int(f[11]) + int(f[12])
    return total / os.sysconf("SC_CLK_TCK")


def s_time(port, secs, reuse):
    out = subprocess.run(["openssl", "s_time", "-connect",
                          "127.0.0.1:%d" % port, "-time", str(secs),
                          # s_time keeps the session before a TLS 1.3
                          # ticket arrives, so it resumes in TLS 1.2 only
                          ] + (["-reuse", "-tls1_2"] if reuse else ["-new"]),
                         capture_output=True, text=True,
                         timeout=secs + 60).stdout
    m = re.search(r"(\d+) connections in [\d.]+s; ([\d.]+) connections/"
                  r"user sec.*\n\d+ connections in (\d+) real", out)
    if m is None:
        sys.exit("s_time: no result:\n" + out)
    n = int(m.group(1))
    return n, float(m.group(2)), n / max(int(m.group(3)), 1)


def s_server(cert, key, port):
    p = subprocess.Popen(["openssl", "s_server", "-quiet", "-accept",
                          "127.0.0.1:%d" % port, "-cert", str(cert), "-key",
                          str(key)], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    return p


def handshakes(d, kind, cert, key, secs, rsa_combined):
    rows = []
    port = free_port()
    ref = s_server(cert, key, port)
    try:
        for reuse in (False, True):
            c0 = cpu_of([ref.pid])
            n, rate, wall = s_time(port, secs, reuse)
            ms = (cpu_of([ref.pid]) - c0) * 1e3 / max(n, 1)
            rows.append(("openssl s_server", kind, reuse, n, rate, wall, ms))
    finally:
        ref.terminate()
        ref.wait()
    settings = {"server.workers": "1", "tls.cert_file": str(rsa_combined),
                "log.level": "info"}
    if kind == "ECDSA P-256":
        settings.update({"tls.ecdsa_cert_file": str(cert),
                         "tls.ecdsa_key_file": str(key)})
    srv = Maildock(d / kind.split()[0], settings).start()
    try:
        time.sleep(0.5)
        for reuse in (False, True):
            pids = srv.pids()
            c0 = cpu_of(pids)
            n, rate, wall = s_time(srv.imaps_port, secs, reuse)
            ms = (cpu_of(pids) - c0) * 1e3 / max(n, 1)
            rows.append(("Maildock imaps", kind, reuse, n, rate, wall, ms))
    finally:
        srv.stop()
    return rows


def noop_syscalls(d, count):
    """strace -c -f of the daemon while one TLS connection runs count
    NOOPs one at a time; returns {syscall: calls} per NOOP."""
    srv = Maildock(d / "strace", {"server.workers": "1",
                                  "log.level": "info"}).start()
    try:
        time.sleep(0.5)
        s = client_ssl_context().wrap_socket(
            socket.create_connection(("127.0.0.1", srv.imaps_port)))
        s.recv(4096)
        out = d / "strace.txt"
        tr = subprocess.Popen(["strace", "-c", "-f", "-o", str(out)] +
                              sum([["-p", str(p)] for p in srv.pids()], []),
                              stderr=subprocess.DEVNULL)
        time.sleep(1)
        for i in range(count):
            s.sendall(b"a%d NOOP\r\n" % i)
            buf = b""
            while not (buf.startswith(b"a%d " % i) and
                       buf.endswith(b"\r\n")):
                buf += s.recv(4096)
        tr.send_signal(2)
        tr.wait()
        s.close()
    finally:
        srv.stop()
    calls = {}
    for line in out.read_text().splitlines():
        f = line.split()
        if len(f) >= 5 and f[3].isdigit():
            calls[f[-1]] = int(f[3]) / count
    return calls


def waits(d, count=150):
    """Medians (ms) and share over 35 ms of: connect (+ TLS handshake),
    the greeting after it, a NOOP's answer; plain and implicit TLS."""
    srv = Maildock(d / "waits", {"server.workers": "1",
                                 "log.level": "info"}).start()
    ctx = client_ssl_context()
    out = []
    try:
        for port, tls in ((srv.imap_port, False), (srv.imaps_port, True)):
            t = []
            for _ in range(count):
                t0 = time.perf_counter()
                s = socket.create_connection(("127.0.0.1", port))
                if tls:
                    s = ctx.wrap_socket(s)
                t1 = time.perf_counter()
                s.recv(4096)
                t2 = time.perf_counter()
                s.sendall(b"a NOOP\r\n")
                s.recv(4096)
                t.append((t1 - t0, time.perf_counter() - t2, t2 - t1))
                s.close()
            for name, col in zip(("connect", "NOOP", "greeting"), zip(*t)):
                out.append("%s %s %.1f ms (%d%% >= 35 ms)" % (
                    "TLS" if tls else "plain", name,
                    statistics.median(col) * 1e3,
                    100 * sum(x >= 0.035 for x in col) // len(col)))
    finally:
        srv.stop()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--secs", type=int, default=10)
    ap.add_argument("--noops", type=int, default=2000)
    ap.add_argument("--no-strace", action="store_true")
    ap.add_argument("--no-handshakes", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="maildock-tls-") as d:
        d = pathlib.Path(d)
        ec_key, ec_crt = d / "ec.key", d / "ec.crt"
        subprocess.run(["openssl", "ecparam", "-name", "prime256v1",
                        "-genkey", "-noout", "-out", str(ec_key)], check=True)
        subprocess.run(["openssl", "req", "-x509", "-new", "-key",
                        str(ec_key), "-out", str(ec_crt), "-days", "2",
                        "-subj", "/CN=localhost"], check=True)
        probe = Maildock(d / "probe")      # makes the RSA certificate
        rows = []
        if not args.no_handshakes:
            rows = handshakes(d, "RSA-2048", probe.dir / "cert.pem",
                              probe.dir / "key.pem", args.secs,
                              probe.cert_file)
            rows += handshakes(d, "ECDSA P-256", ec_crt, ec_key, args.secs,
                               probe.cert_file)
        print("TLS handshakes, openssl s_time, %d s each, %s, load %s"
              % (args.secs, time.strftime("%Y-%m-%d %H:%M"),
                 open("/proc/loadavg").read().split()[0]))
        print("| server | certificate | session | connections | s_time "
              "conn/user s | wall conn/s | server CPU ms/handshake | "
              "handshakes/s per core |")
        print("|---|---|---|---|---|---|---|---|")
        for who, kind, reuse, n, rate, wall, ms in rows:
            print("| %s | %s | %s | %d | %.0f | %.0f | %.3f | %s |" % (
                who, kind, "resumed 1.2" if reuse else "full 1.3", n, rate,
                wall,
                ms, "%.0f" % (1e3 / ms) if ms > 0 else "-"))
        print("waits, median of 150: " + "; ".join(waits(d)))
        if not args.no_strace:
            calls = noop_syscalls(d, args.noops)
            print("system calls of the daemon per NOOP over TLS: " +
                  ", ".join("%s %.2f" % (k, v) for k, v in
                            sorted(calls.items(), key=lambda x: -x[1])
                            if v >= 0.05))


if __name__ == "__main__":
    main()
