"""RENAME INBOX under open sessions (issue 12): the crash that let any user
end every session of every user, and the keywords RENAME INBOX lost.

RFC 3501 sec. 6.3.5: renaming INBOX moves all its messages to a new
mailbox of the given name and leaves INBOX empty; the moved messages keep
their flags, keywords included. Every test here also checks that another
user's session, open meanwhile, still answers: a fault in one session must
not end the others.
"""
import os
import re
import time

from conftest import USERS

MSG = b"From: a@example.org\r\nSubject: %s\r\nMessage-ID: <%s@t>\r\n\r\nbody\r\n"


def msg(tag):
    return MSG % (tag.encode(), tag.encode())


def bystander(server):
    """Bob's session, SELECTed, to prove the daemon outlives the test."""
    m = server.login_imap("bob")
    assert m.select("INBOX")[0] == "OK"
    return m


def assert_alive(m):
    assert m.noop()[0] == "OK"
    m.logout()


def flags_of(m):
    """Subject -> set of flags (\\Recent left out) of every message."""
    typ, data = m.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert typ == "OK", data
    out = {}
    for i, item in enumerate(data):
        if not isinstance(item, tuple):
            continue
        subject = item[1].decode().split(":", 1)[1].strip()
        rest = data[i + 1] if i + 1 < len(data) and \
            isinstance(data[i + 1], bytes) else b""
        flags = re.search(r"FLAGS \(([^)]*)\)", (item[0] + rest).decode())
        out[subject] = set(flags.group(1).split()) - {"\\Recent"}
    return out


def test_rename_inbox_after_keyword_store_keeps_daemon(alice, bob):
    """The issue's reproducer: SIGSEGV of maildockd, 3 times of 3."""
    other = bystander(alice)
    s1 = alice.login_imap()
    assert s1.append("INBOX", None, None, msg("one"))[0] == "OK"
    assert s1.select("INBOX")[0] == "OK"
    assert s1.store("1", "+FLAGS", "(kw1)")[0] == "OK"
    s1.logout()
    s2 = alice.login_imap()
    assert s2.select("INBOX")[0] == "OK"
    assert s2.fetch("1:*", "FLAGS")[0] == "OK"
    typ, data = s2.rename("INBOX", "Old")
    assert typ == "OK", data
    # the selected INBOX is empty now: the server reports the expunge
    assert s2.noop()[0] == "OK"
    assert s2.select("INBOX")[1] == [b"0"]
    assert s2.select("Old")[1] == [b"1"]
    assert flags_of(s2) == {"one": {"kw1"}}
    s2.logout()
    assert_alive(other)


def test_rename_inbox_keeps_flags_and_keywords(alice, bob):
    m = alice.login_imap()
    for tag in ("a", "b", "c"):
        assert m.append("INBOX", None, None, msg(tag))[0] == "OK"
    assert m.select("INBOX")[0] == "OK"
    assert m.store("1", "+FLAGS", r"(\Seen kw1 $Label2)")[0] == "OK"
    assert m.store("2", "+FLAGS", r"(\Flagged kw2)")[0] == "OK"
    m.close()
    assert m.rename("INBOX", "Archive.2026")[0] == "OK"
    assert m.select("Archive.2026")[1] == [b"3"]
    assert flags_of(m) == {"a": {r"\Seen", "kw1", "$Label2"},
                           "b": {r"\Flagged", "kw2"}, "c": set()}
    # and the keywords are on disk, not only in this process's memory
    m.logout()
    m = alice.login_imap()
    assert m.select("Archive.2026", readonly=True)[0] == "OK"
    assert flags_of(m)["a"] == {r"\Seen", "kw1", "$Label2"}
    m.logout()


def touch_uidlist(server, user="alice"):
    """Rewrite the UID list unchanged, as another Maildock process sharing
    the Maildir does after numbering: this process must re-read it."""
    path = server.maildir(user) / "maildock-uidlist"
    tmp = path.with_name("maildock-uidlist.test")
    tmp.write_bytes(path.read_bytes())
    os.rename(tmp, path)


