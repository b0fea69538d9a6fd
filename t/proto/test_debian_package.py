"""The Debian packages (issue 17): dpkg-buildpackage -b builds them, lintian
finds no error, and the files unpacked into a scratch root (dpkg-deb -x:
installing them would conflict with the Dovecot and Courier packages the
migration tests install, as it should) pass maildockd -t, start in the
foreground and serve an IMAPS login."""
import glob
import pathlib
import shutil
import subprocess
import tarfile
import time

import pytest

from conftest import SRCDIR, USERS, Maildock

pytestmark = pytest.mark.slow


def copy_source(dst):
    """The source tree without build trees or generated files."""
    skip = (".git", "configure", "autom4te.cache", "config.status")
    def keep(info):
        name = info.name.split("/", 1)[1] if "/" in info.name else ""
        first = name.split("/", 1)[0]
        if first in skip or first.startswith("build-") or \
                name.endswith("Makefile.in"):
            return None
        return info
    archive = dst.parent / "src.tar"
    with tarfile.open(archive, "w") as t:
        t.add(str(SRCDIR), arcname="src", filter=keep)
    with tarfile.open(archive) as t:
        t.extractall(dst.parent)
    archive.unlink()


@pytest.fixture(scope="module")
def debs(tmp_path_factory):
    for tool in ("dpkg-buildpackage", "dh", "dpkg-deb"):
        if shutil.which(tool) is None:
            pytest.skip("%s missing (packages dpkg-dev, debhelper)" % tool)
    top = tmp_path_factory.mktemp("deb")
    src = top / "src"
    copy_source(src)
    r = subprocess.run(["dpkg-buildpackage", "-us", "-uc", "-b", "-j2"],
                       cwd=src, capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]
    return top


def packages(top):
    """The .deb files, without the -dbgsym debug symbols."""
    return [p for p in glob.glob(str(top / "*.deb")) if "-dbgsym_" not in p]


def test_packages_are_built_and_split(debs):
    names = sorted(pathlib.Path(p).name.split("_")[0] for p in packages(debs))
    assert names == ["maildock", "maildock-auth-ldap", "maildock-auth-mysql",
                     "maildock-auth-pam"], names
    deb = glob.glob(str(debs / "maildock_*.deb"))[0]
    fields = subprocess.run(["dpkg-deb", "-f", deb, "Provides", "Conflicts"],
                            capture_output=True, text=True).stdout
    assert "Provides: imap-server, pop3-server" in fields
    assert "Conflicts: imap-server, pop3-server" in fields
    files = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True,
                           text=True).stdout
    for path in ("./usr/sbin/maildockd", "./usr/sbin/maildock-admin",
                 "./lib/systemd/system/maildock.service",
                 "./etc/maildock/maildock.conf",
                 "./etc/logrotate.d/maildock",
                 "./usr/share/man/man8/maildockd.8.gz"):
        assert path in files, path
    assert "libauth_pam.so" not in files
    script = subprocess.run(["dpkg-deb", "--ctrl-tarfile", deb],
                            capture_output=True).stdout
    assert b"adduser --system --group" in script


def test_lintian_finds_no_error(debs):
    if shutil.which("lintian") is None:
        pytest.skip("lintian missing (package lintian)")
    changes = glob.glob(str(debs / "*.changes"))[0]
    r = subprocess.run(["lintian", "--fail-on", "error", changes],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "\nE: " not in "\n" + r.stdout


def test_unpacked_files_check_start_and_serve_imaps(debs, tmp_path):
    root = tmp_path / "root"
    for deb in packages(debs):
        subprocess.run(["dpkg-deb", "-x", deb, str(root)], check=True)
    moddir = glob.glob(str(root / "usr/lib/*/maildock/auth"))[0]
    # a test instance's settings, after the shipped snippets
    srv = Maildock(tmp_path / "srv", {
        "auth.module_dir": moddir,
        "server.user": "",
        "server.group": ""})
    settings = dict(srv.settings)
    conf = root / "etc/maildock/maildock.conf"
    (root / "etc/maildock/conf.d/99-test.conf").write_text("".join(
        '%s = "%s"\n' % (k, v) for k, v in settings.items()))
    maildockd = str(root / "usr/sbin/maildockd")
    r = subprocess.run([maildockd, "-t", "-c", str(conf)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "is valid" in r.stdout
    log = open(tmp_path / "log", "wb")
    proc = subprocess.Popen([maildockd, "-F", "-c", str(conf)], stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        srv.proc, srv.logfile = proc, tmp_path / "log"
        deadline = time.time() + 30
        while "core: started" not in srv.log():
            assert proc.poll() is None, srv.log()
            assert time.time() < deadline, srv.log()
            time.sleep(0.05)
        imap = srv.imaps()
        imap.login(*USERS["alice"])
        assert imap.select("INBOX")[0] == "OK"
        imap.logout()
        r = subprocess.run([str(root / "usr/sbin/maildock-admin"), "-c",
                            str(conf), "stats"], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        assert 'maildock_logins_total{mechanism="LOGIN",module="pwfile",' \
            'result="ok"} 1' in r.stdout
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        srv.proc = None
