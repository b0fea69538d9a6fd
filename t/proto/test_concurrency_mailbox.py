"""Many sessions on one mailbox (issue 9): client threads append, flag,
expunge, fetch and search in the same INBOX while another process delivers
into new/. Every session keeps a model of its own view (sequence number ->
UID, changed only by the server's EXISTS and EXPUNGE responses, RFC 3501
sec. 7.3.1, 7.4.1) and checks each response against it: UIDs ascend with
sequence numbers, a FETCH of message n names the UID the model has for n,
SEARCH ALL is exactly 1..n, a UID always names the same message (across
all sessions), EXISTS never shrinks without EXPUNGE. Afterwards the folder
and the Maildir's files hold exactly the expected messages. The ThreadSanitizer
build runs this too (shorter), which is where races show.
"""
import os
import random
import re
import subprocess
import sys
import threading
import time

from test_hostile_prelogin import Conn

QUICK = os.environ.get("MAILDOCK_QUICK") == "1"
CLIENTS = 8 if QUICK else 20
SECONDS = 10 if QUICK else 30

DELIVER = r"""
import os, sys, time
md, seconds = sys.argv[1], float(sys.argv[2])
end = time.time() + seconds
n = 0
while time.time() < end:
    name = "%d.M%dP%dQ%d.deliverer" % (time.time(), n, os.getpid(), n)
    data = ("From: mta@example.org\r\nSubject: delivered %d\r\n"
            "Message-ID: <dlv-%d@example.org>\r\n\r\nbody %d\r\n" % (n, n, n))
    with open(os.path.join(md, "tmp", name), "w") as f:
        f.write(data)
    os.rename(os.path.join(md, "tmp", name), os.path.join(md, "new", name))
    n += 1
    time.sleep(0.05)
print(n)
"""


class ModelError(AssertionError):
    pass


class Shared:
    def __init__(self):
        self.lock = threading.Lock()
        self.uid_mid = {}		# UID -> Message-ID, as any session saw it
        self.appended = set()		# Message-IDs whose APPEND got OK
        self.deleted = set()		# Message-IDs a session marked \Deleted
        self.errors = []

    def bind(self, uid, mid):
        with self.lock:
            old = self.uid_mid.setdefault(uid, mid)
        if old != mid:
            raise ModelError("UID %d named %s, now %s" % (uid, old, mid))


FETCH_RE = re.compile(r"^\* (\d+) FETCH \((.*)$", re.S)


