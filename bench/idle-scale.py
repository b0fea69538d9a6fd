#!/usr/bin/python3
"""IDLE at scale (issue 12 targets: 10,000 IDLE sessions in <= 0.5 GB in
all, delivery to an IDLE client p99 < 100 ms at 5,000 idlers, for APPEND
by another session and for files dropped into new/ by an MTA).

Starts a maildockd (pwfile users, log.level = warning, RLIMIT_NOFILE raised
to the hard limit), then opens IDLE sessions in steps (default 1,000,
5,000, 10,000; PER_USER sessions per user, each on its user's INBOX) from
PROCS client processes (asyncio), and at each step prints the daemon's RSS
and PSS (/proc/PID/smaps_rollup), descriptors and threads, and per-session
figures (descriptors per session include the per-folder files that storage
keeps open, shared by the sessions of a folder). At the --latency-at step it delivers SAMPLES messages one at a
time, each to a random user, first by APPEND from another session, then as
files renamed from tmp/ into new/, and prints the time from the delivery
to each of that user's idlers reading "* N EXISTS" (p50, p99, max).

    cd build && sudo python3 ../bench/idle-scale.py
    python3 ../bench/idle-scale.py --steps 1000,5000 --samples 100

Run from a build directory (or set top_builddir/top_srcdir), as root or
with a hard RLIMIT_NOFILE above the largest step plus the client side."""
import argparse
import asyncio
import multiprocessing
import os
import pathlib
import platform
import random
import resource
import shutil
import socket
import statistics
import sys
import tempfile
import time

SRC = pathlib.Path(os.environ.get("top_srcdir",
                                  pathlib.Path(__file__).resolve().parent.parent))
BUILD = pathlib.Path(os.environ.get("top_builddir", os.getcwd()))
MSG = b"From: bench@example.org\r\nSubject: idle-scale\r\n\r\nhello\r\n"


def user(i):
    return "u%05d@example.org" % i


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def start_daemon(tmp, nusers, max_conn):
    port = free_port()
    users = tmp / "users"
    with open(users, "w") as f:
        for i in range(nusers):
            f.write("%s:{PLAIN}pw%d::::%s::\n" % (user(i), i, tmp / "home"))
    conf = {
        "imap.listen": "127.0.0.1:%d" % port,
        "imaps.listen": "", "pop3.listen": "", "pop3s.listen": "",
        "auth.modules": "pwfile",
        "auth.module_dir": str(BUILD / "authmods" / ".libs"),
        "auth.pwfile.path": str(users),
        "auth.failure_delay": "0s",
        "mail.location": str(tmp / "mail") + "/%n/Maildir",
        "limits.max_connections": str(max_conn),
        "limits.max_connections_per_ip": str(max_conn),
        "log.level": "warning",
    }
    with open(tmp / "maildock.conf", "w") as f:
        for k, v in conf.items():
            f.write('%s = "%s"\n' % (k, v))
    log = open(tmp / "maildockd.log", "ab")
    import subprocess
    proc = subprocess.Popen([str(BUILD / "maildockd"), "-F", "-c",
                             str(tmp / "maildock.conf")], stdout=log,
                            stderr=subprocess.STDOUT)
    deadline = time.time() + 30
    while True:     # log.level = warning: no "started" line to wait for
        try:
            socket.create_connection(("127.0.0.1", port)).close()
            return proc, port
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            raise SystemExit("maildockd did not start:\n" +
                             (tmp / "maildockd.log").read_text())
        time.sleep(0.05)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def maildir(tmp, i):
    return tmp / "mail" / user(i).split("@")[0] / "Maildir"


def proc_figures(pid):
    fig = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            k, _, rest = line.partition(":")
            if k in ("Rss", "Pss"):
                fig[k] = int(rest.split()[0]) * 1024
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Threads:"):
                fig["Threads"] = int(line.split()[1])
    fig["fds"] = len(os.listdir("/proc/%d/fd" % pid))
    return fig


# ---- client processes: hold sessions, report EXISTS arrivals

async def idler(port, uidx, ready, events):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b'l LOGIN "%s" "pw%d"\r\ns SELECT INBOX\r\ni IDLE\r\n'
                 % (user(uidx).encode(), uidx))
    await writer.drain()
    while True:
        line = await reader.readline()
        if not line or line.startswith(b"l NO") or line.startswith(b"* BYE"):
            ready.set_exception(SystemExit("idler %d: %r" % (uidx, line)))
            return
        if line.startswith(b"+ "):
            break
    ready.set_result(True)
    while True:
        line = await reader.readline()
        if not line:
            return
        if line.endswith(b" EXISTS\r\n"):
            events.put((uidx, time.monotonic()))


