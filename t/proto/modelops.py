"""The operations of the model run (see modelworld.py): each one alone
with its exact expected outcome, and bursts of them at once."""
import os
import re

from modelimap import Bye, Folder, ModelError, Pop3, code, parse_fetch
from modelworld import LETTERS, LISTING, NAMES, World


def uid_set(text):
    out = []
    for part in text.split(","):
        a, _, b = part.partition(":")
        lo, hi = int(a), int(b or a)
        out += list(range(min(lo, hi), max(lo, hi) + 1))
    return out


class Run(World):
    # -- a session's view against the folder
    def sync_check(self, user, s):
        """NOOP, then the view must be exactly the folder (every EXISTS
        and EXPUNGE told, in order; RFC 3501 7.4.1)."""
        st, un, text = s.cmd("NOOP")
        if st != "OK":
            self.fail("NOOP: " + text)
        self.untagged(s, un, strict=True)
        if s.selected is None or s.stale:
            return
        st, un, text = s.cmd("UID FETCH 1:* " + LISTING)
        if st != "OK":
            self.fail("UID FETCH: " + text)
        self.untagged(s, un, strict=False)
        rows = parse_fetch(un)
        if sorted(rows) != list(range(1, len(s.view) + 1)):
            self.fail("%s %s: view of %d, FETCH of %s" % (
                s.name, s.selected, len(s.view), sorted(rows)))
        for q, d in rows.items():
            if s.view[q - 1] not in (None, d["uid"]):
                self.fail("seq %d was UID %s, now %d" % (q, s.view[q - 1],
                                                         d["uid"]))
        s.view = [rows[q]["uid"] for q in sorted(rows)]
        f = self.models[user].folders[s.selected]
        self.check_listing(user, s.selected, (
            f.uidvalidity, None,
            [(d["uid"], d.get("mid"), d["flags"]) for _, d in
             sorted(rows.items())]))

    def ready(self, user, s):
        """s has a folder selected that still exists, view exact."""
        if s.selected is None or s.stale:
            self.op_select(user, s)
        if s.selected is None:
            return False
        self.sync_check(user, s)
        return True

    # -- IMAP operations, alone
    def op_select(self, user, s):
        name = self.rng.choice(NAMES)
        got = self.listing(s, user, name, readonly=False)
        if (got is not None) != (name in self.models[user].folders):
            self.fail("SELECT %s: %s" % (name, "OK" if got else "NO"))
        if got is not None:
            self.check_listing(user, name, got)
        return []

    def op_noop(self, user, s):
        self.sync_check(user, s)
        return []

    def op_append(self, user, s):
        name, mid = self.rng.choice(NAMES), self.new_mid(user)
        flags = self.some_flags()
        st, un, text = s.cmd("APPEND %s (%s)" % (name, " ".join(
            sorted(flags))), self.message(mid))
        self.untagged(s, un, strict=True)
        f = self.models[user].folders.get(name)
        if (st == "OK") != (f is not None):
            self.fail("APPEND %s: %s" % (name, text))
        if f is not None:
            f.msgs[mid] = {"flags": flags, "uid": None}
            uidv, uid = map(int, code(text, "APPENDUID").split())
            self.learn(user, name, f, uidv, uid, mid)
        return [name]

    def learn(self, user, name, f, uidv, uid, mid):
        if f.uidvalidity not in (None, uidv):
            self.fail("%s: UIDVALIDITY %d, was %d" % (name, uidv,
                                                      f.uidvalidity))
        f.uidvalidity = uidv
        if uid < f.floor:
            self.fail("%s: new UID %d below UIDNEXT %d" % (name, uid,
                                                           f.floor))
        self.models[user].bind(name, f, uid, mid)

    def op_store(self, user, s):
        if not self.ready(user, s) or not s.view:
            return []
        f = self.models[user].folders[s.selected]
        uid = self.rng.choice(s.view)
        mode = self.rng.choice(["+FLAGS", "-FLAGS", "FLAGS"])
        flags = self.some_flags()
        st, un, text = s.cmd("UID STORE %d %s (%s)" % (uid, mode, " ".join(
            sorted(flags))))
        if st != "OK":
            self.fail("STORE: " + text)
        m = f.msgs[self.mid_of(f, uid)]
        m["flags"] = flags if mode == "FLAGS" else m["flags"] | flags \
            if mode == "+FLAGS" else m["flags"] - flags
        self.untagged(s, un, strict=True)
        return [s.selected]

    def op_expunge(self, user, s):
        if not self.ready(user, s):
            return []
        f = self.models[user].folders[s.selected]
        st, un, text = s.cmd("EXPUNGE")
        if st != "OK":
            self.fail("EXPUNGE: " + text)
        for mid in [k for k, m in f.msgs.items() if "\\Deleted" in m["flags"]]:
            del f.msgs[mid]
        self.untagged(s, un, strict=True)
        if sorted(s.view) != sorted(m["uid"] for m in f.msgs.values()):
            self.fail("after EXPUNGE the view is %s, the folder %s" % (
                s.view, sorted(m["uid"] for m in f.msgs.values())))
        return [s.selected]

    def op_copy(self, user, s, move=False):
        if not self.ready(user, s) or not s.view:
            return []
        model = self.models[user]
        f = model.folders[s.selected]
        dest = self.rng.choice([n for n in NAMES if n != s.selected])
        d = model.folders.get(dest)
        uids = [u for u in s.view
                if d is None or self.mid_of(f, u) not in d.msgs]
        uids = sorted(self.rng.sample(uids, min(len(uids), 2)))
        if not uids:
            return []
        st, un, text = s.cmd("UID %s %s %s" % ("MOVE" if move else "COPY",
                                               ",".join(map(str, uids)),
                                               dest))
        if (st == "OK") != (d is not None):
            self.fail("%s to %s: %s" % ("MOVE" if move else "COPY", dest,
                                        text))
        if d is not None:
            cu = code(text, "COPYUID") or next(
                code(t, "COPYUID") for t, _ in un if "COPYUID" in t)
            uidv, src, dst = cu.split()
            for a, b in zip(uid_set(src), uid_set(dst)):
                mid = self.mid_of(f, a)
                d.msgs[mid] = {"flags": set(f.msgs[mid]["flags"]),
                               "uid": None}
                self.learn(user, dest, d, int(uidv), b, mid)
                if move:
                    del f.msgs[mid]
        self.untagged(s, un, strict=True)
        return [s.selected, dest]

    def op_move(self, user, s):
        return self.op_copy(user, s, move=True)

    def op_create(self, user, s):
        name = self.rng.choice(NAMES[1:])
        model = self.models[user]
        st, un, text = s.cmd("CREATE " + name)
        if (st == "OK") != (name not in model.folders):
            self.fail("CREATE %s: %s" % (name, text))
        if st == "OK":
            model.folders[name] = Folder()
        self.untagged(s, un, strict=True)
        return [name]

    def gone(self, user, name):
        """name was deleted or renamed away: sessions that had it
        selected must be ended with BYE at their next command."""
        for u, s in self.sessions:
            if u == user and s.selected == name:
                s.stale = s.doomed = True

    def settle(self, user, s):
        """A session whose selected folder may be gone: its next sync must
        end it with BYE (surely, when doomed), after the command's own
        tagged answer; then it logs in again. Two NOOPs: the first may
        be the one whose answer the BYE follows. A session not ended
        selects its folder again, which must be exactly the model's."""
        try:
            for _ in range(2):
                st, un, text = s.cmd("NOOP")
        except Bye:
            s.reconnect()
            return
        if s.doomed or s.selected not in self.models[user].folders:
            self.fail("%s: %s is gone, NOOP answered %s without BYE" % (
                s.name, s.selected, st))
        got = self.listing(s, user, s.selected, readonly=False)
        if got is None:
            self.fail("%s: SELECT %s refused" % (s.name, s.selected))
        self.check_listing(user, s.selected, got)

    def op_delete(self, user, s):
        name = self.rng.choice(NAMES[1:])
        model = self.models[user]
        st, un, text = s.cmd("DELETE " + name)
        if (st == "OK") != (name in model.folders):
            self.fail("DELETE %s: %s" % (name, text))
        if st == "OK":
            del model.folders[name]
            self.gone(user, name)
        self.untagged(s, un, strict=not s.stale)
        return [name]

    def op_rename(self, user, s):
        model = self.models[user]
        a = self.rng.choice(NAMES)
        b = self.rng.choice(NAMES[1:])
        st, un, text = s.cmd("RENAME %s %s" % (a, b))
        ok = a in model.folders and b not in model.folders and a != b
        if (st == "OK") != ok:
            self.fail("RENAME %s %s: %s" % (a, b, text))
        if ok:
            # the renamed folder is checked as a new one: its UIDs may
            # be kept or not (RFC 3501 6.3.5 asks neither)
            nf = Folder()
            for mid, m in model.folders[a].msgs.items():
                nf.msgs[mid] = {"flags": set(m["flags"]), "uid": None}
            model.folders[b] = nf
            if a == "INBOX":	# INBOX stays, empty (RFC 3501 6.3.5)
                model.folders[a].msgs = {}
            else:
                del model.folders[a]
                self.gone(user, a)
                if a in model.subscribed:
                    model.subscribed.discard(a)
                    model.subscribed.add(b)
        self.untagged(s, un, strict=not s.stale)
        return [a, b]

    def op_subscribe(self, user, s):
        model = self.models[user]
        name = self.rng.choice(NAMES)
        on = self.rng.random() < 0.7
        st, un, text = s.cmd("%s %s" % ("SUBSCRIBE" if on else
                                         "UNSUBSCRIBE", name))
        self.untagged(s, un, strict=not s.stale)
        if st == "OK":
            (model.subscribed.add if on else model.subscribed.discard)(name)
        elif on and name in model.folders:
            self.fail("SUBSCRIBE %s: %s" % (name, text))
        st, un, text = s.cmd('LSUB "" "*"')
        self.untagged(s, un, strict=not s.stale)
        got = {self.lsub_name(t) for t, _ in un if t.startswith("* LSUB")}
        if got != model.subscribed:
            self.fail("LSUB %s, model %s" % (sorted(got),
                                             sorted(model.subscribed)))
        return []

    # -- other programs and POP3
    def op_deliver(self, user, name=None):
        model = self.models[user]
        name = name or self.rng.choice(sorted(model.folders))
        d = self.folder_dir(user, name)
        mid = self.new_mid(user)
        fname = "%d.M%dP%dQ%d.model" % (
            self.n, self.n, os.getpid(), self.seed)
        try:
            with open(d / "tmp" / fname, "wb") as fh:
                fh.write(self.message(mid))
            os.rename(d / "tmp" / fname, d / "new" / fname)
            self.trace.append("deliver %s to %s" % (mid, name))
        except FileNotFoundError:	# folder gone meanwhile (bursts)
            self.delivered = None
            return []
        if name in model.folders:
            model.folders[name].msgs[mid] = {"flags": set(), "uid": None}
        self.delivered = (name, mid)
        return [name]

    def op_extflag(self, user, name=None):
        """Another program (a local MUA) changes flags by renaming a file
        in cur/, as Maildir allows."""
        model = self.models[user]
        name = name or self.rng.choice(sorted(model.folders))
        cur = self.folder_dir(user, name) / "cur"
        try:
            fname = self.rng.choice(sorted(os.listdir(cur)))
            data = (cur / fname).read_bytes()
        except (FileNotFoundError, IndexError):
            return []
        mid = re.search(rb"Message-ID: <([^>]*)>", data).group(1).decode()
        base, _, info = fname.partition(":2,")
        letters = set(info) ^ {self.rng.choice("DFRST")}
        try:
            os.rename(cur / fname, cur / (base + ":2," +
                                          "".join(sorted(letters))))
            self.trace.append("extflag %s in %s: %s" % (mid, name, letters))
        except FileNotFoundError:
            return []
        f = model.folders.get(name)
        if f is not None and mid in f.msgs:
            kw = {x for x in f.msgs[mid]["flags"] if not x.startswith("\\")}
            f.msgs[mid]["flags"] = kw | {LETTERS[c] for c in letters
                                         if c in LETTERS}
        return [name]

    def op_pop3(self, user):
        login, password = self.users[user]
        model = self.models[user]
        p = self.pop[user]
        if p is None:
            conn = Pop3(self.srv.pop3_port, login, password)
            if not conn.ok:
                self.fail("POP3 login refused")
            count = int(conn.cmd("STAT").split()[1])
            snap = {}
            for n in range(1, count + 1):
                if not conn.cmd("TOP %d 0" % n).startswith("+OK"):
                    self.fail("POP3 TOP %d" % n)
                head = "\n".join(conn.multi()).encode()
                snap[n] = re.search(rb"Message-ID: <([^>]*)>",
                                    head).group(1).decode()
            if set(snap.values()) != set(model.folders["INBOX"].msgs):
                self.fail("POP3 maildrop %s, model INBOX %s" % (
                    sorted(snap.values()),
                    sorted(model.folders["INBOX"].msgs)))
            # POP3 deletes the files it listed: a copy of one of those
            # messages brought back later (same Message-ID) stays
            inbox = model.folders["INBOX"].msgs
            snap = {n: (mid, inbox[mid]["uid"]) for n, mid in snap.items()}
            self.pop[user] = (conn, snap, set())
        elif p[1] and len(p[2]) < len(p[1]) and self.rng.random() < 0.6:
            n = self.rng.choice(sorted(set(p[1]) - p[2]))
            if not p[0].cmd("DELE %d" % n).startswith("+OK"):
                self.fail("POP3 DELE %d" % n)
            p[2].add(n)
        else:
            self.pop_quit(user, p[0].cmd("QUIT"))
        return ["INBOX"]

    def pop_quit(self, user, reply):
        conn, snap, marked = self.pop[user]
        self.pop[user] = None
        conn.close()
        if not reply.startswith("+OK"):
            self.fail("POP3 QUIT: " + reply)
        inbox = self.models[user].folders["INBOX"]
        for n in marked:
            mid, uid = snap[n]
            if mid in inbox.msgs and inbox.msgs[mid]["uid"] == uid:
                del inbox.msgs[mid]
        return {snap[n][0] for n in marked}


OPS = {"select": 3, "noop": 3, "append": 5, "store": 5, "expunge": 2,
       "copy": 2, "move": 2, "create": 2, "delete": 1, "rename": 2,
       "subscribe": 1, "deliver": 2, "extflag": 2, "pop3": 2}


def pick(rng):
    names = sorted(OPS)
    return rng.choices(names, [OPS[n] for n in names])[0]


__all__ = ["Run", "OPS", "pick", "ModelError"]
