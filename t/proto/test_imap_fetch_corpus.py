"""FETCH over the whole corpus through the IMAP path, compared with
Dovecot's recorded answers (../shared/corpus/golden/dovecot/<src>/<name>.json):
RFC822.SIZE, ENVELOPE, BODY, BODYSTRUCTURE and every recorded section
(HEADER, TEXT, HEADER.FIELDS, part numbers and their .MIME, <0.100>) by
length and SHA-256."""
import hashlib
import json

import pytest

from test_imap_fetch_util import (logout_after,  # noqa: F401
                                  Atom, corpus_mailbox, fetch)


@pytest.fixture(scope="module")
def corpus_box(server):
    import conftest
    corpus = conftest.CORPUS
    if not (corpus / "messages").is_dir():
        pytest.skip("corpus not found at %s" % corpus)
    imap, files = corpus_mailbox(server, corpus)
    golden = {}
    for p in (corpus / "golden" / "dovecot").rglob("*.json"):
        if p.name != "queries.json":
            d = json.loads(p.read_text())
            golden[d["file"]] = d
    yield imap, files, golden
    imap.logout()
    server.reset_user("dave")


def conv(x):
    """our parsed tokens in the golden files' form (README.md there)"""
    if isinstance(x, list):
        return [conv(y) for y in x]
    if x is None:
        return None
    if isinstance(x, Atom) and x.isdigit():
        return int(x)
    return bytes(x).decode("utf-8", "surrogateescape")


def test_fetch_corpus_structure_matches_dovecot(corpus_box):
    imap, files, golden = corpus_box
    bad = {}
    n = len(files) - 1
    for start in range(1, n + 1, 100):
        end = min(start + 99, n)
        typ, r = fetch(imap, "%d:%d" % (start, end),
                       "(RFC822.SIZE ENVELOPE BODY BODYSTRUCTURE)")
        assert typ == "OK"
        for seq in range(start, end + 1):
            g = golden[files[seq]]
            m = r[seq]
            for item, key in (("RFC822.SIZE", "size"),
                              ("ENVELOPE", "envelope"),
                              ("BODY", "body"),
                              ("BODYSTRUCTURE", "bodystructure")):
                # byte for byte, even where IMAP would allow another
                # case (type, subtype, parameter names, encoding)
                if conv(m[item]) != g[key]:
                    bad.setdefault(item, []).append(files[seq])
    assert bad == {}, {k: (len(v), v[:5]) for k, v in bad.items()}


def test_fetch_corpus_sections_match_dovecot(corpus_box):
    imap, files, golden = corpus_box
    bad = []
    for seq in range(1, len(files)):
        g = golden[files[seq]]["sections"]
        specs = list(g)
        items = " ".join("BODY.PEEK[%s]" % s if not s.startswith("]")
                         else "BODY.PEEK[]<0.100>" for s in specs)
        typ, r = fetch(imap, str(seq), "(%s)" % items)
        assert typ == "OK"
        got = r[seq]
        for s in specs:
            name = "BODY[]<0>" if s.startswith("]") else "BODY[%s]" % s
            data = got.get(name)
            want = g[s]
            if data is None:
                ok = want is None or want.get("len") in (None, 0)
            else:
                ok = (len(data) == want["len"] and
                      hashlib.sha256(bytes(data)).hexdigest() ==
                      want["sha256"])
            if not ok:
                bad.append((files[seq], s))
    assert bad == [], (len(bad), bad[:10])


def test_fetch_corpus_header_items_match_dovecot(corpus_box):
    """ENVELOPE and the header sections alone (answered from a parse of
    the header block only) are the same as with the whole message."""
    imap, files, golden = corpus_box
    fields = "HEADER.FIELDS (FROM TO CC SUBJECT DATE MESSAGE-ID)"
    bad = []
    n = len(files) - 1
    for start in range(1, n + 1, 100):
        end = min(start + 99, n)
        typ, r = fetch(imap, "%d:%d" % (start, end),
                       "(ENVELOPE BODY.PEEK[HEADER] BODY.PEEK[%s])" % fields)
        assert typ == "OK"
        for seq in range(start, end + 1):
            g = golden[files[seq]]
            m = r[seq]
            if conv(m["ENVELOPE"]) != g["envelope"]:
                bad.append((files[seq], "ENVELOPE"))
            for spec in ("HEADER", fields):
                data = bytes(m["BODY[%s]" % spec])
                want = g["sections"][spec]
                if (len(data) != want["len"] or
                        hashlib.sha256(data).hexdigest() != want["sha256"]):
                    bad.append((files[seq], spec))
    assert bad == [], (len(bad), bad[:10])


def test_fetch_corpus_preview(corpus_box):
    """PREVIEW (RFC 8970) of every corpus message: a string of at most 256
    characters of valid UTF-8 on one line, and the same from the cache on a
    second FETCH."""
    imap, files, golden = corpus_box
    n = len(files) - 1
    for start in range(1, n + 1, 200):
        end = min(start + 199, n)
        typ, r = fetch(imap, "%d:%d" % (start, end), "(PREVIEW)")
        assert typ == "OK"
        for seq in range(start, end + 1):
            v = r[seq]["PREVIEW"]
            assert v is not None, files[seq]
            text = bytes(v).decode("utf-8")
            assert len(text) <= 256, files[seq]
            assert not any(ord(c) < 32 or ord(c) == 127 for c in text), \
                (files[seq], text)
            assert text == text.strip(), files[seq]
    typ, again = fetch(imap, "1:50", "(PREVIEW (LAZY))")
    typ, first = fetch(imap, "1:50", "(PREVIEW)")
    assert again == first
