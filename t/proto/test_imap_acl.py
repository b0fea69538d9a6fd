"""ACL (RFC 4314, Courier ACL2=UNION): the ACL commands, the MYRIGHTS code
of SELECT, sharing with another user of the domain under "#shared.", and
one refusal per right (alice owns, bob is refused). FIELD-BUGS B15."""
import re

import pytest

SHARED = "#shared.alice."
# the owner's rights without an ACL file: Courier's default entry
OWNER = "lrswikxtea"


def ok(resp):
    typ, data = resp
    assert typ == "OK", data
    return data


def listed(lines):
    """The mailbox names of LIST lines, unquoted."""
    return [l.rsplit(" ", 1)[1].strip('"') for l in lines
            if l.startswith("* LIST ")]


def rights_set(s):
    return set(s.strip('"'))


def tagged(c, line):
    tag = "t%d" % tagged.n
    tagged.n += 1
    c.sendline("%s %s" % (tag, line))
    lines = c.read_until_tagged(tag)
    return lines[:-1], lines[-1][len(tag) + 1:]


tagged.n = 1


@pytest.fixture
def pair(alice, bob):
    """alice and bob logged in over raw sockets, fresh Maildirs."""
    a = alice.raw(alice.imap_port)
    b = alice.raw(alice.imap_port)
    a.readline()
    b.readline()
    assert tagged(a, "LOGIN alice@example.org secret-1")[1].startswith("OK")
    assert tagged(b, "LOGIN bob@example.org secret-2")[1].startswith("OK")
    yield alice, a, b
    a.close()
    b.close()


def grant(a, folder, rights, who="bob@example.org"):
    _, t = tagged(a, 'SETACL "%s" %s %s' % (folder, who, rights))
    assert t.startswith("OK"), t


def test_capability_and_myrights_b15(pair):
    srv, a, b = pair
    lines, t = tagged(a, "CAPABILITY")
    caps = lines[0].split()
    assert "ACL" in caps and "ACL2=UNION" in caps and "RIGHTS=kxte" in caps
    lines, t = tagged(a, "MYRIGHTS INBOX")
    assert t.startswith("OK")
    m = re.match(r'\* MYRIGHTS (\S+) "?([a-z]+)"?$', lines[0])
    assert m and m.group(1).strip('"') == "INBOX"
    # Courier's default: every right but p (its imapd says "acdilrsw")
    assert set(OWNER) <= rights_set(m.group(2))
    assert rights_set(m.group(2)) <= set("lrswipkxteacd")


def test_setacl_getacl_listrights_deleteacl_b15(pair):
    srv, a, b = pair
    grant(a, "INBOX", "lrs")
    lines, t = tagged(a, "GETACL INBOX")
    assert t.startswith("OK")
    words = lines[0].split()
    assert words[:2] == ["*", "ACL"] and words[2].strip('"') == "INBOX"
    acl = dict(zip(words[3::2], words[4::2]))
    assert set(OWNER) <= rights_set(acl["alice@example.org"])
    assert rights_set(acl["bob@example.org"]) == set("lrs")
    # an unknown right is refused, not dropped, and changes nothing
    _, t = tagged(a, "SETACL INBOX bob@example.org lrq")
    assert t.startswith("BAD")
    lines, _ = tagged(a, "GETACL INBOX")
    assert "bob@example.org lrs" in lines[0]
    lines, t = tagged(a, "LISTRIGHTS INBOX bob@example.org")
    assert t.startswith("OK")
    words = lines[0].split()
    assert words[:2] == ["*", "LISTRIGHTS"]
    assert words[2].strip('"') == "INBOX" and words[3] == "bob@example.org"
    assert words[4] == '""'
    assert set("".join(words[5:])) >= set("lrswipkxtea")
    # +rights adds; the grantee sees his rights through #shared
    grant(a, "INBOX", "+w")
    lines, t = tagged(b, 'MYRIGHTS "%sINBOX"' % SHARED)
    assert t.startswith("OK"), t
    assert rights_set(lines[0].split()[-1]) == set("lrsw")
    lines, t = tagged(b, 'SELECT "%sINBOX"' % SHARED)
    assert t.startswith("OK [READ-WRITE]"), t
    assert any(re.match(r'\* OK \[MYRIGHTS "?lrsw"?\]', l) for l in lines)
    _, t = tagged(a, "DELETEACL INBOX bob@example.org")
    assert t.startswith("OK")
    lines, _ = tagged(a, "GETACL INBOX")
    assert "bob@example.org" not in lines[0]
    tagged(b, "UNSELECT")
    _, t = tagged(b, 'SELECT "%sINBOX"' % SHARED)
    assert t.startswith("NO")


