"""IMAP mailbox commands: CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE,
LIST, LSUB, STATUS, SELECT/EXAMINE of missing names. Field bugs B04 B05
B06 B08 B09 B10 (with Maildock's "." delimiter instead of "/")."""
import pytest

F1 = (b"From: Alice <alice@example.org>\r\n"
      b"To: Bob <bob@example.org>\r\n"
      b"Subject: hello\r\n"
      b"Date: Mon, 01 Jan 2024 10:00:00 +0000\r\n"
      b"Message-ID: <f1@example.org>\r\n"
      b"\r\n"
      b"line one\r\n"
      b"line two\r\n")
assert len(F1) == 167


class Session:
    def __init__(self, server):
        self.raw = server.raw(server.imap_port)
        assert self.raw.readline().startswith("* OK")
        self.n = 0
        assert self.ok("LOGIN alice@example.org secret-1")

    def cmd(self, text):
        self.n += 1
        tag = "t%d" % self.n
        self.raw.sendline("%s %s" % (tag, text))
        lines = self.raw.read_until_tagged(tag)
        self.status = lines[-1][len(tag) + 1:]
        return lines[:-1]

    def ok(self, text):
        self.cmd(text)
        return self.status.startswith("OK")

    def list(self, ref, pat, what="LIST"):
        lines = self.cmd('%s "%s" "%s"' % (what, ref, pat))
        assert self.status.startswith("OK"), self.status
        out = {}
        for l in lines:
            assert l.startswith("* %s (" % what), l
            attrs, rest = l[len(what) + 4:].split(") ", 1)
            assert rest.startswith('"." '), l       # B06: quoted delimiter
            out[rest[4:]] = set(attrs.split())
        return out

    def append(self, box, msg=F1):
        self.n += 1
        tag = "t%d" % self.n
        self.raw.sendline("%s APPEND %s {%d}" % (tag, box, len(msg)))
        line = self.raw.readline()
        if not line.startswith("+ "):
            self.status = line[len(tag) + 1:]
            return False
        self.raw.send(msg + b"\r\n")
        self.status = self.raw.read_until_tagged(tag)[-1][len(tag) + 1:]
        return self.status.startswith("OK")


@pytest.fixture
def s(server, alice):
    return Session(server)


def test_create_list_delete(s):
    assert s.ok("CREATE Work")
    assert s.list("", "*") == {'"INBOX"': {"\\HasNoChildren"},
                               '"Work"': {"\\HasNoChildren"}}
    assert s.ok("DELETE Work")
    assert '"Work"' not in s.list("", "*")
    s.cmd("DELETE Work")
    assert s.status.startswith("NO [NONEXISTENT]")
    assert s.ok("CREATE Work.")          # trailing delimiter allowed
    s.cmd("CREATE Work")
    assert s.status.startswith("NO [ALREADYEXISTS]")


def test_quoted_specials_b04(s):
    assert s.ok('CREATE "quote\\"name"')
    assert s.list("", "quote*") == {'"quote\\"name"': {"\\HasNoChildren"}}
    lines = s.cmd('STATUS "quote\\"name" (MESSAGES)')
    assert lines == ['* STATUS "quote\\"name" (MESSAGES 0)']
    s.cmd('CREATE "back\\\\slash"')
    if s.status.startswith("OK"):      # storage may forbid the name
        assert '"back\\\\slash"' in s.list("", "back*")
    else:
        assert s.status.startswith("NO")
    s.raw.sendline("x CREATE {4}")
    assert s.raw.readline().startswith("+ ")
    s.raw.send(b"a\r\nb\r\n")
    line = s.raw.read_until_tagged("x")[-1]
    assert line.startswith("x NO") or line.startswith("x BAD")
    assert not any("\r" in k or "\n" in k for k in s.list("", "*"))


def test_mutf7_names_b05(s):
    assert s.ok('CREATE "Entw&APw-rfe"')
    assert '"Entw&APw-rfe"' in s.list("", "Entw*")
    assert s.ok('SELECT "Entw&APw-rfe"')
    assert s.ok('CREATE "a.&ZeVnLIqe-"')
    assert '"a.&ZeVnLIqe-"' in s.list("a.", "*")
    assert s.ok('CREATE "Tom &- Jerry"')
    assert '"Tom &- Jerry"' in s.list("", "Tom*")
    s.raw.sendline("r CREATE {9}")
    assert s.raw.readline().startswith("+ ")
    s.raw.send(b"Entw\xc3\xbcrfe\r\n")
    line = s.raw.read_until_tagged("r")[-1]
    assert line.startswith("r NO") or line.startswith("r BAD")
    for bad in ('"Bad&"', '"&AGE-"'):
        s.cmd("CREATE " + bad)
        assert s.status.startswith("NO") or s.status.startswith("BAD"), bad
    s.raw.sendline("q CREATE {6}")
    assert s.raw.readline().startswith("+ ")
    s.raw.send(b"&AAE-\x80\r\n")
    line = s.raw.read_until_tagged("q")[-1]
    assert line.startswith("q NO") or line.startswith("q BAD")


