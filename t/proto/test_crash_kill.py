"""Crash safety (issue 9): the daemon is killed with SIGKILL at random
points while a client runs APPEND, COPY, MOVE, STORE+EXPUNGE or RENAME in a
loop, then restarted. After each restart, as a client sees it:
  - no acknowledged change is lost (an APPEND/COPY answered OK is there,
    an EXPUNGE answered OK is gone, a RENAME answered OK has happened);
  - nothing is duplicated (each message at most once per folder), and no
    message is partial (its bytes equal what was sent);
  - no UID is reused: a UID keeps naming the same message forever, and new
    messages get UIDs above every UID seen before (RFC 3501 2.3.1.1);
  - UIDVALIDITY is unchanged.
The command in flight at the kill may or may not have happened, but
completely or not at all. Kill points are random (seeded per round; the
seed is in the failure message). The UID-list update is covered by the
delivery round: messages written into new/ get their UIDs at SELECT while
the kill lands.
"""
import imaplib
import os
import random
import re
import signal
import threading
import time

import pytest

QUICK = os.environ.get("MAILDOCK_QUICK") == "1"
ROUNDS = 3 if QUICK else 8


def message(i, tag="crash"):
    body = "".join("%s %d line %d of a message padded to some kilobytes\r\n"
                   % (tag, i, n) for n in range(20 + (i * 37) % 300))
    return ("From: crash@example.org\r\nTo: alice@example.org\r\n"
            "Subject: %s %d\r\nMessage-ID: <%s-%d@example.org>\r\n"
            "Date: Mon, 01 Jan 2024 10:00:00 +0000\r\n\r\n%s"
            % (tag, i, tag, i, body)).encode()


def msgid_of(data):
    m = re.search(rb"Message-ID: <([^>]+)>", data)
    return m.group(1).decode() if m else None


def norm(data):
    return data.replace(b"\r\n", b"\n")


def restart(srv):
    """SIGKILL (if still running) and start again on the same ports."""
    if srv.proc is not None and srv.proc.poll() is None:
        srv.kill_all()
    if srv.proc is not None:
        srv.proc.wait()
        srv.log_fh.close()
    srv.proc = None
    deadline = time.time() + 20
    while True:
        try:
            srv.start()
            return
        except RuntimeError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)


def login(srv):
    m = srv.imap()
    m.login("alice@example.org", "secret-1")
    return m


def folder_state(srv, box):
    """(uidvalidity, {uid: message bytes}) of a folder, or (None, None)
    when it does not exist."""
    m = login(srv)
    try:
        # EXAMINE: looking must not change the folder (a CLOSE after a
        # SELECT would expunge the messages still marked \Deleted)
        typ, data = m.select('"%s"' % box, readonly=True)
        if typ != "OK":
            return None, None
        typ, data = m.response("UIDVALIDITY")
        validity = int(data[0])
        out = {}
        typ, data = m.uid("FETCH", "1:*", "(UID BODY.PEEK[])")
        assert typ == "OK", data
        for item in data:
            if isinstance(item, tuple):
                uid = int(re.search(rb"UID (\d+)", item[0]).group(1))
                out[uid] = item[1]
        m.close()
        return validity, out
    finally:
        m.logout()


class Ledger:
    """What the client has seen of one folder across restarts."""

    def __init__(self, name):
        self.name = name
        self.validity = None
        self.uids = {}		# uid -> Message-ID, forever
        self.max_uid = 0

    def check(self, validity, msgs, sent, must, may, note):
        """msgs: {uid: bytes} now; sent: {msgid: bytes} every message
        ever sent; must: msgids that have to be there; may: msgids that
        may be there (in flight at the kill)."""
        if self.validity is None:
            self.validity = validity
        assert validity == self.validity, "%s: UIDVALIDITY changed %s -> %s (%s)" % (
            self.name, self.validity, validity, note)
        seen = {}
        for uid, data in sorted(msgs.items()):
            mid = msgid_of(data)
            assert mid is not None, "%s: UID %d has no Message-ID (%s)" % (
                self.name, uid, note)
            assert mid not in seen, "%s: %s twice, UIDs %d and %d (%s)" % (
                self.name, mid, seen[mid], uid, note)
            seen[mid] = uid
            assert norm(data) == norm(sent[mid]), \
                "%s: UID %d (%s) is not the message sent: %d vs %d octets (%s)" % (
                    self.name, uid, mid, len(data), len(sent[mid]), note)
            if uid in self.uids:
                assert self.uids[uid] == mid, "%s: UID %d reused: was %s, now %s (%s)" % (
                    self.name, uid, self.uids[uid], mid, note)
            else:
                assert uid > self.max_uid, \
                    "%s: new UID %d not above %d seen before (%s)" % (
                        self.name, uid, self.max_uid, note)
        for uid, data in msgs.items():
            self.uids[uid] = msgid_of(data)
        self.max_uid = max([self.max_uid] + list(msgs))
        missing = set(must) - set(seen)
        assert not missing, "%s: acknowledged messages lost: %s (%s)" % (
            self.name, sorted(missing)[:5], note)
        extra = set(seen) - set(must) - set(may)
        assert not extra, "%s: messages that should not be there: %s (%s)" % (
            self.name, sorted(extra)[:5], note)
        return seen


