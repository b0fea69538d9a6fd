"""Courier's ACLs kept both ways. Debian's real Courier-IMAP imapd
(unpacked by tools/deps.sh) runs pre-authenticated on a Maildir, as
Courier's own login hands a session to it, over a pipe (no daemon, no
authlib, no root): the same SETACL/DELETEACL through Maildock and through
Courier leave byte-identical courierimapacl files, and what either wrote
the other reads with the same rights, so shared-folder rights survive a
move either way."""
import os
import pathlib
import subprocess

import pytest

from conftest import USERS

ROOT = pathlib.Path(os.environ.get("MAILDOCK_COURIER_ROOT",
                                   "/var/cache/maildock/courier"))
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (ROOT / "usr/bin/imapd").exists(),
                       reason="Courier not unpacked (tools/deps.sh test)"),
]
ALICE, BOB = USERS["alice"][0], USERS["bob"][0]
SETTINGS = {"imap.namespace_prefix": "INBOX.", "maildir.compat": "courier"}
# RFC 4314 and RFC 2086 letters, +/- changes, a negative entry, a
# hierarchy parent (only INBOX.A.B exists), INBOX itself
CHANGES = [("INBOX.Work", BOB, "lrs"), ("INBOX.Work", "anyone", "lrk"),
           ("INBOX.Work", "-carol@example.org", "w"),
           ("INBOX.Work", BOB, "+kc"), ("INBOX.Work", BOB, "-c"),
           ("INBOX.A.B", BOB, "lrswipkxte"), ("INBOX", BOB, "lrcd")]


def courier_imapd(md, lines):
    """Courier's imapd as alice on md: the tagged and untagged replies."""
    env = {"LD_LIBRARY_PATH": "%s:%s" % (ROOT / "usr/lib",
                                         ROOT / "usr/lib/x86_64-linux-gnu"),
           "AUTHENTICATED": ALICE, "PATH": "/usr/bin:/bin"}
    script = "".join("t%d %s\r\n" % (i, l) for i, l in enumerate(lines))
    r = subprocess.run([str(ROOT / "usr/bin/imapd"), str(md)], env=env,
                       input=script + "z LOGOUT\r\n", capture_output=True,
                       text=True, timeout=60)
    out = [l for l in r.stdout.splitlines() if l[:1] in ("*", "t")]
    for i in range(len(lines)):
        assert any(l.startswith("t%d OK" % i) for l in out), (lines[i], out)
    return out


def acl_files(md):
    return {str(p.relative_to(md)): p.read_text()
            for p in sorted(md.rglob("*")) if p.is_file() and
            (p.name == "courierimapacl" or
             p.parent.name == "courierimaphieracl")}


def ok(resp):
    assert resp[0] == "OK", resp
    return resp[1]


def getacl(m, folder):
    words = ok(m.getacl(folder))[0].decode().split()[1:]
    return {k: set(v) for k, v in zip(words[::2], words[1::2])}


def test_courier_acl_written_as_courier_writes_it(make_server, tmp_path):
    srv = make_server(SETTINGS)
    m = srv.login_imap("alice")
    for f in ("INBOX.Work", "INBOX.A.B"):
        ok(m.create(f))
    twin = tmp_path / "twin"
    subprocess.run(["cp", "-a", str(srv.maildir("alice")), str(twin)],
                   check=True)
    for folder, who, rights in CHANGES:
        ok(m.setacl(folder, who, rights))
    ok(m.deleteacl("INBOX.Work", "anyone"))
    m.logout()
    courier_imapd(twin, ['SETACL %s %s %s' % c for c in CHANGES] +
                  ["DELETEACL INBOX.Work anyone"])
    assert acl_files(srv.maildir("alice")) == acl_files(twin)


def test_courier_acl_read_both_ways(make_server):
    """What Courier's imapd wrote, Maildock shows and bob gets; what
    Maildock wrote, Courier's imapd shows."""
    srv = make_server(SETTINGS)
    md = srv.maildir("alice")
    m = srv.login_imap("alice")
    for f in ("INBOX.Work", "INBOX.A.B"):
        ok(m.create(f))
    courier_imapd(md, ["SETACL INBOX.Work %s lrk" % BOB,
                       "SETACL INBOX.A.B %s lrs" % BOB,
                       "SETACL INBOX.A.B -%s s" % BOB])
    # the owner's entry under alice's login, RFC 4314 letters plus the
    # obsolete c and d (Courier's default: every right but p)
    every = set("lrswikxteacd")
    assert getacl(m, "INBOX.Work") == {ALICE: every, "administrators": every,
                                       BOB: set("lrkc")}
    assert getacl(m, "INBOX.A.B")["-" + BOB] == set("s")
    srv.maildir("bob").mkdir(parents=True, exist_ok=True)
    (srv.maildir("bob") / "maildock-shared").write_text(ALICE + "\n")
    b = srv.login_imap("bob")
    shared = "#shared.alice."
    myrights = ok(b.myrights('"%sA.B"' % shared))[0].decode()
    assert set(myrights.split()[-1].strip('"')) == set("lr")
    b.logout()
    ok(m.setacl("INBOX.Work", BOB, "+w"))
    ok(m.setacl("INBOX.Work", "anyone", "lr"))
    m.logout()
    out = courier_imapd(md, ["GETACL INBOX.Work", "MYRIGHTS INBOX.Work"])
    assert ('* ACL "INBOX.Work" "owner" "acdilrsw" "administrators" '
            '"acdilrsw" "%s" "klrw" "anyone" "lr"' % BOB) in out, out