def test_list_wildcards_b06(s):
    lines = s.cmd('LIST "" ""')
    assert lines == ['* LIST (\\Noselect) "." ""']
    assert s.ok("CREATE a.b.c")            # creates a and a.b
    assert set(s.list("", "%")) == {'"INBOX"', '"a"'}
    assert set(s.list("", "a.%")) == {'"a.b"'}
    assert set(s.list("", "a.*")) == {'"a.b"', '"a.b.c"'}
    assert set(s.list("", "%.%")) == {'"a.b"'}
    assert set(s.list("a.", "%")) == {'"a.b"'}
    all_ = s.list("", "*")
    assert set(all_) == {'"INBOX"', '"a"', '"a.b"', '"a.b.c"'}
    assert "\\HasChildren" in all_['"a"']
    assert "\\HasNoChildren" in all_['"a.b.c"']
    assert set(s.list("", "inbox")) == {'"INBOX"'}
    assert s.list("", "NoSuchBox") == {}
    assert s.list("", "*%*%*%*%*%*%*%*%*%*%*%*%*%x") == {}


def test_delete_with_children_b08(s):
    assert s.ok("CREATE Parent")
    assert s.ok("CREATE Parent.Child")
    assert s.append("Parent")
    assert s.ok("DELETE Parent")
    got = s.list("", "Parent*")
    assert got['"Parent"'] >= {"\\Noselect", "\\HasChildren"}
    assert got['"Parent.Child"'] == {"\\HasNoChildren"}
    s.cmd("SELECT Parent")
    assert s.status.startswith("NO")
    assert s.ok("SELECT Parent.Child")
    s.cmd("DELETE Parent")
    assert s.status.startswith("NO")


def test_inbox_rules_b09(s):
    s.cmd("DELETE INBOX")
    assert s.status.startswith("NO")
    assert s.ok("CREATE Zoo")
    s.cmd("RENAME Zoo INBOX")
    assert s.status.startswith("NO")
    assert s.ok("CREATE Bar")
    s.cmd("RENAME Zoo Bar")
    assert s.status.startswith("NO")
    names = s.list("", "*")
    assert set(names) == {'"INBOX"', '"Zoo"', '"Bar"'}
    assert s.append("INBOX") and s.append("INBOX")
    assert s.ok("RENAME INBOX Old-Inbox")
    lines = s.cmd("SELECT inbox")
    assert "* 0 EXISTS" in lines and s.status.startswith("OK")
    lines = s.cmd("STATUS Old-Inbox (MESSAGES)")
    assert lines == ['* STATUS "Old-Inbox" (MESSAGES 2)']
    s.cmd("CREATE INBOX")
    assert s.status.startswith("NO")
    assert s.ok("RENAME Zoo Zoo2")
    assert set(s.list("", "Zoo*")) == {'"Zoo2"'}


def test_missing_mailbox_b10(s):
    assert s.ok("SELECT INBOX")
    s.cmd("SELECT NoSuchBox")
    assert s.status.startswith("NO [NONEXISTENT]")
    s.cmd("FETCH 1 (FLAGS)")
    assert s.status.startswith("BAD")          # nothing selected any more
    s.cmd("STATUS NoSuchBox (MESSAGES)")
    assert s.status.startswith("NO")
    assert s.list("", "NoSuchBox") == {}
    assert not s.append("NoSuchBox")
    assert s.status.startswith("NO [TRYCREATE]")
    assert s.append("INBOX")
    assert s.ok("SELECT INBOX")
    s.cmd("COPY 1 NoSuchBox")
    assert s.status.startswith("NO [TRYCREATE]")
    s.cmd("EXAMINE NoSuchBox")
    assert s.status.startswith("NO")


def test_status_items(s):
    assert s.append("INBOX")
    lines = s.cmd("STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)")
    assert len(lines) == 1
    words = lines[0].split("(")[1].rstrip(")").split()
    st = dict(zip(words[::2], map(int, words[1::2])))
    assert st["MESSAGES"] == 1 and st["UNSEEN"] == 1
    assert st["UIDNEXT"] >= 2 and st["UIDVALIDITY"] >= 1
    s.cmd("STATUS INBOX (FOO)")
    assert s.status.startswith("BAD")
    s.cmd("STATUS INBOX ()")
    assert s.status.startswith("BAD")
    s.cmd("STATUS INBOX MESSAGES")
    assert s.status.startswith("BAD")


