"""RFC details imaptest's scripted tests found wrong (issue 15), each
checked here without imaptest: '~' and '[' as ATOM-CHARs, NIL as a
keyword, MOVE into the selected folder, RECURSIVEMATCH and LSUB parents,
SEARCH FROM on an address with comments, SORT ARRIVAL ties."""
import pytest

from test_imap_mailbox import Session


@pytest.fixture
def s(server, alice):
    return Session(server)


def msg(subject, frm="a@example.org"):
    return ("From: %s\r\nSubject: %s\r\n\r\nbody %s\r\n"
            % (frm, subject, subject)).encode()


def test_tilde_and_bracket_are_atom_chars(s):
    """RFC 3501 9: '~' (RFC 3516 4.1: a literal8 only when "{" follows)
    and '[' are ATOM-CHARs, so these names are atoms, not syntax errors."""
    s.cmd('LIST "" ~foo')
    assert s.status.startswith("OK"), s.status
    s.cmd("SELECT ~foo")
    assert s.status.startswith("NO"), s.status
    s.cmd("SELECT foo[}")
    assert s.status.startswith("NO"), s.status
    assert s.ok("CREATE a~b[c")
    assert s.list("", "a~b*") == {'"a~b[c"': {"\\HasNoChildren"}}
    s.cmd("SELECT ~")
    assert s.status.startswith("NO"), s.status


def test_nil_is_a_keyword(s):
    """RFC 3501 9: flag-keyword = atom, and "NIL" is an atom there."""
    assert s.append("INBOX", msg("x"))
    assert s.ok("SELECT INBOX")
    assert s.ok("STORE 1 +FLAGS NIL")
    assert s.cmd("FETCH 1 FLAGS") == ["* 1 FETCH (FLAGS (\\Recent NIL))"]
    assert s.ok("STORE 1 -FLAGS (NIL)")
    assert s.cmd("FETCH 1 FLAGS") == ["* 1 FETCH (FLAGS (\\Recent))"]


def test_move_into_the_selected_folder(s):
    """RFC 6851 does not forbid it: the message gets a new UID (COPYUID
    names it) and the old one is expunged."""
    for i in range(3):
        assert s.append("INBOX", msg("m%d" % i))
    lines = s.cmd("SELECT INBOX")
    uidv = next(l for l in lines if "UIDVALIDITY" in l).split()[3][:-1]
    lines = s.cmd("MOVE 1 INBOX")
    assert s.status.startswith("OK"), s.status
    assert lines[0] == "* OK [COPYUID %s 1 4] Moved" % uidv
    assert "* 1 EXPUNGE" in lines
    assert s.cmd("UID FETCH 1:* (UID)")[-1] == "* 3 FETCH (UID 4)"


def test_recursivematch_parents(s):
    """RFC 5258: RETURN (CHILDREN) gives a CHILDINFO parent \\HasChildren
    (4); a parent whose subscribed child is listed itself is not returned
    with CHILDINFO (5, example 9)."""
    for name in ("P", "P.C", "Q.D"):
        assert s.ok("CREATE " + name)
    assert s.ok("SUBSCRIBE P.C") and s.ok("SUBSCRIBE Q.D")
    lines = s.cmd('LIST (SUBSCRIBED RECURSIVEMATCH) "" "P%" RETURN (CHILDREN)')
    assert lines == ['* LIST (\\HasChildren) "." "P" ("CHILDINFO" '
                     '("SUBSCRIBED"))']
    lines = s.cmd('LIST (SUBSCRIBED RECURSIVEMATCH) "" ("P" "P.C")')
    assert lines == ['* LIST (\\HasNoChildren \\Subscribed) "." "P.C"']
    lines = s.cmd('LIST (SUBSCRIBED RECURSIVEMATCH) "" "*"')
    assert not any("CHILDINFO" in l for l in lines), lines


