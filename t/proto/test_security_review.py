"""Security review (2026-11-29): hostile mailbox names and user names.

Each test asserts what a client sees; see /work/notes/findings-security.md.
"""
import os
import pathlib
import shutil
import tempfile

import pytest

from test_auth_passwd import accounts  # noqa: F401 (fixture)


def raw_login(srv, user="alice@example.org", pw="secret-1"):
    c = srv.raw(srv.imap_port)
    c.readline()
    c.sendline('a LOGIN "%s" "%s"' % (user, pw))
    assert c.read_until_tagged("a")[-1].startswith("a OK")
    return c


def cmd(c, tag, line):
    c.sendline("%s %s" % (tag, line))
    return c.read_until_tagged(tag)


@pytest.mark.parametrize("name", ["Foo&AAA-bar", "Foo&AAA-", "&AAA-Foo"])
def test_mutf7_encoded_nul_is_not_a_name(alice, name):
    """A modified UTF-7 run that encodes U+0000 must not cut the name short
    (it made "Foo&AAA-bar" an alias of "Foo": CREATE, SELECT, DELETE of a
    folder the client did not name)."""
    c = raw_login(alice)
    assert cmd(c, "c1", "CREATE Foo")[-1].startswith("c1 OK")
    lines = cmd(c, "c2", 'SELECT "%s"' % name)
    assert lines[-1].startswith("c2 NO"), lines
    lines = cmd(c, "c3", 'DELETE "%s"' % name)
    assert lines[-1].startswith("c3 NO"), lines
    lines = cmd(c, "c4", 'LIST "" "*"')
    assert any(l.endswith(" Foo") or l.endswith(' "Foo"') for l in lines)
    c.close()


@pytest.mark.parametrize("user", ["../alice@example.org", "a/b@example.org",
                                  "alice@example.org/..", ".@example.org",
                                  "alice@..", "alice@example.org\\x"])
def test_hostile_user_names_refused(alice, user):
    c = alice.raw(alice.imap_port)
    c.readline()
    c.sendline('a LOGIN "%s" "secret-1"' % user.replace("\\", "\\\\"))
    assert c.read_until_tagged("a")[-1].startswith("a NO")
    root = alice.maildir("alice").parents[2]
    for p in root.rglob("*"):
        assert ".." not in p.name and "/" not in p.name
    c.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="system-users mode needs root")
def test_setacl_does_not_make_grantee_maildir_as_owner(accounts, make_server,
                                                       tmp_path):
    """System users with a mail root both can write (1777 like /tmp):
    sysalice sharing a folder with sysbob, who never logged in, must not
    create sysbob's Maildir as sysalice (she would own his mail)."""
    root = pathlib.Path(tempfile.mkdtemp(prefix="maildock-spool-"))
    root.chmod(0o1777)
    srv = make_server({"auth.modules": "passwd", "auth.system_users": "yes",
                       "auth.username_lowercase": "no",
                       "mail.location": str(root) + "/%n/Maildir"})
    c = srv.raw(srv.imap_port)
    c.readline()
    c.sendline('a LOGIN sysalice "sys pass 1"')
    assert c.read_until_tagged("a")[-1].startswith("a OK")
    assert cmd(c, "b", "CREATE Team")[-1].startswith("b OK")
    cmd(c, "s", "SETACL Team sysbob lr")
    c.close()
    bob = root / "sysbob"
    assert not bob.exists() or bob.stat().st_uid != 5001
    m = srv.imap()
    m.login("sysbob", "sys pass 2")
    assert m.select("INBOX")[0] == "OK"
    m.logout()
    assert (bob / "Maildir").stat().st_uid == 5002
    shutil.rmtree(root, ignore_errors=True)