def run_and_kill(srv, worker, rng):
    """Run worker(m, stop) in a thread on a logged-in connection and
    SIGKILL the daemon after a random time."""
    m = login(srv)
    stop = threading.Event()
    errors = []

    def body():
        try:
            worker(m, stop)
        except (imaplib.IMAP4.abort, imaplib.IMAP4.error, OSError, EOFError):
            pass
        except Exception as e:		# a test bug: report it
            errors.append(e)
    t = threading.Thread(target=body, daemon=True)
    t.start()
    time.sleep(rng.uniform(0.05, 0.6))
    srv.kill_all()
    stop.set()
    t.join(30)
    assert not t.is_alive(), "client thread hung after the kill"
    assert not errors, errors
    try:
        m.shutdown()
    except OSError:
        pass


def seeded(request):
    seed = int(os.environ.get("MAILDOCK_CRASH_SEED", "0")) or random.randrange(1 << 30)
    return seed, random.Random(seed)


def test_kill_during_append(make_server, request):
    seed, rng = seeded(request)
    srv = make_server({})
    led = Ledger("INBOX")
    sent, acked, inflight = {}, set(), set()
    counter = [0]
    for rnd in range(ROUNDS):
        def worker(m, stop):
            while not stop.is_set():
                i = counter[0]
                counter[0] += 1
                data = message(i)
                mid = msgid_of(data)
                sent[mid] = data
                inflight.add(mid)
                flags = "(\\Seen)" if i % 2 else None
                typ, _ = m.append("INBOX", flags, None, data)
                if typ == "OK":
                    acked.add(mid)
                inflight.discard(mid)
        run_and_kill(srv, worker, rng)
        restart(srv)
        validity, msgs = folder_state(srv, "INBOX")
        present = led.check(validity, msgs, sent, acked, inflight,
                            "round %d seed %d" % (rnd, seed))
        # what survived in flight is now as good as acknowledged
        acked |= set(present)
        inflight.clear()
    assert len(acked) >= ROUNDS, "too few APPENDs got through: %d" % len(acked)


def _fill(srv, n, tag="src"):
    sent = {}
    m = login(srv)
    for i in range(n):
        data = message(i, tag)
        sent[msgid_of(data)] = data
        typ, _ = m.append("INBOX", None, None, data)
        assert typ == "OK"
    m.logout()
    return sent


@pytest.mark.parametrize("verb", ["COPY", "MOVE"])
def test_kill_during_copy_and_move(make_server, request, verb):
    seed, rng = seeded(request)
    srv = make_server({})
    sent = _fill(srv, 40 if QUICK else 80)
    m = login(srv)
    if verb == "MOVE" and "MOVE" not in m.capabilities:
        m.logout()
        pytest.skip("MOVE not advertised")
    m.create("Dest")
    m.logout()
    src, dst = Ledger("INBOX"), Ledger("Dest")
    v, msgs = folder_state(srv, "INBOX")
    src.check(v, msgs, sent, sent, (), "before")
    order = sorted(msgs)			# source UIDs, each copied once
    uid_mid = {u: msgid_of(d) for u, d in msgs.items()}
    done, inflight = set(), set()
    pos = [0]
    for rnd in range(ROUNDS):
        def worker(m, stop):
            m.select("INBOX")
            while not stop.is_set() and pos[0] < len(order):
                uid = order[pos[0]]
                pos[0] += 1
                inflight.add(uid_mid[uid])
                typ, _ = m.uid(verb, str(uid), "Dest")
                if typ == "OK":
                    done.add(uid_mid[uid])
                inflight.discard(uid_mid[uid])
        run_and_kill(srv, worker, rng)
        restart(srv)
        note = "%s round %d seed %d" % (verb, rnd, seed)
        v, dmsgs = folder_state(srv, "Dest")
        in_dest = dst.check(v, dmsgs, sent, done, inflight, note)
        v, smsgs = folder_state(srv, "INBOX")
        if verb == "COPY":
            src.check(v, smsgs, sent, sent, (), note)
        else:
            # moved: gone from INBOX once acknowledged; in flight: in
            # exactly one of the two folders (never lost, never both)
            left = set(sent) - done - inflight
            in_src = src.check(v, smsgs, sent, left, inflight, note)
            for mid in inflight:
                assert (mid in in_src) != (mid in in_dest), \
                    "%s in %s after a killed MOVE (%s)" % (
                        mid, "both" if mid in in_src else "neither", note)
        done |= set(in_dest)
        inflight.clear()
        if pos[0] >= len(order):
            break


