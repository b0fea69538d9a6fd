"""UIDs exhausted (RFC 3501 2.3.1.1): a folder imported with a next UID at
2^32-1 (a Courier or Dovecot list says so) gets a new UIDVALIDITY and is
numbered again from 1 when the next message comes, never UID 0, never a
UID given before; a session that had it selected is ended (its UIDs
would change under it), as Dovecot does, and selects it again."""
import imaplib
import re

MSG = b"Subject: old\r\n\r\nx\r\n"


def test_uids_exhausted_renumber(alice):
    md = alice.maildir()
    for sub in ("tmp", "new", "cur"):
        (md / sub).mkdir(parents=True, exist_ok=True)
    (md / "cur" / "1000.M1P1.host:2,S").write_bytes(MSG)
    (md / "courierimapuiddb").write_text(
        "1 1234567890 4294967295\n4294967294 1000.M1P1.host\n")
    a = alice.login_imap()
    a.select("INBOX")
    assert a.response("UIDVALIDITY")[1] == [b"1234567890"]
    assert a.uid("FETCH", "1:*", "(FLAGS)")[1][0].startswith(
        b"1 (UID 4294967294 FLAGS (\\Seen")
    b = alice.login_imap()
    typ, data = b.append("INBOX", None, None, b"Subject: new\r\n\r\ny\r\n")
    assert typ == "OK", data
    uidv, uid = re.search(rb"APPENDUID (\d+) (\d+)", data[0]).groups()
    assert int(uidv) != 1234567890 and int(uid) == 2
    b.logout()
    # the selected session is told to go, not shown other UIDs
    try:
        a.noop()
        raise AssertionError("session not ended")
    except imaplib.IMAP4.abort:
        pass
    assert b"Mailbox UIDVALIDITY changed" in b"".join(
        x for x in a.untagged_responses.get("BYE", []))
    c = alice.login_imap()
    c.select("INBOX")
    assert c.response("UIDVALIDITY")[1] == [uidv]
    typ, data = c.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[HEADER])")
    got = [(re.search(rb"UID (\d+)", d[0]).group(1), d[1]) for d in data
           if isinstance(d, tuple)]
    assert got == [(b"1", b"Subject: old\r\n\r\n"),
                   (b"2", b"Subject: new\r\n\r\n")]
    typ, st = c.status("INBOX", "(UIDNEXT)")
    assert b"UIDNEXT 3" in st[0]
    c.logout()
