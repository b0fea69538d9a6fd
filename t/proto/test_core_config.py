"""maildockd -t / -n and configuration errors (issue 2: configuration)."""
import re
import subprocess

from conftest import BUILDDIR, SRCDIR, Maildock


def run(args):
    return subprocess.run([str(BUILDDIR / "maildockd")] + args,
                          capture_output=True, text=True, timeout=60)


def test_check_accepts_a_good_configuration(tmp_path):
    srv = Maildock(tmp_path)
    r = run(["-t", "-c", str(srv.conf)])
    assert r.returncode == 0, r.stderr
    assert "valid" in r.stdout


def test_check_names_file_line_of_a_misspelt_key(tmp_path):
    srv = Maildock(tmp_path)
    with open(srv.conf, "a") as f:
        f.write("\n# a typo\nimap.lisen = 127.0.0.1:1\n")
    lines = srv.conf.read_text().count("\n")
    r = run(["-t", "-c", str(srv.conf)])
    assert r.returncode != 0
    assert "%s:%d: imap.lisen: unknown key" % (srv.conf, lines) in r.stderr


def test_check_names_file_line_of_a_bad_value(tmp_path):
    srv = Maildock(tmp_path)
    with open(srv.conf, "a") as f:
        f.write("limits.max_connections = lots\n")
    r = run(["-t", "-c", str(srv.conf)])
    assert r.returncode != 0
    assert "limits.max_connections: invalid value" in r.stderr
    assert str(srv.conf) + ":" in r.stderr


def test_check_refuses_a_missing_certificate(tmp_path):
    srv = Maildock(tmp_path, {"tls.cert_file": str(tmp_path / "nothere.pem")})
    r = run(["-t", "-c", str(srv.conf)])
    assert r.returncode != 0
    assert "tls.cert_file" in r.stderr


def test_check_refuses_a_key_that_does_not_match(tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", str(other / "k.pem"), "-out", str(other / "c.pem"),
                    "-days", "1", "-subj", "/CN=other"], check=True,
                   capture_output=True)
    srv = Maildock(tmp_path, {"tls.cert_file": str(other / "c.pem"),
                              "tls.key_file": str(tmp_path / "key.pem")})
    r = run(["-t", "-c", str(srv.conf)])
    assert r.returncode != 0
    assert "does not match" in r.stderr


def test_dump_shows_where_each_value_came_from(tmp_path):
    srv = Maildock(tmp_path)
    confd = tmp_path / "conf.d"
    confd.mkdir()
    (confd / "10-a.conf").write_text("log.level = warning\n")
    (confd / "20-b.conf").write_text("\nlog.level = error\n")
    with open(srv.conf, "a") as f:
        f.write("include conf.d/*.conf\n")
    r = run(["-n", "-c", str(srv.conf)])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "log.level = error  # %s:2" % (confd / "20-b.conf") in lines
    assert "imap.listen = 127.0.0.1:%d  # %s:1" % (srv.imap_port, srv.conf) in lines
    assert "limits.idle_timeout = 30m  # default" in lines


def test_version_and_help():
    assert run(["-V"]).stdout.startswith("maildockd ")
    h = run(["-h"])
    assert h.returncode == 0 and "-c FILE" in h.stdout
    assert run(["-x"]).returncode != 0


def test_snippets_show_defaults_and_mark_examples(tmp_path):
    """maildock.conf(5) is made from conf.d: a commented assignment there
    shows the default the daemon really has, or is marked "# example"
    (and the default is then empty), so the manual never passes an example
    off as a default."""
    empty = tmp_path / "empty.conf"
    empty.write_text("")
    dump = run(["-n", "-c", str(empty)])
    assert dump.returncode == 0, dump.stderr
    defaults = {}
    for line in dump.stdout.splitlines():
        m = re.match(r'^(\S+) = (.*?)  # default$', line)
        if m:
            defaults[m.group(1)] = m.group(2).strip('"')
    checked = 0
    for snippet in sorted((SRCDIR / "conf.d").glob("*.conf")):
        for line in snippet.read_text().splitlines():
            m = re.match(r"^#([a-z0-9_]+\.[A-Za-z0-9_.-]+) = ?(.*?)"
                         r"(  # example)?$", line)
            if not m or m.group(1) not in defaults:
                continue        # an auth module's key: its own defaults
            key, value, example = m.groups()
            where = "%s: %s" % (snippet.name, key)
            assert defaults[key] == ("" if example else value), where
            checked += 1
    assert checked > 60
