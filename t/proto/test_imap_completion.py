"""Every command whose tag the server has read ends with a tagged OK, NO or
BAD, or with "* BYE" and a close (issue 15; RFC 3501 2.2.2: the client
waits for its tag). One test per refusal path: over-long lines, over-size
literals, limits hit in the middle of a command, parse errors after a
literal, session memory, APPEND's own refusals."""
import pytest

LIMITS = {"imap.max_line_length": "1k", "imap.max_literal": "2k",
          "imap.max_command": "8k", "imap.max_append": "4k",
          "imap.max_list_depth": "4", "imap.max_bad_commands": "50"}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    from conftest import Maildock
    d = Maildock(tmp_path_factory.mktemp("completion"), LIMITS).start()
    yield d
    d.stop()
    d.check_sanitizers()


def login(srv):
    c = srv.raw(srv.imap_port)
    assert c.readline().startswith("* OK")
    c.sendline("l LOGIN alice@example.org secret-1")
    assert c.read_until_tagged("l")[-1].startswith("l OK")
    return c


def ends(c, tag, status=("BAD",)):
    """The command's end: its tagged line (whose status is checked), or
    "BYE": an untagged BYE, then the server closes. An untagged BAD is
    never the end."""
    while True:
        line = c.readline()
        if line.startswith(tag + " "):
            assert line.split()[1] in status, line
            return line
        if line.startswith("* BYE"):
            assert c.closed(), "BYE without close"
            return "BYE"
        assert not line.startswith("* BAD"), line


def still_works(c):
    c.sendline("n NOOP")
    assert c.read_until_tagged("n")[-1].startswith("n OK")


def test_line_too_long_first_line(srv):
    c = login(srv)
    c.sendline("t1 NOOP " + "x" * 2000)
    assert ends(c, "t1").startswith("t1 BAD [TOOBIG]")
    still_works(c)


def test_line_too_long_before_login(srv):
    c = srv.raw(srv.imap_port)
    assert c.readline().startswith("* OK")
    c.sendline("t1 LOGIN " + "x" * 2000 + " y")
    assert ends(c, "t1").startswith("t1 BAD [TOOBIG]")


def test_line_too_long_without_tag(srv):
    """No tag was read (the line is all tag characters): nothing to tag,
    so the server may answer untagged; the session goes on."""
    c = login(srv)
    c.sendline("x" * 2000)
    assert c.readline().startswith("* BAD")
    still_works(c)


def test_line_too_long_after_literal(srv):
    c = login(srv)
    c.sendline("t2 SELECT {5}")
    assert c.readline().startswith("+ ")
    c.sendline("INBOX" + " x" * 1000)
    assert ends(c, "t2").startswith("t2 BAD")
    still_works(c)


def test_literal_too_big(srv):
    c = login(srv)
    c.sendline("t3 SELECT {3000}")
    assert ends(c, "t3").startswith("t3 BAD [TOOBIG]")
    still_works(c)
    c.sendline("t4 SELECT {3000+}")
    assert ends(c, "t4") == "BYE"


def test_command_too_long(srv):
    """A literal that would take the command past imap.max_command is
    refused before its "+" (tagged), or with BYE when non-synchronizing."""
    c = login(srv)
    c.sendline("s SELECT INBOX")
    assert c.read_until_tagged("s")[-1].startswith("s OK")
    c.send("t5 SEARCH TEXT {1500}\r\n")
    for i in range(10):
        line = c.readline()
        if not line.startswith("+ "):
            break
        c.send("a" * 1500 + " TEXT {1500}\r\n")
    assert line.startswith("t5 BAD [TOOBIG]"), line
    still_works(c)
    c.send("t6 SEARCH")
    for i in range(5):
        c.send(" TEXT {1500+}\r\n" + "a" * 1500)
    c.send(" TEXT {1500+}\r\n")
    assert ends(c, "t6") == "BYE"


def test_list_too_deep(srv):
    c = login(srv)
    c.sendline("t9 SEARCH " + "(" * 10 + "ALL" + ")" * 10)
    assert ends(c, "t9").startswith("t9 BAD")
    still_works(c)


def test_parse_error_after_literal(srv):
    c = login(srv)
    c.sendline("t7 SELECT {5}")
    assert c.readline().startswith("+ ")
    c.sendline('INBOX "unterminated')
    assert ends(c, "t7").startswith("t7 BAD")
    still_works(c)
    c.sendline("t8 STATUS {5+}")
    c.sendline("INBOX (MESSAGES")
    assert ends(c, "t8").startswith("t8 BAD")
    still_works(c)


def test_append_refusals(srv):
    c = login(srv)
    c.sendline("a1 APPEND INBOX {5000}")
    assert ends(c, "a1", ("NO", "BAD")).startswith("a1 NO [TOOBIG]")
    still_works(c)
    c.sendline("a2 APPEND INBOX (\\Bogus) {5}")
    assert ends(c, "a2").startswith("a2 BAD")
    still_works(c)
    c.sendline("a3 APPEND INBOX {5}")
    assert c.readline().startswith("+ ")
    c.sendline('hello "junk')
    assert ends(c, "a3").startswith("a3 BAD")
    still_works(c)
    c.sendline("a4 APPEND INBOX {5}")
    assert c.readline().startswith("+ ")
    c.sendline("hello" + " x" * 1000)
    assert ends(c, "a4").startswith("a4 BAD")
    still_works(c)
    c.sendline("a5 APPEND INBOX {5000+}")
    assert ends(c, "a5", ("NO", "BAD")) == "BYE"


def test_session_memory_mid_command(make_server):
    """Literals within every size limit that the command arena cannot hold
    (limits.session_memory): the session ends with BYE, not in silence."""
    srv = make_server({"limits.session_memory": "4M",
                       "imap.max_literal": "3M", "imap.max_command": "16M"})
    c = login(srv)
    big = "a" * 3000000
    c.send("t STATUS {3000000}\r\n")
    assert c.readline().startswith("+ ")
    c.send(big + " {3000000}\r\n")
    line = c.readline()
    if line.startswith("+ "):
        c.send(big + "\r\n")
        line = c.readline()
    assert line.startswith("* BYE [LIMIT]"), line
    assert c.closed()


def test_bye_reaches_a_client_still_sending(make_server):
    """The session memory runs out in the middle of a literal the client
    is still sending: once it has sent, the client reads the BYE and then
    a clean close, never a connection reset (closing a socket with unread
    input sends a TCP reset, which may destroy the BYE on its way)."""
    import time
    srv = make_server({"limits.session_memory": "4M",
                       "imap.max_literal": "3M", "imap.max_command": "16M"})
    c = login(srv)
    big = b"a" * 3000000
    try:
        c.sock.sendall(b"t STATUS {3000000+}\r\n" + big +
                       b" {3000000+}\r\n" + big + b"\r\n")
    except OSError:
        pass            # the server may stop reading before the end
    time.sleep(0.5)     # the server has answered and closed by now
    c.sock.settimeout(5)
    got = b""
    while True:
        data = c.sock.recv(65536)   # a reset raises ConnectionResetError
        if not data:
            break
        got += data
    assert got.startswith(b"* BYE [LIMIT]"), got
