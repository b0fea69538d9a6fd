"""imaptest's stress mode against a Maildock of its own (shared by
test_imap_stress.py and bench/imap-stress.py).

imaptest (Dovecot's tester) runs many concurrent clients doing random
LOGIN/SELECT/FETCH/STORE/EXPUNGE/APPEND/LOGOUT on the same mailboxes and
prints one line starting with `Error:` per protocol violation it sees; a
correct server prints none. The binary is the one named by
MAILDOCK_IMAPTEST, else the prebuilt /work/imaptest-build/src/imaptest
(the test is skipped when neither exists).
"""
import os
import pathlib
import subprocess

from conftest import CORPUS, Maildock

PREBUILT = pathlib.Path("/work/imaptest-build/src/imaptest")
PASSWORD = "pass"


def stress_binary():
    """The imaptest binary, or None when there is none."""
    given = os.environ.get("MAILDOCK_IMAPTEST")
    if given:
        return pathlib.Path(given)
    return PREBUILT if PREBUILT.is_file() else None


def stress_mbox():
    """An mbox of messages with unique Message-IDs (imaptest's own)."""
    return CORPUS.parent / "imaptest" / "src" / "src" / "tests" / \
        "default.mbox"


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


def script_run(binary, port, name, workdir, user, password):
    """One of imaptest's scripted tests (tests/NAME with its .mbox, else
    default.mbox) against 127.0.0.1:PORT; returns (rc, output). rc 0:
    passed; 2: a command failed; other: imaptest itself failed."""
    tests = stress_mbox().parent
    folder = pathlib.Path(workdir) / name
    folder.mkdir(parents=True)
    for f in (name, name + ".mbox", "default.mbox"):
        if (tests / f).is_file():
            (folder / f).symlink_to(tests / f)
    proc = subprocess.run(
        [str(binary), "host=127.0.0.1", "port=%d" % port, "user=" + user,
         "pass=" + password, "box=imaptest", "test=%s" % folder],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    return proc.returncode, proc.stdout.decode("utf-8", "replace")
