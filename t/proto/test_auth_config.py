"""Auth configuration errors stop maildockd with a clear message (issue 4):
a misspelt auth.<module>.<key> names file:line, a module of another ABI
version, a missing module, a module writable by others."""
import shutil
import subprocess

import pytest

from conftest import BUILDDIR, Maildock


def check(srv):
    return subprocess.run([str(BUILDDIR / "maildockd"), "-t", "-c",
                           str(srv.conf)], capture_output=True, text=True,
                          timeout=60)


def test_misspelt_module_key_names_file_line(tmp_path):
    srv = Maildock(tmp_path)
    with open(srv.conf, "a") as f:
        f.write("auth.pwfile.pth = /etc/passwd\n")
    line = srv.conf.read_text().count("\n")
    r = check(srv)
    assert r.returncode != 0
    assert "%s:%d: auth.pwfile.pth: unknown key" % (srv.conf, line) in r.stderr


def test_unknown_module_in_key(tmp_path):
    srv = Maildock(tmp_path)
    with open(srv.conf, "a") as f:
        f.write("auth.pwfiel.path = /x\n")
    r = check(srv)
    assert r.returncode != 0
    assert "no auth module \"pwfiel\"" in r.stderr


def test_wrong_abi_module_is_refused(tmp_path):
    mods = BUILDDIR / "t" / "authmods" / ".libs"
    if not (mods / "libauth_badabi.so").exists():
        pytest.skip("test modules not built (make check builds them)")
    srv = Maildock(tmp_path, {"auth.modules": "badabi",
                              "auth.module_dir": str(mods)})
    with pytest.raises(RuntimeError) as e:
        srv.start()
    srv.stop()
    assert "libauth_badabi.so: ABI version 2, this maildockd needs 1" \
        in str(e.value)


def test_missing_module(tmp_path):
    srv = Maildock(tmp_path, {"auth.modules": "pwfile nosuch"})
    r = check(srv)
    assert r.returncode != 0
    assert "libauth_nosuch.so: No such file or directory" in r.stderr


def test_world_writable_module_is_refused(tmp_path):
    mods = tmp_path / "mods"
    mods.mkdir(mode=0o755)
    dst = mods / "libauth_pwfile.so"
    shutil.copy(BUILDDIR / "authmods" / ".libs" / "libauth_pwfile.so", dst)
    dst.chmod(0o666)
    srv = Maildock(tmp_path / "srv", {"auth.module_dir": str(mods)})
    r = check(srv)
    assert r.returncode != 0
    assert "group or world writable" in r.stderr
    dst.chmod(0o644)
    r = check(srv)
    assert r.returncode == 0, r.stderr