class Client:
    """One session with a model of its view."""

    def __init__(self, srv, shared, cid, rng):
        self.c = Conn(srv.imap_port, timeout=60)
        self.shared, self.cid, self.rng = shared, cid, rng
        self.view = []			# seq-1 -> UID or None (not yet known)
        self.n = 0
        self.k = 0
        assert (self.c.line() or "").startswith("* OK")
        assert self.cmd("LOGIN alice@example.org secret-1")[0] == "OK"
        status = self.cmd("SELECT INBOX")[0]
        assert status == "OK"

    # -- protocol
    def read_line(self):
        """A response line with its literals inlined (as str)."""
        line = self.c.line(60)
        if line is None:
            raise ModelError("connection closed")
        while True:
            m = re.search(r"\{(\d+)\}$", line)
            if not m:
                return line
            n = int(m.group(1))
            while len(self.c.buf) < n:
                chunk = self.c.sock.recv(65536)
                if not chunk:
                    raise ModelError("closed in a literal")
                self.c.buf += chunk
            data, self.c.buf = self.c.buf[:n], self.c.buf[n:]
            rest = self.c.line(60) or ""
            line = line + data.decode("utf-8", "replace") + rest

    def cmd(self, text, data=None):
        """Send a command; process every untagged line in order. Returns
        (status, [results of on_line])."""
        self.n += 1
        tag = "c%d" % self.n
        if data is None:
            self.c.send("%s %s\r\n" % (tag, text))
        else:
            self.c.send("%s %s {%d}\r\n" % (tag, text, len(data)))
            cont = self.c.line(60)
            if cont is None or not cont.startswith("+"):
                status = cont.split(" ", 2)[1] if cont and " " in cont else "BYE"
                return status, [], cont or ""
            self.c.send(data + b"\r\n")
        out = []
        while True:
            line = self.read_line()
            if line.startswith(tag + " "):
                return line.split(" ", 2)[1], out, line
            out.append(self.on_line(line, text))

    def on_line(self, line, text):
        m = re.match(r"^\* (\d+) EXISTS", line)
        if m:
            n = int(m.group(1))
            if n < len(self.view):
                raise ModelError("EXISTS %d below %d without EXPUNGE (%s)" % (
                    n, len(self.view), text))
            self.view += [None] * (n - len(self.view))
            return None
        m = re.match(r"^\* (\d+) EXPUNGE", line)
        if m:
            n = int(m.group(1))
            if not 1 <= n <= len(self.view):
                raise ModelError("EXPUNGE %d of %d (%s)" % (n, len(self.view), text))
            if text.startswith(("FETCH", "STORE", "SEARCH")):
                raise ModelError("EXPUNGE during %s (RFC 3501 7.4.1)" % text)
            del self.view[n - 1]
            return None
        m = FETCH_RE.match(line)
        if m:
            n = int(m.group(1))
            if not 1 <= n <= len(self.view):
                raise ModelError("FETCH %d of %d (%s)" % (n, len(self.view), text))
            body = m.group(2)
            u = re.search(r"\bUID (\d+)", body)
            if u:
                uid = int(u.group(1))
                known = self.view[n - 1]
                if known is not None and known != uid:
                    raise ModelError("seq %d is UID %d in the model, server says %d (%s)"
                                     % (n, known, uid, text))
                self.view[n - 1] = uid
                self.check_order()
                mid = re.search(r"Message-ID: <([^>]+)>", body, re.I)
                if mid:
                    self.shared.bind(uid, mid.group(1))
            return ("FETCH", n, body)
        if line.startswith("* SEARCH"):
            nums = [int(x) for x in line.split()[2:]]
            return ("SEARCH", nums, len(self.view))
        return None

    def check_order(self):
        known = [u for u in self.view if u is not None]
        if known != sorted(known) or len(set(known)) != len(known):
            raise ModelError("UIDs not ascending in the view: %s" % known[:20])

    # -- operations
    def op_append(self):
        self.k += 1
        mid = "app-%d-%d@example.org" % (self.cid, self.k)
        data = ("From: c%d@example.org\r\nSubject: appended %d\r\n"
                "Message-ID: <%s>\r\n\r\n%s\r\n" % (self.cid, self.k, mid,
                                                    "text " * self.rng.randrange(1, 400))).encode()
        status, _, line = self.cmd("APPEND INBOX (\\Seen)", data)
        if status == "OK":
            with self.shared.lock:
                self.shared.appended.add(mid)
            m = re.search(r"APPENDUID \d+ (\d+)", line)
            if m:
                self.shared.bind(int(m.group(1)), mid)

    def pick(self):
        return self.rng.randrange(1, len(self.view) + 1) if self.view else None

    def op_fetch_one(self):
        n = self.pick()
        if n is None:
            return
        # a message another session expunged (not yet announced here) may
        # come back as OK without data or NO (RFC 2180 sec. 4.1.2/4.1.3)
        self.cmd("FETCH %d (UID FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])" % n)

    def op_fetch_all(self):
        if self.view:
            self.cmd("FETCH 1:* (UID FLAGS)")

    def op_flag(self):
        n = self.pick()
        if n is None:
            return
        flag = self.rng.choice(["\\Flagged", "\\Answered", "$Label1"])
        sign = self.rng.choice("+-")
        self.cmd("STORE %d %sFLAGS (%s)" % (n, sign, flag))

    def op_delete(self):
        n = self.pick()
        if n is None:
            return
        # learn which message it is first, then delete by UID
        status, out, _ = self.cmd(
            "FETCH %d (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])" % n)
        for o in out:
            if o and o[0] == "FETCH" and o[1] == n:
                mid = re.search(r"Message-ID: <([^>]+)>", o[2], re.I)
                uid = re.search(r"\bUID (\d+)", o[2])
                if mid and uid:
                    with self.shared.lock:
                        self.shared.deleted.add(mid.group(1))
                    self.cmd("UID STORE %s +FLAGS.SILENT (\\Deleted)" % uid.group(1))

    def op_expunge(self):
        self.cmd("EXPUNGE")

    def op_search(self):
        status, out, _ = self.cmd("SEARCH ALL")
        for o in out:
            if o and o[0] == "SEARCH" and o[1] != list(range(1, o[2] + 1)):
                raise ModelError("SEARCH ALL gave %s with %d messages in view" % (
                    o[1][:10], o[2]))

    def op_noop(self):
        self.cmd("NOOP")

    def run(self, until):
        ops = [self.op_append] * 3 + [self.op_fetch_one] * 3 + \
            [self.op_flag] * 2 + [self.op_delete, self.op_expunge,
                                  self.op_search, self.op_noop, self.op_fetch_all]
        try:
            while time.time() < until:
                self.rng.choice(ops)()
            self.cmd("LOGOUT")
        except ModelError as e:
            self.shared.errors.append("client %d: %s" % (self.cid, e))
        except Exception as e:	# noqa: BLE001 - reported below
            self.shared.errors.append("client %d: %r" % (self.cid, e))
        finally:
            self.c.close()


