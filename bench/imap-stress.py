#!/usr/bin/python3
"""imaptest's stress mode, long (issue 14's "done when": 50 clients for
300 s, plain and over TLS, 0 `Error:` lines). A benchmark, not a test: it
prints imaptest's closing totals, the daemon's CPU time per operation (the
figure for the cost of recording modseqs: compare two builds), and the
`Error:` lines, counted by kind.

    cd build && python3 ../bench/imap-stress.py [--clients 50] [--secs 300] [--tls]

Uses t/proto/stress_util.py (imaptest built once by t/proto/imaptest_util.py
from ../shared/imaptest, or the binary MAILDOCK_IMAPTEST names;
MAILDOCK_CORPUS names ../shared/corpus when the checkout is elsewhere). The short run is t/proto/test_imap_stress.py.
"""
import argparse
import collections
import os
import pathlib
import sys
import tempfile

SRC = pathlib.Path(__file__).resolve().parent.parent
os.environ.setdefault("top_srcdir", str(SRC))
os.environ.setdefault("top_builddir", os.getcwd())
sys.path.insert(0, str(SRC / "t" / "proto"))
from stress_util import stress_binary, stress_run, stress_server  # noqa: E402


def daemon_cpu(pid):
    """User + system CPU seconds of the daemon so far."""
    f = pathlib.Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1]
    f = f.split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--secs", type=int, default=300)
    ap.add_argument("--users", type=int, default=10)
    ap.add_argument("--tls", action="store_true")
    args = ap.parse_args()
    binary = stress_binary()
    if binary is None:
        sys.exit("imaptest not found (set MAILDOCK_IMAPTEST)")
    with tempfile.TemporaryDirectory(prefix="maildock-stress-") as d:
        srv = stress_server(d, users=args.users)
        try:
            errors, out = stress_run(
                binary, srv.imaps_port if args.tls else srv.imap_port,
                args.clients, args.secs, users=args.users, tls=args.tls)
            cpu = daemon_cpu(srv.proc.pid)
        finally:
            srv.stop()
    totals = out[out.rfind("Totals:"):].strip()
    print(totals)
    ops = sum(int(x) for x in totals.splitlines()[-1].split())
    print("daemon CPU %.1f s for %d operations: %.3f ms per operation"
          % (cpu, ops, cpu * 1e3 / max(ops, 1)))
    print("clients=%d secs=%d tls=%s Error: lines: %d"
          % (args.clients, args.secs, args.tls, len(errors)))
    kinds = collections.Counter(e.split(": ", 2)[-1].split(":")[0][:70]
                                for e in errors)
    for kind, n in kinds.most_common():
        print("%6d  %s" % (n, kind))


if __name__ == "__main__":
    main()
