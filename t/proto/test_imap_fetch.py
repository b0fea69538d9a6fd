"""FETCH (RFC 3501 6.4.5): every data item, macros, sections, partial
fetches, \\Seen handling, streaming of large bodies, messages expunged by
someone else, and FIELD-BUGS B18 B20 B21."""
import os
import re

import pytest

from test_imap_fetch_util import (logout_after,  # noqa: F401
                                  F1, F2, F4, F6, F7_LF, CRLF, Lit, fetch,
                                  login_with)


def test_fetch_flags_uid_size_internaldate(alice):
    imap = alice.login_imap()
    typ, _ = imap.append("INBOX", r"(\Flagged)",
                         '"01-Jul-2014 12:00:00 +0000"', F1)
    assert typ == "OK"
    imap.select("INBOX")
    typ, r = fetch(imap, "1", "(FLAGS UID RFC822.SIZE INTERNALDATE)")
    assert typ == "OK"
    m = r[1]
    assert b"\\Flagged" in m["FLAGS"]
    assert int(m["UID"]) >= 1
    assert int(m["RFC822.SIZE"]) == 167
    assert re.match(rb"\d\d-Jul-2014 \d\d:\d\d:\d\d [+-]\d{4}",
                    m["INTERNALDATE"])


def test_fetch_macros(alice):
    imap = login_with(alice, F1)
    typ, r = fetch(imap, "1", "FAST")
    assert typ == "OK"
    assert set(r[1]) == {"FLAGS", "INTERNALDATE", "RFC822.SIZE"}
    typ, r = fetch(imap, "1", "ALL")
    assert set(r[1]) == {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"}
    typ, r = fetch(imap, "1", "FULL")
    assert set(r[1]) == {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE",
                         "BODY"}


def test_fetch_envelope(alice):
    imap = login_with(alice, F1)
    typ, r = fetch(imap, "1", "(ENVELOPE)")
    env = r[1]["ENVELOPE"]
    assert env[0] == b"Mon, 01 Jan 2024 10:00:00 +0000"
    assert env[1] == b"hello"
    assert env[2] == [[b"Alice", None, b"alice", b"example.org"]]
    assert env[3] == env[2] and env[4] == env[2]   # sender, reply-to
    assert env[5] == [[b"Bob", None, b"bob", b"example.org"]]
    assert env[6] is None and env[7] is None and env[8] is None
    assert env[9] == b"<f1@example.org>"


def up(x):
    """upper-case every string of a parsed structure (IMAP compares type,
    subtype, parameter names and encodings case-insensitively)"""
    if isinstance(x, list):
        return [up(y) for y in x]
    return x.upper() if isinstance(x, bytes) else x


def test_fetch_body_and_bodystructure(alice):
    imap = login_with(alice, F4, F2)
    typ, r = fetch(imap, "1", "(BODY BODYSTRUCTURE)")
    body = r[1]["BODY"]
    assert up(body[:7]) == \
        [b"TEXT", b"PLAIN", [b"CHARSET", b"US-ASCII"], None, None, b"7BIT",
         b"16"]
    bs = r[1]["BODYSTRUCTURE"]
    assert len(bs) > len(body)          # extension data
    typ, r = fetch(imap, "2", "(BODYSTRUCTURE)")
    bs = r[2]["BODYSTRUCTURE"]
    # multipart: three parts then the subtype
    assert bs[3].upper() == b"MIXED"
    assert bs[1][0].upper() == b"MESSAGE" and bs[1][1].upper() == b"RFC822"
    assert bs[2][0].upper() == b"APPLICATION"


def test_fetch_rfc822_items(alice):
    imap = login_with(alice, F1)
    typ, r = fetch(imap, "1", "(RFC822.HEADER RFC822.TEXT)")
    assert r[1]["RFC822.HEADER"] == F1[:147]
    assert r[1]["RFC822.TEXT"] == F1[147:]
    typ, r = fetch(imap, "1", "(RFC822)")
    assert r[1]["RFC822"] == F1


def test_fetch_body_sections(alice):
    imap = login_with(alice, F1)
    typ, r = fetch(imap, "1", "(BODY.PEEK[] BODY.PEEK[HEADER] "
                   "BODY.PEEK[TEXT] BODY.PEEK[1])")
    m = r[1]
    assert m["BODY[]"] == F1
    assert m["BODY[HEADER]"] == F1[:147]
    assert m["BODY[TEXT]"] == F1[147:]
    assert m["BODY[1]"] == F1[147:]      # non-multipart: part 1 is the body


def test_fetch_header_fields(alice):
    imap = login_with(alice, F1)
    typ, r = fetch(imap, "1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT from)])")
    assert typ == "OK"
    (name, val), = r[1].items()
    assert name.startswith("BODY[HEADER.FIELDS")
    assert val == b"From: Alice <alice@example.org>\r\nSubject: hello\r\n\r\n"
    typ, r = fetch(imap, "1", "(BODY.PEEK[HEADER.FIELDS.NOT (From To "
                   "Subject Date)])")
    (val,) = r[1].values()
    assert val == b"Message-ID: <f1@example.org>\r\n\r\n"


def test_fetch_header_fields_quoted_name(alice):
    imap = login_with(alice, F1)
    typ, r = fetch(imap, "1", '(BODY.PEEK[HEADER.FIELDS ("Subject")])')
    assert typ == "OK"
    (val,) = r[1].values()
    assert val == b"Subject: hello\r\n\r\n"


# B18
def test_fetch_b18_sections_of_message_rfc822(alice):
    imap = login_with(alice, F2)
    typ, r = fetch(imap, "1", "(BODY.PEEK[2.MIME])")
    assert r[1]["BODY[2.MIME]"] == (b"Content-Type: message/rfc822\r\n"
                                    b"Content-Disposition: attachment\r\n\r\n")
    typ, r = fetch(imap, "1", "(BODY.PEEK[2.HEADER])")
    hdr = r[1]["BODY[2.HEADER]"]
    assert hdr.startswith(b"From: carol@example.org\r\n")
    assert b"Subject: inner" in hdr and b'boundary="inner"' in hdr
    assert hdr.endswith(b"\r\n\r\n")
    typ, r = fetch(imap, "1", "(BODY.PEEK[2.1])")
    assert r[1]["BODY[2.1]"].startswith(b"plain body")
    typ, r = fetch(imap, "1", "(BODY.PEEK[2.2.MIME])")
    assert r[1]["BODY[2.2.MIME]"] == b"Content-Type: text/html\r\n\r\n"
    typ, r = fetch(imap, "1", "(BODY.PEEK[3]<0.4>)")
    assert r[1]["BODY[3]<0>"] == b"JVBE"
    typ, r = fetch(imap, "1", "(BODY.PEEK[1.MIME])")
    assert r[1]["BODY[1.MIME]"] == \
        b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
    typ, r = fetch(imap, "1", "(BODY.PEEK[2.TEXT])")
    assert r[1]["BODY[2.TEXT]"].startswith(b"--inner\r\n")


def test_fetch_missing_part_is_nil(alice):
    imap = login_with(alice, F2)
    typ, r = fetch(imap, "1", "(BODY.PEEK[9] BODY.PEEK[1.HEADER])")
    assert typ == "OK"
    assert r[1]["BODY[9]"] is None


# B20
def test_fetch_b20_partial(alice):
    imap = login_with(alice, F1)
    typ, r = fetch(imap, "1", "(BODY.PEEK[]<0.100>)")
    assert r[1]["BODY[]<0>"] == F1[:100]
    typ, r = fetch(imap, "1", "(BODY.PEEK[]<160.100000>)")
    assert r[1]["BODY[]<160>"] == b"e two\r\n"
    typ, r = fetch(imap, "1", "(BODY.PEEK[TEXT]<25.10>)")
    assert r[1]["BODY[TEXT]<25>"] == b""
    typ, r = fetch(imap, "1", "(UID)")
    uid = r[1]["UID"].decode()
    typ, r = fetch(imap, uid, "(UID BODY.PEEK[1]<393216.393216>)", uid=True)
    assert r[1]["BODY[1]<393216>"] == b""
    assert r[1]["UID"].decode() == uid
    with pytest.raises(imap.error):
        imap.fetch("1", "(BODY.PEEK[]<0.0>)")
    whole = b""
    k = 0
    while True:
        typ, r = fetch(imap, "1", "(BODY.PEEK[]<%d.64>)" % (k * 64))
        chunk = r[1]["BODY[]<%d>" % (k * 64)]
        if not chunk:
            break
        whole += chunk
        k += 1
    assert whole == F1


# B21
def test_fetch_b21_size_matches_octets(alice):
    imap = login_with(alice, F1)
    typ, r = fetch(imap, "1", "(RFC822.SIZE BODY.PEEK[])")
    assert int(r[1]["RFC822.SIZE"]) == 167 == len(r[1]["BODY[]"])
    alice.deliver("alice", F7_LF)
    imap.noop()
    typ, r = fetch(imap, "2", "(RFC822.SIZE BODY.PEEK[])")
    assert int(r[2]["RFC822.SIZE"]) == 46
    assert r[2]["BODY[]"] == F7_LF.replace(b"\n", b"\r\n")
    imap.logout()
    imap = alice.login_imap()
    imap.select("INBOX")
    typ, r = fetch(imap, "1:2", "(RFC822.SIZE)")
    assert int(r[1]["RFC822.SIZE"]) == 167 and int(r[2]["RFC822.SIZE"]) == 46


def test_fetch_sets_seen_unless_peek(alice):
    imap = login_with(alice, F1, F1, F1)
    typ, r = fetch(imap, "1", "(BODY.PEEK[])")
    assert "FLAGS" not in r[1]
    typ, r = fetch(imap, "1", "(FLAGS)")
    assert b"\\Seen" not in r[1]["FLAGS"]
    # non-PEEK: \Seen set, and FLAGS sent in the same response
    typ, r = fetch(imap, "1", "(BODY[])")
    assert b"\\Seen" in r[1]["FLAGS"]
    typ, r = fetch(imap, "2", "(RFC822)")
    assert b"\\Seen" in r[2]["FLAGS"]
    typ, r = fetch(imap, "3", "(RFC822.HEADER)")
    assert "FLAGS" not in r[3]
    typ, r = fetch(imap, "3", "(FLAGS)")
    assert b"\\Seen" not in r[3]["FLAGS"]


def test_fetch_examine_does_not_set_seen(alice):
    imap = login_with(alice, F1)
    imap.select("INBOX", readonly=True)
    typ, r = fetch(imap, "1", "(BODY[TEXT])")
    assert typ == "OK"
    typ, r = fetch(imap, "1", "(FLAGS)")
    assert b"\\Seen" not in r[1]["FLAGS"]


def test_fetch_bad_items(alice):
    imap = login_with(alice, F1)
    for items in ("(FOO)", "(BODY.PEEK)", "(BODY[HEADER.FIELDS])",
                  "(BODY[HEADER.FIELDS ()])", "(BODY[0])", "(BODY[1.]",
                  "(BODY[MIME])", "(BODY[]<1>)", "()", "(BODY[TEXT.1])"):
        with pytest.raises(imap.error):
            imap.fetch("1", items)
    with pytest.raises(imap.error):
        imap.fetch("5", "(FLAGS)")
    # the session goes on
    typ, r = fetch(imap, "1", "(UID)")
    assert typ == "OK"


def test_fetch_uid_fetch_reports_uid(alice):
    imap = login_with(alice, F1, F4)
    typ, r = fetch(imap, "1:*", "(FLAGS)", uid=True)
    assert typ == "OK"
    assert set(r) == {1, 2}
    assert all("UID" in m for m in r.values())
    # UIDs that do not exist are no error (RFC 3501 6.4.8)
    typ, r = fetch(imap, "4000000000", "(FLAGS)", uid=True)
    assert typ == "OK" and r == {}


def test_fetch_large_body_streamed(alice):
    line = b"0123456789" * 7 + b"abcd\r\n"
    big = F1[:147] + line * (6 * 1024 * 1024 // len(line))
    imap = login_with(alice, big)
    typ, r = fetch(imap, "1", "(RFC822.SIZE BODY.PEEK[])")
    assert int(r[1]["RFC822.SIZE"]) == len(big)
    assert r[1]["BODY[]"] == big
    typ, r = fetch(imap, "1", "(BODY.PEEK[TEXT]<5000000.10>)")
    assert r[1]["BODY[TEXT]<5000000>"] == (line * 80000)[5000000:5000010]


def test_fetch_nul_bytes_never_on_the_wire(alice):
    msg = F1[:147] + b"a\x00b\r\n"
    alice.deliver("alice", msg)
    imap = alice.login_imap()
    imap.select("INBOX")
    typ, r = fetch(imap, "1", "(BODY.PEEK[TEXT])")
    assert b"\x00" not in r[1]["BODY[TEXT]"]
    assert len(r[1]["BODY[TEXT]"]) == 5


def test_fetch_message_expunged_by_other_process(alice):
    """RFC 2180 4.1.3: the other messages are answered, the command ends
    NO, the session goes on, and no EXPUNGE is sent during FETCH."""
    # Names that sort in delivery order (the server numbers new files by
    # their time stamp, then by name), so the file that vanishes is the
    # middle one, with a neighbour on each side
    for i, m in enumerate((F1, F4, F1)):
        alice.deliver("alice", m, name="1700000000.M00000%dP1Q%d.testhost"
                      % (i, i))
    imap = alice.login_imap()
    imap.select("INBOX")
    _, r = fetch(imap, "1:3", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert [s for s, m in r.items()
            if b"nomime" in list(m.values())[0]] == [2]
    gone, others = 2, [1, 3]
    # its file disappears behind the server's back
    md = alice.maildir("alice")
    victims = [p for sub in ("new", "cur") for p in (md / sub).iterdir()
               if b"nomime" in p.read_bytes()]
    assert len(victims) == 1
    os.unlink(victims[0])
    typ, data = imap.fetch("1:3", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert typ == "NO" and b"[EXPUNGEISSUED]" in data[-1]
    answered = imap.untagged_responses.pop("FETCH", [])
    assert len([x for x in answered if isinstance(x, tuple)]) == 2
    assert "EXPUNGE" not in imap.untagged_responses
    _, r = fetch(imap, "%d,%d" % tuple(others),
                 "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert set(r) == set(others)
    # FLAGS and UID come from the view and stay available
    typ, r = fetch(imap, str(gone), "(FLAGS UID)")
    assert typ == "OK" and set(r) == {gone}
    typ, _ = imap.noop()
    assert typ == "OK"


def test_fetch_utf8_subject_envelope_literal(alice):
    imap = login_with(alice, F6)
    typ, r = fetch(imap, "1", "(ENVELOPE BODY.PEEK[1])")
    assert r[1]["ENVELOPE"][1] == b"=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?="
    assert r[1]["BODY[1]"] == b"Viele Gr=C3=BC=C3=9Fe\r\n"


def test_fetch_many_messages_pipeline(alice):
    for _ in range(50):
        alice.deliver("alice", F1)
    imap = alice.login_imap()
    imap.select("INBOX")
    typ, r = fetch(imap, "1:*", "(UID FLAGS RFC822.SIZE BODY.PEEK[HEADER])")
    assert typ == "OK" and len(r) == 50
    assert all(m["BODY[HEADER]"] == F1[:147] for m in r.values())


def test_fetch_message_expunged_by_other_session(alice):
    """Session B expunges a message that session A still shows: A's FETCH
    answers the others and ends NO [EXPUNGEISSUED] (RFC 2180 4.1.3,
    RFC 5530), A's SEARCH sends no EXPUNGE (RFC 3501 7.4.1), and A's next
    NOOP reports the EXPUNGE."""
    a = login_with(alice, F1, F4, F1)
    b = alice.login_imap()
    b.select("INBOX")
    typ, _ = b.store("2", "+FLAGS", r"(\Deleted)")
    assert typ == "OK"
    typ, _ = b.expunge()
    assert typ == "OK"
    typ, data = a.fetch("1:3", "(UID BODY.PEEK[TEXT])")
    assert typ == "NO" and b"[EXPUNGEISSUED]" in data[-1]
    answered = a.untagged_responses.pop("FETCH", [])
    assert len([x for x in answered if isinstance(x, tuple)]) == 2
    typ, data = a.search(None, "ALL")
    assert typ == "OK" and data[0].split() == [b"1", b"2", b"3"]
    assert "EXPUNGE" not in a.untagged_responses
    typ, _ = a.noop()
    assert a.untagged_responses.get("EXPUNGE") == [b"2"]
    typ, r = fetch(a, "1:*", "(BODY.PEEK[TEXT])")
    assert typ == "OK" and len(r) == 2


def test_fetch_big_bodystructure_is_answered(alice):
    """A 1.2 MB parameter value is answered (as a literal), not refused:
    anyone can send such a message, and a client that lists its folder by
    BODYSTRUCTURE or ENVELOPE must still see it."""
    big = F1.replace(b"Message-ID:", b"MIME-Version: 1.0\r\n"
                     b"Content-Type: text/plain; name=\"" + b"x" * 1200000 +
                     b"\"\r\nMessage-ID:")
    imap = login_with(alice, big, F1)
    typ, data = imap.fetch("1", "(BODYSTRUCTURE)")
    assert typ == "OK"
    text = b"".join(p for d in data for p in (d if isinstance(d, tuple) else (d,)))
    assert b"x" * 1200000 in text


def test_fetch_answer_over_memory_bound_is_refused_whole(alice):
    """A BODYSTRUCTURE beyond the in-memory bound of one response (16 MiB;
    here a 17 MB parameter value) is refused with NO [LIMIT] before any
    byte of that response is sent, never cut; other items and messages
    still work."""
    big = F1.replace(b"Message-ID:", b"MIME-Version: 1.0\r\n"
                     b"Content-Type: text/plain; name=\"" + b"x" * 17000000 +
                     b"\"\r\nMessage-ID:")
    imap = login_with(alice, big, F1)
    typ, data = imap.fetch("1", "(BODYSTRUCTURE)")
    assert typ == "NO" and b"[LIMIT]" in data[-1]
    assert "FETCH" not in imap.untagged_responses
    typ, r = fetch(imap, "1:2", "(RFC822.SIZE BODY.PEEK[HEADER.FIELDS "
                   "(SUBJECT)])")
    assert typ == "OK" and len(r) == 2
    typ, r = fetch(imap, "2", "(BODYSTRUCTURE)")
    assert typ == "OK"