def test_subscribe_lsub(s):
    assert s.ok("CREATE Lists")
    assert s.ok("CREATE Lists.Sub")
    assert s.ok("SUBSCRIBE Lists.Sub")
    assert s.ok("SUBSCRIBE INBOX")
    got = s.list("", "*", "LSUB")
    assert set(got) == {'"INBOX"', '"Lists.Sub"'}
    assert set(s.list("", "Lists.%", "LSUB")) == {'"Lists.Sub"'}
    assert s.ok("UNSUBSCRIBE Lists.Sub")
    assert set(s.list("", "*", "LSUB")) == {'"INBOX"'}
    s.cmd("UNSUBSCRIBE Lists.Sub")
    assert s.status.startswith("NO")
    assert s.ok('SUBSCRIBE "Gone"')   # allowed for a missing name
    assert '"Gone"' in s.list("", "*", "LSUB")


def test_rename_onto_a_subscribed_name_then_unsubscribe(s, server):
    """Found by the model test (seeds 2003, 2039, 2040): B subscribed while
    it did not exist, then RENAME A B with A subscribed wrote B twice in
    courierimapsubscribed, and UNSUBSCRIBE B removed one line: LSUB went
    on listing B (RFC 3501 6.3.7, 6.3.9)."""
    assert s.ok("SUBSCRIBE B")
    assert s.ok("CREATE A")
    assert s.ok("SUBSCRIBE A")
    assert s.ok("RENAME A B")
    assert set(s.list("", "*", "LSUB")) == {'"B"'}
    subs = server.maildir("alice") / "courierimapsubscribed"
    assert subs.read_text().split() == ["INBOX.B"]
    assert s.ok("UNSUBSCRIBE B")
    assert s.list("", "*", "LSUB") == {}
    # a file another tool wrote with a name twice: one UNSUBSCRIBE
    subs.write_text("INBOX.C\nINBOX.C\n")
    assert s.ok("UNSUBSCRIBE C")
    assert s.list("", "*", "LSUB") == {}


def test_mailbox_bad_args(s):
    for c in ("CREATE", "DELETE a b", "RENAME a", "LIST \"\"",
              "SUBSCRIBE", "STATUS INBOX", "SELECT"):
        s.cmd(c)
        assert s.status.startswith("BAD"), c


def test_quota_b14(server, alice):
    md = server.maildir("alice")
    md.mkdir(parents=True, exist_ok=True)
    (md / "maildirsize").write_text("10485760S,1000C\n0 0\n")
    s = Session(server)
    lines = s.cmd("GETQUOTAROOT INBOX")
    assert lines[0] == '* QUOTAROOT "INBOX" ""'
    assert lines[1] == '* QUOTA "" (STORAGE 0 10240 MESSAGE 0 1000)'
    assert s.append("INBOX")
    lines = s.cmd('GETQUOTA ""')
    assert lines == ['* QUOTA "" (STORAGE 1 10240 MESSAGE 1 1000)']
    s.cmd('GETQUOTA "no-such-root"')
    assert s.status.startswith("NO")
    assert s.ok("CREATE Sub.Folder")
    assert s.cmd("GETQUOTAROOT Sub.Folder")[0] == \
        '* QUOTAROOT "Sub.Folder" ""'
    s.cmd('SETQUOTA "" (STORAGE 1)')
    assert s.status.startswith("NO")


def test_quota_without_limit(s):
    lines = s.cmd("GETQUOTAROOT INBOX")
    assert lines == ['* QUOTAROOT "INBOX"'] and s.status.startswith("OK")
    s.cmd('GETQUOTA ""')
    assert s.status.startswith("NO")
    s.cmd("GETQUOTAROOT NoSuchBox")
    assert s.status.startswith("NO")
    s.cmd('SETQUOTA "" (STORAGE 1)')
    assert s.status.startswith("NO")


