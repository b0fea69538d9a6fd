"""SEARCH with the full-text index (issue 20) gives exactly the scanning
search's answers: the same corpus folder served by two daemons, one with
search.index = yes and one with search.index = no, must answer every query
with the same UIDs; also after expunges and deliveries by file, after the
index file is damaged, and after a SIGKILL while indexing."""
import email
import email.policy
import os
import random
import threading
import time

import pytest

import conftest

INDEX_FILE = "maildock-fts.sqlite"


def corpus_files(corpus, n, seed):
    files = sorted((corpus / "messages").rglob("*.eml"))
    if n < len(files):
        files = random.Random(seed).sample(files, n)
    return files


def deliver_all(server, user, files):
    start = int(time.time()) - len(files)
    for i, path in enumerate(files):
        p = server.deliver(user, path.read_bytes(),
                           name="%010d.M1P1Q%d.idx" % (start + i, i))
        os.utime(p, (start + i, start + i))


def texts_of(path):
    """Decoded texts of a message as Python sees them: header values and
    text parts (a source of substrings, not a reference answer)."""
    msg = email.message_from_bytes(path.read_bytes(),
                                   policy=email.policy.default)
    out = []
    for key in ("Subject", "From", "To"):
        try:
            v = msg.get(key)
            if v:
                out.append((key, str(v)))
        except Exception:
            pass
    for part in msg.walk():
        if part.get_content_maintype() != "text":
            continue
        try:
            out.append(("BODY", part.get_content()))
        except Exception:
            pass
    return out


def make_queries(files, n, seed):
    """n queries: (key, needle) with needles of 3-12 characters taken from
    decoded texts, case changed at random, non-ASCII ones preferred for a
    part, plus strings found nowhere."""
    rnd = random.Random(seed)
    pool = []
    for path in files:
        pool.extend(texts_of(path))
    queries = []
    while len(queries) < n:
        if rnd.random() < 0.1:
            queries.append(("BODY", "zq%dxj%s" % (rnd.randrange(10**6),
                                                  rnd.choice("äßкx"))))
            continue
        key, text = rnd.choice(pool)
        text = "".join(c for c in text if c.isprintable())
        if len(text) < 3:
            continue
        size = rnd.randint(3, 12)
        at = rnd.randrange(max(1, len(text) - size))
        if rnd.random() < 0.3:
            wide = [i for i, c in enumerate(text) if ord(c) > 127]
            if wide:
                at = max(0, rnd.choice(wide) - rnd.randrange(size))
        needle = text[at:at + size]
        if len(needle.strip()) < 3:
            continue
        needle = "".join(c.upper() if rnd.random() < 0.3 else c
                         for c in needle)
        if key == "BODY" and rnd.random() < 0.3:
            key = "TEXT"
        queries.append((key, needle))
    return queries


def uid_search(imap, key, needle):
    imap.literal = needle.encode()
    typ, data = imap._simple_command("UID", "SEARCH CHARSET UTF-8 " + key)
    assert typ == "OK", (key, needle, data)
    found = imap.untagged_responses.pop("SEARCH", [b""])
    return sorted(int(x) for x in (found[0] or b"").split())


def pair(make_server):
    """Two daemons on one Maildir: with the index and without."""
    indexed = make_server()
    plain = make_server({"search.index": "no",
                         "mail.location": indexed.settings["mail.location"]})
    return indexed, plain


def compare(indexed, plain, queries):
    a, b = indexed.login_imap("dave"), plain.login_imap("dave")
    try:
        for imap in (a, b):
            assert imap.select("INBOX")[0] == "OK"
        for key, needle in queries:
            assert uid_search(a, key, needle) == uid_search(b, key, needle), \
                (key, needle)
    finally:
        a.logout()
        b.logout()


def index_path(server):
    return server.maildir("dave") / INDEX_FILE


def expunge_and_deliver(server, corpus, seed, n=100):
    rnd = random.Random(seed)
    imap = server.login_imap("dave")
    imap.select("INBOX")
    typ, data = imap.uid("SEARCH", "ALL")
    uids = data[0].split()
    gone = rnd.sample(uids, min(n, len(uids)))
    imap.uid("STORE", b",".join(gone), "+FLAGS.SILENT", "(\\Deleted)")
    imap.expunge()
    imap.logout()
    new = corpus_files(corpus, n, seed + 1)
    for i, path in enumerate(new):
        server.deliver("dave", path.read_bytes(),
                       name="%d.M2P2Q%d.new" % (int(time.time()), i))
    return new


