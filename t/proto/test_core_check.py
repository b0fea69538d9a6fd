"""maildockd -t refuses what start-up (or the first login) would find wrong,
naming file:line (issue 17)."""
import os
import pathlib
import shutil
import subprocess
import tempfile

import pytest

from conftest import BUILDDIR, Maildock


def check(srv):
    return subprocess.run([str(BUILDDIR / "maildockd"), "-t", "-c",
                           str(srv.conf)], capture_output=True, text=True,
                          timeout=60)


def refused(tmp_path, key, value, settings=None):
    """Append key = value to a good configuration; -t must fail and name
    the line. Returns stderr."""
    srv = Maildock(tmp_path, settings)
    with open(srv.conf, "a") as f:
        f.write('%s = "%s"\n' % (key, value))
    line = srv.conf.read_text().count("\n")
    r = check(srv)
    assert r.returncode == 1, r.stdout
    assert "%s:%d: %s: " % (srv.conf, line, key) in r.stderr, r.stderr
    return r.stderr


@pytest.mark.parametrize("port", ["99999", "65536", "0", "123456"])
def test_port_out_of_range_is_refused(tmp_path, port):
    err = refused(tmp_path, "imap.listen", "127.0.0.1:" + port)
    assert "port must be a number from 1 to 65535" in err


def test_port_out_of_range_stops_start_up(tmp_path):
    # it used to bind 127.0.0.1:34463 (99999 - 65536)
    srv = Maildock(tmp_path, {"imap.listen": "127.0.0.1:99999"})
    with pytest.raises(RuntimeError) as e:
        srv.start()
    srv.stop()
    assert "imap.listen: bad address \"127.0.0.1:99999\"" in str(e.value)


def test_host_name_is_refused(tmp_path):
    err = refused(tmp_path, "imap.listen", "localhost:15143")
    assert "not an IP address" in err


def test_second_item_of_a_list_is_checked(tmp_path):
    err = refused(tmp_path, "pop3s.listen", "127.0.0.1:1995 [::1]:99999")
    assert "[::1]:99999" in err


def test_unknown_user_is_refused(tmp_path):
    err = refused(tmp_path, "server.user", "vmailx")
    assert 'no such user "vmailx"' in err


def test_unknown_group_is_refused(tmp_path):
    err = refused(tmp_path, "server.group", "vmailx")
    assert 'no such group "vmailx"' in err


def test_missing_pwfile_is_refused(tmp_path):
    missing = tmp_path / "nothere" / "users"
    err = refused(tmp_path, "auth.pwfile.path", str(missing))
    assert "%s: not readable by server.user: No such file" % missing in err


def test_pwfile_template_is_not_opened(tmp_path):
    srv = Maildock(tmp_path, {"auth.pwfile.path": str(tmp_path / "%d")})
    r = check(srv)
    assert r.returncode == 0, r.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become nobody")
def test_pwfile_unreadable_by_server_user_is_refused(tmp_path):
    users = tmp_path / "root-only-users"
    users.write_text("x@example.org:{PLAIN}x::::/tmp::\n")
    users.chmod(0o600)
    err = refused(tmp_path, "auth.pwfile.path", str(users),
                  {"server.user": "nobody"})
    assert "not readable by server.user: Permission denied" in err


def test_log_file_in_a_missing_directory_is_refused(tmp_path):
    err = refused(tmp_path, "log.file", str(tmp_path / "nolog" / "log"))
    assert "directory %s: No such file" % (tmp_path / "nolog") in err


def test_log_file_that_exists_passes(tmp_path):
    srv = Maildock(tmp_path, {"log.file": str(tmp_path / "maildock.log")})
    (tmp_path / "maildock.log").write_text("")
    assert check(srv).returncode == 0