def test_list_extended(s):
    caps = s.cmd("CAPABILITY")[0]
    for c in ("LIST-EXTENDED", "LIST-STATUS", "SPECIAL-USE", "CHILDREN"):
        assert c in caps.split()
    for name in ("Sent", "Trash", "Foo", "Foo.Bar", "Baz.Sub"):
        assert s.ok("CREATE " + name)
    assert s.ok("SUBSCRIBE Foo.Bar") and s.ok("SUBSCRIBE Sent")
    assert s.ok("SUBSCRIBE Gone")
    assert s.append("Sent")
    # RFC 6154: attributes from configuration; selection option
    got = s.list("", "*")
    assert "\\Sent" in got['"Sent"'] and "\\Trash" in got['"Trash"']
    lines = s.cmd('LIST (SPECIAL-USE) "" "*"')
    assert sorted(l.split()[-1] for l in lines) == ['"Sent"', '"Trash"']
    # RFC 5258: SUBSCRIBED selection, RECURSIVEMATCH, RETURN (SUBSCRIBED)
    lines = s.cmd('LIST (SUBSCRIBED) "" "*"')
    assert s.status.startswith("OK")
    names = {l.split(' "." ')[1]: l for l in lines}
    assert set(names) == {'"Foo.Bar"', '"Sent"', '"Gone"'}
    assert all("\\Subscribed" in l for l in lines)
    assert "\\NonExistent" in names['"Gone"']
    lines = s.cmd('LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"')
    assert '* LIST (\\HasChildren) "." "Foo" ("CHILDINFO" ("SUBSCRIBED"))' \
        in lines
    assert not any('"Baz"' in l for l in lines)
    lines = s.cmd('LIST "" ("Foo" "Baz.*") RETURN (SUBSCRIBED CHILDREN)')
    names = {l.split(' "." ')[1]: l for l in lines}
    assert set(names) == {'"Foo"', '"Baz.Sub"'}
    assert "\\HasChildren" in names['"Foo"']
    assert "\\Subscribed" not in names['"Foo"']
    # RFC 5819: STATUS after each selectable name
    lines = s.cmd('LIST "" "S%" RETURN (STATUS (MESSAGES UNSEEN))')
    assert lines[-2].startswith('* LIST (') and lines[-2].endswith('"Sent"')
    assert lines[-1] == '* STATUS "Sent" (MESSAGES 1 UNSEEN 1)'
    for bad in ('LIST (FOO) "" "*"', 'LIST (RECURSIVEMATCH) "" "*"',
                'LIST "" "*" RETURN (STATUS (BOGUS))', 'LIST "" "*" RETURN',
                'LIST "" ()', 'LSUB (SUBSCRIBED) "" "*"'):
        s.cmd(bad)
        assert s.status.startswith("BAD"), bad


def test_utf8_accept(server, s):
    """RFC 6855: after ENABLE UTF8=ACCEPT names are UTF-8 both ways,
    quoted strings may carry UTF-8, and APPEND takes UTF8 (~{n})."""
    assert "UTF8=ACCEPT" in s.cmd("CAPABILITY")[0].split()
    s.raw.send('u0 CREATE "Entwürfe"\r\n'.encode())
    assert s.raw.read_until_tagged("u0")[-1].startswith("u0 BAD")
    assert s.cmd("ENABLE UTF8=ACCEPT") == ["* ENABLED UTF8=ACCEPT"]
    assert s.cmd("ENABLE UTF8=ACCEPT") == ["* ENABLED"]
    s.raw.send('u1 CREATE "Entwürfe"\r\n'.encode())
    assert s.raw.read_until_tagged("u1")[-1].startswith("u1 OK")
    s.raw.send('u2 LIST "" "Entw*"\r\n'.encode())
    lines = s.raw.read_until_tagged("u2")
    assert lines[0] == '* LIST (\\HasNoChildren) "." "Entwürfe"'
    s.raw.send(b'u3 CREATE "bad\xc3"\r\n')
    assert s.raw.read_until_tagged("u3")[-1].startswith("u3 BAD")
    msg = "Subject: Grüße\r\nFrom: a@b\r\n\r\nKöln\r\n".encode()
    s.raw.send(('u4 APPEND "Entwürfe" UTF8 (~{%d}\r\n' % len(msg)).encode())
    assert s.raw.readline().startswith("+ ")
    s.raw.send(msg + b")\r\n")
    assert s.raw.read_until_tagged("u4")[-1].startswith("u4 OK [APPENDUID")
    s.raw.send(('u5 APPEND "Entwürfe" (\\Seen) UTF8 (~{%d+}\r\n'
                % len(msg)).encode() + msg + b")\r\n")
    assert s.raw.read_until_tagged("u5")[-1].startswith("u5 OK [APPENDUID")
    s.raw.send('u6 STATUS "Entwürfe" (MESSAGES)\r\n'.encode())
    assert s.raw.read_until_tagged("u6")[0] == \
        '* STATUS "Entwürfe" (MESSAGES 2)'
    s.raw.send('u7 SELECT "Entwürfe"\r\n'.encode())
    assert s.raw.read_until_tagged("u7")[-1].startswith("u7 OK")
    # a bare literal8 is BINARY's APPEND (RFC 3516 4.4), also after ENABLE
    s.raw.send(b"u8 APPEND INBOX ~{5}\r\n")
    assert s.raw.readline().startswith("+ ")
    s.raw.send(b"hello\r\n")
    assert s.raw.read_until_tagged("u8")[-1].startswith("u8 OK")
    # another session without UTF8=ACCEPT sees modified UTF-7
    other = Session(server)
    assert '"Entw&APw-rfe"' in other.list("", "Entw*")
    fetched = other.cmd('STATUS "Entw&APw-rfe" (MESSAGES)')
    assert fetched == ['* STATUS "Entw&APw-rfe" (MESSAGES 2)']