def test_select_shows_myrights_code(pair):
    srv, a, b = pair
    lines, t = tagged(a, "SELECT INBOX")
    assert t.startswith("OK")
    codes = [l for l in lines if "[MYRIGHTS " in l]
    assert len(codes) == 1
    assert set(OWNER) <= rights_set(
        re.search(r'\[MYRIGHTS ("?[a-z]+"?)\]', codes[0]).group(1))


def test_namespace_and_list_shared(pair, carol):
    srv, a, b = pair
    lines, _ = tagged(b, "NAMESPACE")
    assert lines[0] == '* NAMESPACE (("" ".")) (("#shared." ".")) NIL'
    tagged(a, "CREATE Projects")
    tagged(a, "CREATE Private")
    grant(a, "Projects", "lr")
    lines, _ = tagged(b, 'LIST "" "*"')
    names = listed(lines)
    assert "#shared.alice.Projects" in names
    assert "#shared.alice.Private" not in names
    assert "#shared.alice.INBOX" not in names
    lines, _ = tagged(b, 'LIST "#shared." "%"')
    assert any(l.endswith('"#shared.alice"') and "\\Noselect" in l
               for l in lines), lines
    # carol was given nothing and sees nothing of alice's
    c = srv.raw(srv.imap_port)
    c.readline()
    tagged(c, 'LOGIN carol@example.org "a\\\\b\\"c d"')
    lines, _ = tagged(c, 'LIST "" "*"')
    assert not any("#shared" in l for l in lines)
    _, t = tagged(c, 'SELECT "#shared.alice.Projects"')
    assert t.startswith("NO [NONEXISTENT]"), t
    c.close()