def test_missing_lmtp_temp_dir_is_refused(tmp_path):
    err = refused(tmp_path, "lmtp.temp_dir", str(tmp_path / "nospool"))
    assert "%s: not a usable directory by server.user: No such file" % (
        tmp_path / "nospool") in err


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become nobody")
def test_lmtp_temp_dir_unwritable_by_server_user_is_refused(tmp_path):
    # pytest's own directories are root's alone: nobody could not even
    # reach the pwfile there
    shared = pathlib.Path(tempfile.mkdtemp(prefix="maildock-check-"))
    try:
        shared.chmod(0o755)         # nobody may enter, not write
        users = shared / "users"
        users.write_text("x@example.org:{PLAIN}x::::/tmp::\n")
        users.chmod(0o644)
        err = refused(tmp_path, "lmtp.temp_dir", str(shared),
                      {"server.user": "nobody",
                       "auth.pwfile.path": str(users)})
    finally:
        shutil.rmtree(shared)
    assert "%s: not writable by server.user: Permission denied" % shared \
        in err


def test_module_that_fails_names_auth_modules_line(tmp_path):
    err = refused(tmp_path, "auth.modules", "pwfile nosuchmod")
    assert "libauth_nosuchmod.so" in err


def test_good_configuration_still_passes(tmp_path):
    r = check(Maildock(tmp_path, {"imaps.listen": "127.0.0.1:1 [::1]:65535"}))
    assert r.returncode == 0, r.stderr
    assert "valid" in r.stdout


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True)


def tls_refused(tmp_path, cert, key):
    srv = Maildock(tmp_path, {"tls.cert_file": str(cert),
                              "tls.key_file": str(key)})
    r = check(srv)
    assert r.returncode == 1, r.stdout
    return r.stderr


def test_tls_der_certificate_is_named(tmp_path):
    der = tmp_path / "cert.der"
    Maildock(tmp_path)    # writes cert.pem and key.pem
    openssl("x509", "-in", str(tmp_path / "cert.pem"), "-outform", "der",
            "-out", str(der))
    err = tls_refused(tmp_path, der, tmp_path / "key.pem")
    assert "cert.der: not a PEM certificate" in err
    assert "(OpenSSL: error:" in err and "no start line" in err


def test_tls_encrypted_key_is_named(tmp_path):
    Maildock(tmp_path)
    enc = tmp_path / "enc.pem"
    openssl("pkey", "-in", str(tmp_path / "key.pem"), "-aes256", "-passout",
            "pass:secret", "-out", str(enc))
    # stdin is not a terminal here, and must not be asked anyway
    err = tls_refused(tmp_path, tmp_path / "cert.pem", enc)
    assert "the private key is protected by a password" in err
    assert "bad password read" in err


def test_tls_key_file_without_a_key_is_named(tmp_path):
    Maildock(tmp_path)
    err = tls_refused(tmp_path, tmp_path / "cert.pem", tmp_path / "cert.pem")
    assert "key.pem" not in err
    assert "tls.key_file: %s: no PEM private key in the file" % (
        tmp_path / "cert.pem") in err


def test_tls_key_mismatch_is_named_with_openssl_text(tmp_path):
    Maildock(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
            str(other / "k.pem"), "-out", str(other / "c.pem"), "-days", "1",
            "-subj", "/CN=other")
    err = tls_refused(tmp_path, tmp_path / "cert.pem", other / "k.pem")
    assert "the private key does not match the certificate" in err
    assert "key values mismatch" in err


def test_tls_expired_certificate_is_a_warning(tmp_path):
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    import datetime
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "old")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - datetime.timedelta(days=30))
            .not_valid_after(now - datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    pem = tmp_path / "old.pem"
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()) +
                    cert.public_bytes(serialization.Encoding.PEM))
    srv = Maildock(tmp_path, {"tls.cert_file": str(pem)})
    r = check(srv)
    assert r.returncode == 0, r.stderr
    assert "tls.cert_file: %s: the certificate expired" % pem in r.stderr


def test_unknown_admin_group_is_refused(tmp_path):
    err = refused(tmp_path, "control.admin_group", "mailadminsx")
    assert 'no such group "mailadminsx"' in err
