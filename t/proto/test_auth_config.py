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


def test_maildock_auth_tool(tmp_path):
    srv = Maildock(tmp_path)
    tool = str(BUILDDIR / "maildock-auth")
    r = subprocess.run([tool, "-c", str(srv.conf), "test", "Alice@example.org",
                        "secret-1"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "module:     pwfile" in r.stdout
    assert "result:     ok" in r.stdout
    assert "mail:       %s/example.org/alice/Maildir" % srv.mail_root in r.stdout
    assert "secret-1" not in r.stdout + r.stderr
    r = subprocess.run([tool, "-c", str(srv.conf), "test", "alice@example.org",
                        "-"], input="wrong\n", capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 1
    assert "result:     wrong password" in r.stdout
    r = subprocess.run([tool, "-c", str(srv.conf), "lookup",
                        "nobody@example.org"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 1
    assert "no such user" in r.stdout


def test_maildock_pw_tool():
    tool = str(BUILDDIR / "maildock-pw")
    r = subprocess.run([tool, "-s", "SSHA512"], input="s3cret\n",
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.startswith("{SSHA512}")
    h = r.stdout.strip()
    assert subprocess.run([tool, "-t", h], input=b"s3cret\n",
                          capture_output=True).returncode == 0
    assert subprocess.run([tool, "-t", h], input=b"s3cret!\n",
                          capture_output=True).returncode == 1
    r = subprocess.run([tool, "-s", "NOPE"], input="x\n", capture_output=True,
                       text=True)
    assert r.returncode == 2 and "unknown scheme" in r.stderr
