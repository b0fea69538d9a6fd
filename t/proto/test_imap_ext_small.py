"""Small extensions of issue 15: UNAUTHENTICATE (RFC 8437), LIST-MYRIGHTS
(RFC 8440) and STATUS=SIZE (RFC 8438). Each is advertised, works as its
RFC says, and refuses bad syntax with a tagged BAD."""
import re

import pytest

from imapwire import Wire, message


@pytest.fixture
def w(server, alice):
    c = Wire(server)
    yield c
    c.close()


def test_capabilities_listed_once(w):
    caps = w.caps()
    for c in ("UNAUTHENTICATE", "LIST-MYRIGHTS", "STATUS=SIZE"):
        assert caps.count(c) == 1, caps
    assert len(caps) == len(set(caps))


# ---- UNAUTHENTICATE (RFC 8437)

def test_unauthenticate_back_to_not_authenticated(server, alice, bob):
    w = Wire(server)
    assert w.ok("ENABLE UTF8=ACCEPT")
    assert w.ok("SELECT INBOX")
    assert w.ok("UNAUTHENTICATE"), w.status
    # RFC 8437 3: not authenticated again, the mailbox closed
    w.cmd("SELECT INBOX")
    assert w.status.startswith("BAD"), w.status
    w.cmd("LIST \"\" \"*\"")
    assert w.status.startswith("BAD")
    caps = w.caps()
    assert "AUTH=PLAIN" in caps
    # another user on the same connection; ENABLE state did not survive
    assert w.ok('LOGIN bob@example.org secret-2'), w.status
    assert w.cmd("ENABLE UTF8=ACCEPT") == ["* ENABLED UTF8=ACCEPT"]
    w.append("INBOX", message("for bob"))
    assert w.ok("UNAUTHENTICATE")
    assert w.ok('LOGIN alice@example.org secret-1')
    assert "* 0 EXISTS" in w.cmd("SELECT INBOX")
    w.close()


def test_unauthenticate_not_before_login(server, alice):
    w = Wire(server, user=None)
    w.cmd("UNAUTHENTICATE")
    assert w.status.startswith("BAD")
    w.close()


def test_unauthenticate_takes_no_arguments(w):
    w.cmd("UNAUTHENTICATE now")
    assert w.status.startswith("BAD")
    assert w.ok("NOOP") and w.ok("SELECT INBOX")


def test_unauthenticate_restores_preauth_literal_limit(w):
    # after login a 100 KB literal is fine; after UNAUTHENTICATE the
    # pre-login cap (4 KiB) applies again, refused before any "+"
    assert w.ok("UNAUTHENTICATE")
    w.raw.sendline("x1 LOGIN {100000}")
    line = w.raw.readline()
    assert line.startswith("x1 BAD") and "TOOBIG" in line, line


def test_unauthenticate_refused_with_system_users(make_server, alice):
    srv = make_server({"auth.system_users": "yes"}, start=False)
    # no login is needed: the capability is what tells the client
    try:
        srv.start()
    except RuntimeError:
        pytest.skip("system users mode needs privileges here")
    w = Wire(srv, user=None)
    assert "UNAUTHENTICATE" not in w.caps()
    w.close()


# ---- LIST-MYRIGHTS (RFC 8440)

def test_list_return_myrights(w):
    assert w.ok("CREATE Work")
    assert w.ok("CREATE Work.Sub")
    lines = w.cmd('LIST "" "*" RETURN (MYRIGHTS)')
    assert w.status.startswith("OK"), w.status
    rights = {}
    for i, l in enumerate(lines):
        m = re.match(r'\* MYRIGHTS (\S+) (\S+)$', l)
        if m:
            # RFC 8440 3: right after the LIST line of the same folder
            assert lines[i - 1].startswith("* LIST") and \
                lines[i - 1].endswith(" " + m.group(1)), lines
            rights[m.group(1).strip('"')] = m.group(2).strip('"')
    assert set(rights) == {"INBOX", "Work", "Work.Sub"}, lines
    # Courier's default owner entry: every right but p
    assert set("lrswikxtea") <= set(rights["Work"])
    # the same as MYRIGHTS says
    single = w.cmd("MYRIGHTS Work")[0]
    assert single.split()[-1].strip('"') == rights["Work"]


def test_list_return_myrights_with_status(w):
    assert w.ok("CREATE Box")
    lines = w.cmd('LIST "" "Box" RETURN (STATUS (MESSAGES) MYRIGHTS)')
    assert w.status.startswith("OK")
    assert [l.split()[1] for l in lines] == ["LIST", "STATUS", "MYRIGHTS"]


def test_list_myrights_not_for_noselect(w):
    assert w.ok("CREATE P.Child")
    assert w.ok("DELETE P")
    lines = w.cmd('LIST "" "P*" RETURN (MYRIGHTS)')
    names = [l.split()[2] for l in lines if l.startswith("* MYRIGHTS")]
    assert names == ['"P.Child"'], lines


def test_list_myrights_bad_syntax(w):
    w.cmd('LIST "" "*" RETURN (MYRIGHTS')
    assert w.status.startswith("BAD")
    w.cmd('LIST (MYRIGHTS) "" "*"')
    assert w.status.startswith("BAD"), w.status


