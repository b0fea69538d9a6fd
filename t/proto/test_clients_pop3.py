"""Real POP3 clients from Debian (fetchmail, getmail6) download a
corpus-filled maildrop over POP3 and POP3S; what they store is the
original message, byte for byte modulo CRLF (issue 6). Fixtures:
conftest.py; the corpus is ../shared/corpus."""
import email.parser
import email.policy
import getpass
import os
import subprocess

import pytest

from conftest import USERS

from test_pop3_session import deliver

FETCHMAIL = "/usr/bin/fetchmail"
GETMAIL = "/usr/bin/getmail"
SAMPLE = 100


def roundtrips(raw):
    """Whether Python's email package (which getmail6 re-serialises every
    message with) gives the message back unchanged; other messages would
    test getmail6, not the server."""
    try:
        msg = email.parser.BytesParser().parsebytes(raw)
        out = msg.as_bytes(policy=msg.policy.clone(linesep="\n"))
    except Exception:
        return False
    return out == raw.replace(b"\r\n", b"\n")


def sample(corpus):
    """About SAMPLE messages spread over the whole corpus (every source,
    LF, CRLF and mixed line ends, dots at line starts), small enough to be
    quick. Return-Path is left out: both clients rewrite it."""
    rows = (corpus / "INDEX.tsv").read_text().splitlines()[1:]
    picked = []
    for row in rows:
        path, size, ends, _, _, tags = row.split("\t")
        # a message without a header block gets one from fetchmail
        if int(size) > 200000 or ends == "none" or "no-headers" in tags:
            continue
        raw = (corpus / path).read_bytes()
        if b"\0" in raw or b"\nreturn-path:" in b"\n" + raw[:65536].lower() \
                or not raw.endswith(b"\n") or not roundtrips(raw):
            continue
        picked.append((path, raw))
    dots = [m for m in picked if b"\n." in m[1]][:SAMPLE // 5]
    rest = [m for m in picked if m not in dots]
    step = max(1, len(rest) // (SAMPLE - len(dots)))
    return sorted(dots + rest[::step][:SAMPLE - len(dots)])


def normalise(data):
    return data.replace(b"\r\n", b"\n")


def strip_added_field(data, start):
    """Remove the header field the client added (with its folded
    continuation lines): the first one whose first line starts with start.
    fetchmail puts its Received field in front of the first Received field
    of the message (or at the top), getmail6 its Return-Path at the top."""
    lines = data.split(b"\n")
    for i, line in enumerate(lines):
        if line == b"":
            break
        if line.startswith(start):
            j = i + 1
            while j < len(lines) and lines[j][:1] in (b" ", b"\t"):
                j += 1
            return b"\n".join(lines[:i] + lines[j:])
    raise AssertionError("no %r field added: %r" % (start, data[:300]))


@pytest.fixture
def filled(alice, corpus):
    msgs = sample(corpus)
    assert len(msgs) >= 50
    for _, raw in msgs:
        deliver(alice, raw)
    return alice, msgs


def check_stored(got, msgs, added_field):
    assert len(got) == len(msgs), (len(got), len(msgs))
    bad = [path for data, (path, raw) in zip(got, msgs)
           if strip_added_field(normalise(data), added_field)
           != normalise(raw)]
    assert bad == []


def run_fetchmail(srv, tmp, tls):
    if not os.path.exists(FETCHMAIL):
        pytest.skip("fetchmail not installed")
    out, store = store_script(tmp)
    rc = tmp / "fetchmailrc"
    if tls:
        port, opts = srv.pop3s_port, "ssl no sslcertck"
    else:
        port, opts = srv.pop3_port, 'sslproto ""'
    rc.write_text(
        "set no bouncemail\n"
        "poll 127.0.0.1 service %d protocol POP3 uidl timeout 60\n"
        '  user "%s" there with password "%s" is "%s" here\n'
        '  options fetchall keep no rewrite %s mda "/bin/sh %s"\n'
        % (port, USERS["alice"][0], USERS["alice"][1], getpass.getuser(),
           opts, store))
    rc.chmod(0o600)
    env = dict(os.environ, HOME=str(tmp), FETCHMAILHOME=str(tmp))
    # its own pidfile: run as root, fetchmail locks /var/run/fetchmail.pid
    # whatever FETCHMAILHOME says, and refuses to run beside another one
    r = subprocess.run([FETCHMAIL, "-f", str(rc), "-i", str(tmp / "ids"),
                        "--pidfile", str(tmp / "fetchmail.pid"),
                        "--nosyslog", "-v"], env=env, capture_output=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    return [f.read_bytes() for f in sorted(out.iterdir())]


@pytest.mark.parametrize("tls", [False, True], ids=["pop3", "pop3s"])
def test_fetchmail_downloads_corpus(filled, tmp_path, tls):
    srv, msgs = filled
    got = run_fetchmail(srv, tmp_path, tls)
    check_stored(got, msgs, b"Received: from 127.0.0.1 [127.0.0.1]")
    # "keep": nothing was deleted
    p = srv.pop3()
    p.user(USERS["alice"][0])
    p.pass_(USERS["alice"][1])
    assert p.stat()[0] == len(msgs)
    p.quit()


def store_script(tmp):
    """An MDA that writes each message to out/<nanoseconds>.eml, so the
    files sort in delivery order."""
    out = tmp / "out"
    out.mkdir()
    store = tmp / "store.sh"
    store.write_text('#!/bin/sh\ncat > "%s/$(date +%%s%%N).eml"\n' % out)
    store.chmod(0o755)
    return out, store


def run_getmail(srv, tmp, tls):
    if not os.path.exists(GETMAIL):
        pytest.skip("getmail6 not installed")
    out, store = store_script(tmp)
    rc = tmp / "getmailrc"
    rc.write_text(
        "[retriever]\n"
        "type = %s\n"
        "server = 127.0.0.1\nport = %d\n"
        "username = %s\npassword = %s\n"
        "[destination]\ntype = MDA_external\npath = %s\n"
        "allow_root_commands = true\n"
        "[options]\nread_all = true\ndelete = false\n"
        "delivered_to = false\nreceived = false\nverbose = 1\n"
        % ("SimplePOP3SSLRetriever" if tls else "SimplePOP3Retriever",
           srv.pop3s_port if tls else srv.pop3_port, USERS["alice"][0],
           USERS["alice"][1], store))
    for attempt in range(2):
        r = subprocess.run([GETMAIL, "--getmaildir", str(tmp), "--rcfile",
                            str(rc)], capture_output=True, timeout=300)
        # getmail6 can lose its own SIGCHLD wake-up on a loaded machine
        # ("waiting child pid N timed out", getmailcore/baseclasses.py):
        # that is the client's race, so run it once more from scratch
        if r.returncode == 0 or b"waiting child pid" not in r.stdout + r.stderr:
            break
        for f in out.iterdir():
            f.unlink()
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    assert b"error" not in r.stdout + r.stderr, r.stdout.decode()
    return [f.read_bytes() for f in sorted(out.iterdir())]


@pytest.mark.parametrize("tls", [False, True], ids=["pop3", "pop3s"])
def test_getmail_downloads_corpus(filled, tmp_path, tls):
    srv, msgs = filled
    got = run_getmail(srv, tmp_path, tls)
    check_stored(got, msgs, b"Return-Path: ")
