"""maildock-migrate check: what each server would show in a Maildir, and
every disagreement, from the real files Maildock, Courier and Dovecot
write (the formats as in t/unit/test-maildir-uidlist.c's fixtures)."""
import subprocess

from conftest import BUILDDIR


def run_check(md):
    p = subprocess.run([str(BUILDDIR / "maildock-migrate"), "check", str(md)],
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout


def maildir(tmp_path):
    md = tmp_path / "Maildir"
    for sub in ("tmp", "new", "cur"):
        (md / sub).mkdir(parents=True)
    return md


def test_check_reports_disagreements(tmp_path):
    md = maildir(tmp_path)
    (md / "cur" / "1000.M1P1.host:2,S").write_text("x\n")
    (md / "cur" / "1001.M1P1.host:2,").write_text("x\n")
    (md / "courierimapuiddb").write_text(
        "1 1234567890 10\n3 1000.M1P1.host\n7 1001.M1P1.host\n")
    # Dovecot numbered the second file differently, and counts further
    (md / "dovecot-uidlist").write_text(
        "3 V1234567890 N12 G3085f01b7f11094c501100008c4a11c1\n"
        "3 :1000.M1P1.host\n11 :1001.M1P1.host\n")
    (md / "dovecot-keywords").write_text("0 $Label1\n1 Project-X\n")
    (md / "courierimapkeywords").mkdir()
    (md / "courierimapkeywords" / ":list").write_text(
        "$Label1\n\n1000.M1P1.host:0\n")
    work = md / ".Work"
    for sub in ("tmp", "new", "cur"):
        (work / sub).mkdir(parents=True)
    (work / "maildirfolder").touch()
    (md / "courierimapsubscribed").write_text("INBOX.Work\n")
    (md / "subscriptions").write_text("V\t2\n\nINBOX\n")
    rc, out = run_check(md)
    assert rc == 1, out
    assert "courier   uidvalidity 1234567890, next uid 10, " \
        "messages with a uid 2 of 2" in out
    assert "dovecot   uidvalidity 1234567890, next uid 12" in out
    assert "maildock  (no maildock-uidlist)" in out
    assert "! next uid: courier 10, dovecot 12" in out
    assert "! 1001.M1P1.host: courier uid 7, dovecot uid 11" in out
    assert "1000.M1P1.host: courier" not in out
    assert "! keyword Project-X only in dovecot-keywords" in out
    lines = out.splitlines()
    inbox, work_at = lines.index("INBOX"), lines.index("Work")
    assert "  subscribed courier: no, dovecot: yes" in lines[inbox:work_at]
    assert "  subscribed courier: yes, dovecot: no" in lines[work_at:]
    assert lines[-1] == "5 disagreements"


def test_check_agrees_after_maildock_kept_the_files(make_server):
    """After Maildock served the Maildir with maildir.compat set, the three
    lists, the keyword maps and the subscriptions agree."""
    srv = make_server({"maildir.compat": "courier,dovecot"})
    srv.deliver("alice", b"Subject: a\r\n\r\nx\r\n")
    srv.deliver("alice", b"Subject: b\r\n\r\nx\r\n")
    m = srv.login_imap()
    assert m.create("Work")[0] == "OK"
    assert m.subscribe("Work")[0] == "OK"
    m.select("INBOX")
    assert m.store("1", "+FLAGS", "(Project-X)")[0] == "OK"
    m.logout()
    rc, out = run_check(srv.maildir())
    assert rc == 0, out
    assert "messages with a uid 2 of 2" in out
    assert out.splitlines()[-1] == "0 disagreements"