def test_many_sessions_one_mailbox_stay_consistent(server, alice):
    md = server.maildir("alice")
    for sub in ("tmp", "new", "cur"):
        (md / sub).mkdir(parents=True, exist_ok=True)
    shared = Shared()
    seed = int(os.environ.get("MAILDOCK_CONC_SEED", "0")) or random.randrange(1 << 30)
    clients = [Client(server, shared, i, random.Random(seed + i))
               for i in range(CLIENTS)]
    deliverer = subprocess.Popen([sys.executable, "-c", DELIVER, str(md),
                                  str(SECONDS)], stdout=subprocess.PIPE, text=True)
    until = time.time() + SECONDS
    threads = [threading.Thread(target=c.run, args=(until,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(SECONDS + 120)
    out, _ = deliverer.communicate(timeout=60)
    delivered = {"dlv-%d@example.org" % i for i in range(int(out.strip()))}
    assert not any(t.is_alive() for t in threads), "a client hung"
    assert not shared.errors, "seed %d:\n%s" % (seed, "\n".join(shared.errors[:10]))

    # a last session: expunge what is \Deleted and compare with the model
    v = Client(server, shared, 999, random.Random(0))
    assert v.cmd("EXPUNGE")[0] == "OK"
    status, out, line = v.cmd("FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    assert status == "OK", line
    assert len([o for o in out if o]) == len(v.view), (len(v.view), line, out[:3])
    v.cmd("LOGOUT")
    v.c.close()
    present = {}
    for o in out:
        if o and o[0] == "FETCH":
            mid = re.search(r"Message-ID: <([^>]+)>", o[2], re.I).group(1)
            assert mid not in present, "%s twice (seed %d)" % (mid, seed)
            present[mid] = o[2]
            assert "\\Deleted" not in o[2], o
    expected = (shared.appended | delivered) - shared.deleted
    assert set(present) == expected, "seed %d: missing %s, extra %s" % (
        seed, sorted(expected - set(present))[:5], sorted(set(present) - expected)[:5])
    assert len(shared.appended) > CLIENTS and delivered, "too little traffic"
    # the Maildir's files are exactly those messages
    files = {}
    for sub in ("new", "cur"):
        for p in (md / sub).iterdir():
            m = re.search(rb"Message-ID: <([^>]+)>", p.read_bytes(), re.I)
            assert m, p
            mid = m.group(1).decode()
            assert mid not in files, "%s in two files: %s, %s" % (mid, files[mid], p)
            files[mid] = p
    assert set(files) == expected, "files: missing %s, extra %s" % (
        sorted(expected - set(files))[:5], sorted(set(files) - expected)[:5])
    assert not list((md / "tmp").iterdir()), "left in tmp/: %s" % list((md / "tmp").iterdir())
