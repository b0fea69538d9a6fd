"""Privilege drop after binding (issue 2: daemon)."""
import os
import pathlib
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
    assert len(srv.pids()) >= 2  # the master and its worker(s)
    for pid in srv.pids():
        assert set(uids(pid)) == {nobody}
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


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop privileges")
def test_reload_after_privilege_drop_keeps_root_only_key(make_server, tmp_path):
    """A reload as server.user cannot read a root-only key: it keeps the
    loaded certificates and applies the rest (found by a fresh review: every
    reload failed)."""
    srv = make_server({"server.user": "nobody", "log.level": "info"}, start=False)
    for p in [srv.dir] + list(srv.dir.parents):
        if p == pathlib.Path("/"):
            break
        p.chmod(p.stat().st_mode | 0o005)
    srv.conf.chmod(0o644)
    (srv.dir / "users").chmod(0o644)
    srv.cert_file.chmod(0o600)
    srv.start()
    srv.settings["log.level"] = "debug"
    srv.write_conf()
    srv.conf.chmod(0o644)
    text = srv.reload("reloaded")
    assert "keeping the loaded certificates" in text
    assert "Permission denied" in text
    imaps = srv.imaps()
    assert imaps.welcome.startswith(b"* OK")
    imaps.logout()
