"""Symbolic links in a Maildir (issue 12): a message file that is a link is
never served (O_NOFOLLOW: a link in one's own cur/ to another user's
message or to /etc/passwd must not be read by FETCH), DELETE never follows
a link (it removes the link, not the target: it once emptied another
user's whole Maildir), and a folder that is a link is served only with
maildir.follow_folder_symlinks = yes.

A message that turns into a link under a session is treated as expunged
(RFC 2180 4.1: FETCH ends NO [EXPUNGEISSUED], the next sync reports the
EXPUNGE); the session goes on.
"""
import os
import shutil

MSG = b"From: a@example.org\r\nSubject: %s\r\n\r\nbody of %s\r\n"
SECRET = b"From: b@example.org\r\nSubject: bob-secret\r\n\r\nbob's private mail\r\n"


def msg(tag):
    return MSG % (tag.encode(), tag.encode())


def bob_message(server):
    """A message file of bob's, delivered and numbered."""
    path = server.deliver("bob", SECRET)
    m = server.login_imap("bob")
    assert m.select("INBOX")[1] == [b"1"]
    m.logout()
    cur = server.maildir("bob") / "cur"
    return next(cur.iterdir())


def fetch_all(m):
    typ, data = m.fetch("1:*", "(BODY.PEEK[])")
    return typ, b"".join(x[1] for x in data if isinstance(x, tuple))


def test_link_in_cur_to_other_users_message_is_not_served(alice, bob):
    target = bob_message(alice)
    cur = alice.maildir("alice") / "cur"
    alice.deliver("alice", msg("own"))
    m = alice.login_imap()
    assert m.select("INBOX")[1] == [b"1"]
    for i, dest in enumerate((target, "/etc/passwd")):
        os.symlink(dest, cur / ("1700000000.M%dP1.evil:2," % i))
    assert m.noop()[0] == "OK"
    assert m.select("INBOX")[1] == [b"1"]
    typ, body = fetch_all(m)
    assert typ == "OK"
    assert b"body of own" in body
    assert b"bob's private" not in body and b"root:" not in body
    typ, data = m.search(None, "TEXT", "private")
    assert typ == "OK" and data == [b""]
    # links in new/ are never moved into cur/ nor numbered either
    os.symlink(target, alice.maildir("alice") / "new" / "1700000001.M9P1.evil")
    assert m.select("INBOX")[1] == [b"1"]
    m.logout()
    assert target.read_bytes() == SECRET


def test_message_replaced_by_link_under_a_session_is_gone(alice, bob):
    target = bob_message(alice)
    alice.deliver("alice", msg("one"))
    alice.deliver("alice", msg("two"))
    m = alice.login_imap()
    assert m.select("INBOX")[1] == [b"2"]
    cur = alice.maildir("alice") / "cur"
    victim = sorted(cur.iterdir())[0]
    victim.unlink()
    os.symlink("/etc/passwd", victim)
    typ, data = m.fetch("1", "(BODY.PEEK[])")
    # the session survives with a clear answer and no byte of the target
    assert typ == "NO" and b"EXPUNGEISSUED" in data[0], data
    assert b"root:" not in b"".join(x if isinstance(x, bytes) else x[1]
                                    for x in data if x)
    typ, data = m.fetch("2", "(BODY.PEEK[])")
    assert typ == "OK" and b"body of two" in data[0][1]
    assert m.noop()[0] == "OK"
    assert m.response("EXPUNGE")[1] == [b"1"]
    typ, body = fetch_all(m)
    assert typ == "OK" and b"body of two" in body and b"root:" not in body
    m.logout()
    # a link swapped in under its name is removed by EXPUNGE, not followed
    assert target.read_bytes() == SECRET


def test_fifo_in_cur_does_not_block_the_session(alice):
    alice.deliver("alice", msg("one"))
    os.mkfifo(alice.maildir("alice") / "cur" / "1700000000.M1P1.fifo:2,")
    m = alice.login_imap()
    assert m.select("INBOX")[1] == [b"1"]
    assert fetch_all(m)[0] == "OK"
    m.logout()