def test_kill_during_store_and_expunge(make_server, request):
    seed, rng = seeded(request)
    srv = make_server({})
    sent = _fill(srv, 40 if QUICK else 80)
    led = Ledger("INBOX")
    v, msgs = folder_state(srv, "INBOX")
    led.check(v, msgs, sent, sent, (), "before")
    uid_mid = {u: msgid_of(d) for u, d in msgs.items()}
    order = sorted(msgs)
    gone, inflight = set(), set()
    pos = [0]
    for rnd in range(ROUNDS):
        def worker(m, stop):
            m.select("INBOX")
            while not stop.is_set() and pos[0] < len(order):
                uid = order[pos[0]]
                pos[0] += 1
                # flag changes on the neighbours too: renames in cur/
                m.uid("STORE", "%d:*" % uid, "+FLAGS.SILENT", "(\\Flagged)")
                inflight.add(uid_mid[uid])
                m.uid("STORE", str(uid), "+FLAGS.SILENT", "(\\Deleted)")
                typ, _ = m.expunge()
                if typ == "OK":
                    gone.add(uid_mid[uid])
                inflight.discard(uid_mid[uid])
        run_and_kill(srv, worker, rng)
        restart(srv)
        v, msgs = folder_state(srv, "INBOX")
        left = set(sent) - gone - inflight
        present = led.check(v, msgs, sent, left, inflight,
                            "round %d seed %d" % (rnd, seed))
        gone |= inflight - set(present)
        # a message in flight that survived may carry the \Deleted the
        # kill interrupted; the user takes it back, so that the next
        # round's EXPUNGE keeps it
        back = [u for u, d in msgs.items() if msgid_of(d) in inflight]
        if back:
            m = login(srv)
            m.select("INBOX")
            m.uid("STORE", ",".join(map(str, back)), "-FLAGS.SILENT",
                  "(\\Deleted)")
            m.logout()
        inflight.clear()
        if pos[0] >= len(order):
            break
    assert gone, "no EXPUNGE got through"


def test_kill_during_rename(make_server, request):
    seed, rng = seeded(request)
    srv = make_server({})
    m = login(srv)
    m.create("Ping")
    sent = {}
    for i in range(20):
        data = message(i, "ren")
        sent[msgid_of(data)] = data
        assert m.append("Ping", None, None, data)[0] == "OK"
    m.logout()
    names = ["Ping", "Pong"]
    where = [0]			# index of the acknowledged name
    target = [None]
    ledgers = {}
    for rnd in range(ROUNDS):
        def worker(m, stop):
            while not stop.is_set():
                a, b = names[where[0]], names[1 - where[0]]
                target[0] = 1 - where[0]
                typ, _ = m.rename(a, b)
                if typ == "OK":
                    where[0] = 1 - where[0]
                target[0] = None
        run_and_kill(srv, worker, rng)
        restart(srv)
        note = "round %d seed %d" % (rnd, seed)
        states = {n: folder_state(srv, n) for n in names}
        exists = [n for n in names if states[n][1] is not None]
        allowed = {names[where[0]]}
        if target[0] is not None:
            allowed.add(names[target[0]])
        assert len(exists) == 1, "after a killed RENAME: %s exist (%s)" % (exists, note)
        assert exists[0] in allowed, (exists, allowed, note)
        name = exists[0]
        where[0] = names.index(name)
        msgs = states[name][1]
        got = {msgid_of(d) for d in msgs.values()}
        assert got == set(sent), "messages lost or added by RENAME: %s (%s)" % (
            sorted(set(sent) ^ got)[:5], note)
        assert len(msgs) == len(sent), note
        # UIDs survive a rename (the UID list moves with the folder)
        led = ledgers.setdefault("x", Ledger("renamed"))
        led.validity = states[name][0] if led.validity is None else led.validity
        led.check(led.validity, msgs, sent, sent, (), note)


def test_kill_while_new_mail_gets_uids(make_server, request):
    """Mail delivered into new/ gets UIDs at SELECT (UID list update);
    killed while that happens, the next SELECT keeps every UID already
    handed out and gives the rest UIDs above them."""
    seed, rng = seeded(request)
    srv = make_server({})
    led = Ledger("INBOX")
    sent = {}
    n = 0
    for rnd in range(ROUNDS):
        for _ in range(40):
            data = message(n, "dlv")
            sent[msgid_of(data)] = data
            srv.deliver("alice", data)
            n += 1

        def worker(m, stop):
            while not stop.is_set():
                m.select("INBOX")
                m.uid("FETCH", "1:*", "(UID FLAGS)")
                m.close()
        run_and_kill(srv, worker, rng)
        restart(srv)
        v, msgs = folder_state(srv, "INBOX")
        led.check(v, msgs, sent, sent, (), "round %d seed %d" % (rnd, seed))
