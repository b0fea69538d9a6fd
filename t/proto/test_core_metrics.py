"""metrics.listen: the counters equal what clients did, the text passes
promtool, and a real Prometheus scrapes it (issue 17)."""
import imaplib
import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import BUILDDIR, USERS, Maildock, free_port


def scrape(port, path="/metrics"):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path),
                                timeout=10) as r:
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return r.read().decode()


def samples(text):
    """{'name{labels}': value} of every sample line."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out


def wait_value(port, key, want, timeout=10):
    deadline = time.time() + timeout
    while True:
        got = samples(scrape(port)).get(key)
        if got == want or time.time() > deadline:
            return got
        time.sleep(0.05)


@pytest.fixture
def metered(make_server):
    port = free_port()
    srv = make_server({"metrics.listen": "127.0.0.1:%d" % port})
    srv.metrics_port = port
    return srv


def scripted_run(srv):
    """3 good logins (LOGIN, AUTHENTICATE PLAIN, POP3 USER), 2 failed,
    4 NOOPs, 1 SELECT; every session closed."""
    imap = srv.imap()
    imap.login(*USERS["alice"])
    imap.select("INBOX")
    for _ in range(4):
        imap.noop()
    imap.logout()
    imap = srv.imap()
    user, password = USERS["bob"]
    imap.authenticate("PLAIN", lambda _: ("\0%s\0%s" % (user, password))
                      .encode())
    imap.logout()
    for _ in range(2):
        imap = srv.imap()
        with pytest.raises(imaplib.IMAP4.error):
            imap.login(USERS["carol"][0], "wrong")
        imap.logout()
    pop = srv.pop3()
    pop.user(USERS["dave"][0])
    pop.pass_(USERS["dave"][1])
    pop.stat()
    pop.quit()


def test_counters_equal_what_was_done(metered):
    scripted_run(metered)
    port = metered.metrics_port
    # the last session's end is counted once its thread has finished
    assert wait_value(port, 'maildock_open_sessions{protocol="pop3"}', 0) == 0
    assert wait_value(port, 'maildock_open_sessions{protocol="imap"}', 0) == 0
    s = samples(scrape(port))
    login = 'maildock_logins_total{mechanism="%s",module="pwfile",result="%s"}'
    assert s[login % ("LOGIN", "ok")] == 1
    assert s[login % ("PLAIN", "ok")] == 1
    assert s[login % ("USER", "ok")] == 1
    assert s[login % ("LOGIN", "failed")] == 2
    assert s['maildock_auth_duration_seconds_count{result="ok"}'] == 3
    assert s['maildock_auth_duration_seconds_bucket{result="failed",le="+Inf"}'] == 2
    cmd = 'maildock_command_duration_seconds_count{protocol="%s",command="%s"}'
    assert s[cmd % ("imap", "NOOP")] == 4
    assert s[cmd % ("imap", "SELECT")] == 1
    assert s[cmd % ("imap", "LOGOUT")] == 4
    assert s[cmd % ("pop3", "STAT")] == 1
    assert s['maildock_sessions_total{protocol="imap",tls="0"}'] == 4
    assert s['maildock_sessions_total{protocol="pop3",tls="0"}'] == 1
    assert s['maildock_received_bytes_total{protocol="imap"}'] > 100
    assert s['maildock_sent_bytes_total{protocol="pop3"}'] > 50
    assert s["maildock_processes"] >= 1
    assert s["maildock_resident_memory_bytes"] > 1 << 20
    assert s["maildock_threads"] >= 2


def test_tls_sessions_are_counted_apart(metered):
    pop = metered.pop3s()
    pop.quit()
    assert wait_value(metered.metrics_port,
                      'maildock_sessions_total{protocol="pop3",tls="1"}',
                      1) == 1


def test_other_paths_and_methods(metered):
    with pytest.raises(urllib.error.HTTPError) as e:
        scrape(metered.metrics_port, "/")
    assert e.value.code == 404
    req = urllib.request.Request("http://127.0.0.1:%d/metrics"
                                 % metered.metrics_port, data=b"x")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    assert e.value.code == 405


def test_bad_metrics_listen_is_refused_by_check(tmp_path):
    srv = Maildock(tmp_path)
    with open(srv.conf, "a") as f:
        f.write("metrics.listen = 127.0.0.1:99999\n")
    line = srv.conf.read_text().count("\n")
    r = subprocess.run([str(BUILDDIR / "maildockd"), "-t", "-c",
                        str(srv.conf)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 1
    assert "%s:%d: metrics.listen: bad address" % (srv.conf, line) in r.stderr


def test_promtool_accepts_the_text(metered, tmp_path):
    if shutil.which("promtool") is None:
        pytest.skip("promtool missing (Debian package prometheus)")
    scripted_run(metered)
    text = scrape(metered.metrics_port)
    r = subprocess.run(["promtool", "check", "metrics"], input=text,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip() == "" and r.stderr.strip() == "", r.stdout + r.stderr


@pytest.mark.slow
def test_prometheus_scrapes_it(metered, tmp_path):
    if shutil.which("prometheus") is None:
        pytest.skip("prometheus missing (Debian package prometheus)")
    scripted_run(metered)
    web = free_port()
    (tmp_path / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 1s\nscrape_configs:\n"
        "  - job_name: maildock\n    static_configs:\n"
        "      - targets: ['127.0.0.1:%d']\n" % metered.metrics_port)
    log = open(tmp_path / "prometheus.log", "wb")
    prom = subprocess.Popen(["prometheus", "--config.file",
                             str(tmp_path / "prometheus.yml"),
                             "--storage.tsdb.path", str(tmp_path / "data"),
                             "--web.listen-address", "127.0.0.1:%d" % web],
                            stdout=log, stderr=subprocess.STDOUT)
    query = ('http://127.0.0.1:%d/api/v1/query?query=maildock_logins_total'
             '{mechanism="LOGIN",result="failed"}' % web)
    try:
        value = None
        deadline = time.time() + 60
        while value is None and time.time() < deadline:
            time.sleep(1)
            try:
                with urllib.request.urlopen(query.replace('"', "%22")
                                            .replace("{", "%7B")
                                            .replace("}", "%7D"),
                                            timeout=5) as r:
                    result = json.load(r)["data"]["result"]
            except (urllib.error.URLError, ConnectionError):
                continue
            if result:
                value = float(result[0]["value"][1])
        assert value == 2, (tmp_path / "prometheus.log").read_text()[-2000:]
    finally:
        prom.terminate()
        prom.wait(timeout=30)
        log.close()


def test_mailbox_syncs_and_cache_hits_are_counted(metered):
    """A second FETCH of a message's structure comes from the parsed-
    message cache; each command that may report changes syncs the view."""
    port = metered.metrics_port
    imap = metered.login_imap("alice")
    msg = b"From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n"
    assert imap.append("INBOX", None, None, msg)[0] == "OK"
    imap.select("INBOX")
    before = samples(scrape(port))
    hits = 'maildock_message_cache_lookups_total{result="hit"}'
    misses = 'maildock_message_cache_lookups_total{result="miss"}'
    syncs = 'maildock_mailbox_syncs_total{result="ok"}'
    imap.fetch("1", "(BODYSTRUCTURE)")
    mid = samples(scrape(port))
    assert mid.get(misses, 0) == before.get(misses, 0) + 1
    for _ in range(3):
        imap.fetch("1", "(BODYSTRUCTURE)")
    after = samples(scrape(port))
    assert after.get(hits, 0) == mid.get(hits, 0) + 3
    assert after[misses] == mid[misses]
    # FETCH and NOOP sync (RFC 3501 7: untagged updates after a command)
    imap.noop()
    imap.noop()
    assert samples(scrape(port))[syncs] >= after[syncs] + 2
    imap.logout()
