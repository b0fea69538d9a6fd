#!/usr/bin/python3
"""Scale-out figures (doc/SCALING.md; recorded in doc/PERFORMANCE.md):

1. imaptest through one Maildock login proxy against the same backend
   directly, in one run: LOGIN/LOGOUT only and the mixed workload; the
   ratio proxy/direct.
2. What a relayed session costs the proxy: RSS and threads per idle
   proxied session.
3. LMTP delivery rate of small messages into one backend, over one
   pipelining connection and over four at once.

A benchmark, not a test (the machine is shared: compare ratios measured in
the same run, never absolute figures across runs).

    cd build && python3 ../bench/scaleout.py [--secs 10] [--clients 10]

(MAILDOCK_CORPUS names ../shared/corpus when the checkout is elsewhere:
imaptest's mbox is found beside it.)
"""
import argparse
import os
import pathlib
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

SRC = pathlib.Path(__file__).resolve().parent.parent
os.environ.setdefault("top_srcdir", str(SRC))
os.environ.setdefault("top_builddir", os.getcwd())
sys.path.insert(0, str(SRC / "t" / "proto"))
from conftest import Maildock, free_port  # noqa: E402
from stress_util import PASSWORD, stress_binary, stress_mbox, \
    stress_server  # noqa: E402

USERS = 50


def logins(out):
    """The LOGIN count of imaptest's closing "Totals:" block (the first
    column of its first line of plain numbers)."""
    tail = out[out.rfind("Totals:"):].splitlines()[1:]
    for line in tail:
        fields = line.split()
        if fields and all(f.isdigit() for f in fields):
            return int(fields[0])
    return 0


def imaptest(binary, port, clients, secs, select):
    args = [str(binary), "host=127.0.0.1", "port=%d" % port,
            "user=testuser%d", "users=%d" % USERS, "pass=" + PASSWORD,
            "mbox=%s" % stress_mbox(), "clients=%d" % clients,
            "secs=%d" % secs, "seed=42"] + ([] if select else ["select=0"])
    out = subprocess.run(args, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT,
                         timeout=secs + 120).stdout.decode("utf-8", "replace")
    errors = [ln for ln in out.splitlines() if ln.startswith("Error:")]
    return logins(out), len(errors), out


def proxy_server(workdir, backend_port):
    users = pathlib.Path(workdir) / "proxy-users"
    with open(users, "w") as f:
        for i in range(1, USERS + 1):
            f.write("testuser%d:{PLAIN}%s::::::\n" % (i, PASSWORD))
    return Maildock(pathlib.Path(workdir) / "proxy", {
        "auth.pwfile.path": str(users), "log.level": "info",
        "mail.location": str(pathlib.Path(workdir) / "none") + "/%n",
        "limits.max_connections_per_ip": "1000",
        "proxy.enabled": "yes", "proxy.backend_header": "no",
        "proxy.backends": "127.0.0.1:%d" % backend_port}).start()


def status(pid, key):
    """key of /proc/PID/status summed over pid and its children (the
    master and its worker processes)."""
    pids = [pid] + [int(p) for p in os.listdir("/proc") if p.isdigit() and
                    _ppid(p) == pid]
    total = 0
    for p in pids:
        try:
            for line in open("/proc/%d/status" % p):
                if line.startswith(key + ":"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def _ppid(p):
    try:
        return int(open("/proc/%s/stat" % p).read().rsplit(")", 1)[1]
                   .split()[1])
    except (OSError, ValueError, IndexError):
        return -1


def relay_cost(proxy, n=200):
    """RSS (kB) and threads per idle relayed session."""
    rss0, thr0 = status(proxy.proc.pid, "VmRSS"), \
        status(proxy.proc.pid, "Threads")
    socks = []
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", proxy.imap_port))
        f = s.makefile("rb")
        f.readline()
        s.sendall(b"a LOGIN testuser%d %s\r\n" % (1 + i % USERS,
                                                  PASSWORD.encode()))
        while not f.readline().startswith(b"a "):
            pass
        socks.append((s, f))
    time.sleep(1)
    rss1, thr1 = status(proxy.proc.pid, "VmRSS"), \
        status(proxy.proc.pid, "Threads")
    for s, _ in socks:
        s.close()
    return (rss1 - rss0) / n, (thr1 - thr0) / n


def lmtp_client(port, n, first, results):
    s = socket.create_connection(("127.0.0.1", port))
    f = s.makefile("rb")
    f.readline()
    s.sendall(b"LHLO bench\r\n")
    while not f.readline().startswith(b"250 "):
        pass
    ok = 0
    for i in range(n):
        s.sendall(b"MAIL FROM:<b@example.net>\r\nRCPT TO:<testuser%d>\r\n"
                  b"DATA\r\n" % (1 + (first + i) % USERS))
        for _ in range(3):
            f.readline()
        s.sendall(b"Subject: %d\r\nMessage-ID: <l%d-%d@bench>\r\n\r\n"
                  b"small body\r\n.\r\n" % (i, first, i))
        ok += f.readline().startswith(b"250")
    s.sendall(b"QUIT\r\n")
    s.close()
    results.append(ok)


def lmtp_rate(port, n, conns):
    results = []
    threads = [threading.Thread(target=lmtp_client,
                                args=(port, n // conns, k * n, results))
               for k in range(conns)]
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(results) / (time.time() - t0), sum(results)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--secs", type=int, default=10)
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--lmtp", type=int, default=2000)
    args = ap.parse_args()
    binary = stress_binary()
    if binary is None:
        sys.exit("imaptest not found (set MAILDOCK_IMAPTEST)")
    with tempfile.TemporaryDirectory(prefix="maildock-scaleout-") as d:
        lport = free_port()
        backend = stress_server(pathlib.Path(d) / "b", users=USERS,
                                settings={"lmtp.listen":
                                          "127.0.0.1:%d" % lport})
        proxy = proxy_server(d, backend.imap_port)
        try:
            print("%-28s %10s %10s %8s" % ("run", "direct", "proxied",
                                           "ratio"))
            for name, select in (("LOGIN/LOGOUT", False), ("mixed", True)):
                a, ea, _ = imaptest(binary, backend.imap_port, args.clients,
                                    args.secs, select)
                b, eb, _ = imaptest(binary, proxy.imap_port, args.clients,
                                    args.secs, select)
                print("%-28s %10d %10d %7.0f%%  (Error: lines %d / %d)"
                      % ("%s, %d clients, %ds" % (name, args.clients,
                                                  args.secs),
                         a, b, 100.0 * b / max(a, 1), ea, eb))
            rss, thr = relay_cost(proxy)
            print("relayed idle session: %.1f kB RSS, %.2f threads each"
                  % (rss, thr))
            for conns in (1, 4):
                rate, n = lmtp_rate(lport, args.lmtp, conns)
                print("LMTP, %d connection(s): %d messages, %.0f msg/s"
                      % (conns, n, rate))
        finally:
            proxy.stop()
            backend.stop()


if __name__ == "__main__":
    main()
