"""Shared fixtures and helpers of the FETCH/SEARCH/SORT protocol tests.

Holds no tests itself: the FIELD-BUGS.md message fixtures (F1..F8) and a
small IMAP response parser that turns imaplib's FETCH data back into
{item: value} dictionaries, so tests can assert what a client sees.
"""
import os
import re
import time

CRLF = b"\r\n"


def crlf(text):
    return text.replace("\n", "\r\n").encode()


# F1 "hello": 167 octets; header block 147, body 20.
F1 = crlf("From: Alice <alice@example.org>\n"
          "To: Bob <bob@example.org>\n"
          "Subject: hello\n"
          "Date: Mon, 01 Jan 2024 10:00:00 +0000\n"
          "Message-ID: <f1@example.org>\n"
          "\n"
          "line one\n"
          "line two\n")
assert len(F1) == 167

# F2 "fwd": multipart/mixed with text, message/rfc822 and base64 pdf.
F2_INNER = ("From: carol@example.org\n"
            "Subject: inner\n"
            "Content-Type: multipart/alternative; boundary=\"inner\"\n"
            "\n"
            "--inner\n"
            "Content-Type: text/plain\n"
            "\n"
            "plain body\n"
            "--inner\n"
            "Content-Type: text/html\n"
            "\n"
            "<p>html body</p>\n"
            "--inner--\n")
F2 = crlf("From: Alice <alice@example.org>\n"
          "To: Bob <bob@example.org>\n"
          "Subject: fwd\n"
          "Date: Tue, 02 Jan 2024 10:00:00 +0100\n"
          "MIME-Version: 1.0\n"
          "Content-Type: multipart/mixed; boundary=\"outer\"\n"
          "\n"
          "--outer\n"
          "Content-Type: text/plain; charset=us-ascii\n"
          "\n"
          "see attached\n"
          "--outer\n"
          "Content-Type: message/rfc822\n"
          "Content-Disposition: attachment\n"
          "\n" + F2_INNER +
          "--outer\n"
          "Content-Type: application/pdf; name=\"a.pdf\"\n"
          "Content-Transfer-Encoding: base64\n"
          "Content-Disposition: attachment; filename=\"a.pdf\"\n"
          "\n"
          "JVBERi0xLjQK\n"
          "--outer--\n")

F4 = crlf("From: alice@example.org\n"
          "To: bob@example.org\n"
          "Subject: nomime\n"
          "Date: Wed, 03 Jan 2024 10:00:00 +0000\n"
          "\n"
          "plain old text\n")

# F6 "utf8"
F6 = crlf("From: Alice <alice@example.org>\n"
          "To: Bob <bob@example.org>\n"
          "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=\n"
          "Date: Mon, 01 Jan 2024 10:00:00 +0000\n"
          "MIME-Version: 1.0\n"
          "Content-Type: text/plain; charset=utf-8\n"
          "Content-Transfer-Encoding: quoted-printable\n"
          "\n"
          "Viele Gr=C3=BC=C3=9Fe\n")

# F7-LF: 42 octets on disk, 46 in CRLF form.
F7_LF = b"Subject: lf\nFrom: alice@example.org\n\nbody\n"
assert len(F7_LF) == 42


def f8(n):
    """F8 thread set, messages 1..3."""
    msgs = {
        1: "Subject: b\nDate: Mon, 01 Jan 2024 10:00:00 +0000\n"
           "Message-ID: <b@example.org>\n",
        2: "Subject: Re: a\nDate: Wed, 03 Jan 2024 10:00:00 +0000\n"
           "Message-ID: <re-a@example.org>\nIn-Reply-To: <a@example.org>\n",
        3: "Subject: a\nDate: Tue, 02 Jan 2024 10:00:00 +0000\n"
           "Message-ID: <a@example.org>\n",
    }
    return crlf("From: alice@example.org\n" + msgs[n] + "\nbody %d\n" % n)


# ---- a small parser of IMAP response data ----

class Lit(bytes):
    """A string that came as a literal."""


class Atom(bytes):
    """An atom (a number, a flag, a keyword)."""


def _flatten(data):
    """imaplib FETCH data -> one byte string per response line, with
    literals inline as {n}CRLF<bytes>."""
    lines, cur = [], b""
    for d in data:
        if isinstance(d, tuple):
            cur += d[0] + CRLF + d[1]
        elif d is None:
            continue
        else:
            cur += d
            lines.append(cur)
            cur = b""
    if cur:
        lines.append(cur)
    return lines


def tokenize(buf):
    """Parse one response's bytes into nested lists of tokens: bytes for
    atoms/strings (Lit for literals), None for NIL, lists for (...)."""
    pos = 0
    stack = [[]]
    while pos < len(buf):
        c = buf[pos:pos + 1]
        if c in (b" ", b"\r", b"\n"):
            pos += 1
        elif c == b"(":
            stack.append([])
            pos += 1
        elif c == b")":
            done = stack.pop()
            stack[-1].append(done)
            pos += 1
        elif c == b'"':
            out = b""
            pos += 1
            while buf[pos:pos + 1] != b'"':
                if buf[pos:pos + 1] == b"\\":
                    pos += 1
                out += buf[pos:pos + 1]
                pos += 1
            pos += 1
            stack[-1].append(out)
        elif c == b"{":
            m = re.match(rb"\{(\d+)\}\r\n", buf[pos:])
            n = int(m.group(1))
            pos += m.end()
            stack[-1].append(Lit(buf[pos:pos + n]))
            pos += n
        else:
            m = re.match(rb"[^ ()\r\n\[]+(\[[^\]]*\])?(<\d+>)?", buf[pos:])
            tok = m.group(0)
            pos += m.end()
            stack[-1].append(None if tok.upper() == b"NIL" else Atom(tok))
    assert len(stack) == 1, "unbalanced parentheses in %r" % buf
    return stack[0]


