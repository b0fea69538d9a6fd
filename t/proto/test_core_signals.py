"""SIGHUP reload (certificates, failed reloads) and SIGTERM shutdown
(issue 2: daemon)."""
import signal
import ssl
import subprocess
import time

from conftest import client_ssl_context


def served_cert(port):
    import socket
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        with client_ssl_context().wrap_socket(s) as t:
            return ssl.DER_cert_to_PEM_cert(t.getpeercert(binary_form=True))


def new_cert(directory, cn):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", str(directory / "k2.pem"), "-out",
                    str(directory / "c2.pem"), "-days", "1", "-subj", "/CN=" + cn],
                   check=True, capture_output=True)
    return (directory / "k2.pem").read_text() + (directory / "c2.pem").read_text()


def norm(pem):
    return "".join(l for l in pem.splitlines() if not l.startswith("-----"))


def test_sighup_serves_new_certificate_and_keeps_sessions(make_server):
    srv = make_server()
    old = served_cert(srv.imaps_port)
    assert norm(old) in norm(srv.cert_pem)
    session = srv.imaps()
    session.login("alice@example.org", "secret-1")
    srv.cert_file.write_text(new_cert(srv.dir, "renewed"))
    srv.reload("reloaded")
    fresh = served_cert(srv.imaps_port)
    assert norm(fresh) != norm(old)
    assert norm(fresh) in norm(srv.cert_file.read_text())
    typ, _ = session.noop()
    assert typ == "OK"
    session.logout()


def test_failed_reload_keeps_running_configuration(make_server):
    srv = make_server()
    with open(srv.conf, "a") as f:
        f.write("log.levle = debug\n")
    text = srv.reload("reload failed")
    assert "log.levle: unknown key" in text
    assert srv.proc.poll() is None
    p = srv.pop3()
    assert p.getwelcome().startswith(b"+OK")
    p.quit()


def test_sigterm_says_bye_and_exits_zero(make_server):
    srv = make_server()
    c = srv.raw(srv.imap_port)
    assert c.readline().startswith("* OK")
    p = srv.raw(srv.pop3_port)
    assert p.readline().startswith("+OK")
    srv.proc.send_signal(signal.SIGTERM)
    line = c.readline()
    assert line.startswith("* BYE"), line
    assert p.closed(timeout=10)
    assert srv.proc.wait(timeout=30) == 0
    srv.proc = None
    srv.log_fh.close()


def test_log_lines_carry_session_fields(make_server):
    srv = make_server()
    p = srv.pop3()
    p.user("alice@example.org")
    p.pass_("secret-1")
    p.quit()
    time.sleep(0.3)
    log = srv.log()
    assert "secret-1" not in log
    disc = [l for l in log.splitlines() if "disconnect" in l]
    assert disc, log
    assert "ip=127.0.0.1" in disc[-1] and "in=" in disc[-1] and "out=" in disc[-1]
    assert 'user="alice@example.org"' in disc[-1]