def test_lsub_percent_lists_parents_noselect(s):
    """RFC 3501 6.3.9: LSUB "%" with "foo.bar" subscribed but not "foo"
    returns "foo" flagged \\Noselect, never "foo.bar"."""
    for name in ("L.one", "L.two.x", "L.three"):
        assert s.ok("CREATE " + name)
    assert s.ok("SUBSCRIBE L.one") and s.ok("SUBSCRIBE L.two.x")
    got = s.list("", "L.%", "LSUB")
    assert set(got) == {'"L.one"', '"L.two"'}
    assert "\\Noselect" in got['"L.two"']
    assert "\\Noselect" not in got['"L.one"']
    assert set(s.list("", "L.*", "LSUB")) == {'"L.one"', '"L.two.x"'}


def test_search_from_address_with_comments(s):
    """RFC 3501 6.4.4: FROM searches the envelope's address structure,
    where "<u (c)@ (c) d.org>" is u@d.org."""
    assert s.append("INBOX", msg("1", "<user-from (comment)@ (comment) "
                                      "domain.org>"))
    assert s.append("INBOX", msg("2", "RealFrom <user-from@domain.org>"))
    assert s.append("INBOX", msg("3", "other@domain.org (user-from)"))
    assert s.ok("SELECT INBOX")
    assert s.cmd("SEARCH FROM user-from@domain.org") == ["* SEARCH 1 2"]
    assert s.cmd("SEARCH FROM realfrom") == ["* SEARCH 2"]
    assert s.cmd("SEARCH FROM comment") == ["* SEARCH 1"]


def test_sort_arrival_ties_keep_sequence_order(s):
    """RFC 5256 3: ARRIVAL is INTERNALDATE; messages equal under every key
    go by sequence number, ascending even under REVERSE."""
    dates = ["00:00", "02:00", "01:00", "02:00", "02:00"]
    sizes = [1, 4, 1, 2, 3]
    for d, n in zip(dates, sizes):
        s.n += 1
        data = msg("x" * n)
        tag = "t%d" % s.n
        s.raw.sendline('%s APPEND INBOX "22-Feb-2008 %s:00 +0000" {%d}'
                       % (tag, d, len(data)))
        assert s.raw.readline().startswith("+ ")
        s.raw.send(data + b"\r\n")
        assert s.raw.read_until_tagged(tag)[-1].startswith(tag + " OK")
    assert s.ok("SELECT INBOX")
    assert s.cmd("SORT (ARRIVAL) US-ASCII ALL") == ["* SORT 1 3 2 4 5"]
    assert s.cmd("SORT (REVERSE ARRIVAL) US-ASCII ALL") == \
        ["* SORT 2 4 5 3 1"]
    assert s.cmd("SORT (ARRIVAL REVERSE SIZE) US-ASCII ALL") == \
        ["* SORT 1 3 2 5 4"]


@pytest.mark.parametrize("body", [
    b"--b--\r\n",                   # only the closing boundary
    b"no boundary at all\r\n",      # none
    b"",                            # an empty body
])
def test_multipart_without_parts_fetches_its_empty_part(server, alice, body):
    """BODYSTRUCTURE lists a multipart without parts with one empty
    text/plain part (as Dovecot); BODY[1] and BODY[1.MIME] of it are empty
    strings, not NIL (RFC 3501 6.4.5; issue 15's second rule)."""
    server.deliver("alice", b'Content-Type: multipart/mixed; boundary="b"'
                   b"\r\n\r\n" + body)
    s = Session(server)
    assert s.ok("SELECT INBOX")
    lines = s.cmd("FETCH 1 (BODYSTRUCTURE BODY.PEEK[1] BODY.PEEK[1.MIME] "
                  "BODY.PEEK[1]<0.10>)")
    assert s.status.startswith("OK")
    text = "\n".join(lines)
    assert '(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0' \
        in text
    assert "BODY[1] {0}" in text or 'BODY[1] ""' in text, text
    assert "BODY[1.MIME] {0}" in text or 'BODY[1.MIME] ""' in text, text
    assert "NIL)" not in text.split("BODY[1]")[1], text
