"""Dovecot's imaptest (the IMAP compliance tester) for the protocol tests.

imaptest's source and build script live in the shared folder beside the
checkout (../shared/imaptest), found the way the corpus is: the folder named
by MAILDOCK_IMAPTEST_SRC, else `imaptest` beside the corpus folder (whose
parent is ../shared, or where MAILDOCK_CORPUS points: tools/test-all.sh
points it at /work/shared/corpus when the clone is elsewhere).

The binary is built once into a cache folder outside every build tree
(MAILDOCK_IMAPTEST_CACHE, else ~/.cache/maildock), keyed by a hash of the
build script and the source's configure.ac, so the normal, ASan and TSan
stages share one build; a lock file serialises concurrent builders.
MAILDOCK_IMAPTEST names a ready binary instead (no build).

    binary = imaptest_binary()            # path, or pytest.skip when absent
    res = imaptest_run(binary, port, ...) # one scripted test, parsed
"""
import fcntl
import hashlib
import os
import pathlib
import re
import shutil
import subprocess

import pytest

from conftest import CORPUS

SRC = pathlib.Path(os.environ.get("MAILDOCK_IMAPTEST_SRC") or
                   CORPUS.parent / "imaptest")
TESTS = SRC / "src" / "src" / "tests"
CACHE = pathlib.Path(os.environ.get("MAILDOCK_IMAPTEST_CACHE") or
                     pathlib.Path.home() / ".cache" / "maildock")


def imaptest_scripts():
    """Names of the scripted tests (files in the tests folder other than
    the .mbox inputs; `broken/` is imaptest's own folder of known-broken
    tests). Empty when the source is absent."""
    if not TESTS.is_dir():
        return []
    return sorted(p.name for p in TESTS.iterdir()
                  if p.is_file() and not p.name.endswith(".mbox"))


def _cache_key():
    h = hashlib.sha256()
    for f in (SRC / "build.sh", SRC / "src" / "configure.ac"):
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def imaptest_binary():
    """The imaptest binary, built on first use; skips the calling test when
    the source is not there, fails it when the build fails (with the end of
    the build log)."""
    given = os.environ.get("MAILDOCK_IMAPTEST")
    if given:
        return pathlib.Path(given)
    if not (SRC / "build.sh").is_file():
        pytest.skip("imaptest source not found at %s" % SRC)
    CACHE.mkdir(parents=True, exist_ok=True)
    out = CACHE / ("imaptest-" + _cache_key())
    binary = out / "src" / "imaptest"
    if binary.is_file():
        return binary
    with open(CACHE / (out.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if binary.is_file():      # another process built it meanwhile
            return binary
        tmp = CACHE / (out.name + ".tmp")
        log = CACHE / (out.name + ".log")
        with open(log, "wb") as f:
            rc = subprocess.run(["bash", str(SRC / "build.sh"), str(tmp)],
                                stdout=f, stderr=subprocess.STDOUT).returncode
        if rc != 0 or not (tmp / "src" / "imaptest").is_file():
            shutil.rmtree(tmp, ignore_errors=True)
            pytest.fail("imaptest build failed (rc=%d):\n%s"
                        % (rc, log.read_text(errors="replace")[-3000:]))
        shutil.rmtree(out, ignore_errors=True)
        os.rename(tmp, out)
    return binary


def script_capabilities(name):
    """The capabilities a scripted test's header asks for (upper case)."""
    caps = []
    for line in (TESTS / name).read_text(errors="replace").splitlines():
        if not line.strip():
            break                 # the header ends at the first blank line
        key, _, value = line.partition(":")
        if key.strip().lower() == "capabilities":
            caps += value.upper().split()
    return caps


class ImaptestResult:
    """One scripted test's outcome: `failed` groups and commands, and
    `ran` False when imaptest ran no command (the server lacks a
    capability the test needs: imaptest prints 0/0 for both lines)."""

    def __init__(self, rc, output):
        self.rc = rc
        self.output = output
        groups = re.search(r"(\d+) test groups: (\d+) failed, (\d+) skipped",
                           output)
        # one line for the base protocol, one for extensions
        cmds = re.findall(r"(\d+)/(\d+) individual commands failed", output)
        if rc not in (0, 2) or not groups or len(cmds) != 2:
            raise AssertionError("imaptest crashed (rc=%d):\n%s" % (rc, output))
        self.failed_groups = int(groups.group(2))
        self.failed_cmds = sum(int(c[0]) for c in cmds)
        self.cmds = sum(int(c[1]) for c in cmds)
        self.ran = self.cmds > 0

    @property
    def passed(self):
        return self.rc == 0 and self.failed_groups == 0 and self.failed_cmds == 0


def imaptest_run(binary, port, name, workdir, user, user2, password,
                 timeout=120):
    """Run scripted test NAME with one imaptest process against
    127.0.0.1:PORT, as ../shared/imaptest/README.md says: a folder of its
    own holding the test, its .mbox and default.mbox; mailbox `imaptest`.
    Returns an ImaptestResult."""
    folder = pathlib.Path(workdir) / name
    folder.mkdir(parents=True)
    # imaptest panics on a folder without a test in it
    assert (TESTS / name).is_file(), "no imaptest script %s" % (TESTS / name)
    for f in (name, name + ".mbox", "default.mbox"):
        if (TESTS / f).is_file():
            (folder / f).symlink_to(TESTS / f)
    proc = subprocess.run(
        [str(binary), "host=127.0.0.1", "port=%d" % port, "user=" + user,
         "user2=" + user2, "pass=" + password, "box=imaptest",
         "test=%s" % folder], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, timeout=timeout)
    return ImaptestResult(proc.returncode,
                          proc.stdout.decode("utf-8", "replace"))
