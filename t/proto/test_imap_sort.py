"""SORT and THREAD (RFC 5256, RFC 5957): FIELD-BUGS B35, every sort key,
UID variants, errors, and the corpus compared with Dovecot's answers in
../shared/corpus/golden/dovecot/queries.json."""
import pytest

from test_imap_fetch_util import (logout_after,  # noqa: F401
                                  F1, F4, F6, f8, corpus_mailbox,
                                  golden_queries, parse_thread)


def sort(imap, *args, uid=False):
    if uid:
        typ, data = imap.uid("SORT", *args)
    else:
        typ, data = imap._simple_command("SORT", *args)
        data = imap.untagged_responses.pop("SORT", [b""])
    return typ, [int(x) for x in (data[0] or b"").split()]


def thread(imap, *args, uid=False):
    if uid:
        typ, data = imap.uid("THREAD", *args)
    else:
        typ, data = imap._simple_command("THREAD", *args)
        data = imap.untagged_responses.pop("THREAD", [b""])
    return typ, (data[0] or b"").decode()


@pytest.fixture
def f8box(alice):
    imap = alice.login_imap()
    for n in (1, 2, 3):
        assert imap.append("INBOX", None, None, f8(n))[0] == "OK"
    imap.select("INBOX")
    return imap


# B35
def test_sort_thread_b35(f8box):
    typ, caps = f8box.capability()
    caps = caps[0].split()
    for c in (b"SORT", b"THREAD=ORDEREDSUBJECT", b"THREAD=REFERENCES"):
        assert c in caps
    assert sort(f8box, "(SUBJECT)", "UTF-8", "ALL") == ("OK", [2, 3, 1])
    typ, data = f8box.fetch("1:3", "(UID)")
    uids = [int(x.split()[2].rstrip(b")")) for x in data]
    typ, got = sort(f8box, "(REVERSE DATE)", "US-ASCII", "ALL", uid=True)
    assert got == [uids[1], uids[2], uids[0]]
    assert thread(f8box, "REFERENCES", "UTF-8", "ALL") == ("OK", "(1)(3 2)")
    assert thread(f8box, "ORDEREDSUBJECT", "UTF-8", "ALL") == \
        ("OK", "(1)(3 2)")
    with pytest.raises(f8box.error):
        f8box._simple_command("SORT", '("SUBJECT")', "UTF-8", "ALL")
    typ, t = thread(f8box, "REFERENCES", "UTF-8", "ALL", uid=True)
    assert (typ, t) == ("OK", "(%d)(%d %d)" % (uids[0], uids[2], uids[1]))
    typ, t = thread(f8box, "ORDEREDSUBJECT", "US-ASCII", "2:3", uid=True)
    assert (typ, t) == ("OK", "(%d %d)" % (uids[2], uids[1]))


def test_sort_keys(alice):
    imap = alice.login_imap()
    msgs = [
        (F1, '"01-Jul-2014 12:00:00 +0000"'),        # 167 octets
        (F4, '"01-Jul-2013 12:00:00 +0000"'),        # 120
        (F6, '"01-Jul-2015 12:00:00 +0000"'),        # 281
    ]
    for m, d in msgs:
        assert imap.append("INBOX", None, d, m)[0] == "OK"
    imap.select("INBOX")
    assert sort(imap, "(ARRIVAL)", "UTF-8", "ALL")[1] == [2, 1, 3]
    assert sort(imap, "(REVERSE ARRIVAL)", "UTF-8", "ALL")[1] == [3, 1, 2]
    assert sort(imap, "(SIZE)", "UTF-8", "ALL")[1] == [2, 1, 3]
    # Date: F1 and F6 on 1 Jan 2024 10:00, F4 on 3 Jan: tie by sequence
    assert sort(imap, "(DATE)", "UTF-8", "ALL")[1] == [1, 3, 2]
    assert sort(imap, "(REVERSE DATE)", "UTF-8", "ALL")[1] == [2, 1, 3]
    # subjects: hello, nomime, "Grüße aus Köln" (decoded)
    assert sort(imap, "(SUBJECT)", "UTF-8", "ALL")[1] == [3, 1, 2]
    # FROM: all "alice": tie by sequence; TO all "bob"; CC empty
    assert sort(imap, "(FROM)", "UTF-8", "ALL")[1] == [1, 2, 3]
    assert sort(imap, "(CC REVERSE SIZE)", "UTF-8", "ALL")[1] == [3, 1, 2]
    # DISPLAYFROM: "Alice" (1, 3) and "alice@example.org" (2)
    assert sort(imap, "(DISPLAYFROM SIZE)", "UTF-8", "ALL")[1] == [1, 3, 2]
    assert sort(imap, "(SIZE)", "UTF-8", "SUBJECT", "hello")[1] == [1]
    assert sort(imap, "(SIZE)", "UTF-8", "SUBJECT", "nothing")[1] == []
    typ, data = imap._simple_command("SORT", "(SIZE)", "KOI8-R", "ALL")
    assert typ == "NO" and b"BADCHARSET" in data[-1]
    for bad in (("(FOO)", "UTF-8", "ALL"), ("()", "UTF-8", "ALL"),
                ("(REVERSE)", "UTF-8", "ALL"), ("SIZE", "UTF-8", "ALL"),
                ("(SIZE)", "UTF-8")):
        with pytest.raises(imap.error):
            imap._simple_command("SORT", *bad)
    with pytest.raises(imap.error):
        imap._simple_command("THREAD", "FOO", "UTF-8", "ALL")
    typ, t = thread(imap, "REFERENCES", "UTF-8", "SUBJECT", "nothing")
    assert typ == "OK" and t == ""


