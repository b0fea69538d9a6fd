"""WITHIN (RFC 5032): SEARCH OLDER/YOUNGER <seconds> on the internal date,
counted back from now; YOUNGER n is exactly NOT OLDER n; a missing or bad
interval is BAD."""
import time

import pytest

from test_imap_mailbox import Session


def append_at(s, tag, when):
    data = b"From: a@example.org\r\nSubject: w\r\n\r\nbody\r\n"
    date = time.strftime("%d-%b-%Y %H:%M:%S +0000", time.gmtime(when))
    s.raw.sendline('%s APPEND INBOX "%s" {%d}' % (tag, date, len(data)))
    assert s.raw.readline().startswith("+ ")
    s.raw.send(data + b"\r\n")
    assert s.raw.read_until_tagged(tag)[-1].startswith(tag + " OK")


@pytest.fixture
def s(server, alice):
    sess = Session(server)
    now = int(time.time())
    for i, age in enumerate((10 * 86400, 7200, 60)):  # 10 days, 2 h, 1 min
        append_at(sess, "a%d" % i, now - age)
    assert sess.ok("SELECT INBOX")
    return sess


def test_within(s):
    assert "WITHIN" in s.cmd("CAPABILITY")[0].split()
    assert s.cmd("SEARCH OLDER 3600") == ["* SEARCH 1 2"]
    assert s.cmd("SEARCH YOUNGER 3600") == ["* SEARCH 3"]
    assert s.cmd("SEARCH YOUNGER 86400") == ["* SEARCH 2 3"]
    assert s.cmd("SEARCH OLDER 864000000") == ["* SEARCH"]
    assert s.cmd("SEARCH NOT YOUNGER 3600") == s.cmd("SEARCH OLDER 3600")
    assert s.cmd("UID SEARCH OLDER 86400 YOUNGER 8640000") == \
        ["* SEARCH 1"]


@pytest.mark.parametrize("bad", ["OLDER", "YOUNGER x", "OLDER -5",
                                 "OLDER 99999999999999999999999"])
def test_within_bad_interval(s, bad):
    s.cmd("SEARCH " + bad)
    assert s.status.startswith("BAD"), (bad, s.status)
