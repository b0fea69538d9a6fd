"""Real POP3 clients from Debian (fetchmail, getmail6) download a
corpus-filled maildrop over POP3 and POP3S; what they store is the
original message, byte for byte modulo CRLF (issue 6). Fixtures:
conftest.py; the corpus is ../shared/corpus."""
import email.parser
import email.policy
import getpass
import os
import pathlib
import shutil
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
        path, size, ends = row.split("\t")[:3]
        if int(size) > 200000 or ends == "none":
            continue
        raw = (corpus / path).read_bytes()
        if b"\0" in raw or b"\nReturn-Path:" in b"\n" + raw[:4096] \
                or not raw.endswith(b"\n") or not roundtrips(raw):
            continue
        picked.append((path, raw))
    dots = [m for m in picked if b"\n." in m[1]][:SAMPLE // 5]
    rest = [m for m in picked if m not in dots]
    step = max(1, len(rest) // (SAMPLE - len(dots)))
    return sorted(dots + rest[::step][:SAMPLE - len(dots)])


def normalise(data):
    return data.replace(b"\r\n", b"\n")


def strip_first_field(data, name):
    """Remove the header field the client put in front (with its folded
    continuation lines)."""
    assert data.startswith(name + b": "), data[:200]
    lines = data.split(b"\n")
    i = 1
    while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
        i += 1
    return b"\n".join(lines[i:])


@pytest.fixture
def filled(alice, corpus):
    msgs = sample(corpus)
    assert len(msgs) >= 50
    for _, raw in msgs:
        deliver(alice, raw)
    return alice, msgs


def check_stored(got, msgs, added_field):
    assert len(got) == len(msgs), (len(got), len(msgs))
    for data, (path, raw) in zip(got, msgs):
        data = strip_first_field(normalise(data), added_field)
        assert data == normalise(raw), path


def run_fetchmail(srv, tmp, tls):
    if not os.path.exists(FETCHMAIL):
        pytest.skip("fetchmail not installed")
    out = tmp / "out"
    out.mkdir()
    store = tmp / "store.sh"
    store.write_text('#!/bin/sh\ncat > "%s/$(date +%%s%%N).eml"\n' % out)
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
    r = subprocess.run([FETCHMAIL, "-f", str(rc), "-i", str(tmp / "ids"),
                        "--nosyslog", "-v"], env=env, capture_output=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    return [f.read_bytes() for f in sorted(out.iterdir())]


@pytest.mark.parametrize("tls", [False, True], ids=["pop3", "pop3s"])
def test_fetchmail_downloads_corpus(filled, tmp_path, tls):
    srv, msgs = filled
    got = run_fetchmail(srv, tmp_path, tls)
    check_stored(got, msgs, b"Received")
    # "keep": nothing was deleted
    p = srv.pop3()
    p.user(USERS["alice"][0])
    p.pass_(USERS["alice"][1])
    assert p.stat()[0] == len(msgs)
    p.quit()


def run_getmail(srv, tmp, tls):
    if not os.path.exists(GETMAIL):
        pytest.skip("getmail6 not installed")
    md = tmp / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (md / sub).mkdir(parents=True)
    rc = tmp / "getmailrc"
    rc.write_text(
        "[retriever]\n"
        "type = %s\n"
        "server = 127.0.0.1\nport = %d\n"
        "username = %s\npassword = %s\n"
        "[destination]\ntype = Maildir\npath = %s/\n"
        "[options]\nread_all = true\ndelete = false\n"
        "delivered_to = false\nreceived = false\nverbose = 1\n"
        % ("SimplePOP3SSLRetriever" if tls else "SimplePOP3Retriever",
           srv.pop3s_port if tls else srv.pop3_port, USERS["alice"][0],
           USERS["alice"][1], md))
    r = subprocess.run([GETMAIL, "--getmaildir", str(tmp), "--rcfile",
                        str(rc)], capture_output=True, timeout=300)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    files = sorted((md / "new").iterdir(), key=lambda f: f.stat().st_mtime_ns)
    return files


@pytest.mark.parametrize("tls", [False, True], ids=["pop3", "pop3s"])
def test_getmail_downloads_corpus(filled, tmp_path, tls):
    srv, msgs = filled
    files = run_getmail(srv, tmp_path, tls)
    # getmail6's Maildir names do not sort in arrival order: match by
    # content (each original must be there once)
    got = sorted(strip_first_field(normalise(f.read_bytes()),
                                   b"Return-Path") for f in files)
    want = sorted(normalise(raw) for _, raw in msgs)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g == w
