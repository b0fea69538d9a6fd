"""nginx's mail proxy asking Maildock's auth_http endpoint (nginx_auth.listen)
where each login goes: the answers as nginx's ngx_mail_auth_http_module
reads them, then Debian's nginx with the mail module in front of two
backends, IMAP and POP3 logins landing on the user's backend."""
import imaplib
import os
import poplib
import socket
import subprocess
import time
import urllib.parse

import pytest

from conftest import USERS, free_port

NGINX = "/usr/sbin/nginx"
MAIL_MODULE = "/usr/lib/nginx/modules/ngx_mail_module.so"


def users_file(path):
    with open(path, "w") as f:
        for name, (login, pw) in USERS.items():
            extra = "proxy_host=127.0.0.2" if name == "alice" else ""
            f.write("%s:{PLAIN}%s::::::%s\n" % (login, pw, extra))


def ask(port, user, password, protocol="imap", method="plain",
        client="192.0.2.10"):
    """One auth_http request as nginx makes it; the reply's headers."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(("GET /auth HTTP/1.0\r\nHost: localhost\r\n"
               "Auth-Method: %s\r\nAuth-User: %s\r\nAuth-Pass: %s\r\n"
               "Auth-Protocol: %s\r\nAuth-Login-Attempt: 1\r\n"
               "Client-IP: %s\r\nClient-Host: [UNAVAILABLE]\r\n\r\n" %
               (method, urllib.parse.quote(user), urllib.parse.quote(password),
                protocol, client)).encode())
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    head = data.decode().split("\r\n\r\n")[0].split("\r\n")
    out = {"status-line": head[0]}
    for line in head[1:]:
        k, v = line.split(": ", 1)
        out[k] = v
    return out


@pytest.fixture
def auth_server(make_server, tmp_path):
    port = free_port()
    users = tmp_path / "users"
    users_file(users)
    srv = make_server({"nginx_auth.listen": "127.0.0.1:%d" % port,
                       "auth.pwfile.path": str(users),
                       "proxy.backends": "127.0.0.3 127.0.0.4",
                       "nginx_auth.imap_port": "10143",
                       "nginx_auth.pop3_port": "10110"})
    srv.auth_port = port
    return srv


def test_answers_as_nginx_expects(auth_server):
    port = auth_server.auth_port
    r = ask(port, "alice@example.org", "secret-1")
    assert r["Auth-Status"] == "OK"
    assert (r["Auth-Server"], r["Auth-Port"]) == ("127.0.0.2", "10143")
    r = ask(port, "bob@example.org", "secret-2", protocol="pop3")
    assert r["Auth-Status"] == "OK"
    assert r["Auth-Server"] in ("127.0.0.3", "127.0.0.4")
    assert r["Auth-Port"] == "10110"
    # the same answer every time (hashing, not load balancing)
    assert ask(port, "bob@example.org", "secret-2",
               protocol="pop3")["Auth-Server"] == r["Auth-Server"]
    # a password nginx had to escape
    r = ask(port, "carol@example.org", USERS["carol"][1])
    assert r["Auth-Status"] == "OK"
    r = ask(port, "alice@example.org", "Wr0ng-Passw0rd")
    assert r["Auth-Status"] == "Invalid login or password"
    assert r["Auth-Wait"] == "3"
    assert ask(port, "alice@example.org", "secret-1",
               method="cram-md5")["Auth-Status"] != "OK"
    assert ask(port, "alice@example.org", "secret-1",
               protocol="smtp")["Auth-Status"] != "OK"
    time.sleep(0.2)
    log = auth_server.log()
    assert "ip=192.0.2.10" in log          # the client nginx named
    assert "secret-1" not in log and "Wr0ng-Passw0rd" not in log


def test_malformed_request(auth_server):
    s = socket.create_connection(("127.0.0.1", auth_server.auth_port), 10)
    s.sendall(b"POST /auth HTTP/1.0\r\n\r\n")
    assert s.recv(100).startswith(b"HTTP/1.0 400")
    s.close()
    s = socket.create_connection(("127.0.0.1", auth_server.auth_port), 10)
    s.sendall(b"GET /auth HTTP/1.0\r\nAuth-User: a%zz\r\n\r\n")
    assert s.recv(100).startswith(b"HTTP/1.0 400")
    s.close()


@pytest.mark.slow
@pytest.mark.skipif(not (os.path.exists(NGINX) and
                         os.path.exists(MAIL_MODULE)),
                    reason="needs Debian's nginx and libnginx-mod-mail")
def test_nginx_mail_proxy_in_front(make_server, tmp_path):
    imap_port, pop3_port = free_port(), free_port()
    users = tmp_path / "users"
    users_file(users)
    backends = [make_server({
        "imap.listen": "127.0.0.%d:%d" % (i, imap_port),
        "pop3.listen": "127.0.0.%d:%d" % (i, pop3_port),
        "auth.pwfile.path": str(users),
        "proxy.trusted_networks": "127.0.0.0/8"}) for i in (2, 3, 4)]
    auth_port = free_port()
    make_server({"nginx_auth.listen": "127.0.0.1:%d" % auth_port,
                 "auth.pwfile.path": str(users),
                 "proxy.backends": "127.0.0.3 127.0.0.4",
                 "nginx_auth.imap_port": str(imap_port),
                 "nginx_auth.pop3_port": str(pop3_port)})
    n_imap, n_pop3 = free_port(), free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"""\
load_module {MAIL_MODULE};
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/nginx-error.log info;
worker_processes 1;
events {{ worker_connections 64; }}
mail {{
    server_name mail.example.org;
    auth_http 127.0.0.1:{auth_port}/auth;
    proxy_pass_error_message on;
    server {{ listen 127.0.0.1:{n_imap}; protocol imap; proxy_protocol on; }}
    server {{ listen 127.0.0.1:{n_pop3}; protocol pop3; proxy_protocol on; }}
}}
""")
    ngx = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(conf),
                            "-g", "daemon off;"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", n_imap), 1).close()
                break
            except OSError:
                time.sleep(0.1)
        backends[0].deliver("alice", b"Subject: via nginx\r\n\r\nhello\r\n")
        m = imaplib.IMAP4("127.0.0.1", n_imap)
        m.login("alice@example.org", "secret-1")
        typ, data = m.select("INBOX")
        assert data == [b"1"]                   # alice's backend is .2
        m.logout()
        p = poplib.POP3("127.0.0.1", n_pop3)
        p.user("bob@example.org")
        assert p.pass_("secret-2").startswith(b"+OK")
        p.quit()
        time.sleep(0.3)
        bob_on = [b for b in backends
                  if 'user="bob@example.org"' in b.log() and
                  "login" in b.log()]
        assert len(bob_on) == 1 and bob_on[0] is not backends[0]
        assert 'user="alice@example.org"' in backends[0].log()
        with pytest.raises(imaplib.IMAP4.error):
            imaplib.IMAP4("127.0.0.1", n_imap).login("alice@example.org",
                                                     "wrong")
    finally:
        ngx.terminate()
        ngx.wait(timeout=10)