def test_shared_select_fetch_and_copy(pair):
    srv, a, b = pair
    srv.deliver("alice", "Subject: hello\r\n\r\nbody\r\n")
    tagged(a, "CREATE Archive")
    grant(a, "INBOX", "lrswi")
    grant(a, "Archive", "lri")
    lines, t = tagged(b, 'SELECT "%sINBOX"' % SHARED)
    assert t.startswith("OK"), t
    assert "* 1 EXISTS" in lines
    lines, t = tagged(b, "FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert t.startswith("OK") and any("hello" in l for l in lines)
    _, t = tagged(b, 'COPY 1 "%sArchive"' % SHARED)
    assert t.startswith("OK"), t
    lines, _ = tagged(a, "STATUS Archive (MESSAGES)")
    assert "MESSAGES 1" in lines[0]
    # across Maildirs: into bob's own INBOX, with COPYUID and the flags
    tagged(b, "STORE 1 +FLAGS (\\Flagged Kw1)")
    _, t = tagged(b, "COPY 1 INBOX")
    assert re.match(r"OK \[COPYUID \d+ 1 1\]", t), t
    tagged(b, "UNSELECT")
    lines, t = tagged(b, "SELECT INBOX")
    assert "* 1 EXISTS" in lines
    lines, _ = tagged(b, "FETCH 1 (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert "\\Flagged" in lines[0] and "Kw1" in lines[0]
    assert any("hello" in l for l in lines)
    # and MOVE from bob's INBOX into alice's Archive: gone here, there
    lines, t = tagged(b, 'MOVE 1 "%sArchive"' % SHARED)
    assert t.startswith("OK"), t
    assert "* 1 EXPUNGE" in lines
    assert any("COPYUID" in l for l in lines)
    lines, _ = tagged(a, "STATUS Archive (MESSAGES)")
    assert "MESSAGES 2" in lines[0]
    lines, _ = tagged(b, "STATUS INBOX (MESSAGES)")
    assert "MESSAGES 0" in lines[0]


# --- one refusal per right: bob has every right but the one under test ---

ALL = "lrswipkxtea"


def without(r):
    return ALL.replace(r, "").replace("a", "")


def setup_folder(srv, a, rights, msg=True):
    tagged(a, "CREATE Team")
    if msg:
        srv.deliver("alice", "Subject: m\r\n\r\nx\r\n", folder="Team")
    grant(a, "Team", rights)


def test_right_l_not_listed(pair):
    srv, a, b = pair
    setup_folder(srv, a, without("l"))
    lines, _ = tagged(b, 'LIST "" "*"')
    assert not any("Team" in l for l in lines)
    grant(a, "Team", "+l")
    lines, _ = tagged(b, 'LIST "" "*"')
    assert "#shared.alice.Team" in listed(lines)


def test_right_r_select_status_refused(pair):
    srv, a, b = pair
    setup_folder(srv, a, without("r"))
    _, t = tagged(b, 'SELECT "%sTeam"' % SHARED)
    assert t.startswith("NO [NOPERM]"), t
    _, t = tagged(b, 'EXAMINE "%sTeam"' % SHARED)
    assert t.startswith("NO [NOPERM]"), t
    _, t = tagged(b, 'STATUS "%sTeam" (MESSAGES)' % SHARED)
    assert t.startswith("NO"), t
    # FETCH needs a selected mailbox, which bob cannot get
    _, t = tagged(b, "FETCH 1 FLAGS")
    assert t.startswith("BAD")


def flags_of(b):
    lines, _ = tagged(b, "FETCH 1 FLAGS")
    return lines[0]


@pytest.mark.parametrize("right,flag", [("s", "\\Seen"), ("t", "\\Deleted"),
                                        ("w", "\\Flagged"), ("w", "Kw1")])
def test_right_swt_flag_change_ignored(pair, right, flag):
    srv, a, b = pair
    setup_folder(srv, a, without(right))
    _, t = tagged(b, 'SELECT "%sTeam"' % SHARED)
    assert t.startswith("OK"), t
    _, t = tagged(b, "STORE 1 +FLAGS (%s)" % flag)
    assert t.startswith("OK"), t
    assert flag not in flags_of(b)
    # with the right it works
    grant(a, "Team", "+" + right)
    tagged(b, "UNSELECT")
    tagged(b, 'SELECT "%sTeam"' % SHARED)
    tagged(b, "STORE 1 +FLAGS (%s)" % flag)
    assert flag in flags_of(b)


def test_right_s_fetch_does_not_set_seen(pair):
    srv, a, b = pair
    setup_folder(srv, a, without("s"))
    tagged(b, 'SELECT "%sTeam"' % SHARED)
    tagged(b, "FETCH 1 BODY[]")
    assert "\\Seen" not in flags_of(b)


def test_right_i_append_copy_move_refused(pair):
    srv, a, b = pair
    setup_folder(srv, a, without("i"))
    tagged(a, "CREATE Team2")
    grant(a, "Team2", ALL.replace("a", ""))
    msg = "Subject: x\r\n\r\ny\r\n"
    b.sendline('A1 APPEND "%sTeam" {%d}' % (SHARED, len(msg)))
    line = b.readline()
    assert line.startswith("A1 NO [NOPERM]"), line
    tagged(b, 'SELECT "%sTeam2"' % SHARED)
    srv.deliver("alice", msg, folder="Team2")
    tagged(b, "NOOP")
    _, t = tagged(b, 'COPY 1 "%sTeam"' % SHARED)
    assert t.startswith("NO [NOPERM]"), t
    _, t = tagged(b, 'MOVE 1 "%sTeam"' % SHARED)
    assert t.startswith("NO [NOPERM]"), t
    _, t = tagged(b, 'COPY 1 "%sTeam2"' % SHARED)
    assert t.startswith("OK"), t


def test_right_k_create_below_refused(pair):
    srv, a, b = pair
    setup_folder(srv, a, without("k"), msg=False)
    _, t = tagged(b, 'CREATE "%sTeam.Sub"' % SHARED)
    assert t.startswith("NO [NOPERM]"), t
    grant(a, "Team", "+k")
    _, t = tagged(b, 'CREATE "%sTeam.Sub"' % SHARED)
    assert t.startswith("OK"), t
    lines, _ = tagged(a, 'LIST "" "Team.*"')
    assert "Team.Sub" in listed(lines)


def test_right_x_delete_rename_refused(pair):
    srv, a, b = pair
    setup_folder(srv, a, without("x"), msg=False)
    _, t = tagged(b, 'DELETE "%sTeam"' % SHARED)
    assert t.startswith("NO [NOPERM]"), t
    _, t = tagged(b, 'RENAME "%sTeam" "%sTeam3"' % (SHARED, SHARED))
    assert t.startswith("NO [NOPERM]"), t
    grant(a, "Team", "+x")
    grant(a, "INBOX", "lk")
    _, t = tagged(b, 'RENAME "%sTeam" "%sTeam3"' % (SHARED, SHARED))
    assert t.startswith("OK"), t


def test_right_e_expunge_refused(pair):
    srv, a, b = pair
    setup_folder(srv, a, without("e"))
    tagged(b, 'SELECT "%sTeam"' % SHARED)
    tagged(b, "STORE 1 +FLAGS (\\Deleted)")
    _, t = tagged(b, "EXPUNGE")
    assert t.startswith("NO [NOPERM]"), t
    tagged(b, "CLOSE")
    lines, _ = tagged(a, "STATUS Team (MESSAGES)")
    assert "MESSAGES 1" in lines[0]


def test_right_a_acl_commands_refused(pair):
    srv, a, b = pair
    setup_folder(srv, a, without("a"), msg=False)
    for cmd in ('GETACL "%sTeam"', 'SETACL "%sTeam" carol@example.org lr',
                'DELETEACL "%sTeam" bob@example.org',
                'LISTRIGHTS "%sTeam" carol@example.org'):
        _, t = tagged(b, cmd % SHARED)
        assert t.startswith("NO [NOPERM]"), (cmd, t)
    lines, t = tagged(b, 'MYRIGHTS "%sTeam"' % SHARED)
    assert t.startswith("OK")
    assert "a" not in lines[0].split()[-1]
    grant(a, "Team", "+a")
    lines, t = tagged(b, 'GETACL "%sTeam"' % SHARED)
    assert t.startswith("OK"), t


def test_negative_rights_and_anyone(pair):
    srv, a, b = pair
    tagged(a, "CREATE Pub")
    grant(a, "Pub", "lr", who="anyone")
    grant(a, "Pub", "r", who="-bob@example.org")
    lines, t = tagged(b, 'MYRIGHTS "%sPub"' % SHARED)
    assert t.startswith("OK"), t
    assert rights_set(lines[0].split()[-1]) == set("l")
    _, t = tagged(b, 'SELECT "%sPub"' % SHARED)
    assert t.startswith("NO [NOPERM]"), t


def test_owner_keeps_l_and_a(pair):
    srv, a, b = pair
    _, t = tagged(a, "SETACL INBOX alice@example.org lr")
    assert t.startswith("NO"), t
    _, t = tagged(a, "DELETEACL INBOX alice@example.org")
    assert t.startswith("NO"), t


def test_obsolete_c_and_d(pair):
    srv, a, b = pair
    grant(a, "INBOX", "lrcd")
    lines, _ = tagged(a, "GETACL INBOX")
    words = lines[0].split()
    acl = dict(zip(words[3::2], words[4::2]))
    assert rights_set(acl["bob@example.org"]) == set("lrkxtecd")


COURIER_ACL = ("owner aceilrstwx\n"
               "user=bob@example.org lrw\n"
               "-user=carol@example.org r\n"
               "anyone lr\n"
               "administrators aceilrstwx\n")


def test_courier_file_is_honoured(pair, carol):
    """A courierimapacl as Courier writes it (maildiracl(1)) is read: bob
    gets lrw, carol (negative r) only l; alice's SETACL writes Courier's
    letters back (k as the client spelled it, as Courier's imapd does)."""
    srv, a, b = pair
    tagged(a, "CREATE Shared")
    path = srv.maildir("alice") / ".Shared" / "courierimapacl"
    path.write_text(COURIER_ACL)
    (srv.maildir("bob") / "maildock-shared").write_text("alice@example.org\n")
    lines, t = tagged(b, 'MYRIGHTS "%sShared"' % SHARED)
    assert t.startswith("OK"), t
    assert rights_set(lines[0].split()[-1]) == set("lrw")
    lines, _ = tagged(b, 'LIST "" "#shared.*"')
    assert "#shared.alice.Shared" in listed(lines)
    lines, t = tagged(a, "MYRIGHTS Shared")
    assert set("lrswikxtea") <= rights_set(lines[0].split()[-1])
    grant(a, "Shared", "+k")
    text = path.read_text()
    assert "user=bob@example.org klrw\n" in text
    assert "owner aceilrstwx\n" in text
    assert "-user=carol@example.org r\n" in text
    c = srv.raw(srv.imap_port)
    c.readline()
    tagged(c, 'LOGIN carol@example.org "a\\\\b\\"c d"')
    lines, t = tagged(c, 'MYRIGHTS "%sShared"' % SHARED)
    assert rights_set(lines[0].split()[-1]) == set("l")
    _, t = tagged(c, 'SELECT "%sShared"' % SHARED)
    assert t.startswith("NO [NOPERM]"), t
    c.close()


def test_read_only_without_change_rights(pair):
    srv, a, b = pair
    setup_folder(srv, a, "lr")
    _, t = tagged(b, 'SELECT "%sTeam"' % SHARED)
    assert t.startswith("OK [READ-ONLY]"), t
    _, t = tagged(b, "STORE 1 +FLAGS (\\Seen)")
    assert t.startswith("NO"), t


def test_subscribed_shared_folder_in_lsub(pair):
    srv, a, b = pair
    setup_folder(srv, a, "lr", msg=False)
    _, t = tagged(b, 'SUBSCRIBE "%sTeam"' % SHARED)
    assert t.startswith("OK"), t
    lines, _ = tagged(b, 'LSUB "" "*"')
    line = [l for l in lines if l.endswith('"#shared.alice.Team"')]
    assert line and "\\Noselect" not in line[0], lines
    lines, _ = tagged(b, 'LIST (SUBSCRIBED) "" "*"')
    line = [l for l in lines if l.endswith('"#shared.alice.Team"')]
    assert line and "\\NonExistent" not in line[0], lines
    # revoked: the subscription stays, the folder is gone for bob
    _, t = tagged(a, "DELETEACL Team bob@example.org")
    lines, _ = tagged(b, 'LIST (SUBSCRIBED) "" "*"')
    line = [l for l in lines if l.endswith('"#shared.alice.Team"')]
    assert line and "\\NonExistent" in line[0], lines


def test_acl_commands_on_missing_mailbox(pair):
    srv, a, b = pair
    for cmd in ("MYRIGHTS Nope", "GETACL Nope", "SETACL Nope bob lr",
                'MYRIGHTS "#shared.nobody.INBOX"'):
        _, t = tagged(a, cmd)
        assert t.startswith("NO [NONEXISTENT]"), (cmd, t)
    assert not (srv.maildir("alice") / "courierimaphieracl").exists()


def test_setacl_is_logged(pair):
    srv, a, b = pair
    grant(a, "INBOX", "lr")
    assert re.search(r'imap: acl SETACL mailbox="INBOX" '
                     r'owner=alice@example.org '
                     r'identifier="user=bob@example.org" rights=lr',
                     srv.log())


def test_namespace_root_is_reserved(pair):
    srv, a, b = pair
    for name in ("#shared", "#shared.", "#shared.nobody"):
        _, t = tagged(a, 'CREATE "%s"' % name)
        assert t.startswith("NO"), (name, t)
    tagged(a, "CREATE Work")
    _, t = tagged(a, 'RENAME Work "#shared"')
    assert t.startswith("NO"), t


def test_grant_to_user_who_never_logged_in(pair, dave):
    srv, a, b = pair
    assert not srv.maildir("dave").exists()
    tagged(a, "CREATE ForDave")
    grant(a, "ForDave", "lr", who="dave@example.org")
    d = srv.login_imap("dave")
    typ, data = d.list('""', '"#shared.*"')
    assert typ == "OK"
    assert any(b'"#shared.alice.ForDave"' in x for x in data), data
    d.logout()


def test_concurrent_setacl_loses_nothing(pair):
    """Two sessions change one ACL at once: every change survives (the
    read-modify-write is under a lock)."""
    import threading
    srv, a, b = pair
    a2 = srv.raw(srv.imap_port)
    a2.readline()
    tagged(a2, "LOGIN alice@example.org secret-1")

    def run(conn, prefix):
        for i in range(12):
            _, t = tagged(conn, "SETACL INBOX %s%d@example.org lr" % (prefix, i))
            assert t.startswith("OK"), t

    th = [threading.Thread(target=run, args=(a, "u")),
          threading.Thread(target=run, args=(a2, "v"))]
    for t in th:
        t.start()
    for t in th:
        t.join()
    lines, _ = tagged(a, "GETACL INBOX")
    for p in "uv":
        for i in range(12):
            assert " %s%d@example.org lr" % (p, i) in lines[0], lines[0]
    a2.close()


def test_permanentflags_follow_rights(pair):
    srv, a, b = pair
    setup_folder(srv, a, "lrs")
    lines, t = tagged(b, 'SELECT "%sTeam"' % SHARED)
    assert t.startswith("OK [READ-WRITE]"), t
    assert "* OK [PERMANENTFLAGS (\\Seen)] Limited" in lines, lines
    lines, _ = tagged(a, "SELECT Team")
    assert any(l.startswith("* OK [PERMANENTFLAGS (\\Answered \\Flagged "
                            "\\Deleted \\Seen \\Draft") and "\\*)" in l
               for l in lines), lines


def test_move_across_owners_is_all_or_nothing(pair):
    """MOVE into another owner's folder is one storage operation: when the
    owner's quota refuses the second message, none is copied and the
    sources stay (streaming each message as an APPEND left the first one
    in both folders); a MOVE that fits keeps COPYUID and the flags the
    rights allow."""
    srv, a, b = pair
    tagged(a, "CREATE Team")
    grant(a, "Team", "lrsi")
    for i in range(2):
        srv.deliver("bob", "Subject: m%d\r\n\r\n%s\r\n" % (i, "x" * 150))
    (srv.maildir("alice") / "maildirsize").write_text("250S,1000C\n0 0\n")
    lines, t = tagged(b, "SELECT INBOX")
    assert "* 2 EXISTS" in lines, lines
    tagged(b, "STORE 1:2 +FLAGS (\\Seen \\Flagged)")
    lines, t = tagged(b, 'UID MOVE 1:2 "%sTeam"' % SHARED)
    assert t.startswith("NO [OVERQUOTA]"), t
    assert not any("EXPUNGE" in l for l in lines), lines
    lines, _ = tagged(a, "STATUS Team (MESSAGES)")
    assert "MESSAGES 0" in lines[0], lines
    lines, _ = tagged(b, "STATUS INBOX (MESSAGES)")
    assert "MESSAGES 2" in lines[0], lines
    # one message fits: moved, COPYUID names it, \Seen kept (s), \Flagged
    # dropped (no w)
    lines, t = tagged(b, 'UID MOVE 2 "%sTeam"' % SHARED)
    assert t.startswith("OK"), t
    assert any(re.match(r"\* OK \[COPYUID \d+ 2 1\]", l) for l in lines), \
        lines
    assert "* 2 EXPUNGE" in lines, lines
    tagged(a, "SELECT Team")
    lines, _ = tagged(a, "FETCH 1 (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert "\\Seen" in lines[0] and "\\Flagged" not in lines[0], lines
    assert any("m1" in l for l in lines), lines
    lines, _ = tagged(b, "STATUS INBOX (MESSAGES)")
    assert "MESSAGES 1" in lines[0], lines
