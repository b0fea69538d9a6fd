"""maildock-admin's account and mail commands (issue 17): user, mailbox
list/status/create/delete, quota get/recalc, fetch and expunge by a
SEARCH query, against the real daemon's Maildirs, seen by IMAP clients."""
import json
import time

from conftest import USERS
from test_core_admin import admin

SPAM = (b"From: Spammer <spammer@example.com>\r\nTo: alice@example.org\r\n"
        b"Subject: Buy now\r\n\r\nFrom the desk of a prince.\r\n"
        b">From here on\r\n")
HAM = (b"From: Bob <bob@example.org>\r\nTo: alice@example.org\r\n"
       b"Subject: Lunch\r\n\r\nNoon?\r\n")


def server_with_mail(make_server, tmp_path):
    users = tmp_path / "users-quota"
    with open(users, "w") as f:
        for name, (login, password) in USERS.items():
            extra = "userdb_quota_rule=*:storage=10M" if name == "alice" \
                else ""
            f.write("%s:{PLAIN}%s::::%s::%s\n" % (
                login, password, tmp_path / "home" / name, extra))
    srv = make_server({"auth.pwfile.path": str(users)})
    m = srv.login_imap("alice")
    for msg in (HAM, SPAM, HAM):
        assert m.append("INBOX", None, None, msg)[0] == "OK"
    assert m.create("Work")[0] == "OK"
    return srv, m


def test_user_shows_what_the_auth_chain_answers(make_server):
    srv = make_server()
    r = admin(srv, "-j", "user", "Alice@Example.org")
    assert r.returncode == 0, r.stderr
    [row] = json.loads(r.stdout)
    assert row["user"] == "alice@example.org"
    assert row["module"] == "pwfile"
    assert row["mail"] == str(srv.mail_root / "example.org/alice/Maildir")
    text = admin(srv, "user", "alice@example.org").stdout.splitlines()
    assert text[0].split()[:2] == ["user", "module"]
    r = admin(srv, "user", "nobody@example.org")
    assert r.returncode == 1
    assert "no such user: nobody@example.org" in r.stderr


def test_mailbox_list_status_create_delete(make_server, tmp_path):
    srv, m = server_with_mail(make_server, tmp_path)
    alice = USERS["alice"][0]
    r = admin(srv, "-j", "mailbox", "list", alice)
    assert r.returncode == 0, r.stderr
    assert [x["mailbox"] for x in json.loads(r.stdout)] == ["INBOX", "Work"]
    r = admin(srv, "mailbox", "create", alice, "Archive", "Archive.2026")
    assert r.returncode == 0, r.stderr
    # the user's client sees them
    listed = b" ".join(m.list()[1])
    assert b'"Archive.2026"' in listed and b'"Archive"' in listed
    r = admin(srv, "-j", "mailbox", "status", alice, "INBOX")
    [inbox] = json.loads(r.stdout)
    assert (inbox["mailbox"], inbox["messages"], inbox["uidnext"]) == \
        ("INBOX", 3, 4)
    every = json.loads(admin(srv, "-j", "mailbox", "status", alice).stdout)
    assert [x["mailbox"] for x in every] == ["INBOX", "Archive",
                                             "Archive.2026", "Work"]
    assert admin(srv, "mailbox", "delete", alice, "Work").returncode == 0
    assert b'"Work"' not in b" ".join(m.list()[1])
    r = admin(srv, "mailbox", "delete", alice, "Work")
    assert r.returncode == 1 and "Work: no such mailbox" in r.stderr
    r = admin(srv, "mailbox", "create", alice, "Archive")
    assert r.returncode == 1 and "Archive: already exists" in r.stderr
    assert admin(srv, "mailbox", "frob", alice).returncode == 2
    m.logout()


def test_quota_get_and_recalc(make_server, tmp_path):
    srv, m = server_with_mail(make_server, tmp_path)
    alice = USERS["alice"][0]
    r = admin(srv, "-j", "quota", "get", alice)
    assert r.returncode == 0, r.stderr
    got = {x["type"]: x for x in json.loads(r.stdout)}
    assert got["STORAGE"]["limit"] == 10 * 1024 * 1024
    assert got["MESSAGE"]["value"] == 3
    right = got["STORAGE"]["value"]
    assert right >= 2 * len(HAM) + len(SPAM) - 10
    # a lost or doubled line (a crash, a hand edit) skews the sum ...
    maildirsize = srv.mail_root / "example.org/alice/Maildir/maildirsize"
    with open(maildirsize, "a") as f:
        f.write("5000000 40\n")
    got = {x["type"]: x for x in json.loads(
        admin(srv, "-j", "quota", "get", alice).stdout)}
    assert got["MESSAGE"]["value"] == 43
    # ... until a recount
    r = admin(srv, "-j", "quota", "recalc", alice)
    assert r.returncode == 0, r.stderr
    got = {x["type"]: x for x in json.loads(r.stdout)}
    assert (got["STORAGE"]["value"], got["MESSAGE"]["value"]) == (right, 3)
    assert maildirsize.read_text().startswith("10485760S\n")
    m.logout()


def test_fetch_and_expunge_by_search_query(make_server, tmp_path):
    srv, m = server_with_mail(make_server, tmp_path)
    alice = USERS["alice"][0]
    m.select("INBOX")
    r = admin(srv, "fetch", alice, "INBOX", "from", "spammer@example.com")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split("\n")
    assert lines[0].startswith("From MAILER-DAEMON ")
    assert "Subject: Buy now" in lines
    assert ">From the desk of a prince." in lines     # mboxrd quoting
    assert ">>From here on" in lines
    assert "Lunch" not in r.stdout
    r = admin(srv, "-j", "fetch", alice, "INBOX", "(", "OR", "subject",
              "lunch", "body", "prince", ")", "not", "uid", "3")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert [x["uid"] for x in got] == [1, 2]
    assert got[1]["message"].encode() == SPAM
    # nothing matched, a bad query: a script can tell
    r = admin(srv, "fetch", alice, "INBOX", "subject", "no such thing")
    assert r.returncode == 1 and r.stdout == ""
    r = admin(srv, "fetch", alice, "INBOX", "frobnicate")
    assert r.returncode == 2 and "bad search query" in r.stderr
    r = admin(srv, "expunge", alice, "INBOX", "from", "spammer@example.com")
    assert r.returncode == 0, r.stderr
    assert r.stdout == \
        "expunged 1 message from INBOX of alice@example.org\n"
    # the user's open session learns of it at its next command
    deadline = time.time() + 10
    while time.time() < deadline:
        typ, data = m.noop()
        if m.untagged_responses.pop("EXPUNGE", None) == [b"2"]:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("no EXPUNGE reached the session")
    assert m.search(None, "ALL")[1] == [b"1 2"]
    assert json.loads(admin(srv, "-j", "expunge", alice, "INBOX",
                            "all").stdout) == {"expunged": 2}
    m.logout()