def test_list_myrights_shared_folder(server, alice, bob):
    a = Wire(server)
    assert a.ok("CREATE Proj")
    assert a.ok("SETACL Proj bob@example.org lr")
    a.close()
    b = Wire(server, user="bob")
    lines = b.cmd('LIST "" "#shared.*" RETURN (MYRIGHTS)')
    assert b.status.startswith("OK")
    got = [l for l in lines if l.startswith("* MYRIGHTS")]
    assert got == ['* MYRIGHTS "#shared.alice.Proj" lr'] or \
        got == ['* MYRIGHTS #shared.alice.Proj lr'], lines
    b.close()


# ---- STATUS=SIZE (RFC 8438)

def _rfc822_sizes(w, box):
    assert w.ok("EXAMINE " + box)
    lines = w.cmd("FETCH 1:* RFC822.SIZE")
    return [int(re.search(r"RFC822\.SIZE (\d+)", l).group(1)) for l in lines
            if "FETCH" in l]


def test_status_size_sum_of_rfc822_sizes(server, w):
    assert w.ok("CREATE Sz")
    w.append("Sz", message("one"))
    w.append("Sz", message("two", body="x" * 5000 + "\r\n"))
    # a delivery with bare LF line ends and no ,W= in its name: counted
    # as CRLF, like RFC822.SIZE
    server.deliver("alice", b"Subject: lf\n\nline\nline\n", folder="Sz")
    st = w.cmd("STATUS Sz (MESSAGES SIZE)")
    m = re.match(r'\* STATUS "Sz" \(MESSAGES 3 SIZE (\d+)\)$', st[0])
    assert m, st
    assert int(m.group(1)) == sum(_rfc822_sizes(w, "Sz"))
    # again, now from the remembered sizes
    assert w.cmd("STATUS Sz (SIZE)")[0] == '* STATUS "Sz" (SIZE %s)' % \
        m.group(1)


def test_status_size_empty_and_large_value_format(w):
    assert w.ok("CREATE Empty")
    assert w.cmd("STATUS Empty (SIZE UIDNEXT)") == \
        ['* STATUS "Empty" (SIZE 0 UIDNEXT 1)']


def test_status_size_in_list_status(w):
    w.append("INBOX", message("x"))
    lines = w.cmd('LIST "" "INBOX" RETURN (STATUS (SIZE))')
    assert w.status.startswith("OK")
    assert re.match(r'\* STATUS "INBOX" \(SIZE \d+\)$', lines[1]), lines


def test_status_size_bad_and_missing(w):
    w.cmd("STATUS INBOX (SIZE BOGUS)")
    assert w.status.startswith("BAD")
    w.cmd("STATUS INBOX SIZE")
    assert w.status.startswith("BAD")
    w.cmd("STATUS Nope (SIZE)")
    assert w.status.startswith("NO [NONEXISTENT]"), w.status


# ---- THREAD=REFS (REFERENCES without subject merging, threads by their
# latest message, as Dovecot)

def _thread_msg(subject, date, mid, refs=None):
    extra = "Date: %s\r\n" % date
    if refs:
        extra += "References: <%s>\r\nIn-Reply-To: <%s>\r\n" % (refs, refs)
    return ("From: a@example.org\r\nSubject: %s\r\nMessage-ID: <%s>\r\n%s"
            "\r\nbody\r\n" % (subject, mid, extra))


def test_thread_refs(w):
    assert "THREAD=REFS" in w.caps()
    w.append("INBOX", _thread_msg("A", "Mon, 1 Jan 2024 10:00:00 +0000",
                                  "a@x"))
    w.append("INBOX", _thread_msg("B", "Tue, 2 Jan 2024 10:00:00 +0000",
                                  "b@x"))
    w.append("INBOX", _thread_msg("Re: A", "Wed, 3 Jan 2024 10:00:00 +0000",
                                  "c@x", refs="a@x"))
    # a reply by subject only, no references
    w.append("INBOX", _thread_msg("Re: B", "Thu, 4 Jan 2024 10:00:00 +0000",
                                  "d@x"))
    assert w.ok("SELECT INBOX")
    # REFERENCES merges 4 into B's thread and orders by the first date
    assert w.cmd("THREAD REFERENCES UTF-8 ALL") == ["* THREAD (1 3)(2 4)"]
    # REFS: no subject merging; the thread with the latest message last
    assert w.cmd("THREAD REFS UTF-8 ALL") == ["* THREAD (2)(1 3)(4)"]
    assert w.cmd("UID THREAD REFS UTF-8 NOT UID 4") == ["* THREAD (2)(1 3)"]
    w.cmd("THREAD REFS")
    assert w.status.startswith("BAD")
    w.cmd("THREAD REFSX UTF-8 ALL")
    assert w.status.startswith("BAD")


def test_thread_refs_long_chain(w):
    # a 300-message reply chain: one thread, in order
    prev = None
    for i in range(300):
        w.append("INBOX", _thread_msg("c", "Mon, 1 Jan 2024 10:%02d:%02d +0000"
                                      % (i // 60, i % 60), "m%d@x" % i, prev))
        prev = "m%d@x" % i
    assert w.ok("SELECT INBOX")
    line = w.cmd("THREAD REFS US-ASCII ALL")[0]
    assert line == "* THREAD (%s)" % " ".join(str(i) for i in range(1, 301))