def differential(make_server, corpus, nmsgs, nqueries):
    indexed, plain = pair(make_server)
    files = corpus_files(corpus, nmsgs, 20)
    deliver_all(indexed, "dave", files)
    queries = make_queries(files, nqueries, 20)
    compare(indexed, plain, queries)
    assert index_path(indexed).exists()
    new = expunge_and_deliver(indexed, corpus, 21, min(100, nmsgs // 3))
    compare(indexed, plain, queries[:nqueries // 2] +
            make_queries(new, nqueries // 2, 22))


def test_index_differential_small(make_server, corpus):
    differential(make_server, corpus, 300, 60)


@pytest.mark.slow
def test_index_differential_corpus(make_server, corpus):
    differential(make_server, corpus, 10**6, 300)


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_index_damaged_is_rebuilt(make_server, corpus, damage):
    indexed, plain = pair(make_server)
    files = corpus_files(corpus, 200, 30)
    deliver_all(indexed, "dave", files)
    queries = make_queries(files, 20, 30)
    compare(indexed, plain, queries[:2])
    path = index_path(indexed)
    size = path.stat().st_size
    assert size > 4096
    if damage == "garbage":
        path.write_bytes(os.urandom(size))
    else:
        os.truncate(path, size // 2)
    compare(indexed, plain, queries)
    # the next SEARCH found it damaged and wrote a new one
    assert path.read_bytes()[:16] == b"SQLite format 3\0"
    assert "rebuilt" in indexed.log()


@pytest.mark.slow
def test_index_sigkill_while_indexing(make_server, corpus):
    indexed, plain = pair(make_server)
    files = corpus_files(corpus, 10**6, 40)
    deliver_all(indexed, "dave", files)
    queries = make_queries(files, 30, 40)
    for delay in (0.2, 1.0):
        before = len(indexed.log())

        def search():
            try:
                imap = indexed.login_imap("dave")
                imap.select("INBOX")
                uid_search(imap, "BODY", "the")
            except Exception:
                pass   # the daemon is killed under it
        t = threading.Thread(target=search)
        t.start()
        # killed while the first SEARCH indexes the folder
        deadline = time.time() + 30
        while "name=UID SEARCH" not in indexed.log()[before:]:
            assert time.time() < deadline
            time.sleep(0.02)
        time.sleep(delay)
        indexed.kill_all()
        t.join()
        indexed.proc.wait()
        indexed.log_fh.close()
        indexed.proc = None
        indexed.start()
    compare(indexed, plain, queries)


def test_index_off_writes_nothing(make_server, corpus):
    indexed, plain = pair(make_server)
    deliver_all(plain, "dave", corpus_files(corpus, 20, 50))
    imap = plain.login_imap("dave")
    imap.select("INBOX")
    uid_search(imap, "BODY", "the")
    imap.logout()
    assert not index_path(plain).exists()


def index_tool(server, *args):
    import subprocess
    return subprocess.run([str(conftest.BUILDDIR / "maildock-index"), "-c",
                           str(server.conf)] + list(args),
                          capture_output=True, text=True, timeout=60)


def test_index_tool_status_and_rebuild(make_server, corpus):
    indexed, plain = pair(make_server)
    files = corpus_files(corpus, 50, 60)
    deliver_all(indexed, "dave", files)
    queries = make_queries(files, 6, 60)
    r = index_tool(indexed, "status", "dave@example.org")
    assert r.returncode == 0, r.stderr
    assert "no index yet" in r.stdout
    compare(indexed, plain, queries)
    r = index_tool(indexed, "status", "dave@example.org")
    assert r.returncode == 0, r.stderr
    assert "INBOX\t50\t50\t50\n" in r.stdout
    r = index_tool(indexed, "rebuild", "dave@example.org", "INBOX")
    assert r.returncode == 0, r.stderr
    r = index_tool(indexed, "status", "dave@example.org", "INBOX")
    assert "INBOX\t50\t0\t0\n" in r.stdout
    compare(indexed, plain, queries)
    r = index_tool(indexed, "status", "dave@example.org")
    assert "INBOX\t50\t50\t50\n" in r.stdout
    r = index_tool(indexed, "rebuild", "dave@example.org")
    assert r.returncode == 0 and not index_path(indexed).exists()
    compare(indexed, plain, queries)
    assert index_tool(indexed, "status", "nobody@example.org").returncode == 1


def test_index_delete_drops_folder_entries(make_server, corpus):
    import sqlite3
    indexed = make_server()
    for path in corpus_files(corpus, 10, 70):
        indexed.deliver("dave", path.read_bytes(), folder="Work")
    imap = indexed.login_imap("dave")
    assert imap.select("Work")[0] == "OK"
    uid_search(imap, "TEXT", "the")
    imap.close()
    db = sqlite3.connect(str(index_path(indexed)))
    assert db.execute("SELECT count(*) FROM msg").fetchone()[0] == 10
    db.close()
    assert imap.delete("Work")[0] == "OK"
    imap.logout()
    db = sqlite3.connect(str(index_path(indexed)))
    assert db.execute("SELECT count(*) FROM msg").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM folder").fetchone()[0] == 0
    db.close()