def test_append_after_rename_inbox_under_a_selected_session(alice, bob):
    """The second stack: maildir_folder_find_base <- maildir_folder_add <-
    APPEND, into an INBOX whose shared object was refreshed to zero
    messages by a RENAME INBOX while its name hash was built."""
    other = bystander(alice)
    watcher = alice.login_imap()
    actor = alice.login_imap()
    for round_ in range(3):
        assert actor.append("INBOX", None, None,
                            msg("r%d" % round_))[0] == "OK"
        assert watcher.select("INBOX")[0] == "OK"
        touch_uidlist(alice)
        assert actor.append("INBOX", None, None,
                            msg("s%d" % round_))[0] == "OK"
        assert actor.rename("INBOX", "Moved%d" % round_)[0] == "OK"
        assert watcher.noop()[0] == "OK"
        typ, data = actor.append("INBOX", None, None,
                                 msg("after%d" % round_))
        assert typ == "OK", data
        assert watcher.noop()[0] == "OK"
        assert watcher.select("INBOX")[1] == [b"1"]
        assert actor.select("INBOX")[0] == "OK"
        assert actor.store("1", "+FLAGS", r"(\Deleted)")[0] == "OK"
        assert actor.expunge()[0] == "OK"
        assert actor.close()[0] == "OK"
        assert watcher.select("Moved%d" % round_)[1] == [b"2"]
    actor.logout()
    watcher.logout()
    assert_alive(other)


def test_rename_inbox_twice_with_keywords_in_both_sessions(alice, bob):
    """Keywords stored from two sessions, INBOX renamed, refilled and
    renamed again: each move keeps its own messages' keywords."""
    other = bystander(alice)
    a, b = alice.login_imap(), alice.login_imap()
    for round_ in range(2):
        assert a.append("INBOX", None, None, msg("m%d" % round_))[0] == "OK"
        assert a.select("INBOX")[0] == "OK"
        assert b.select("INBOX")[0] == "OK"
        assert a.store("1", "+FLAGS", "(kwa%d)" % round_)[0] == "OK"
        assert b.store("1", "+FLAGS", "(kwb%d)" % round_)[0] == "OK"
        assert b.rename("INBOX", "R%d" % round_)[0] == "OK"
        assert a.noop()[0] == "OK"
        assert b.noop()[0] == "OK"
    for round_ in range(2):
        assert a.select("R%d" % round_)[1] == [b"1"]
        assert flags_of(a) == {"m%d" % round_: {"kwa%d" % round_,
                                                "kwb%d" % round_}}
    a.logout()
    b.logout()
    assert_alive(other)


def test_rename_inbox_to_existing_name_is_refused(alice):
    m = alice.login_imap()
    assert m.append("INBOX", None, None, msg("x"))[0] == "OK"
    assert m.create("Taken")[0] == "OK"
    typ, _ = m.rename("INBOX", "Taken")
    assert typ == "NO"
    assert m.select("INBOX")[1] == [b"1"]
    m.logout()


def raw_select(server, name, user="alice"):
    """A raw session of user with name selected (exact-wire checks)."""
    c = server.raw(server.imap_port)
    c.readline()
    c.sendline("a LOGIN %s %s" % USERS[user])
    assert c.read_until_tagged("a")[-1].startswith("a OK")
    c.sendline("b SELECT " + name)
    assert c.read_until_tagged("b")[-1].startswith("b OK")
    return c


def assert_bye_on_next_sync(c):
    """The session whose selected mailbox is gone: its next command is
    answered, then "* BYE" and the connection closes (RFC 3501 2.3.1.1:
    its UIDs must never name another folder's messages; Dovecot does the
    same). Nothing of the new folder is shown to it."""
    c.sendline("n NOOP")
    lines = c.read_until_tagged("n")
    assert lines[-1].startswith("n OK"), lines
    assert not any("EXISTS" in x or "FETCH" in x for x in lines), lines
    assert c.readline().startswith("* BYE Selected mailbox was deleted")
    assert c.closed()


