"""SEARCH over the whole corpus compared with Dovecot's answers
(../shared/corpus/golden/dovecot/queries.json): message sets must be
equal, file by file."""
import pytest

from test_imap_fetch_util import logout_after, corpus_mailbox, golden_queries
from test_imap_sort import golden_cmds


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


# Where we answer differently from Dovecot on purpose, per query:
# (files only we find, files only Dovecot finds). Anything else is a bug.
KNOWN = {
    # Dovecot's own answer depends on its cache state for this message
    # (two Content-Type headers; golden/AGREEMENT.md, Notes)
    'SEARCH BODY "hello"': ([], ["messages/spamassassin/badmime2.eml"]),
    # Dates before 1970 are before 2000 (RFC 3501 6.4.4); Dovecot's
    # signed-time handling puts them after every date. Year 3609 is a
    # valid (if silly) date, which Dovecot treats as unparseable (epoch).
    "SEARCH SENTBEFORE 1-Jan-2000": (
        ["messages/mikel-mail/example04.eml",
         "messages/mikel-mail/example10.eml"],
        ["messages/mikel-mail/raw_email_bad_time.eml"]),
    "SEARCH SENTSINCE 1-Jan-2020": (
        ["messages/mikel-mail/raw_email_bad_time.eml"],
        ["messages/mikel-mail/example04.eml",
         "messages/mikel-mail/example10.eml"]),
}


def run_search(imap, command):
    """Send command; a trailing non-ASCII quoted string goes as a literal
    (8-bit text is only allowed in literals, RFC 3501 9)."""
    args = command.split(" ", 1)[1]
    if not args.isascii():
        head, _, tail = args.rpartition(' "')
        imap.literal = tail.rstrip('"').encode()
        args = head
    typ, data = imap._simple_command("SEARCH", args)
    found = imap.untagged_responses.pop("SEARCH", [b""])
    return typ, [int(x) for x in (found[0] or b"").split()]


@pytest.mark.parametrize("command", golden_cmds("SEARCH"))
def test_search_corpus_matches_dovecot(corpus_box, command):
    imap, files, queries = corpus_box
    expect = next(q["result"] for q in queries if q["command"] == command)
    typ, seqs = run_search(imap, command)
    assert typ == "OK"
    got = sorted(files[s] for s in seqs)
    only_us = sorted(set(got) - set(expect))
    only_dovecot = sorted(set(expect) - set(got))
    known_us, known_dovecot = KNOWN.get(command, ([], []))
    assert (only_us, only_dovecot) == (known_us, known_dovecot), \
        "only Maildock: %s; only Dovecot: %s" % (only_us, only_dovecot)
