#!/usr/bin/python3
"""SEARCH with the full-text index (issue 20) against the scanning search
and grep -r. A benchmark, not a test: it asserts only that both daemons
give the same answers, and prints figures for doc/PERFORMANCE.md.

    cd build && python3 ../bench/search-index.py [--count 100000] [--runs 5]

The folder: --count messages copied from ../shared/corpus/messages
(repeating them), as bench/imap-speed.py's search phase builds it. Steps:
1. a daemon with search.index = yes: the first SEARCH BODY indexes every
   message (the indexing rate), then the index file's size against the
   folder's;
2. SEARCH BODY for each term, --runs times, with the index current;
3. the same with a daemon with search.index = no (the scan; fewer runs);
4. grep -r -l -i -F over cur/.
Times are wall (command sent to tagged line), the daemon's CPU and its
run-queue wait (bench/imap-speed.py measures the same way).
"""
import importlib.util
import os
import pathlib
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("imap_speed",
                                              HERE / "imap-speed.py")
speed = importlib.util.module_from_spec(spec)
spec.loader.exec_module(speed)

INDEX_FILE = "maildock-fts.sqlite"


class Daemon(speed.Daemon):
    """imap-speed's daemon, with extra settings."""

    def __init__(self, workdir, mail_root, extra):
        settings = {"log.level": "info",
                    "mail.location": str(mail_root) + "/%d/%n/Maildir"}
        settings.update(extra)
        self.md = speed.conftest.Maildock(workdir, settings)
        self.md.start()
        self.pid = self.md.proc.pid

    def threads(self):
        """imap-speed's per-thread counters over the master and every
        worker process (sessions run in the workers)."""
        out = {}
        for pid in self.md.pids():
            for tid, v in speed.daemon_threads(pid).items():
                out[tid] = v
        return out

    def timed(self, client, text):
        before = self.threads()
        data, wall = client.cmd(text)
        cpu, wait = speed.daemon_delta(before, self.threads())
        return data, wall, cpu, wait


def du(path):
    out = subprocess.run(["du", "-sb", str(path)], capture_output=True,
                         text=True).stdout
    return int(out.split()[0])


def hits(data):
    line = next(x for x in data.split(b"\r\n") if x.startswith(b"* SEARCH"))
    return sorted(int(x) for x in line.split()[2:])


def searches(d, table, label, terms, runs):
    answers = {}
    c = d.login()
    d.timed(c, "SELECT INBOX")
    for term in terms:
        samples = []
        for _ in range(runs):
            data, *t = d.timed(c, 'SEARCH BODY "%s"' % term)
            samples.append(t)
        answers[term] = hits(data)
        table.add('%s: SEARCH BODY "%s" (%d hits)' % (
            label, term, len(answers[term])), samples)
    c.close()
    return answers


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--scan-runs", type=int, default=3)
    ap.add_argument("--reuse-index", action="store_true",
                    help="keep the index of the last run (no indexing)")
    ap.add_argument("--terms", nargs="+",
                    default=["zqxjvk-not-anywhere", "invoice", "mailing"])
    ap.add_argument("--dir", type=pathlib.Path,
                    default=pathlib.Path("/tmp/maildock-bench-%s"
                                         % os.environ.get("USER", "x")))
    args = ap.parse_args()
    root = args.dir / ("index-%d" % args.count)
    md = root / "mail" / "example.org" / "alice" / "Maildir"
    print("maildockd: %s; %d CPUs; %s" % (
        pathlib.Path(os.environ["top_builddir"]) / "maildockd",
        os.cpu_count(), time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())))
    saved = root / INDEX_FILE
    if args.reuse_index and (md / INDEX_FILE).exists():
        os.replace(md / INDEX_FILE, saved)
    print("folder: %d corpus messages in %s: %s" % (
        args.count, md, speed.prepare(md, args.count, speed.fill_corpus)))
    if args.reuse_index and saved.exists():
        os.replace(saved, md / INDEX_FILE)
        print("index: reused from the last run (indexing not timed)")
    print("load average before: %s" % speed.loadavg())
    table = speed.Table()
    d = Daemon(root / "indexed", root / "mail", {})
    try:
        c = d.login()
        d.timed(c, "SELECT INBOX")
        data, *t = d.timed(c, 'SEARCH BODY "%s"' % args.terms[0])
        table.add("first SEARCH BODY: indexes what is missing", [t])
        if not args.reuse_index:
            print("indexing rate: %.0f messages/s (wall), %.0f per CPU "
                  "second" % (args.count / t[0], args.count / max(t[1],
                                                                  1e-9)))
        c.close()
        size, folder = du(md / INDEX_FILE), du(md / "cur")
        print("index: %d bytes, folder cur/: %d bytes: %.1f %%" % (
            size, folder, 100.0 * size / folder))
        with_index = searches(d, table, "index", args.terms, args.runs)
    finally:
        d.stop()
    d = Daemon(root / "scan", root / "mail", {"search.index": "no"})
    try:
        scan = searches(d, table, "scan", args.terms, args.scan_runs)
    finally:
        d.stop()
    for term in args.terms:
        assert with_index[term] == scan[term], term
        samples = []
        for _ in range(args.scan_runs):
            out, t = speed.run_grep(["grep", "-r", "-l", "-i", "-F", term,
                                     str(md / "cur")])
            samples.append(t)
        table.add('grep -r -l -i -F "%s" (%d files)' % (
            term, out.count(b"\n")), samples)
    print("load average after: %s" % speed.loadavg())
    table.show()


if __name__ == "__main__":
    sys.exit(main())