@pytest.fixture(scope="module")
def corpus_box(server):
    import conftest
    corpus = conftest.CORPUS
    if not (corpus / "messages").is_dir():
        pytest.skip("corpus not found at %s" % corpus)
    imap, files = corpus_mailbox(server, corpus)
    yield imap, files, golden_queries(corpus)
    imap.logout()
    server.reset_user("dave")


def golden_cmds(prefix):
    import conftest
    if not (conftest.CORPUS / "golden").is_dir():
        return []
    return [q["command"] for q in golden_queries(conftest.CORPUS)
            if q["command"].startswith(prefix)]


def odd_dates(corpus):
    """Messages whose sent date Dovecot and RFC 5256 2.2 see differently:
    no Date:, one Dovecot cannot parse (it then sorts them as 1-Jan-1970,
    where the RFC says INTERNALDATE), or one outside 1970..2105 (Dovecot
    keeps dates in 32 bits)."""
    import email.utils
    import json
    odd = set()
    for p in (corpus / "golden" / "dovecot").rglob("*.json"):
        if p.name == "queries.json":
            continue
        d = json.loads(p.read_text())
        date = d["envelope"][0] if "envelope" in d else None
        try:
            t = email.utils.parsedate_tz(date) if date else None
        except (TypeError, ValueError):
            t = None
        if t is None or not 1970 <= t[0] <= 2105:
            odd.add(d["file"])
    # dates Python reads but RFC 5322 (and Dovecot) do not
    odd.update("messages/" + f for f in (
        "cpython/msg_47.eml", "mikel-mail/bad_date_header2.eml",
        "mime4j/mime4j-219-new-date-time-format.eml",
        "notmuch/crypto_encrypted-signed.eml",
        "stalwart-mail-parser/malformed_019.eml",
        "stalwart-mail-server/tls1.eml",     # "Fri, May 09 2017 ..."
        "stalwart-mail-server/tls2.eml"))
    return odd


# Dovecot's base subject of this message keeps the fold of its Subject
# ("and \r\n\tregister") apart from the unfolded one; RFC 5256 2.1
# step 1 makes them equal
# and Dovecot leaves encoded-words with an RFC 2231 language suffix
# ("=?utf-8*sl?Q?...?=", RFC 2231 5) undecoded, we decode them
# and raw 8-bit subjects that are not UTF-8 are read as Latin-1 here (the
# MIME layer's rule), as U+FFFD by Dovecot, so they sort elsewhere
SUBJECT_ODD = {"messages/notmuch/1382298587.003118.eml",
               "messages/spamassassin/nice_unicode1.eml",
               "messages/flanker/mailformed-headers.eml",
               "messages/spamassassin/big5-base64.1.eml"}


@pytest.mark.parametrize("command", golden_cmds("SORT"))
def test_sort_corpus_matches_dovecot(corpus_box, command):
    import conftest
    imap, files, queries = corpus_box
    expect = next(q["result"] for q in queries if q["command"] == command)
    typ, data = imap._simple_command(*command.split(" ", 1))
    assert typ == "OK"
    got = [files[int(x)] for x in
           (imap.untagged_responses.pop("SORT", [b""])[0] or b"").split()]
    assert sorted(got) == sorted(expect)
    skip = set()
    if "DATE" in command:
        skip |= odd_dates(conftest.CORPUS)
    if "SUBJECT" in command:
        skip |= SUBJECT_ODD
    got = [f for f in got if f not in skip]
    expect = [f for f in expect if f not in skip]
    first = next((i for i, (a, b) in enumerate(zip(got, expect)) if a != b),
                 None)
    assert got == expect, "first difference at %s: ours %s, Dovecot %s" % (
        first, got[first:first + 4], expect[first:first + 4])


def canon(node):
    """A thread with every sibling list sorted: compares the grouping and
    nesting and not the date order (which differs where the sent dates
    do, see odd_dates)."""
    if isinstance(node, str):
        return node
    return tuple(sorted((canon(x) for x in node), key=repr))


def flat(node):
    return [node] if isinstance(node, str) else [f for x in node
                                                 for f in flat(x)]


@pytest.mark.parametrize("command", golden_cmds("THREAD"))
def test_thread_corpus_matches_dovecot(corpus_box, command):
    import conftest
    imap, files, queries = corpus_box
    expect = next(q["result"] for q in queries if q["command"] == command)
    typ, data = imap._simple_command(*command.split(" ", 1))
    assert typ == "OK"
    got = parse_thread(
        (imap.untagged_responses.pop("THREAD", [b""])[0] or b"").decode(),
        files)
    assert sorted(flat(got)) == sorted(flat(expect))
    if "ORDEREDSUBJECT" in command:
        # the parent of each subject group is its oldest message, so
        # compare the groups, without the messages whose base subject
        # differs on purpose (SUBJECT_ODD)
        def groups(threads):
            return sorted(sorted(f for f in flat(t) if f not in SUBJECT_ODD)
                          for t in threads)
        assert [g for g in groups(got) if g] == \
            [g for g in groups(expect) if g]
        return
    # REFERENCES: the same trees, and the same order wherever the sent
    # dates are read alike (odd_dates)
    ours = {canon(t) for t in got}
    theirs = {canon(t) for t in expect}
    only_us = sorted(flat(t) for t in ours - theirs)
    only_dovecot = sorted(flat(t) for t in theirs - ours)
    assert (only_us, only_dovecot) == ([], []), \
        "%d threads differ; ours %s; Dovecot %s" % (
            len(only_us), [(len(t), t[:1]) for t in only_us],
            [(len(t), t[:1]) for t in only_dovecot])
    odd = odd_dates(conftest.CORPUS)
    assert [t for t in got if not set(flat(t)) & odd] == \
        [t for t in expect if not set(flat(t)) & odd]
