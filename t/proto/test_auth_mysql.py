"""The mysql auth module against a real MariaDB server (issue 8).

A private mariadbd (t/servers/mariadb.py) on a unix socket holds a
postfixadmin-style schema (domain, mailbox) with users in two domains;
maildockd runs with auth.modules = mysql. Logins over IMAP and POP3, wrong
passwords, SQL injection in the user name, an inactive mailbox, a server
restart during the run (the next login works) and the server down (a
temporary failure, not a wrong password). Skipped without mariadbd."""
import os
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from servers import Unavailable  # noqa: E402
from servers.mariadb import MariaDB  # noqa: E402

DB_USER, DB_PW = "maildock", "mail-secret"
USERS = {
    "alice@example.org": "alice-pw",
    "bob@example.net": "bob pw \"quoted\"",
    "carol@example.org": "carol-pw",
    "dave@example.net": "dave-pw",     # mailbox.active = 0
    "erin@example.com": "erin-pw",     # domain.active = 0
}

SCHEMA = """
CREATE TABLE domain (
  domain varchar(255) NOT NULL PRIMARY KEY,
  description varchar(255) NOT NULL DEFAULT '',
  active tinyint(1) NOT NULL DEFAULT 1
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE mailbox (
  username varchar(255) NOT NULL PRIMARY KEY,
  password varchar(255) NOT NULL,
  name varchar(255) NOT NULL DEFAULT '',
  maildir varchar(255) NOT NULL,
  quota bigint NOT NULL DEFAULT 0,
  local_part varchar(255) NOT NULL,
  domain varchar(255) NOT NULL,
  created datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  modified datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  active tinyint(1) NOT NULL DEFAULT 1,
  KEY domain (domain)
) DEFAULT CHARSET=utf8mb4;
"""


def crypt_hash(password, kind):
    out = subprocess.run(["openssl", "passwd", "-" + kind, "-salt", "maildock1",
                          password], stdout=subprocess.PIPE, check=True)
    return out.stdout.decode().strip()


