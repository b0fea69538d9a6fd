"""TLS sessions: resumption with tickets shared by the worker processes and
kept across reloads, tls.session_tickets, and an ECDSA certificate served
beside the RSA one (issue 18)."""
import socket
import ssl
import subprocess
import time

import pytest

from conftest import USERS, client_ssl_context
from test_core_check import check, openssl


def connect(port, session=None, ctx=None):
    """An implicit-TLS IMAP connection; returns (socket, greeting). The
    greeting is read so that a TLS 1.3 ticket, sent after the handshake,
    has arrived when the caller asks for the session."""
    s = (ctx or client_ssl_context()).wrap_socket(
        socket.create_connection(("127.0.0.1", port), timeout=10),
        session=session)
    greeting = b""
    while not greeting.endswith(b"\r\n"):
        greeting += s.recv(4096)
    return s, greeting


def command(s, line):
    """Send a tagged command; the lines up to its tagged answer."""
    s.sendall(line.encode() + b"\r\n")
    tag = line.split()[0].encode()
    data = b""
    while not any(ln.startswith(tag + b" ")
                  for ln in data.split(b"\r\n")):
        chunk = s.recv(4096)
        assert chunk, data
        data += chunk
    return data


def ticket(port, ctx):
    s, _ = connect(port, ctx=ctx)
    assert s.version() == "TLSv1.3"
    command(s, "a NOOP")        # the ticket has been read by now
    session = s.session
    s.close()
    return session


def test_resumed_session_logs_in_on_every_worker(make_server):
    srv = make_server({"server.workers": "2"})
    ctx = client_ssl_context()
    session = ticket(srv.imaps_port, ctx)
    assert session.has_ticket
    login, password = USERS["alice"]
    # 8 connections: the kernel spreads them over both workers, which
    # derive the same ticket keys
    for i in range(8):
        s, greeting = connect(srv.imaps_port, session, ctx)
        assert s.session_reused, i
        assert greeting.startswith(b"* OK")
        assert b"a OK" in command(s, 'a LOGIN "%s" "%s"' % (login, password))
        assert b"b OK" in command(s, "b SELECT INBOX")
        assert b"c OK" in command(s, "c LOGOUT")
        s.close()


def test_resumption_survives_a_reload(make_server):
    srv = make_server()
    ctx = client_ssl_context()
    session = ticket(srv.imaps_port, ctx)
    srv.reload("reloaded")
    s, greeting = connect(srv.imaps_port, session, ctx)
    assert s.session_reused
    assert b"a OK" in command(s, "a CAPABILITY")
    s.close()


def test_session_tickets_off(make_server):
    srv = make_server({"tls.session_tickets": "no"})
    ctx = client_ssl_context()
    session = ticket(srv.imaps_port, ctx)
    assert not session.has_ticket
    s, _ = connect(srv.imaps_port, session, ctx)
    assert not s.session_reused
    assert b"a OK" in command(s, "a NOOP")
    s.close()


def test_ticket_is_refused_after_its_lifetime(make_server):
    srv = make_server({"tls.session_ticket_lifetime": "1s"})
    ctx = client_ssl_context()
    old = ticket(srv.imaps_port, ctx)
    time.sleep(2.2)             # two key periods later
    s, _ = connect(srv.imaps_port, old, ctx)
    assert not s.session_reused
    command(s, "a NOOP")
    fresh = s.session
    s.close()
    s, _ = connect(srv.imaps_port, fresh, ctx)
    assert s.session_reused
    s.close()


@pytest.fixture
def ecdsa_cert(tmp_path):
    key, crt = tmp_path / "ec.key", tmp_path / "ec.crt"
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out",
            str(key))
    openssl("req", "-x509", "-new", "-key", str(key), "-out", str(crt),
            "-days", "2", "-subj", "/CN=localhost")
    return crt, key


def served_der(port, ciphers):
    """The certificate a TLS 1.2 client offering only these suites gets."""
    ctx = client_ssl_context()
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(ciphers)
    s, _ = connect(port, ctx=ctx)
    der = s.getpeercert(binary_form=True)
    s.close()
    return der


def s_client_signature(port, sigalgs):
    out = subprocess.run(["openssl", "s_client", "-connect",
                          "127.0.0.1:%d" % port, "-tls1_3", "-sigalgs",
                          sigalgs], stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, timeout=30).stdout
    return [ln for ln in out.splitlines() if "Peer signature type" in ln]


def test_ecdsa_and_rsa_certificates_side_by_side(make_server, ecdsa_cert):
    crt, key = ecdsa_cert
    srv = make_server({"tls.ecdsa_cert_file": str(crt),
                       "tls.ecdsa_key_file": str(key)})
    ec_der = ssl.PEM_cert_to_DER_cert(crt.read_text())
    rsa_der = ssl.PEM_cert_to_DER_cert(srv.cert_pem)
    assert served_der(srv.imaps_port, "ECDHE-ECDSA-AES128-GCM-SHA256") \
        == ec_der
    assert served_der(srv.imaps_port, "ECDHE-RSA-AES128-GCM-SHA256") \
        == rsa_der
    # TLS 1.3 chooses by the client's signature algorithms
    assert s_client_signature(srv.imaps_port, "ecdsa_secp256r1_sha256") == \
        ["Peer signature type: ECDSA"]
    assert s_client_signature(srv.imaps_port, "rsa_pss_rsae_sha256") == \
        ["Peer signature type: RSA-PSS"]
    # STARTTLS uses the same context
    c = srv.raw(srv.imap_port)
    c.sock.recv(4096)
    c.sock.sendall(b"a STARTTLS\r\n")
    assert c.sock.recv(4096).startswith(b"a OK")
    ctx = client_ssl_context()
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256")
    t = ctx.wrap_socket(c.sock)
    assert t.getpeercert(binary_form=True) == ec_der
    assert b"b OK" in command(t, "b NOOP")
    t.close()


def test_ecdsa_combined_file(make_server, ecdsa_cert, tmp_path):
    crt, key = ecdsa_cert
    combined = tmp_path / "ec.pem"
    combined.write_text(key.read_text() + crt.read_text())
    srv = make_server({"tls.ecdsa_cert_file": str(combined)})
    assert served_der(srv.imaps_port, "ECDHE-ECDSA-AES128-GCM-SHA256") \
        == ssl.PEM_cert_to_DER_cert(crt.read_text())


def test_ecdsa_file_holding_an_rsa_certificate_is_refused(make_server):
    srv = make_server(start=False)
    srv.settings["tls.ecdsa_cert_file"] = str(srv.cert_file)
    srv.write_conf()
    r = check(srv)
    assert r.returncode == 1
    assert "tls.ecdsa_cert_file: %s: not an ECDSA certificate" % \
        srv.cert_file in r.stderr


def test_ecdsa_key_without_certificate_is_refused(make_server, ecdsa_cert):
    srv = make_server({"tls.ecdsa_key_file": str(ecdsa_cert[1])},
                      start=False)
    r = check(srv)
    assert r.returncode == 1
    assert "tls.ecdsa_key_file: set without tls.ecdsa_cert_file" in r.stderr
