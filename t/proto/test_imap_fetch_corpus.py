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


def leaf_parts(bs, num=()):
    """(part number, size) of every part BODYSTRUCTURE lists that BODY[n]
    can fetch: the non-multipart ones, message/rfc822 included, and the
    parts of the message each message/rfc822 holds (RFC 3501 6.4.5)."""
    if isinstance(bs[0], list):                     # multipart
        for i, child in enumerate(bs):
            if not isinstance(child, list):
                return                              # the subtype
            yield from leaf_parts(child, num + (i + 1,))
    num = num or (1,)
    yield ".".join(map(str, num)), int(bs[6])
    if bytes(bs[0]).lower() == b"message" and \
            bytes(bs[1]).lower() == b"rfc822" and len(bs) > 8:
        inner = bs[8]
        yield from leaf_parts(inner, num if isinstance(inner[0], list)
                              else num + (1,))


def test_fetch_corpus_every_listed_part_fetchable(corpus_box):
    """Issue 15's second rule: every part BODYSTRUCTURE lists is a string
    under BODY.PEEK[n] (never NIL) as long as the size it reports."""
    imap, files, golden = corpus_box
    bad = []
    for seq in range(1, len(files)):
        typ, r = fetch(imap, str(seq), "(BODYSTRUCTURE)")
        parts = list(leaf_parts(r[seq]["BODYSTRUCTURE"]))
        got = {}
        for i in range(0, len(parts), 50):      # the FETCH item cap
            items = " ".join("BODY.PEEK[%s]" % p for p, _ in parts[i:i + 50])
            typ, r = fetch(imap, str(seq), "(%s)" % items)
            assert typ == "OK"
            got.update(r[seq])
        for p, size in parts:
            data = got.get("BODY[%s]" % p)
            if data is None or len(data) != size:
                bad.append((files[seq], p, size,
                            None if data is None else len(data)))
    assert bad == [], (len(bad), bad[:10])
