#!/usr/bin/python3
"""IMAP speed of the real maildockd on large Maildirs (issue 5 and the
IMAP side of issue 3). A benchmark, not a test: it asserts nothing, it
prints figures (median and spread of several runs) for doc/PERFORMANCE.md.

    cd build && python3 ../bench/imap-speed.py [fetch] [search] [--runs 7]

fetch   100,000 small messages written straight into cur/ (names with
        ,S= and ,W=), then over IMAP: the first SELECT (scan), the second
        SELECT on the same daemon and after a daemon restart, FETCH 1:*
        (FLAGS UID RFC822.SIZE), FETCH 1:* ENVELOPE (first: parses every
        file and fills the cache; then from the cache in a fresh daemon).
search  10,000 messages copied from ../shared/corpus/messages (repeating
        them), SEARCH BODY <term> against `grep -r -l -i -F <term>` (and
        plain `grep -r -l -F`) over the same cur/ directory.

Each timed command is sent on a raw socket; the client only looks for the
tagged line (it does not parse the answer, so the client costs little).
For every command the script reports wall time (command sent to tagged
line received), the daemon's CPU time (sum over its threads of
/proc/PID/task/*/schedstat run time) and the daemon's run-queue wait
(time its threads were runnable but not running: the cost of a shared,
loaded machine). The machine's load average is printed with each phase.

Run from a build directory (or set top_builddir/top_srcdir). The Maildirs
are kept in --dir (default /tmp/maildock-bench-$USER) and reused when their
message count matches, so a rerun skips the generation.
"""
import argparse
import os
import pathlib
import shutil
import socket
import statistics
import subprocess
import sys
import time

SRC = pathlib.Path(os.environ.get("top_srcdir",
                                  pathlib.Path(__file__).resolve().parent.parent))
os.environ.setdefault("top_srcdir", str(SRC))
os.environ.setdefault("top_builddir", os.getcwd())
sys.path.insert(0, str(SRC / "t" / "proto"))

import conftest  # noqa: E402  (the protocol tests' daemon harness)

SMALL = (b"From: Alice <alice@example.org>\r\nTo: bob@example.org\r\n"
         b"Subject: benchmark message %d\r\n"
         b"Date: Sun, 29 Nov 2026 10:00:00 +0000\r\n"
         b"Message-ID: <%d@bench.example.org>\r\n\r\nHello %d.\r\n")


# ---------------------------------------------------------------- machine

def loadavg():
    return "%.2f %.2f %.2f" % os.getloadavg()


def daemon_threads(pid):
    """{tid: (CPU ns, run-queue wait ns)} of the daemon's live threads."""
    out = {}
    for task in pathlib.Path("/proc/%d/task" % pid).iterdir():
        try:
            f = (task / "schedstat").read_text().split()
        except OSError:
            continue
        out[task.name] = (int(f[0]), int(f[1]))
    return out


def daemon_delta(before, after):
    """CPU and wait seconds the daemon's threads spent between two
    snapshots (a thread that ended in between is left out: only a
    previous session's thread finishing its LOGOUT can)."""
    run = wait = 0
    for tid, (r, w) in after.items():
        r0, w0 = before.get(tid, (0, 0))
        run += r - r0
        wait += w - w0
    return run / 1e9, wait / 1e9


# ---------------------------------------------------------------- Maildirs

def fill_small(md, count):
    """count small messages straight into md/cur, a third each unseen,
    \\Seen, \\Flagged \\Seen; cur/ aged a minute as if delivered earlier."""
    cur = md / "cur"
    for sub in ("tmp", "new", "cur"):
        (md / sub).mkdir(parents=True, exist_ok=True)
    t0 = 1700000000
    for i in range(count):
        body = SMALL % (i, i, i)
        flags = ("", "S", "FS")[i % 3]
        name = "%d.M%dP1.bench,S=%d,W=%d:2,%s" % (t0 + i, i, len(body),
                                                  len(body), flags)
        fd = os.open(cur / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, body)
        os.close(fd)
    age(cur)


def crlf_size(data):
    return len(data) + data.count(b"\n") - data.count(b"\r\n")


def fill_corpus(md, count):
    """count messages copied from the corpus (in INDEX order, repeating)."""
    corpus = conftest.CORPUS / "messages"
    files = sorted(p for p in corpus.rglob("*") if p.is_file())
    if not files:
        sys.exit("no corpus at %s" % corpus)
    for sub in ("tmp", "new", "cur"):
        (md / sub).mkdir(parents=True, exist_ok=True)
    t0 = 1700000000
    for i in range(count):
        data = files[i % len(files)].read_bytes()
        name = "%d.M%dP2.corpus,S=%d,W=%d:2,S" % (t0 + i, i, len(data),
                                                  crlf_size(data))
        (md / "cur" / name).write_bytes(data)
    age(md / "cur")


def age(path):
    t = time.time() - 60
    os.utime(path, (t, t))


