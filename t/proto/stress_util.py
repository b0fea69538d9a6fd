"""imaptest's stress mode against a Maildock of its own (shared by
test_imap_stress.py and bench/imap-stress.py).

imaptest (Dovecot's tester) runs many concurrent clients doing random
LOGIN/SELECT/FETCH/STORE/EXPUNGE/APPEND/LOGOUT on the same mailboxes and
prints one line starting with `Error:` per protocol violation it sees; a
correct server prints none. The binary is imaptest_util's (built once
from ../shared/imaptest, or MAILDOCK_IMAPTEST).
"""
import pathlib
import subprocess

import pytest

from conftest import Maildock
from imaptest_util import TESTS, imaptest_binary

PASSWORD = "pass"


def stress_binary():
    """For scripts outside pytest (bench/): the binary imaptest_util
    builds or MAILDOCK_IMAPTEST names, or None when imaptest's source is
    absent."""
    try:
        return imaptest_binary()
    except pytest.skip.Exception:
        return None


def stress_mbox():
    """An mbox of messages with unique Message-IDs (imaptest's own)."""
    return TESTS / "default.mbox"


def stress_server(workdir, users=10, settings=None):
    """A started Maildock whose pwfile has testuser1..testuser<users>
    (password `pass`), as imaptest's stress mode logs in."""
    workdir = pathlib.Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    pwfile = workdir / "stress-users"
    with open(pwfile, "w") as f:
        for i in range(1, users + 1):
            f.write("testuser%d:{PLAIN}%s::::%s::\n"
                    % (i, PASSWORD, workdir / "home" / str(i)))
    conf = {"auth.pwfile.path": str(pwfile), "log.level": "info",
            "mail.location": str(workdir / "mail") + "/%n/Maildir",
            "limits.max_connections_per_ip": "1000"}
    conf.update(settings or {})
    return Maildock(workdir / "srv", conf).start()


def stress_run(binary, port, clients, secs, users=10, tls=False, seed=42,
               extra=()):
    """Run imaptest's mixed workload (extra: more imaptest options, e.g.
    "qresync" to resynchronise each selected mailbox with QRESYNC); returns
    (errors, output) where errors are its `Error:` lines."""
    args = [str(binary), "host=127.0.0.1", "port=%d" % port,
            "user=testuser%d", "users=%d" % users, "pass=" + PASSWORD,
            "mbox=%s" % stress_mbox(), "clients=%d" % clients,
            "secs=%d" % secs, "seed=%d" % seed]
    if tls:
        args.append("ssl=any-cert")
    args += list(extra)
    proc = subprocess.run(args, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=secs + 120)
    out = proc.stdout.decode("utf-8", "replace")
    errors = [l for l in out.splitlines() if l.startswith("Error:")]
    return errors, out

