"""Courier's POP3 UIDLs kept both ways, against Debian's real Courier
pop3d (courier-pop, unpacked by tools/deps.sh) run pre-authenticated on
the Maildir over a pipe, as Courier's pop3login hands a session to it (no
daemon, no authlib, no root): UIDL and LIST agree byte for byte whichever
server numbered a message first (courierpop3dsizelist), across deliveries
and deletions, so a POP3 client downloads nothing again after a move."""
import os
import pathlib
import subprocess

import pytest

from conftest import USERS

ROOT = pathlib.Path(os.environ.get("MAILDOCK_COURIER_ROOT",
                                   "/var/cache/maildock/courier"))
POP3D = ROOT / "usr/lib/courier/courier/courierpop3d"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not POP3D.exists(),
                       reason="Courier's pop3d not unpacked "
                              "(tools/deps.sh test)"),
]
SETTINGS = {"pop3.uidl_format": "courier", "maildir.compat": "courier"}


def courier(md, *cmds):
    """Courier's pop3d on md: the replies to UIDL, LIST and cmds."""
    env = {"LD_LIBRARY_PATH": "%s:%s" % (ROOT / "usr/lib",
                                         ROOT / "usr/lib/x86_64-linux-gnu"),
           "AUTHENTICATED": USERS["alice"][0], "PATH": "/usr/bin:/bin"}
    script = "".join(c + "\r\n" for c in ("UIDL", "LIST") + cmds)
    r = subprocess.run([str(POP3D), str(md)], env=env, capture_output=True,
                       input=script + "QUIT\r\n", text=True, timeout=60)
    return listings(r.stdout.splitlines())


def listings(lines):
    """The UIDL and LIST answers ("<n> <value>" lines) of a transcript."""
    out, cur = [], None
    for l in lines:
        if l.startswith("+OK"):
            cur = []
        elif l == "." and cur is not None:
            out.append(cur)
            cur = None
        elif cur is not None:
            cur.append(l)
    return tuple(out[:2])


def maildock(srv, *dele):
    p = srv.pop3()
    p.user(USERS["alice"][0])
    p.pass_(USERS["alice"][1])
    got = ([x.decode() for x in p.uidl()[1]],
           [x.decode() for x in p.list()[1]])
    for n in dele:
        p.dele(n)
    p.quit()
    return got


def deliver(srv, i):
    srv.deliver("alice", "Subject: m%d\n\n%s\n" % (i, "body " * i))


def test_courier_pop3_uidls_both_ways(make_server):
    srv = make_server(SETTINGS)
    md = srv.maildir("alice")
    for i in range(3):
        deliver(srv, i)
    # Courier -> Maildock: Courier numbered them first
    first = courier(md)
    assert [l.split()[1] for l in first[0]][0].startswith("UID1-")
    assert maildock(srv) == first
    # Maildock -> Courier: Maildock numbers a new one, deletes one
    deliver(srv, 3)
    mine = maildock(srv, 2)
    assert mine[0][:3] == first[0] and len(mine[0]) == 4
    after = courier(md)
    assert after[0] == [mine[0][0]] + [
        "%d %s" % (i + 2, l.split()[1]) for i, l in enumerate(mine[0][2:])]
    # and back: Courier deletes and numbers a delivery, Maildock agrees
    deliver(srv, 4)
    theirs = courier(md, "DELE 1")
    assert len(theirs[0]) == 4
    assert courier(md) == maildock(srv)
    assert maildock(srv)[0] == ["%d %s" % (i + 1, l.split()[1])
                                for i, l in enumerate(theirs[0][1:])]


def test_maildock_first_courier_agrees(make_server):
    """A Maildir Maildock served first (no courierpop3dsizelist yet):
    Courier's pop3d gives the same UIDLs and sizes."""
    srv = make_server(SETTINGS)
    for i in range(3):
        deliver(srv, i)
    mine = maildock(srv)
    assert courier(srv.maildir("alice")) == mine
