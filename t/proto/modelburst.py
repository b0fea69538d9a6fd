"""Bursts: several sessions' commands in the server at once, and the run
loop (see modelworld.py)."""
import collections
import time

from modelimap import Bye, Folder, parse_fetch
from modelops import OPS, Run, pick
from modelworld import NAMES

BURST_OPS = ["append", "store", "expunge", "copy", "move", "rename",
             "delete", "create", "select", "noop", "deliver", "extflag",
             "pop3"]


class Effects:
    """What the commands of a burst may have done to one user's folders,
    whatever order the server ran them in."""

    def __init__(self):
        self.add = collections.defaultdict(set)		# folder -> mids
        self.remove = collections.defaultdict(set)	# folder -> mids
        self.destroy = set()	# mids that may be gone from every folder
        self.appear, self.vanish = set(), set()
        self.renames = []
        # one COPY, MOVE or RENAME per burst: two could put one message
        # twice in a folder, which the model (by Message-ID) cannot tell
        self.transfer = False
        self.deletes = []
        self.pop_quit = False


class Burst(Run):
    def send_op(self, user, s, fx):
        """Send one command of a burst; returns its tag or None."""
        model = self.models[user]
        op = self.rng.choice(BURST_OPS)
        self.ops[op] += 1
        sel = s.selected if not s.stale else None
        f = model.folders.get(sel) if sel else None
        if op == "deliver":
            self.deliver_in_burst(user, fx)
            return None
        if op == "extflag":
            self.op_extflag(user)
            return None
        if op == "pop3":
            p = self.pop[user]
            if p is None or fx.pop_quit:
                return None
            fx.pop_quit = True
            fx.remove["INBOX"] |= {p[1][n][0] for n in p[2]}
            fx.destroy |= {p[1][n][0] for n in p[2]}
            p[0].sock.sendall(b"QUIT\r\n")
            return ("pop3", user)
        if op in ("store", "expunge", "copy", "move") and (f is None or
                                                          not s.view):
            op = "select"
        if op in ("copy", "move", "rename"):
            op, fx.transfer = ("noop" if fx.transfer else op), True
        if op == "append":
            name, mid = self.rng.choice(NAMES), self.new_mid(user)
            fx.add[name].add(mid)
            return s.send("APPEND %s ()" % name, self.message(mid))
        if op == "store":
            uid = self.rng.choice([u for u in s.view if u] or [1])
            flags = self.some_flags()
            if "\\Deleted" in flags:
                fx.destroy.add(self.mid_of(f, uid))
            return s.send("UID STORE %d +FLAGS (%s)" % (uid, " ".join(
                sorted(flags))))
        if op == "expunge":
            for mid, m in f.msgs.items():
                if "\\Deleted" in m["flags"]:
                    fx.destroy.add(mid)
            fx.remove[sel] |= fx.destroy
            return s.send("EXPUNGE")
        if op in ("copy", "move"):
            dest = self.rng.choice([n for n in NAMES if n != sel])
            d = model.folders.get(dest, Folder())
            uids = sorted({u for u in s.view if u and
                           self.mid_of(f, u) not in d.msgs})[:2]
            if not uids:
                return s.send("NOOP")
            mids = {self.mid_of(f, u) for u in uids} - {None}
            fx.add[dest] |= mids
            if op == "move":
                fx.remove[sel] |= mids
            return s.send("UID %s %s %s" % (op.upper(), ",".join(
                map(str, uids)), dest))
        if op in ("create", "delete"):
            name = self.rng.choice(NAMES[1:])
            (fx.appear if op == "create" else fx.vanish).add(name)
            if op == "delete":	# what it held: see reconcile
                fx.deletes.append(name)
            return s.send("%s %s" % (op.upper(), name))
        if op == "rename":
            a, b = self.rng.choice(NAMES), self.rng.choice(NAMES[1:])
            fx.renames.append((a, b))
            fx.appear.add(b)
            if a != "INBOX":
                fx.vanish.add(a)
            return s.send("RENAME %s %s" % (a, b))
        if op == "select":
            s.selected, s.view = self.rng.choice(NAMES), []
            s.stale = True		# known again at the sync_check below
            s.select_tag = s.send("SELECT " + s.selected)
            return s.select_tag
        return s.send("NOOP")

    def deliver_in_burst(self, user, fx):
        self.op_deliver(user)
        if self.delivered is not None:
            fx.add[self.delivered[0]].add(self.delivered[1])

    def burst(self):
        k = self.rng.randint(2, 4)
        chosen = self.rng.sample(self.sessions, min(k, len(self.sessions)))
        fxs = collections.defaultdict(Effects)
        before = {u: {n: set(f.msgs) for n, f in m.folders.items()}
                  for u, m in self.models.items()}
        pending = []
        for user, s in chosen:
            pending.append((user, s, self.send_op(user, s, fxs[user])))
            if self.rng.random() < 0.3:
                self.deliver_in_burst(user, fxs[user])
        for user, s, tag in pending:
            if tag is None:
                continue
            if isinstance(tag, tuple):
                self.pop_quit(user, self.pop[user][0].reply())
                continue
            try:
                st, un, text = s.finish(tag)
            except Bye:
                # the selected folder was deleted or renamed away by a
                # command of this burst (RFC 3501 2.3.1.1: as Dovecot)
                fx = fxs[user]
                if not (fx.vanish or fx.renames):
                    self.fail("burst: BYE with no DELETE or RENAME")
                s.select_tag = None
                s.reconnect()
                continue
            if st not in ("OK", "NO"):
                self.fail("burst: %s" % text)
            if tag == s.select_tag:
                s.select_tag = None
                if st == "NO":	# nothing selected now (RFC 3501 6.3.1)
                    s.selected, s.stale = None, False
            self.untagged(s, un, strict=False)
        for user in sorted({u for u, _, _ in pending}):
            self.reconcile(user, before[user], fxs[user])

    def reconcile(self, user, before, fx):
        """Read the user's folders back, check what holds in every order
        of the burst, and adopt them as the model."""
        model = self.models[user]
        for _ in range(2):	# chains: A -> B, then B -> C
            for a, b in fx.renames:
                fx.add[b] |= before.get(a, set()) | fx.add[a]
                fx.remove[a] |= before.get(a, set()) | fx.add[a]
        for name in fx.deletes:	# after the renames: D -> B, DELETE B
            fx.destroy |= before.get(name, set()) | fx.add[name]
        names = self.server_folders(user) | {"INBOX"}
        old = set(before)
        if not names <= old | fx.appear:
            self.fail("%s: folders %s appeared" % (user, names - old))
        if not old - fx.vanish - {a for a, _ in fx.renames} <= names:
            self.fail("%s: folders %s vanished" % (user, old - names))
        seen = set()
        for name in sorted(names):
            got = self.listing(self.verifier[user], user, name, True)
            if got is None:
                self.fail("%s: LIST shows %s, EXAMINE refuses" % (user, name))
            mids = [r[1] for r in got[2]]
            allowed = before.get(name, set()) | fx.add[name]
            if set(mids) - allowed or len(set(mids)) != len(mids):
                self.fail("%s %s: made up or doubled: %s" % (
                    user, name, sorted(m for m in mids if m not in allowed
                                       or mids.count(m) > 1)))
            keep = before.get(name, set()) - fx.remove[name] - fx.destroy
            if name not in fx.vanish and not keep <= set(mids):
                self.fail("%s %s: lost %s" % (user, name,
                                              sorted(keep - set(mids))))
            seen |= set(mids)
            f = model.folders.get(name)
            if f is None or f.uidvalidity != got[0]:
                f = model.folders[name] = Folder()
            for mid in list(f.msgs):
                if mid not in mids:
                    del f.msgs[mid]
            self.check_listing(user, name, got, exact=False)
        lost = set().union(*before.values()) - fx.destroy - seen
        if lost:
            self.fail("%s: lost from every folder: %s" % (user, sorted(lost)))
        for name in set(model.folders) - names:
            del model.folders[name]
        st, un, _ = self.verifier[user].cmd('LSUB "" "*"')
        model.subscribed = {self.lsub_name(t) for t, _ in un
                            if t.startswith("* LSUB")}
        moved = fx.vanish | fx.appear | {a for a, _ in fx.renames}
        for u, s in self.sessions:
            if u == user and (s.selected not in model.folders or
                              s.selected in moved):
                s.stale = True
                # gone for sure: BYE due (else maybe: a RENAME or DELETE
                # that failed, or a CREATE of a name that existed)
                s.doomed = s.selected is not None and \
                    s.selected not in model.folders
        self.verifier[user].cmd("UNSELECT")
        for u, s in self.sessions:
            if u == user and s.stale and s.selected in model.folders and \
                    s.selected not in fx.vanish | fx.appear:
                # a SELECT sent in the burst: its answer made it current
                s.stale = False
                self.sync_check(user, s)
            elif u == user and not s.stale and s.selected is not None:
                self.sync_check(user, s)

    # -- the run
    def step(self):
        for user, s in self.sessions:
            if s.stale and s.selected is not None:
                self.settle(user, s)
        r = self.rng.random()
        if r < 0.2:
            self.ops["burst"] += 1
            self.burst()
            return
        user, s = self.rng.choice(self.sessions)
        op = pick(self.rng)
        self.ops[op] += 1
        if op in ("deliver", "extflag", "pop3"):
            touched = getattr(self, "op_" + op)(user)
        else:
            touched = getattr(self, "op_" + op)(user, s)
        self.verify(user, [n for n in dict.fromkeys(touched)])

    def run(self, steps, deadline=None):
        for i in range(steps):
            if deadline is not None and time.time() > deadline:
                break
            self.step()
            if i % 15 == 14:
                for user, model in self.models.items():
                    got = self.server_folders(user) | {"INBOX"}
                    if got != set(model.folders):
                        self.fail("%s: LIST %s, model %s" % (
                            user, sorted(got), sorted(model.folders)))
        for user in self.models:
            if self.pop[user] is not None:
                self.pop_quit(user, self.pop[user][0].cmd("QUIT"))
            self.verify(user, sorted(self.models[user].folders))
        return sum(self.ops.values())


__all__ = ["Burst", "OPS"]
