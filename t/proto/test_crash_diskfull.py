"""Disk full (issue 9): the Maildirs live on a small tmpfs made by the test
(root only; skipped elsewhere). APPEND that does not fit answers NO with a
response code, leaves no partial file, and the existing mail is untouched;
once space is back APPEND works again. UIDs handed out while the UID list
could not be written are not handed out again to other messages after a
restart (RFC 3501 2.3.1.1: a UID names one message for a UIDVALIDITY).
"""
import os
import re
import signal
import subprocess

import pytest

from test_crash_kill import login, restart

F1 = (b"From: Alice <alice@example.org>\r\nTo: Bob <bob@example.org>\r\n"
      b"Subject: hello\r\nDate: Mon, 01 Jan 2024 10:00:00 +0000\r\n"
      b"Message-ID: <f1@example.org>\r\n\r\nline one\r\nline two\r\n")


@pytest.fixture
def small_fs(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0777",
                        "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root): %s" % r.stderr.decode())
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)])


def fill(mnt, leave):
    """Write a filler file so that about `leave` bytes stay free."""
    st = os.statvfs(mnt)
    free = st.f_bavail * st.f_frsize
    path = mnt / "filler"
    with open(path, "ab") as f:
        want = max(0, free - leave)
        chunk = b"\0" * 65536
        while want > 0:
            n = min(want, len(chunk))
            try:
                f.write(chunk[:n])
                f.flush()
            except OSError:
                break
            want -= n
    return path


def files(md):
    out = {}
    for sub in ("tmp", "new", "cur"):
        d = md / sub
        out[sub] = sorted(p.name for p in d.iterdir()) if d.is_dir() else []
    return out


def bodies(m):
    typ, data = m.uid("FETCH", "1:*", "(UID BODY.PEEK[])")
    assert typ == "OK", data
    return {int(re.search(rb"UID (\d+)", i[0]).group(1)): i[1]
            for i in data if isinstance(i, tuple)}


def test_append_on_a_full_disk(make_server, small_fs):
    srv = make_server({"mail.location": str(small_fs) + "/%d/%n/Maildir"})
    m = login(srv)
    assert m.append("INBOX", None, None, F1)[0] == "OK"
    m.select("INBOX")
    before = bodies(m)
    md = small_fs / "example.org" / "alice" / "Maildir"
    on_disk = files(md)
    filler = fill(small_fs, 64 * 1024)
    big = F1.replace(b"line one", b"x" * (1024 * 1024))
    try:
        typ, data = m.append("INBOX", None, None, big)
    except m.error as e:		# NO/BAD raise in imaplib's append
        typ, data = "NO", [str(e).encode()]
    assert typ == "NO", (typ, data)
    text = b" ".join(d for d in data if isinstance(d, bytes))
    assert re.search(rb"\[[A-Z]+", text), "NO without a response code: %r" % text
    # nothing partial, the old mail intact, the session still works
    after = files(md)
    assert after["new"] + after["cur"] == on_disk["new"] + on_disk["cur"], after
    assert after["tmp"] == [], "partial file left in tmp/: %s" % after["tmp"]
    assert m.noop()[0] == "OK"
    assert bodies(m) == before
    # space back: APPEND works again
    filler.unlink()
    assert m.append("INBOX", None, None, big)[0] == "OK"
    m.logout()


def test_uids_not_reused_after_a_failed_uid_list_write(make_server, small_fs):
    srv = make_server({"mail.location": str(small_fs) + "/%d/%n/Maildir"})
    m = login(srv)
    assert m.append("INBOX", None, None, F1)[0] == "OK"
    m.logout()
    md = small_fs / "example.org" / "alice" / "Maildir"
    # two deliveries, then no space at all for the UID list
    for i in range(2):
        name = "1704103200.M%dP1.mta" % i
        (md / "tmp" / name).write_bytes(F1.replace(b"<f1@", b"<dlv%d@" % i))
        os.rename(md / "tmp" / name, md / "new" / name)
    filler = fill(small_fs, 0)
    m = login(srv)
    typ, data = m.select("INBOX")
    seen = {}
    if typ == "OK":
        validity = int(m.response("UIDVALIDITY")[1][0])
        seen = {u: re.search(rb"Message-ID: <([^>]+)>", b).group(1)
                for u, b in bodies(m).items()}
    try:
        m.logout()
    except (m.abort, OSError):
        pass
    filler.unlink()
    restart(srv)			# whatever was only in memory is gone now
    m = login(srv)
    assert m.select("INBOX")[0] == "OK"
    validity2 = int(m.response("UIDVALIDITY")[1][0])
    now = {u: re.search(rb"Message-ID: <([^>]+)>", b).group(1)
           for u, b in bodies(m).items()}
    m.logout()
    assert sorted(now.values()) == [b"dlv0@example.org", b"dlv1@example.org",
                                    b"f1@example.org"], now
    if seen and validity2 == validity:
        for uid, mid in seen.items():
            if uid in now:
                assert now[uid] == mid, "UID %d was %s, now %s" % (uid, mid, now[uid])
            assert mid in now.values()
        # a UID given to a message before is never given to another
        for uid, mid in now.items():
            assert seen.get(uid, mid) == mid
