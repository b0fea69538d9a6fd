"""A model of users' mailboxes and the clients that check maildockd against
it (issue 12), for test_model_concurrency.py and bench/model-soak.sh.

The model knows, per user and folder, the messages (identified by a unique
Message-ID header), their flags and keywords, and the UIDs the server gave
them. Every response is checked against it: command results, untagged
EXISTS/EXPUNGE/FETCH (RFC 3501 7.3.1, 7.4.1, 7.4.2), UIDs that never move
and are never reused within one UIDVALIDITY (RFC 3501 2.3.1.1), no message
lost or duplicated.
"""
import re
import socket

HEADER_RE = re.compile(rb"Message-ID: <([^>]*)>", re.I)
FLAGS_RE = re.compile(r"FLAGS \(([^)]*)\)")
UID_RE = re.compile(r"UID (\d+)")


class ModelError(AssertionError):
    pass


class Bye(ModelError):
    """The server ended the session with "* BYE" (its selected mailbox
    was deleted, renamed away or replaced, as Dovecot does)."""


class Imap:
    """One IMAP session over a raw socket: tagged commands, every untagged
    response collected (literals included) for the caller to check."""

    def __init__(self, port, user, password, timeout=60):
        self.login = (port, user, password, timeout)
        self.trace, self.name = None, user.split("@")[0]
        self.n = 0	# tags go on across reconnections
        self.connect()

    def connect(self):
        """(Re)connect and log in; nothing selected."""
        port, user, password, timeout = self.login
        self.sock = socket.create_connection(("127.0.0.1", port),
                                             timeout=timeout)
        self.buf = b""
        greeting = self.line()
        if not greeting.startswith(b"* OK"):
            raise ModelError("greeting %r" % greeting)
        status, _, text = self.cmd("LOGIN %s %s" % (user, password))
        if status != "OK":
            raise ModelError("LOGIN %s: %s" % (user, text))
        self.selected = None	# folder name, or None
        self.view = []		# seq-1 -> UID (None: not known yet)
        self.stale = False	# selected folder deleted or renamed away
        self.select_tag = None	# a SELECT sent in a burst
        self.doomed = False	# selected folder surely gone: BYE due

    def reconnect(self):
        self.close()
        self.connect()

    def recv(self):
        try:
            return self.sock.recv(65536)
        except ConnectionResetError:
            return b""

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.recv()
            if not chunk:
                raise ModelError("connection closed by the server")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def exact(self, n):
        while len(self.buf) < n:
            chunk = self.recv()
            if not chunk:
                raise ModelError("connection closed by the server")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def response(self):
        """One response: its text lines joined, literals apart."""
        text, lits = b"", []
        while True:
            line = self.line()
            m = re.search(rb"\{(\d+)\}$", line)
            if not m:
                return (text + line).decode("utf-8", "replace"), lits
            text += line + b" "
            lits.append(self.exact(int(m.group(1))))

    def send(self, command, literal=None):
        self.n += 1
        tag = "m%d" % self.n
        if self.trace is not None:
            self.trace.append("%s %s %s" % (self.name, tag, command))
        data = ("%s %s\r\n" % (tag, command)).encode()
        if literal is not None:
            data = ("%s %s {%d+}\r\n" % (tag, command, len(literal))
                    ).encode() + literal + b"\r\n"
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass	# closed after a BYE: finish() reads it
        return tag

    def finish(self, tag):
        """(status, untagged [(text, literals)], tagged text)"""
        untagged = []
        while True:
            try:
                text, lits = self.response()
            except ModelError:
                if any(t.startswith("* BYE ") for t, _ in untagged):
                    if self.trace is not None:
                        self.trace.append("%s   BYE, closed" % self.name)
                    raise Bye(untagged)
                raise
            if text.startswith(tag + " "):
                status = text.split(" ", 2)[1]
                if self.trace is not None:
                    self.trace.append("%s %s" % (self.name, text[:100]))
                return status, untagged, text
            if self.trace is not None and (text.startswith("* OK [UID") or
                                           "EXISTS" in text or
                                           "EXPUNGE" in text):
                self.trace.append("%s   %s" % (self.name, text[:100]))
            untagged.append((text, lits))

    def cmd(self, command, literal=None):
        return self.finish(self.send(command, literal))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Pop3:
    def __init__(self, port, user, password, timeout=60):
        self.sock = socket.create_connection(("127.0.0.1", port),
                                             timeout=timeout)
        self.f = self.sock.makefile("rb")
        self.ok = self.reply().startswith("+OK")
        self.ok = self.ok and self.cmd("USER " + user).startswith("+OK")
        self.ok = self.ok and self.cmd("PASS " + password).startswith("+OK")

    def reply(self):
        line = self.f.readline()
        if not line:
            raise ModelError("POP3 connection closed")
        return line.decode("utf-8", "replace").rstrip("\r\n")

    def multi(self):
        lines = []
        while True:
            line = self.reply()
            if line == ".":
                return lines
            lines.append(line[1:] if line.startswith("..") else line)

    def cmd(self, line):
        self.sock.sendall(line.encode() + b"\r\n")
        return self.reply()

    def close(self):
        self.f.close()
        self.sock.close()


class Folder:
    """A folder incarnation: messages by Message-ID."""

    def __init__(self):
        self.msgs = {}		# mid -> {"flags": set, "uid": int or None}
        self.uidvalidity = None
        self.floor = 0		# highest UIDNEXT a full listing showed


class UserModel:
    def __init__(self, name):
        self.name = name
        self.folders = {"INBOX": Folder()}
        self.subscribed = set()
        # (folder name, UIDVALIDITY, UID) -> Message-ID, forever: a UID
        # named again for another message is a reuse
        self.bound = {}

    def bind(self, folder, f, uid, mid):
        if f.uidvalidity is None:
            return
        key = (folder, f.uidvalidity, uid)
        old = self.bound.setdefault(key, mid)
        if old != mid:
            raise ModelError("%s %s: UID %d (UIDVALIDITY %d) was %s, now %s"
                             % (self.name, folder, uid, f.uidvalidity, old,
                                mid))
        known = f.msgs[mid]["uid"]
        if known is not None and known != uid:
            raise ModelError("%s %s: %s had UID %d, now %d"
                             % (self.name, folder, mid, known, uid))
        f.msgs[mid]["uid"] = uid


def parse_fetch(untagged):
    """{seq: {"uid":, "flags":, "mid":}} from untagged FETCH responses."""
    out = {}
    for text, lits in untagged:
        m = re.match(r"\* (\d+) FETCH ", text)
        if not m:
            continue
        d = out.setdefault(int(m.group(1)), {})
        u = UID_RE.search(text)
        if u:
            d["uid"] = int(u.group(1))
        fl = FLAGS_RE.search(text)
        if fl:
            d["flags"] = set(fl.group(1).split()) - {"\\Recent"}
        for lit in lits:
            h = HEADER_RE.search(lit)
            if h:
                d["mid"] = h.group(1).decode()
    return out


def code(text, name):
    m = re.search(r"\[%s ([^\]]*)\]" % name, text)
    return m.group(1) if m else None