def fetch(imap, seqs, items, uid=False):
    """FETCH and return (status, {seq: {ITEM: value}}) with item names
    upper-cased (values keep their case)."""
    if uid:
        typ, data = imap.uid("FETCH", seqs, items)
    else:
        typ, data = imap.fetch(seqs, items)
    out = {}
    if typ != "OK" and not data:
        return typ, out
    for line in _flatten(data):
        toks = tokenize(line)
        if len(toks) < 2 or not isinstance(toks[1], list):
            continue
        seq = int(toks[0])
        kv = toks[1]
        d = out.setdefault(seq, {})
        for i in range(0, len(kv) - 1, 2):
            d[kv[i].decode().upper()] = kv[i + 1]
    return typ, out


def login_with(server, *messages, select="INBOX", user="alice"):
    """Log in and APPEND messages (bytes) to INBOX, then SELECT."""
    imap = server.login_imap(user)
    for m in messages:
        typ, _ = imap.append("INBOX", None, None, m)
        assert typ == "OK"
    typ, _ = imap.select(select)
    assert typ == "OK"
    return imap


def search(imap, *criteria, uid=False, charset=None):
    if uid:
        typ, data = imap.uid("SEARCH", *criteria) if charset is None else \
            imap.uid("SEARCH", "CHARSET", charset, *criteria)
    else:
        typ, data = imap.search(charset, *criteria)
    if typ != "OK":
        return typ, None
    return typ, [int(x) for x in data[0].split()]


# ---- the corpus mailbox compared with Dovecot's golden answers ----

def golden_queries(corpus):
    import json
    return json.loads((corpus / "golden" / "dovecot" / "queries.json")
                      .read_text())


def corpus_mailbox(server, corpus, user="dave"):
    """Deliver every corpus message into user's INBOX in corpus order (the
    order of Dovecot's SEARCH ALL answer, file names sorting the same way
    as the golden run's) and log in. Returns (imap, files) where files[seq]
    is the corpus path of message seq, checked through FETCH BODY[]
    against the golden norm_sha256."""
    import hashlib
    import json
    server.reset_user(user)
    order = next(q["result"] for q in golden_queries(corpus)
                 if q["command"] == "SEARCH ALL")
    # each message its own arrival second, in order, up to now, as in the
    # golden run: SORT (ARRIVAL) compares INTERNALDATE alone (RFC 5256 3)
    # and THREAD falls back to it for a message without a Date:
    start = int(time.time()) - len(order)
    for i, rel in enumerate(order):
        path = server.deliver(user, (corpus / rel).read_bytes(),
                              name="%010d.M1P1Q%d.corpus" % (i + 1000000000, i))
        os.utime(path, (start + i, start + i))
    by_sha, sha_of = {}, {}
    for p in (corpus / "golden" / "dovecot").rglob("*.json"):
        if p.name == "queries.json":
            continue
        d = json.loads(p.read_text())
        by_sha.setdefault(d["norm_sha256"], d["file"])
        sha_of[d["file"]] = d["norm_sha256"]
    # the class's method: this session lives for the module, not one test
    imap = type(server).login_imap(server, user)
    typ, data = imap.select("INBOX")
    assert typ == "OK" and int(data[0]) == len(order)
    files = [None]
    for start in range(1, len(order) + 1, 200):
        end = min(start + 199, len(order))
        typ, r = fetch(imap, "%d:%d" % (start, end), "(BODY.PEEK[])")
        for seq in range(start, end + 1):
            body = bytes(r[seq]["BODY[]"]).replace(b"\r\n", b"\n")
            sha = hashlib.sha256(body).hexdigest()
            want = order[seq - 1]
            # duplicates share a hash: delivery order decides then
            files.append(want if sha_of.get(want) in (sha, None)
                         else by_sha.get(sha, want))
    return imap, files


def parse_thread(text, files):
    """'(1)(2 (3)(4))' -> [[f1], [f2, [f3], [f4]]] with corpus paths."""
    out, stack, num = [], [], ""
    cur = out
    for ch in text + " ":
        if ch.isdigit():
            num += ch
            continue
        if num:
            cur.append(files[int(num)])
            num = ""
        if ch == "(":
            stack.append(cur)
            cur.append([])
            cur = cur[-1]
        elif ch == ")":
            cur = stack.pop()
    return out


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def logout_after(server, monkeypatch):
    """Log out every IMAP session a test opened, so that sessions of
    earlier tests neither pile up against the per-address connection limit
    nor still hold the account's folders when the next test's fixture
    empties the Maildir."""
    made = []
    orig = server.login_imap

    def login(user="alice"):
        c = orig(user)
        made.append(c)
        return c

    monkeypatch.setattr(server, "login_imap", login)
    yield
    for c in made:
        try:
            c.logout()
        except Exception:
            pass
