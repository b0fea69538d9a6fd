"""Privilege drop after binding (issue 2: daemon)."""
import os
import pwd

import pytest


def uids(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                return [int(x) for x in line.split()[1:]]
    return []


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop privileges")
def test_runs_as_server_user_after_binding(make_server):
    nobody = pwd.getpwnam("nobody").pw_uid
    srv = make_server({"server.user": "nobody"})
    assert set(uids(srv.proc.pid)) == {nobody}
    c = srv.raw(srv.pop3_port)
    assert c.readline().startswith("+OK")
    c.close()
    assert "running as user=nobody" in srv.log()


def test_unknown_server_user_is_an_error(make_server):
    srv = make_server({"server.user": "no-such-user-here"}, start=False)
    with pytest.raises(RuntimeError) as e:
        srv.start()
    assert "maildock.conf:" in str(e.value)
    assert "server.user: no such user" in str(e.value)
