"""The modification sequence survives SIGKILL (issue 14): the daemon is
killed at random moments during STORE/EXPUNGE/APPEND traffic; after each
restart HIGHESTMODSEQ and every message's MODSEQ are at least what the
client was told, and every change acknowledged before the kill is in the
CHANGEDSINCE answer. 20 kills here; bench/modseq-crash.py runs 200."""
import random
import re
import signal
import threading

from conftest import USERS

FETCH = re.compile(r"^\* \d+ FETCH \(.*UID (\d+).*MODSEQ \((\d+)\)")
FLAGS = ("\\Seen", "\\Flagged", "\\Answered", "$Work", "$Later")


class Client:
    def __init__(self, srv):
        self.c = srv.raw(srv.imap_port)
        self.c.readline()
        self.n = 0
        user, password = USERS["alice"]
        self.ok('LOGIN "%s" "%s"' % (user, password))
        self.ok("ENABLE CONDSTORE")
        self.lines = self.ok("SELECT INBOX")

    def ok(self, line):
        self.n += 1
        tag = "t%d" % self.n
        self.c.sendline("%s %s" % (tag, line))
        lines = self.c.read_until_tagged(tag)
        assert lines[-1].startswith(tag + " OK"), lines
        return lines

    def modseqs(self, lines):
        return {int(m.group(1)): int(m.group(2))
                for m in map(FETCH.match, lines) if m}


def traffic(cl, rnd, acked, gone):
    """Random changes until the connection dies; acked[uid] = the modseq
    the server reported for the last acknowledged change of uid."""
    while True:
        uids = [u for u in cl.modseqs(cl.ok("UID FETCH 1:* (MODSEQ)"))
                if u not in gone]
        op = rnd.random()
        if op < 0.15 or len(uids) < 3:
            data = "From: a@b\r\nSubject: %d\r\n\r\nx\r\n" % rnd.random()
            cl.c.sendline("a APPEND INBOX {%d+}" % len(data))
            cl.c.send(data + "\r\n")
            assert cl.c.read_until_tagged("a")[-1].startswith("a OK")
        elif op < 0.25:
            uid = rnd.choice(uids)
            got = cl.modseqs(cl.ok("UID STORE %d +FLAGS (\\Deleted)" % uid))
            acked.update(got)
            cl.ok("UID EXPUNGE %d" % uid)
            gone.add(uid)
        else:
            uid = rnd.choice(uids)
            sign = rnd.choice("+-")
            got = cl.modseqs(cl.ok("UID STORE %d %sFLAGS (%s)"
                                   % (uid, sign, rnd.choice(FLAGS))))
            acked.update(got)


def check(srv, acked, gone, floor):
    """After a restart: nothing acknowledged went back or missing."""
    cl = Client(srv)
    high = int(re.search(r"HIGHESTMODSEQ (\d+)", " ".join(cl.lines))
               .group(1))
    assert high >= floor, (high, floor)
    now = cl.modseqs(cl.ok("UID FETCH 1:* (MODSEQ)"))
    for uid, ms in acked.items():
        if uid in gone or uid not in now:
            continue
        assert now[uid] >= ms, (uid, now[uid], ms)
        if ms == 1:
            continue             # CHANGEDSINCE takes no 0
        changed = cl.modseqs(cl.ok("UID FETCH %d (MODSEQ) (CHANGEDSINCE %d)"
                                   % (uid, ms - 1)))
        assert uid in changed, (uid, ms)
    cl.c.close()
    return high


def kill_loop(srv, kills, seed=14):
    rnd = random.Random(seed)
    for i in range(4):
        srv.deliver("alice", "From: a@b\r\nSubject: %d\r\n\r\nbody\r\n" % i)
    acked, gone, floor = {}, set(), 0
    for _ in range(kills):
        cl = Client(srv)
        timer = threading.Timer(rnd.uniform(0.02, 0.3),
                                srv.proc.send_signal, [signal.SIGKILL])
        timer.start()
        try:
            traffic(cl, rnd, acked, gone)
        except (EOFError, OSError):
            pass                     # killed mid-command
        timer.join()
        srv.proc.wait()
        srv.proc = None
        srv.log_fh.close()
        cl.c.close()
        srv.start()
        floor = max([floor] + list(acked.values()))
        floor = check(srv, acked, gone, floor)
    return len(acked), floor


def test_modseq_survives_sigkill(make_server):
    changed, high = kill_loop(make_server(), kills=20)
    assert changed > 0 and high > 20   # the kills did land in traffic
