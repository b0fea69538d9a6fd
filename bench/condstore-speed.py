#!/usr/bin/python3
"""QRESYNC and CHANGEDSINCE on a large folder (issue 14's speed goals). A
benchmark, not a test: it prints figures for doc/PERFORMANCE.md.

    cd build && python3 ../bench/condstore-speed.py [--count 100000] [--runs 5]

A folder of --count small messages (bench/imap-speed.py's generator, kept
in --dir and reused). Each run: another session changes the flags of 10
messages spread over the folder; then a client that knew the folder's
HIGHESTMODSEQ before the change resynchronises with SELECT INBOX (QRESYNC
(uidvalidity modseq)) (daemon CPU and bytes on the wire of the whole
answer), asks UID FETCH 1:* (FLAGS) (CHANGEDSINCE modseq) (daemon CPU),
and selects again with the new HIGHESTMODSEQ (nothing changed: the cost
of opening the view alone).
The folder object stays open in the daemon (a second session holds it),
as on a server where the user's phone reconnects while the desktop client
is connected.
"""
import argparse
import importlib.util
import os
import pathlib
import re
import statistics
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("imap_speed",
                                              HERE / "imap-speed.py")
speed = importlib.util.module_from_spec(spec)
spec.loader.exec_module(speed)


def number(data, name):
    return int(re.search(rb"\[" + name + rb" (\d+)\]", data).group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--dir", default="/tmp/maildock-bench-condstore-%s"
                    % os.environ.get("USER", "root"))
    args = ap.parse_args()
    root = pathlib.Path(args.dir)
    md = root / "mail" / "example.org" / "alice" / "Maildir"
    print("folder: %d messages, %s; load %s" % (
        args.count, speed.prepare(md, args.count, speed.fill_small),
        speed.loadavg()))
    with tempfile.TemporaryDirectory(prefix="maildock-cs-") as work:
        d = speed.Daemon(work, root / "mail")
        try:
            run(d, args)
        except (OSError, EOFError, RuntimeError):
            print(d.md.log()[-3000:])
            raise
        finally:
            d.stop()


def run(d, args):
    holder = d.login()
    holder.cmd("SELECT INBOX")          # keeps the folder object open
    sel, fetch, same = [], [], []
    for i in range(args.runs):
        a = d.login()
        a.cmd("ENABLE QRESYNC")
        data, _ = a.cmd("SELECT INBOX")
        uidv, high = number(data, b"UIDVALIDITY"), number(data, b"HIGHESTMODSEQ")
        a.close()
        step = args.count // 10
        for k in range(10):     # a real change whatever the flags were
            for sign in "-+":
                holder.cmd("STORE %d %sFLAGS.SILENT (\\Draft)"
                           % (1 + k * step + i, sign))
        a = d.login()
        a.cmd("ENABLE QRESYNC")
        data, wall, cpu, wait = d.timed(
            a, "SELECT INBOX (QRESYNC (%d %d))" % (uidv, high))
        assert data.count(b" FETCH (") == 10, data[-2000:]
        sel.append((wall, cpu, wait, len(data)))
        data, wall, cpu, wait = d.timed(
            a, "UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % high)
        assert data.count(b" FETCH (") == 10
        fetch.append((wall, cpu, wait, len(data)))
        # the same once nothing changed since: the cost of the view alone
        data, wall, cpu, wait = d.timed(
            a, "SELECT INBOX (QRESYNC (%d %d))" % (uidv, high + 20))
        same.append((wall, cpu, wait, len(data)))
        a.close()
    holder.close()
    for what, s in (("SELECT (QRESYNC) + 10 changes", sel),
                    ("UID FETCH 1:* (FLAGS) (CHANGEDSINCE m)", fetch),
                    ("SELECT (QRESYNC), nothing changed", same)):
        print("%-40s wall %s ms, daemon CPU %s ms, wait %s ms, %d bytes"
              % (what, speed.spread([x[0] * 1e3 for x in s]),
                 speed.spread([x[1] * 1e3 for x in s]),
                 speed.spread([x[2] * 1e3 for x in s]),
                 statistics.median([x[3] for x in s])))


if __name__ == "__main__":
    main()