def client_main(port, assigned, cmdq, events, readyq):
    """assigned: the user index of each session this process holds; cmdq
    says how many more of them to open (None: stop)."""
    raise_nofile()

    async def run():
        loop = asyncio.get_running_loop()
        sem = asyncio.Semaphore(50)     # logins in flight
        tasks = []

        async def one(u):
            async with sem:
                ready = loop.create_future()
                tasks.append(asyncio.ensure_future(
                    idler(port, u, ready, events)))
                await ready
        opened = 0
        while True:
            n = await loop.run_in_executor(None, cmdq.get)
            if n is None:
                return
            await asyncio.gather(*(one(u) for u in
                                   assigned[opened:opened + n]))
            opened += n
            readyq.put(opened)
    asyncio.run(run())


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def measure_latency(kind, tmp, port, nusers, per_user, samples, events):
    import imaplib
    lat = []
    missing = 0
    appender = {}
    for n in range(samples):
        u = random.randrange(nusers)
        while not events.empty():
            events.get()
        if kind == "append":
            if u not in appender:
                m = imaplib.IMAP4("127.0.0.1", port)
                m.login(user(u), "pw%d" % u)
                appender[u] = m
            t0 = time.monotonic()
            appender[u].append("INBOX", None, None, MSG)
        else:
            md = maildir(tmp, u)
            name = "%d.M%dP%dQ%d.bench" % (time.time(), n, os.getpid(), n)
            (md / "tmp" / name).write_bytes(MSG)
            t0 = time.monotonic()
            os.rename(md / "tmp" / name, md / "new" / name)
        got = 0
        deadline = time.time() + 70
        while got < per_user and time.time() < deadline:
            try:
                uidx, t = events.get(timeout=1)
            except Exception:
                continue
            if uidx == u:
                lat.append((t - t0) * 1000)
                got += 1
        missing += per_user - got
        time.sleep(0.02)
    for m in appender.values():
        m.logout()
    return lat, missing


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", default="1000,5000,10000")
    ap.add_argument("--per-user", type=int, default=2)
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--latency-at", type=int, default=5000)
    ap.add_argument("--samples", type=int, default=200)
    args = ap.parse_args()
    steps = [int(x) for x in args.steps.split(",")]
    top = max(steps)
    hard = raise_nofile()
    if hard < top + 200:
        raise SystemExit("RLIMIT_NOFILE hard limit %d is too low for %d "
                         "sessions" % (hard, top))
    nusers = (top + args.per_user - 1) // args.per_user
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="idle-scale-"))
    for i in range(nusers):
        for sub in ("tmp", "new", "cur"):
            (maildir(tmp, i) / sub).mkdir(parents=True)
    proc, port = start_daemon(tmp, nusers, top + 100)
    print("# %s, %s, %d cores, maildockd pid %d" % (
        time.strftime("%Y-%m-%d %H:%M"), platform.platform(),
        os.cpu_count(), proc.pid))
    base = proc_figures(proc.pid)
    print("# empty daemon: RSS %.1f MB, %d fds, %d threads" % (
        base["Rss"] / 1e6, base["fds"], base["Threads"]))
    # session k belongs to user k // per_user; spread over the processes
    order = [k // args.per_user for k in range(top)]
    assigned = [order[p::args.procs] for p in range(args.procs)]
    events = multiprocessing.Queue()
    readyq = multiprocessing.Queue()
    cmdqs = [multiprocessing.Queue() for _ in range(args.procs)]
    procs = [multiprocessing.Process(target=client_main, daemon=True,
                                     args=(port, assigned[p], cmdqs[p], events,
                                           readyq))
             for p in range(args.procs)]
    for p in procs:
        p.start()
    have = 0
    try:
        for step in steps:
            t0 = time.time()
            shares = [len(range(p, step, args.procs)) -
                      len(range(p, have, args.procs))
                      for p in range(args.procs)]
            for p in range(args.procs):
                cmdqs[p].put(shares[p])
            for _ in range(args.procs):
                readyq.get(timeout=600)
            have = step
            took = time.time() - t0
            time.sleep(12)      # idle resume threads end after 10 s
            while not events.empty():
                events.get()
            fig = proc_figures(proc.pid)
            print("%6d idlers: RSS %6.1f MB (%5.1f KB/session), PSS %6.1f MB,"
                  " %.3f fds/session, %d threads; opened in %.1f s" % (
                      step, fig["Rss"] / 1e6,
                      (fig["Rss"] - base["Rss"]) / step / 1024,
                      fig["Pss"] / 1e6, (fig["fds"] - base["fds"]) / step,
                      fig["Threads"], took))
            sys.stdout.flush()
            if step == args.latency_at:
                for kind in ("append", "file"):
                    lat, missing = measure_latency(
                        kind, tmp, port, step // args.per_user,
                        args.per_user, args.samples, events)
                    print("       %-6s delivery to %d idlers: p50 %.1f ms, "
                          "p99 %.1f ms, max %.1f ms, mean %.1f ms, "
                          "%d missing" % (
                              kind, len(lat), percentile(lat, 50),
                              percentile(lat, 99), max(lat),
                              statistics.mean(lat), missing))
                    sys.stdout.flush()
    finally:
        for q in cmdqs:
            q.put(None)
        proc.terminate()
        proc.wait(timeout=60)
        for p in procs:
            p.terminate()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
