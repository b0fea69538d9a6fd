"""imaptest's scripted compliance tests (issue 15), each its own result.

Every test file in ../shared/imaptest/src/src/tests runs in one imaptest
process against a daemon of this module's own, as that folder's README
says: user=alice user2=bob (both with one password: imaptest takes one),
box=imaptest, a folder per test holding the test, its .mbox and
default.mbox. A test that runs no command (the server does not offer the
capability it needs) is skipped with the capability named; a test known to
fail today is xfail(strict=True), so fixing it fails the run until its
entry below is removed.
"""
import pytest

from conftest import Maildock
from imaptest_util import (imaptest_binary, imaptest_run, imaptest_scripts,
                           script_capabilities)

PASSWORD = "imaptest-pass"

# Fails today, with why (none now: an entry flips to XPASS, which fails the
# run, once its test passes).
XFAIL = {}


def _params():
    for name in imaptest_scripts():
        marks = []
        if name in XFAIL:
            marks.append(pytest.mark.xfail(strict=True, reason=XFAIL[name]))
        yield pytest.param(name, marks=marks, id=name)


@pytest.fixture(scope="module")
def it_server(tmp_path_factory):
    """A daemon whose alice and bob share PASSWORD; bare names get
    @example.org."""
    d = tmp_path_factory.mktemp("imaptest-server")
    users = d / "imaptest-users"
    home = d / "home"
    users.write_text("".join(
        "%s@example.org:{PLAIN}%s::::%s::\n" % (u, PASSWORD, home / u)
        for u in ("alice", "bob")))
    srv = Maildock(d, {"auth.pwfile.path": str(users),
                       "auth.default_domain": "example.org"}).start()
    yield srv
    srv.stop()
    srv.check_sanitizers()


@pytest.mark.parametrize("name", list(_params()))
def test_imaptest_script(it_server, name, tmp_path):
    binary = imaptest_binary()
    for user in ("alice", "bob"):
        it_server.reset_user(user)
    res = imaptest_run(binary, it_server.imap_port, name, tmp_path,
                       "alice", "bob", PASSWORD)
    if not res.ran and res.failed_cmds == 0:
        caps = script_capabilities(name)
        pytest.skip("capability not offered: %s" % " ".join(caps))
    assert res.passed, res.output
