"""Seeded random runs of every mailbox-changing operation against
maildockd, checked against the model of modelimap.py (issue 12).

A step is either one operation alone (the model then knows the exact
outcome: every response and the folders afterwards are compared with it)
or a burst: several sessions' commands sent at once, so they run in the
server at the same time. After a burst the outcome depends on the order
the server chose, so the state is read back and checked for what holds in
every order (no message lost unless an operation of the burst could remove
it, none made up, none doubled, UIDs never moved or reused), then adopted.
Other programs act too: deliveries into new/ and flag renames in cur/.
"""
import collections
import os
import random
import re
import time

from modelimap import (Folder, Imap, ModelError, Pop3, UserModel, code,
                       parse_fetch)

NAMES = ["INBOX", "A", "B", "C", "D"]
FLAGS = ["\\Seen", "\\Flagged", "\\Answered", "\\Draft", "\\Deleted",
         "kw1", "kw2", "$Label"]
LETTERS = {"D": "\\Draft", "F": "\\Flagged", "R": "\\Answered",
           "S": "\\Seen", "T": "\\Deleted"}
LISTING = "(UID FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])"


class World:
    def __init__(self, srv, seed, users, sessions_per_user=3):
        self.srv, self.rng, self.seed = srv, random.Random(seed), seed
        self.users = {}
        self.models = {}
        self.sessions = []
        self.verifier = {}
        self.pop = {}
        self.ops = collections.Counter()
        self.trace = collections.deque(maxlen=int(os.environ.get("MAILDOCK_MODEL_TRACE", "40")))	# for the report
        self.n = 0
        for user, (login, password) in users.items():
            self.users[user] = (login, password)
            self.models[user] = UserModel(user)
            # every session logged in before any folder exists
            for i in range(sessions_per_user):
                self.sessions.append((user, Imap(srv.imap_port, login,
                                                 password)))
                self.sessions[-1][1].trace = self.trace
                self.sessions[-1][1].name += str(i)
            self.verifier[user] = Imap(srv.imap_port, login, password)
            self.verifier[user].trace = self.trace
            self.verifier[user].name += "-v"
            self.pop[user] = None

    def close(self):
        for _, s in self.sessions:
            s.close()
        for v in self.verifier.values():
            v.close()
        for p in self.pop.values():
            if p is not None:
                p[0].close()

    # -- helpers
    def fail(self, what):
        raise ModelError("seed %d op %d: %s\nlast commands:\n  %s" % (
            self.seed, self.n, what, "\n  ".join(self.trace)))

    def new_mid(self, user):
        self.n += 1
        return "m%d.%d.%s@model" % (self.seed, self.n, user)

    def message(self, mid):
        return ("From: model@example.org\r\nSubject: %s\r\n"
                "Message-ID: <%s>\r\n\r\nbody %s\r\n" % (mid, mid, mid)
                ).encode()

    def folder_dir(self, user, name):
        md = self.srv.maildir(user)
        return md if name == "INBOX" else md / ("." + name)

    def some_flags(self):
        return set(self.rng.sample(FLAGS, self.rng.randint(0, 3)))

    def untagged(self, s, untagged, strict):
        """Apply EXISTS/EXPUNGE to s's view; check FETCH FLAGS when
        strict (the model then knows every message's flags)."""
        for text, _ in untagged:
            m = re.match(r"\* (\d+) (EXISTS|EXPUNGE)$", text)
            if m and s.selected is not None:
                n = int(m.group(1))
                if m.group(2) == "EXPUNGE":
                    if not 1 <= n <= len(s.view):
                        self.fail("EXPUNGE %d of %d" % (n, len(s.view)))
                    del s.view[n - 1]
                elif n < len(s.view):
                    self.fail("EXISTS %d after %d" % (n, len(s.view)))
                else:
                    s.view += [None] * (n - len(s.view))
        if not strict or s.selected is None or s.stale:
            return
        model = self.models[self.user_of(s)]
        f = model.folders.get(s.selected)
        for seq, d in parse_fetch(untagged).items():
            if not 1 <= seq <= len(s.view):
                self.fail("FETCH %d of %d" % (seq, len(s.view)))
            uid = d.get("uid", s.view[seq - 1])
            if "uid" in d and s.view[seq - 1] not in (None, d["uid"]):
                self.fail("seq %d is UID %s, FETCH says %d"
                          % (seq, s.view[seq - 1], d["uid"]))
            mid = self.mid_of(f, uid)
            if mid is not None and "flags" in d and \
                    d["flags"] != f.msgs[mid]["flags"]:
                self.fail("%s flags %s, model %s" % (mid, d["flags"],
                                                     f.msgs[mid]["flags"]))

    def user_of(self, s):
        for user, t in self.sessions:
            if t is s:
                return user
        raise KeyError

    @staticmethod
    def mid_of(f, uid):
        if f is None or uid is None:
            return None
        for mid, m in f.msgs.items():
            if m["uid"] == uid:
                return mid
        return None

    def listing(self, s, user, name, readonly):
        """SELECT/EXAMINE name in s and fetch it all: (uidvalidity,
        uidnext, [(uid, mid, flags)]) or None when refused."""
        st, un, text = s.cmd("%s %s" % ("EXAMINE" if readonly else "SELECT",
                                        name))
        s.doomed = False	# SELECT closes the old mailbox, gone or not
        if st != "OK":
            s.selected = None
            return None
        s.selected, s.stale, s.view = name, False, []
        exists = None
        for t, _ in un:
            m = re.match(r"\* (\d+) EXISTS$", t)
            if m:
                exists = int(m.group(1))
        uidv = uidnext = None
        for t, _ in un:
            uidv = uidv or code(t, "UIDVALIDITY")
            uidnext = uidnext or code(t, "UIDNEXT")
        st, un, text = s.cmd("UID FETCH 1:* " + LISTING)
        if st != "OK":
            self.fail("UID FETCH in %s: %s" % (name, text))
        rows = parse_fetch(un)
        for t, _ in un:
            m = re.match(r"\* (\d+) EXISTS$", t)
            if m:
                exists = int(m.group(1))
        if exists is None or sorted(rows) != list(range(1, exists + 1)):
            self.fail("%s: EXISTS %s but FETCH of %s" % (name, exists,
                                                         sorted(rows)))
        out = [(rows[q]["uid"], rows[q].get("mid"), rows[q]["flags"])
               for q in sorted(rows)]
        uids = [r[0] for r in out]
        if uids != sorted(set(uids)):
            self.fail("%s: UIDs not ascending: %s" % (name, uids))
        if uids and uidnext is not None and uids[-1] >= int(uidnext):
            self.fail("%s: UID %d >= UIDNEXT %s" % (name, uids[-1], uidnext))
        s.view = uids
        return int(uidv), int(uidnext), out

    def check_listing(self, user, name, got, exact=True):
        """Compare a listing with the model folder (exact), or adopt it
        (keeping UID bindings) when not exact."""
        model = self.models[user]
        uidv, uidnext, rows = got
        f = model.folders[name]
        mids = [r[1] for r in rows]
        if len(set(mids)) != len(mids):
            self.fail("%s %s: a message twice: %s" % (user, name, mids))
        if exact and set(mids) != set(f.msgs):
            self.fail("%s %s: server has %s, model %s" % (
                user, name, sorted(set(mids) - set(f.msgs)),
                sorted(set(f.msgs) - set(mids))) + " (extra, missing)")
        if f.uidvalidity is None:
            f.uidvalidity = uidv
        elif uidv is not None and f.uidvalidity != uidv:
            self.fail("%s %s: UIDVALIDITY %d -> %d without a new folder"
                      % (user, name, f.uidvalidity, uidv))
        for uid, mid, flags in rows:
            if mid not in f.msgs:
                f.msgs[mid] = {"flags": flags, "uid": None}
            m = f.msgs[mid]
            if m["uid"] is None and uid < f.floor:
                self.fail("%s %s: new %s got UID %d below UIDNEXT %d shown"
                          " before" % (user, name, mid, uid, f.floor))
            model.bind(name, f, uid, mid)
            if exact and flags != m["flags"]:
                self.fail("%s %s: %s flags %s, model %s"
                          % (user, name, mid, flags, m["flags"]))
            m["flags"] = flags
        if uidnext is not None:
            f.floor = max(f.floor, uidnext)

    def verify(self, user, names):
        v = self.verifier[user]
        for name in names:
            got = self.listing(v, user, name, readonly=True)
            exists = name in self.models[user].folders
            if (got is not None) != exists:
                self.fail("%s %s: EXAMINE %s, model %s" % (
                    user, name, "OK" if got else "NO",
                    "has it" if exists else "has none"))
            if got is not None:
                self.check_listing(user, name, got)
        v.cmd("UNSELECT")
        v.selected = None

    @staticmethod
    def lsub_name(text):
        return re.sub(r'^\* LSUB \([^)]*\) "[^"]*" "?([^"]*)"?$', r"\1", text)

    def server_folders(self, user):
        st, un, _ = self.verifier[user].cmd('LIST "" "*"')
        names = set()
        for t, lits in un:
            m = re.match(r'\* LIST \(([^)]*)\) "[^"]*" "?([^"]*)"?$', t)
            if m and "\\Noselect" not in m.group(1) and \
                    "\\NonExistent" not in m.group(1):
                names.add(m.group(2))
        return names