def link_bobs_folder(server, name="Shared"):
    """bob's folder Work, with two messages, linked into alice's Maildir
    as her folder `name` (an admin's shared folder)."""
    server.deliver("bob", msg("work1"), folder="Work")
    server.deliver("bob", msg("work2"), folder="Work")
    work = server.maildir("bob") / ".Work"
    (server.maildir("alice") / "cur").mkdir(parents=True, exist_ok=True)
    for sub in ("new", "tmp"):
        (server.maildir("alice") / sub).mkdir(exist_ok=True)
    os.symlink(work, server.maildir("alice") / ("." + name))
    return work


def files(d):
    return sorted(p.name for p in d.rglob("*") if p.is_file())


def test_folder_link_not_served_by_default(alice, bob):
    work = link_bobs_folder(alice)
    before = files(work)
    m = alice.login_imap()
    typ, data = m.list()
    assert typ == "OK" and b"Shared" not in b"".join(data)
    assert m.select("Shared")[0] == "NO"
    assert m.status("Shared", "(MESSAGES)")[0] == "NO"
    assert m.append("Shared", None, None, msg("x"))[0] == "NO"
    assert m.create("Shared")[0] == "NO"
    assert m.create("Shared.Sub")[0] == "NO"
    assert m.append("INBOX", None, None, msg("in"))[0] == "OK"
    assert m.select("INBOX")[0] == "OK"
    assert m.copy("1", "Shared")[0] == "NO"
    assert m.rename("Shared", "Mine")[0] == "NO"
    m.logout()
    assert files(work) == before


def test_folder_whose_cur_is_a_link_is_not_served(alice, bob):
    bob_message(alice)
    alice.deliver("alice", msg("x"), folder="Box")
    box = alice.maildir("alice") / ".Box"
    shutil.rmtree(box / "cur")
    os.symlink(alice.maildir("bob") / "cur", box / "cur")
    m = alice.login_imap()
    assert m.select("Box")[0] == "NO"
    # DELETE goes ahead: the link is removed, bob's cur/ stays whole
    assert m.delete("Box")[0] == "OK"
    m.logout()
    assert len(list((alice.maildir("bob") / "cur").iterdir())) == 1


def test_delete_of_a_linked_folder_removes_the_link_only(alice, bob):
    work = link_bobs_folder(alice)
    before = files(work)
    assert len(before) >= 2
    m = alice.login_imap()
    assert m.delete("Shared")[0] == "OK"
    m.logout()
    assert not os.path.lexists(alice.maildir("alice") / ".Shared")
    assert files(work) == before
    m = alice.login_imap("bob")
    assert m.select("Work")[1] == [b"2"]
    m.logout()


def test_delete_never_descends_into_a_link_inside_a_folder(alice, bob):
    target = bob_message(alice)
    alice.deliver("alice", msg("x"), folder="Box")
    box = alice.maildir("alice") / ".Box"
    os.symlink(alice.maildir("bob"), box / "courierimapkeywords")
    os.symlink(alice.maildir("bob") / "cur", box / "tmp" / "evil")
    m = alice.login_imap()
    assert m.delete("Box")[0] == "OK"
    m.logout()
    assert not os.path.lexists(box)
    assert target.read_bytes() == SECRET


def test_folder_link_served_when_allowed(make_server):
    srv = make_server({"maildir.follow_folder_symlinks": "yes"})
    work = link_bobs_folder(srv)
    m = srv.login_imap()
    typ, data = m.list()
    assert b'"Shared"' in b"".join(data) or b" Shared" in b"".join(data)
    assert m.select("Shared")[1] == [b"2"]
    assert m.append("Shared", None, None, msg("from-alice"))[0] == "OK"
    assert m.close()[0] == "OK"
    before = files(work)
    # DELETE still removes the link, never the shared folder's mail
    assert m.delete("Shared")[0] == "OK"
    m.logout()
    assert files(work) == before
    b = srv.login_imap("bob")
    assert b.select("Work")[1] == [b"3"]
    b.logout()
    # a message file that is a link is refused whatever the setting
    os.symlink("/etc/passwd", work / "cur" / "1700000000.M1P1.evil:2,")
    b = srv.login_imap("bob")
    assert b.select("Work")[1] == [b"3"]
    b.logout()
