"""imap.namespace_prefix = INBOX.: folders as Courier-IMAP shows them
("INBOX.Work"), so clients moved from Courier find the folders they know
(offlineimap re-downloaded and re-uploaded everything without it); LIST,
LSUB, NAMESPACE, STATUS, ACL and special-use names agree, and the disk
layout and courierimapsubscribed are Courier's."""
import re


def setup_courier_maildir(srv):
    md = srv.maildir()
    for folder in ("Work", "Work.Caf&AOk-", "Sent"):
        for sub in ("tmp", "new", "cur"):
            (md / ("." + folder) / sub).mkdir(parents=True, exist_ok=True)
        (md / ("." + folder) / "maildirfolder").touch()
    for sub in ("tmp", "new", "cur"):
        (md / sub).mkdir(parents=True, exist_ok=True)
    (md / "courierimapsubscribed").write_text("INBOX.Work\nINBOX\n")
    srv.deliver("alice", b"Subject: w\r\n\r\nx\r\n", folder="Work")
    return md


def names(data):
    out = []
    for line in data:
        m = re.match(rb'\(([^)]*)\) "\." (.*)$', line)
        out.append((m.group(2).strip(b'"').decode(), m.group(1).decode()))
    return out


def test_courier_namespace(make_server):
    srv = make_server({"imap.namespace_prefix": "INBOX.",
                       "imap.special_use.sent": "INBOX.Sent"})
    md = setup_courier_maildir(srv)
    m = srv.login_imap()
    typ, data = m.namespace()
    assert data[0].startswith(b'(("INBOX." "."))')
    typ, data = m.list('""', "*")
    got = dict(names(data))
    assert sorted(got) == ["INBOX", "INBOX.Sent", "INBOX.Work",
                           "INBOX.Work.Caf&AOk-"]
    assert "\\Sent" in got["INBOX.Sent"]
    typ, data = m.list('""', "%")
    assert [n for n, _ in names(data)] == ["INBOX"]
    typ, data = m.list("INBOX.", "%")
    assert sorted(n for n, _ in names(data)) == ["INBOX.Sent", "INBOX.Work"]
    typ, data = m.lsub('""', "*")
    assert sorted(n for n, _ in names(data)) == ["INBOX", "INBOX.Work"]
    typ, data = m.select("INBOX.Work")
    assert typ == "OK" and data == [b"1"]
    typ, data = m.status("INBOX.Work", "(MESSAGES)")
    assert data[0] == b'"INBOX.Work" (MESSAGES 1)'
    typ, data = m._simple_command("MYRIGHTS", '"INBOX.Work"')
    assert typ == "OK"
    assert m.untagged_responses.pop("MYRIGHTS")[-1].startswith(
        b'"INBOX.Work" ')
    # created and subscribed as Courier would: .New on disk,
    # "INBOX.New" in courierimapsubscribed
    assert m.create("INBOX.New")[0] == "OK"
    assert (md / ".New" / "cur").is_dir()
    assert m.subscribe("INBOX.New")[0] == "OK"
    assert "INBOX.New\n" in (md / "courierimapsubscribed").read_text()
    assert m.rename("INBOX.New", "INBOX.Newer")[0] == "OK"
    assert (md / ".Newer" / "cur").is_dir()
    typ, data = m.lsub('""', "INBOX.New*")
    assert [n for n, _ in names(data)] == ["INBOX.Newer"]
    m.logout()


def test_default_namespace_unchanged(make_server):
    srv = make_server()
    setup_courier_maildir(srv)
    m = srv.login_imap()
    typ, data = m.namespace()
    assert data[0].startswith(b'(("" "."))')
    typ, data = m.list('""', "%")
    assert sorted(n for n, _ in names(data)) == ["INBOX", "Sent", "Work"]
    m.logout()