def test_deleted_folder_cannot_be_selected_while_another_session_holds_it(
        server, alice):
    """Found by the model test: a folder deleted while a session had it
    selected could still be SELECTed and EXAMINEd (empty), since the shared
    folder object outlived the folder."""
    actor = alice.login_imap()
    assert actor.create("Gone")[0] == "OK"
    assert actor.append("Gone", None, None, msg("g"))[0] == "OK"
    holder = raw_select(server, "Gone")
    assert actor.delete("Gone")[0] == "OK"
    assert actor.select("Gone")[0] == "NO"
    assert actor.select("Gone", readonly=True)[0] == "NO"
    assert actor.status("Gone", "(MESSAGES)")[0] == "NO"
    assert actor.append("Gone", None, None, msg("h"))[0] == "NO"
    assert_bye_on_next_sync(holder)
    actor.logout()


def test_folder_deleted_and_created_again_ends_the_holder(server, alice):
    """DELETE and CREATE of the selected folder by another session: the
    holder used to go on silently with the new folder's messages merged
    into its view under the old UIDVALIDITY; now it gets BYE, and a new
    session sees only the new folder."""
    actor = alice.login_imap()
    assert actor.create("Box")[0] == "OK"
    assert actor.append("Box", None, None, msg("old"))[0] == "OK"
    holder = raw_select(server, "Box")
    assert actor.delete("Box")[0] == "OK"
    assert actor.create("Box")[0] == "OK"
    assert actor.append("Box", None, None, msg("new"))[0] == "OK"
    assert_bye_on_next_sync(holder)
    assert actor.select("Box")[1] == [b"1"]
    assert flags_of(actor) == {"new": set()}
    actor.logout()


def test_deleting_the_selected_folder_answers_then_ends(server, alice):
    """DELETE of one's own selected folder succeeds (tagged OK), then the
    session ends, as Dovecot's "Selected mailbox was deleted"."""
    alice.login_imap().create("Mine")
    c = raw_select(server, "Mine")
    c.sendline("d DELETE Mine")
    assert c.read_until_tagged("d")[-1].startswith("d OK")
    assert c.readline().startswith("* BYE Selected mailbox was deleted")
    assert c.closed()


def test_rename_onto_a_deleted_folder_still_held_keeps_messages(server,
                                                               alice):
    """Model seeds 2053 and 2047: RENAME A B, where B had been deleted
    while a session still had it selected, then listed none of A's
    messages (2053) or lost their keywords (2047): the old B's object,
    kept alive by that session, served the path .B again."""
    actor = alice.login_imap()
    assert actor.create("B")[0] == "OK"
    assert actor.append("B", None, None, msg("b-old"))[0] == "OK"
    holder = raw_select(server, "B")
    assert actor.delete("B")[0] == "OK"
    assert actor.create("A")[0] == "OK"
    for tag in ("a1", "a2"):
        assert actor.append("A", r"(\Seen kw2 $Label)", None,
                            msg(tag))[0] == "OK"
    assert actor.select("A")[0] == "OK"
    assert actor.store("1", "+FLAGS", "(kw1)")[0] == "OK"
    assert actor.close()[0] == "OK"
    assert actor.rename("A", "B")[0] == "OK"
    for readonly in (True, False):
        assert actor.select("B", readonly=readonly)[1] == [b"2"]
        assert flags_of(actor) == {
            "a1": {r"\Seen", "kw1", "kw2", "$Label"},
            "a2": {r"\Seen", "kw2", "$Label"}}
    assert_bye_on_next_sync(holder)
    fresh = alice.login_imap()
    assert fresh.select("B", readonly=True)[1] == [b"2"]
    assert flags_of(fresh)["a1"] == {r"\Seen", "kw1", "kw2", "$Label"}
    fresh.logout()
    actor.logout()