def sql_str(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def fill_sql():
    rows = ["INSERT INTO domain (domain, active) VALUES ('example.org', 1), "
            "('example.net', 1), ('example.com', 0);"]
    for n, (login, pw) in enumerate(sorted(USERS.items())):
        local, dom = login.split("@")
        # postfixadmin's schemes: {SHA512-CRYPT}$6$..., plain MD5-CRYPT $1$
        h = ("{SHA512-CRYPT}" + crypt_hash(pw, "6")) if n % 2 == 0 else crypt_hash(pw, "1")
        rows.append("INSERT INTO mailbox (username, password, maildir, local_part, "
                    "domain, quota, active) VALUES (%s, %s, %s, %s, %s, %d, %d);"
                    % (sql_str(login), sql_str(h), sql_str("%s/%s/" % (dom, local)),
                       sql_str(local), sql_str(dom), 1024 * 1024 * 100,
                       0 if local == "dave" else 1))
    return "\n".join(rows)


@pytest.fixture(scope="module")
def mariadb(tmp_path_factory):
    # the unix socket path must stay short: use /tmp, not the build tree
    import tempfile
    base = tempfile.mkdtemp(prefix="md-mysql-")
    try:
        db = MariaDB(base)
    except Unavailable as e:
        os.rmdir(base)
        pytest.skip(str(e))
    try:
        db.start()
        db.sql("CREATE DATABASE mail; CREATE USER '%s'@'localhost' IDENTIFIED BY '%s';"
               "GRANT SELECT ON mail.* TO '%s'@'localhost';" % (DB_USER, DB_PW, DB_USER))
        db.sql(SCHEMA + fill_sql(), database="mail")
        db.mail_root = tmp_path_factory.mktemp("sqlmail")
        yield db
    finally:
        db.close()
        import shutil
        shutil.rmtree(base, ignore_errors=True)


def mysql_settings(db, **extra):
    s = {
        "auth.modules": "mysql",
        "auth.mysql.socket": db.socket,
        "auth.mysql.user": DB_USER,
        "auth.mysql.password": DB_PW,
        "auth.mysql.database": "mail",
        "auth.mysql.timeout": "3",
        "auth.mysql.password_query":
            "SELECT m.username AS user, m.password, "
            "CONCAT('%s/', m.maildir, 'Maildir') AS maildir, "
            "CONCAT(m.quota, 'S') AS quota, m.active "
            "FROM mailbox m JOIN domain d ON d.domain = m.domain "
            "WHERE m.username = %%u AND d.active = 1" % db.mail_root,
        "auth.max_failures_per_ip": "100000",
        "auth.max_failures_per_user": "100000",
        "limits.max_connections_per_ip": "200",
    }
    s.update(extra)
    return s


@pytest.fixture(scope="module")
def sqlsrv(mariadb, tmp_path_factory):
    from conftest import Maildock
    d = Maildock(tmp_path_factory.mktemp("maildock-mysql"), mysql_settings(mariadb))
    d.start()
    yield d
    d.stop()
    d.check_sanitizers()


def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def imap_login(srv, user, password):
    c = srv.raw(srv.imap_port)
    c.readline()
    c.sendline("a LOGIN %s %s" % (quote(user), quote(password)))
    line = c.read_until_tagged("a")[-1]
    c.sendline("b LOGOUT")
    c.close()
    return line


def pop3_login(srv, user, password):
    c = srv.raw(srv.pop3_port)
    c.readline()
    c.sendline("USER " + user)
    c.readline()
    c.sendline("PASS " + password)
    line = c.readline()
    c.sendline("QUIT")
    c.close()
    return line


def test_mysql_logins_two_domains(sqlsrv):
    for login in ("alice@example.org", "bob@example.net", "carol@example.org"):
        assert imap_login(sqlsrv, login, USERS[login]).startswith("a OK"), login
        assert pop3_login(sqlsrv, login, USERS[login]).startswith("+OK"), login


def test_mysql_maildir_column(sqlsrv, mariadb):
    md = mariadb.mail_root / "example.net" / "bob" / "Maildir"
    for sub in ("tmp", "new", "cur"):
        (md / sub).mkdir(parents=True, exist_ok=True)
    (md / "new" / "1.M1P1.sqltest").write_bytes(b"Subject: x\r\n\r\nfrom sql\r\n")
    p = sqlsrv.pop3()
    p.user("bob@example.net")
    p.pass_(USERS["bob@example.net"])
    assert p.stat()[0] == 1
    p.quit()


def test_mysql_wrong_password(sqlsrv):
    line = imap_login(sqlsrv, "alice@example.org", "bob-pw")
    assert line.startswith("a NO [AUTHENTICATIONFAILED]"), line
    line = pop3_login(sqlsrv, "alice@example.org", "bob-pw")
    assert line.startswith("-ERR") and "SYS/TEMP" not in line, line


def test_mysql_wrong_domain_and_inactive(sqlsrv):
    # alice exists only in example.org; dave's mailbox and erin's domain are off
    assert imap_login(sqlsrv, "alice@example.net", USERS["alice@example.org"]) \
        .startswith("a NO [AUTHENTICATIONFAILED]")
    assert imap_login(sqlsrv, "dave@example.net", USERS["dave@example.net"]).startswith("a NO")
    assert imap_login(sqlsrv, "erin@example.com", USERS["erin@example.com"]) \
        .startswith("a NO [AUTHENTICATIONFAILED]")


INJECTIONS = ("' OR '1'='1", "alice@example.org' -- ", "x' OR 1=1 #",
              "' UNION SELECT 'alice@example.org','{PLAIN}x','/tmp','1S',1 -- ",
              "alice@example.org'; DROP TABLE mailbox; -- ", "\\' OR 1=1 -- ")


def test_mysql_injection(sqlsrv, mariadb):
    for name in INJECTIONS:
        for password in ("x", USERS["alice@example.org"]):
            line = imap_login(sqlsrv, name, password)
            assert line.startswith("a NO [AUTHENTICATIONFAILED]"), (name, line)
            line = pop3_login(sqlsrv, name, password)
            assert line.startswith("-ERR") and "SYS/TEMP" not in line, (name, line)
    assert "mailbox" in mariadb.sql("SHOW TABLES", database="mail")
    assert imap_login(sqlsrv, "alice@example.org", USERS["alice@example.org"]).startswith("a OK")


def test_mysql_restart_mid_run(sqlsrv, mariadb):
    for _ in range(3):
        assert imap_login(sqlsrv, "alice@example.org", USERS["alice@example.org"]).startswith("a OK")
    mariadb.restart()
    for login in ("alice@example.org", "bob@example.net", "carol@example.org"):
        line = imap_login(sqlsrv, login, USERS[login])
        assert line.startswith("a OK"), line
    assert pop3_login(sqlsrv, "bob@example.net", USERS["bob@example.net"]).startswith("+OK")


def test_mysql_down_is_temporary(sqlsrv, mariadb):
    mariadb.stop()
    try:
        t0 = time.time()
        line = imap_login(sqlsrv, "alice@example.org", USERS["alice@example.org"])
        assert line.startswith("a NO [UNAVAILABLE]"), line
        line = pop3_login(sqlsrv, "alice@example.org", USERS["alice@example.org"])
        assert line.startswith("-ERR [SYS/TEMP]"), line
        assert time.time() - t0 < 20
    finally:
        mariadb.start()
    assert imap_login(sqlsrv, "alice@example.org", USERS["alice@example.org"]).startswith("a OK")


def test_mysql_bad_query_is_config_error(mariadb, tmp_path):
    from conftest import Maildock
    bad = mysql_settings(mariadb, **{"auth.mysql.password_query":
                                     "SELECT password FROM mailbox WHERE username = '%u'"})
    d = Maildock(tmp_path / "bad", bad)
    with pytest.raises(RuntimeError, match="quotes"):
        d.start()
    d.stop()


# The daemon refuses quotes, spaces and '#' in user names before any module
# runs; these call the module directly (ctypes, t/servers/authmod.py) with
# such names, against the same mariadbd, to show they are bound, not pasted.

@pytest.fixture
def sqlmod(mariadb):
    from conftest import BUILDDIR
    from servers.authmod import load_or_skip
    path = BUILDDIR / "authmods" / ".libs" / "libauth_mysql.so"
    settings = {k[len("auth.mysql."):]: v for k, v in mysql_settings(mariadb).items()
                if k.startswith("auth.mysql.")}
    m = load_or_skip(path, "mysql", settings)
    yield m
    m.close()


def test_mysql_module_injection(sqlmod, mariadb):
    from servers import authmod as am
    r, u = sqlmod.verify("alice@example.org", USERS["alice@example.org"])
    assert r == am.OK, sqlmod.logs
    assert u["mail"] == "%s/example.org/alice/Maildir" % mariadb.mail_root
    assert u["quota"] == "%dS" % (100 * 1024 * 1024)
    for name in INJECTIONS:
        # pasted, "' OR '1'='1" returns every row and the UNION a row of
        # the attacker's choosing; bound, they match no username
        assert sqlmod.verify(name, "x")[0] == am.NOUSER, name
        assert sqlmod.lookup(name)[0] == am.NOUSER, name
    assert not any(b"rows" in fmt for _, fmt in sqlmod.logs)
    assert "mailbox" in mariadb.sql("SHOW TABLES", database="mail")


def test_mysql_module_inactive_is_disabled(sqlmod):
    from servers import authmod as am
    assert sqlmod.verify("dave@example.net", USERS["dave@example.net"])[0] == am.DISABLED
    assert sqlmod.verify("dave@example.net", "wrong")[0] == am.FAIL


def test_mysql_module_hung_server_bounded(tmp_path):
    # a socket that accepts and never sends the server greeting: the login
    # is a temporary failure after about auth.mysql.timeout
    import socket
    import tempfile
    from conftest import BUILDDIR
    from servers import authmod as am
    path = BUILDDIR / "authmods" / ".libs" / "libauth_mysql.so"
    import shutil
    d = tempfile.mkdtemp(prefix="md-hole-")
    sock = os.path.join(d, "hole.sock")
    try:
        with socket.socket(socket.AF_UNIX) as hole:
            hole.bind(sock)
            hole.listen(16)
            m = am.load_or_skip(path, "mysql", {
                "socket": sock, "database": "mail", "user": "x", "password": "y",
                "timeout": "2", "password_query": "SELECT password FROM t WHERE u = %u"})
            try:
                t0 = time.time()
                assert m.verify("alice@example.org", "pw")[0] == am.TEMPFAIL
                assert time.time() - t0 < 8
            finally:
                m.close()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_mysql_concurrent_logins_small_pool(mariadb, make_server):
    # 30 logins at once through 2 pooled connections: all succeed
    import concurrent.futures
    srv = make_server(mysql_settings(mariadb, **{"auth.mysql.pool_size": "2"}))
    logins = [("alice@example.org", USERS["alice@example.org"]),
              ("bob@example.net", USERS["bob@example.net"]),
              ("carol@example.org", "wrong")] * 10
    with concurrent.futures.ThreadPoolExecutor(30) as ex:
        lines = list(ex.map(lambda up: imap_login(srv, *up), logins))
    for (user, pw), line in zip(logins, lines):
        if pw == "wrong":
            assert line.startswith("a NO [AUTHENTICATIONFAILED]"), line
        else:
            assert line.startswith("a OK"), line


@pytest.mark.slow
def test_mysql_tls(tmp_path, make_server):
    # over the socket and TCP, tls = yes: the connection is encrypted and the server certificate is
    # checked against tls_ca_file; the account requires TLS, and a CA that
    # did not sign the certificate is a temporary failure
    import shutil
    import tempfile
    base = tempfile.mkdtemp(prefix="md-mytls-")
    try:
        try:
            db = MariaDB(base, tls=True, tcp=True)
        except Unavailable as e:
            pytest.skip(str(e))
        try:
            db.start()
            db.sql("CREATE DATABASE mail;" + "".join(
                "CREATE USER '%s'@'%s' IDENTIFIED BY '%s' REQUIRE SSL;"
                "GRANT SELECT ON mail.* TO '%s'@'%s';" % (DB_USER, h, DB_PW, DB_USER, h)
                for h in ("localhost", "127.0.0.1")))
            db.sql(SCHEMA + fill_sql(), database="mail")
            db.mail_root = tmp_path / "mail"
            srv = make_server(mysql_settings(db, **{"auth.mysql.tls": "yes",
                                                    "auth.mysql.tls_ca_file": db.ca_file}))
            assert imap_login(srv, "alice@example.org", USERS["alice@example.org"]) \
                .startswith("a OK"), srv.log()[-3000:]
            srv.stop()
            # the same over TCP (host and port instead of the socket)
            tcp = mysql_settings(db, **{"auth.mysql.tls": "yes",
                                        "auth.mysql.tls_ca_file": db.ca_file,
                                        "auth.mysql.host": "127.0.0.1",
                                        "auth.mysql.port": str(db.port)})
            del tcp["auth.mysql.socket"]
            srv = make_server(tcp)
            assert imap_login(srv, "bob@example.net", USERS["bob@example.net"]) \
                .startswith("a OK"), srv.log()[-3000:]
            srv.stop()
            # without TLS the account is refused by the server
            srv = make_server(mysql_settings(db))
            line = imap_login(srv, "alice@example.org", USERS["alice@example.org"])
            assert line.startswith("a NO [UNAVAILABLE]"), line
            srv.stop()
            from conftest import make_cert
            (tmp_path / "ca").mkdir()
            _, other = make_cert(tmp_path / "ca")
            (tmp_path / "other.pem").write_text(other)
            srv = make_server(mysql_settings(db, **{"auth.mysql.tls": "yes",
                                                    "auth.mysql.tls_ca_file": str(tmp_path / "other.pem")}))
            line = imap_login(srv, "alice@example.org", USERS["alice@example.org"])
            assert line.startswith("a NO [UNAVAILABLE]"), line
        finally:
            db.close()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_mysql_module_columns(mariadb):
    # every recognised column, by name or alias, NULLs left unset
    from conftest import BUILDDIR
    from servers import authmod as am
    q = ("SELECT m.username, m.password, 5000 AS uid, 5001 AS gid, "
         "CONCAT('/home/', m.local_part) AS home, m.maildir, NULL AS quota, "
         "'disable-imap' AS options, 'backend1.example' AS proxy_host, 42 AS ignored "
         "FROM mailbox m WHERE m.local_part = %n AND m.domain = %d")
    settings = {k[len("auth.mysql."):]: v for k, v in mysql_settings(mariadb).items()
                if k.startswith("auth.mysql.")}
    settings["password_query"] = q
    m = am.load_or_skip(BUILDDIR / "authmods" / ".libs" / "libauth_mysql.so", "mysql", settings)
    try:
        r, u = m.verify("carol@example.org", USERS["carol@example.org"])
        assert r == am.OK, m.logs
        assert u == {"user": "carol@example.org", "uid": 5000, "gid": 5001,
                     "home": "/home/carol", "mail": "example.org/carol/", "quota": None,
                     "options": "disable-imap", "proxy_host": "backend1.example"}
        r, u = m.lookup("carol@example.org")
        assert r == am.OK and u["home"] == "/home/carol"
    finally:
        m.close()