def prepare(md, count, fill):
    """Reuse md if it holds exactly count messages and nothing else was
    left by a daemon (a fresh first open needs no UID list or cache)."""
    cur = md / "cur"
    if cur.is_dir() and sum(1 for _ in os.scandir(cur)) == count:
        for p in md.iterdir():
            if p.is_file():
                p.unlink()
        age(cur)
        return "reused"
    shutil.rmtree(md, ignore_errors=True)
    t = time.monotonic()
    fill(md, count)
    return "generated in %.1f s" % (time.monotonic() - t)


# ---------------------------------------------------------------- client

class Client:
    """A raw IMAP client that reads up to the tagged line, nothing more."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=600)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.n = 0
        self.read_tagged(b"*")

    def read_tagged(self, tag):
        want = b"\r\n" + tag + b" " if tag != b"*" else b"\r\n"
        chunks = []
        tail = b"\r\n"
        while True:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise EOFError(b"".join(chunks)[-500:])
            chunks.append(chunk)
            # the last line (a long CAPABILITY greeting too) with the line
            # end before it, across chunk boundaries
            look = (tail + chunk)[-2048:]
            tail = look
            if look.endswith(b"\r\n"):
                i = look.rfind(want, 0, len(look) - 2)
                if i >= 0 and b"\r\n" not in look[i + len(want):-2]:
                    return b"".join(chunks)

    def cmd(self, text):
        """Send one command; return (answer bytes, wall seconds)."""
        self.n += 1
        tag = b"B%d" % self.n
        t = time.perf_counter()
        self.sock.sendall(tag + b" " + text.encode() + b"\r\n")
        data = self.read_tagged(tag)
        wall = time.perf_counter() - t
        data = b"\r\n" + data
        last = data[data.rfind(b"\r\n" + tag + b" ", 0, len(data) - 2) + 2:]
        if not last.startswith(tag + b" OK"):
            raise RuntimeError("%s -> %r" % (text, last[:300]))
        return data, wall

    def close(self):
        try:
            self.cmd("LOGOUT")
        except (OSError, EOFError, RuntimeError):
            pass
        self.sock.close()


class Daemon:
    def __init__(self, workdir, mail_root):
        settings = {"log.level": "info",
                    "mail.location": str(mail_root) + "/%d/%n/Maildir"}
        self.md = conftest.Maildock(workdir, settings)
        self.md.start()
        self.pid = self.md.proc.pid

    def login(self):
        c = Client(self.md.imap_port)
        c.cmd('LOGIN alice@example.org secret-1')
        return c

    def timed(self, client, text):
        """(answer, wall s, daemon CPU s, daemon run-queue wait s)."""
        before = daemon_threads(self.pid)
        data, wall = client.cmd(text)
        cpu, wait = daemon_delta(before, daemon_threads(self.pid))
        return data, wall, cpu, wait

    def stop(self):
        self.md.stop()


# ---------------------------------------------------------------- report

class Table:
    def __init__(self):
        self.rows = []

    def add(self, what, samples):
        """samples: list of (wall, cpu, wait) seconds."""
        self.rows.append((what, samples))
        print("  %-58s %s" % (what, fmt(samples)), flush=True)

    def show(self):
        print("\n| step | runs | wall ms median (min-max) | daemon CPU ms "
              "median (min-max) | run-queue wait ms median |")
        print("|---|---|---|---|---|")
        for what, s in self.rows:
            w = [x[0] * 1e3 for x in s]
            c = [x[1] * 1e3 for x in s]
            q = [x[2] * 1e3 for x in s]
            print("| %s | %d | %s | %s | %.0f |" % (what, len(s), spread(w),
                                                  spread(c),
                                                  statistics.median(q)))


def spread(v):
    if len(v) == 1:
        return "%.0f" % v[0]
    return "%.0f (%.0f-%.0f)" % (statistics.median(v), min(v), max(v))


def fmt(samples):
    w = [x[0] * 1e3 for x in samples]
    c = [x[1] * 1e3 for x in samples]
    q = [x[2] * 1e3 for x in samples]
    return "wall %s ms, CPU %s ms, wait %s ms" % (spread(w), spread(c),
                                                  spread(q))


# ---------------------------------------------------------------- phases

def count_fetch(data):
    return data.count(b" FETCH (")


def phase_fetch(args, table):
    root = args.dir / "fetch"
    md = root / "mail" / "example.org" / "alice" / "Maildir"
    print("fetch: %d messages in %s: %s" % (args.count, md,
                                            prepare(md, args.count, fill_small)))
    print("  load average before: %s" % loadavg())
    d = Daemon(root / "daemon", root / "mail")
    try:
        c = d.login()
        _, *t = d.timed(c, "SELECT INBOX")
        table.add("first SELECT (scan, UIDs assigned)", [t])
        c.close()
        sel, fetch, env = [], [], []
        for _ in range(args.runs):
            c = d.login()
            data, *t = d.timed(c, "SELECT INBOX")
            sel.append(t)
            data, *t = d.timed(c, "FETCH 1:* (FLAGS UID RFC822.SIZE)")
            assert count_fetch(data) == args.count, count_fetch(data)
            fetch.append(t)
            c.close()
        table.add("SELECT, same daemon (second open)", sel)
        table.add("FETCH 1:* (FLAGS UID RFC822.SIZE)", fetch)
        c = d.login()
        d.timed(c, "EXAMINE INBOX")
        data, *t = d.timed(c, "FETCH 1:* ENVELOPE")
        assert count_fetch(data) == args.count
        table.add("FETCH 1:* ENVELOPE, first (parses, fills cache)", [t])
        c.close()
    finally:
        d.stop()
    sel, fetch, env = [], [], []
    for _ in range(args.runs):
        d = Daemon(root / "daemon", root / "mail")
        try:
            c = d.login()
            _, *t = d.timed(c, "SELECT INBOX")
            sel.append(t)
            data, *t = d.timed(c, "FETCH 1:* (FLAGS UID RFC822.SIZE)")
            fetch.append(t)
            data, *t = d.timed(c, "FETCH 1:* ENVELOPE")
            assert count_fetch(data) == args.count
            env.append(t)
            c.close()
        finally:
            d.stop()
    table.add("SELECT, fresh daemon (second open)", sel)
    table.add("FETCH 1:* (FLAGS UID RFC822.SIZE), fresh daemon", fetch)
    table.add("FETCH 1:* ENVELOPE from the cache, fresh daemon", env)
    print("  load average after: %s" % loadavg())


def run_grep(argv):
    """(output, (wall, CPU, run-queue wait) seconds) of one grep run; CPU
    and wait from its schedstat, read while it is a zombie."""
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE)
    out = p.stdout.read()
    os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)
    wall = time.perf_counter() - t
    f = pathlib.Path("/proc/%d/schedstat" % p.pid).read_text().split()
    p.wait()
    return out, (wall, int(f[0]) / 1e9, int(f[1]) / 1e9)


def phase_search(args, table):
    root = args.dir / "search"
    md = root / "mail" / "example.org" / "alice" / "Maildir"
    print("search: %d corpus messages in %s: %s" % (
        args.corpus_count, md, prepare(md, args.corpus_count, fill_corpus)))
    print("  load average before: %s" % loadavg())
    cur = str(md / "cur")
    d = Daemon(root / "daemon", root / "mail")
    try:
        c = d.login()
        d.timed(c, "SELECT INBOX")
        for term in args.terms:
            # warm the page cache (and whatever the daemon caches) once
            subprocess.run(["grep", "-r", "-l", "-F", term, cur],
                           stdout=subprocess.DEVNULL)
            _, *t = d.timed(c, 'SEARCH BODY "%s"' % term)
            table.add('SEARCH BODY "%s", first' % term, [t])
            srch, gi, gp = [], [], []
            hits = None
            for _ in range(args.runs):
                data, *t = d.timed(c, 'SEARCH BODY "%s"' % term)
                srch.append(t)
                line = data.split(b"\r\n")[1]
                hits = len(line.split()) - 2
                out, t = run_grep(["grep", "-r", "-l", "-i", "-F", term, cur])
                gi.append(t)
                ghits_i = out.count(b"\n")
                out, t = run_grep(["grep", "-r", "-l", "-F", term, cur])
                gp.append(t)
                ghits = out.count(b"\n")
            table.add('SEARCH BODY "%s" (%d hits)' % (term, hits), srch)
            table.add('grep -r -l -i -F "%s" (%d files)' % (term, ghits_i), gi)
            table.add('grep -r -l -F "%s" (%d files)' % (term, ghits), gp)
            ratio = statistics.median(x[0] for x in srch) / \
                statistics.median(x[0] for x in gi)
            cpu = statistics.median(x[1] for x in srch) / \
                statistics.median(x[1] for x in gi)
            print("  SEARCH / grep -i: wall ratio %.2f, CPU ratio %.2f "
                  "(target: wall ratio <= 2)" % (ratio, cpu))
        c.close()
    finally:
        d.stop()
    print("  load average after: %s" % loadavg())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("phases", nargs="*", default=["fetch", "search"],
                    help="fetch, search (default: both)")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--count", type=int, default=100000)
    ap.add_argument("--corpus-count", type=int, default=10000)
    ap.add_argument("--terms", nargs="+",
                    default=["zqxjvk-not-anywhere", "invoice"])
    ap.add_argument("--dir", type=pathlib.Path,
                    default=pathlib.Path("/tmp/maildock-bench-%s"
                                         % os.environ.get("USER", "x")))
    args = ap.parse_args()
    if set(args.phases) - {"fetch", "search"}:
        ap.error("phases are fetch and search")
    args.dir.mkdir(parents=True, exist_ok=True)
    print("maildockd: %s; %d CPUs; %s" % (
        pathlib.Path(os.environ["top_builddir"]) / "maildockd",
        os.cpu_count(), time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())))
    table = Table()
    for phase in args.phases:
        {"fetch": phase_fetch, "search": phase_search}[phase](args, table)
    table.show()


if __name__ == "__main__":
    main()