def test_append_and_copy_racing_rename_are_refused_or_stored_once(server,
                                                                   alice):
    """APPEND and COPY into a folder that another session keeps renaming
    away (and creating again): each command either fails and stores
    nothing, or succeeds and its message is stored exactly once under a
    real UID; no UID list lock is left behind. Before the folder tree
    was locked, refused APPENDs were stored anyway, APPENDUID named UID 0,
    and lock files were leaked (then every command on the folder waited
    10 s)."""
    import threading
    import time
    secs = 4.0 * float(os.environ.get("MAILDOCK_TIME_FACTOR", "1"))
    stop = time.time() + secs
    setup = server.login_imap("alice")
    setup.append("INBOX", None, None, msg("seed"))
    setup.logout()
    results, errors = {}, []

    def append(k):
        m = server.login_imap("alice")
        n = 0
        while time.time() < stop:
            n += 1
            tag = "ap-%d-%d" % (k, n)
            try:
                typ, data = m.append("L", None, None, msg(tag))
            except Exception as e:  # imaplib raises on NO
                typ, data = "NO", [str(e).encode()]
            results[tag] = (typ, data[0])
        m.logout()

    def copy():
        m = server.login_imap("alice")
        m.select("INBOX")
        while time.time() < stop:
            typ, data = m.copy("1", "L")
            found = re.search(rb"COPYUID \d+ \S+ (\d+)\]", data[0] or b"")
            if typ == "OK" and found and int(found.group(1)) == 0:
                errors.append("COPYUID with UID 0")
        m.logout()

    def rename():
        m = server.login_imap("alice")
        n = 0
        while time.time() < stop:
            n += 1
            m.rename("L", "L%d" % n)
            m.create("L")
        m.logout()

    threads = [threading.Thread(target=append, args=(k,)) for k in range(3)]
    threads += [threading.Thread(target=copy), threading.Thread(target=rename)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    root = server.maildir("alice")
    stored = {}
    for d in root.glob(".L*"):
        for sub in ("cur", "new"):
            for f in (d / sub).iterdir():
                head = f.read_bytes().split(b"\r\n")[1]
                tag = head.split(b": ", 1)[1].decode()
                stored[tag] = stored.get(tag, 0) + 1
        assert not (d / "maildock-uidlist.lock").exists(), d
    for tag, (typ, data) in results.items():
        if typ == "OK":
            assert stored.get(tag) == 1, (tag, data)
            found = re.search(rb"APPENDUID \d+ (\d+)\]", data)
            assert found is None or int(found.group(1)) > 0, data
        else:
            assert tag not in stored, (tag, data)
    assert errors == []
    assert results


def test_message_cut_short_under_fetch(make_server):
    """A large message file (mapped, not read) cut short by another program
    while a FETCH sends it: the client gets the literals announced, and the
    other sessions go on (a read past the new end raised SIGBUS, which
    ended the worker and every session in it)."""
    srv = make_server({})
    body = b"".join(b"line %07d of a large message\r\n" % i
                    for i in range(200000))           # 6 MB: mapped
    srv.deliver("alice", msg("big") + body)
    other = bystander(srv)
    c = srv.raw(srv.imap_port, timeout=30)
    assert c.readline().startswith("* OK")
    c.sendline("l LOGIN %s %s" % USERS["alice"])
    assert c.read_until_tagged("l")[-1].startswith("l OK")
    c.sendline("s SELECT INBOX")
    assert c.read_until_tagged("s")[-1].startswith("s OK")
    # more than the socket buffers hold: the server waits inside the first
    # literal, with the second still to read from the mapping
    c.sendline("f FETCH 1 (BODY.PEEK[] BODY.PEEK[TEXT])")
    time.sleep(1)
    (path,) = (srv.maildir("alice") / "cur").iterdir()
    os.truncate(path, 100000)
    data = bytearray()
    while True:
        chunk = c.sock.recv(1 << 20)
        if not chunk:
            break
        data += chunk
        if re.search(rb"\r\nf (OK|NO|BAD)[^\r]*\r\n$", bytes(data[-200:])):
            break
    # the literal announced comes whole (the lost tail as something else);
    # then the FETCH ends, or the session with a BYE, the stream no
    # longer being the file
    size = int(re.match(rb"\* 1 FETCH \(BODY\[\] \{(\d+)\}\r\n", data).group(1))
    assert len(data) > size
    assert re.search(rb"(\r\nf OK|\r\nf NO|\* BYE)[^\r]*\r\n$",
                     bytes(data[-200:]))
    assert_alive(other)
    m = srv.login_imap("alice")
    assert m.select("INBOX")[0] == "OK"
    assert_alive(m)
