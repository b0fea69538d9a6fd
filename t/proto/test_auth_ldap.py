"""The ldap auth module against a real OpenLDAP slapd (issue 8).

A private slapd (t/servers/slapd.py) holds users in two domains under
o=maildock; maildockd is started with auth.modules = ldap and logins are
tried over IMAP and POP3: good and wrong passwords, a user in the wrong
domain, an LDAP filter injection, a slapd restart during the run (the next
login still works) and slapd down (a temporary failure, not a wrong
password). Skipped when slapd is not installed."""
import base64
import hashlib
import imaplib
import os
import poplib
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from servers import Unavailable  # noqa: E402
from servers.slapd import Slapd, READER_PW  # noqa: E402

SUFFIX = "o=maildock"
USERS = {
    # login: (password, domain ou, uid)
    "alice@example.org": ("alice-pw", "alice"),
    "bob@example.net": ("bob pw \"quoted\"", "bob"),
    "carol@example.org": ("carol-pw", "carol"),
    "dora@example.net": ("dora-pw", "dora"),
    "erin@example.net": ("erin-pw", "erin"),   # proxied elsewhere
}


def ssha(password, salt=b"maildock"):
    h = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(h + salt).decode()


def make_ldif(mail_root):
    out = ["dn: %s" % SUFFIX, "objectClass: organization", "o: maildock", "",
           "dn: cn=reader,%s" % SUFFIX, "objectClass: organizationalRole",
           "objectClass: simpleSecurityObject", "cn: reader",
           "userPassword: %s" % READER_PW, ""]
    for dom in ("example.org", "example.net"):
        out += ["dn: ou=%s,%s" % (dom, SUFFIX), "objectClass: organizationalUnit",
                "ou: %s" % dom, ""]
    for n, (login, (pw, uid)) in enumerate(sorted(USERS.items())):
        local, dom = login.split("@")
        out += ["dn: uid=%s,ou=%s,%s" % (uid, dom, SUFFIX),
                "objectClass: inetOrgPerson", "objectClass: posixAccount",
                "objectClass: maildockUser",
                "uid: %s" % uid, "cn: %s" % local, "sn: %s" % local,
                "mail: %s" % login, "uidNumber: %d" % (5000 + n),
                "gidNumber: 5000",
                "homeDirectory: %s/%s/%s" % (mail_root, dom, local),
                "userPassword: %s" % ssha(pw)]
        if login.startswith("carol"):
            # an explicit mail location from the directory
            out.append("maildockMail: %s/custom/carol/Maildir" % mail_root)
        if login.startswith("dora"):
            # multi-valued options, joined by the module
            out += ["maildockOptions: disable-pop3", "maildockOptions: x-other",
                    "maildockQuota: 1000000S,100C"]
        if login.startswith("erin"):
            out.append("maildockProxyHost: imap2.example.net")
        out.append("")
    return "\n".join(out)


@pytest.fixture(scope="module")
def slapd(tmp_path_factory):
    try:
        srv = Slapd(tmp_path_factory.mktemp("slapd"), suffix=SUFFIX)
    except Unavailable as e:
        pytest.skip(str(e))
    srv.mail_root = tmp_path_factory.mktemp("ldapmail")
    srv.start(make_ldif(srv.mail_root))
    yield srv
    srv.close()


def ldap_settings(slapd, **extra):
    s = {
        "auth.modules": "ldap",
        "auth.ldap.uris": slapd.uri,
        "auth.ldap.base": SUFFIX,
        "auth.ldap.bind_dn": slapd.readerdn,
        "auth.ldap.bind_password": READER_PW,
        "auth.ldap.filter": "(&(objectClass=posixAccount)(mail=%u))",
        "auth.ldap.attr_user": "mail",
        "auth.ldap.timeout": "3",
        # this file fails many logins on purpose from one address
        "auth.max_failures_per_ip": "100000",
        "auth.max_failures_per_user": "100000",
        "limits.max_connections_per_ip": "200",
        "mail.location": str(slapd.mail_root) + "/%d/%n/Maildir",
    }
    s.update(extra)
    return s


@pytest.fixture(scope="module")
def ldapsrv(slapd, tmp_path_factory):
    # one daemon for the module (the conftest factory is per test)
    from conftest import Maildock
    d = Maildock(tmp_path_factory.mktemp("maildock-ldap"), ldap_settings(slapd))
    d.start()
    yield d
    d.stop()
    d.check_sanitizers()


def imap_login(srv, user, password):
    m = srv.imap()
    try:
        return m.login(user, password), m
    except imaplib.IMAP4.error as e:
        return ("NO", [str(e).encode()]), m


def test_ldap_imap_login_two_domains(ldapsrv):
    for login in ("alice@example.org", "bob@example.net"):
        m = ldapsrv.imap()
        typ, _ = m.login(login, USERS[login][0])
        assert typ == "OK"
        typ, data = m.select("INBOX")
        assert typ == "OK"
        m.logout()


def test_ldap_pop3_login(ldapsrv, slapd):
    p = ldapsrv.pop3()
    p.user("bob@example.net")
    assert p.pass_(USERS["bob@example.net"][0]).startswith(b"+OK")
    assert p.stat()[0] == 0
    p.quit()


def test_ldap_wrong_password(ldapsrv):
    m = ldapsrv.imap()
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        m.login("alice@example.org", "not-alices")
    m.logout()
    p = ldapsrv.pop3()
    p.user("alice@example.org")
    with pytest.raises(poplib.error_proto) as e:
        p.pass_("not-alices")
    assert b"[AUTH]" in e.value.args[0] or b"-ERR" in e.value.args[0]
    assert b"SYS/TEMP" not in e.value.args[0]


def test_ldap_empty_password_refused(ldapsrv):
    # an empty password would be an anonymous bind that "succeeds"
    c = ldapsrv.raw(ldapsrv.imap_port)
    c.readline()
    c.sendline('a LOGIN "alice@example.org" ""')
    line = c.read_until_tagged("a")[-1]
    assert line.startswith("a NO")
    c.close()


def test_ldap_wrong_domain(ldapsrv):
    m = ldapsrv.imap()
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        m.login("alice@example.net", USERS["alice@example.org"][0])
    m.logout()


def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def raw_imap_login(srv, user, password):
    c = srv.raw(srv.imap_port)
    c.readline()
    c.sendline("a LOGIN %s %s" % (quote(user), quote(password)))
    line = c.read_until_tagged("a")[-1]
    c.close()
    return line


def raw_pop3_login(srv, user, password):
    c = srv.raw(srv.pop3_port)
    c.readline()
    c.sendline("USER " + user)
    c.readline()
    c.sendline("PASS " + password)
    line = c.readline()
    c.close()
    return line


INJECTIONS = ("*)(uid=*", "*", "alice@example.org)(|(mail=*", "*)(mail=*",
              "*)(objectClass=*))(|(mail=*", "alice@example.org\\00")


def test_ldap_filter_injection(ldapsrv):
    # unescaped, "*)(uid=*" would match every entry; escaped it matches none
    for name in INJECTIONS:
        for password in (USERS["alice@example.org"][0], "*"):
            line = raw_imap_login(ldapsrv, name, password)
            assert line.startswith("a NO [AUTHENTICATIONFAILED]"), (name, line)
            line = raw_pop3_login(ldapsrv, name, password)
            assert line.startswith("-ERR") and "SYS/TEMP" not in line, (name, line)
    assert "several entries" not in ldapsrv.log()


def test_ldap_mail_attribute(ldapsrv, slapd):
    # carol's maildockMail says where her Maildir is
    md = slapd.mail_root / "custom" / "carol" / "Maildir"
    for sub in ("tmp", "new", "cur"):
        (md / sub).mkdir(parents=True, exist_ok=True)
    (md / "new" / "1.M1P1.test").write_bytes(b"Subject: hi\r\n\r\nfrom ldap\r\n")
    p = ldapsrv.pop3()
    p.user("carol@example.org")
    p.pass_(USERS["carol@example.org"][0])
    assert p.stat()[0] == 1
    p.quit()


def test_ldap_restart_mid_run(ldapsrv, slapd):
    # warm the pool, restart slapd, the next logins still work
    for _ in range(3):
        typ, m = imap_login(ldapsrv, "alice@example.org", "alice-pw")
        assert typ[0] == "OK"
        m.logout()
    slapd.restart()
    for _ in range(3):
        typ, m = imap_login(ldapsrv, "alice@example.org", "alice-pw")
        assert typ[0] == "OK", typ
        m.logout()
    p = ldapsrv.pop3()
    p.user("bob@example.net")
    assert p.pass_(USERS["bob@example.net"][0]).startswith(b"+OK")
    p.quit()


def test_ldap_down_is_temporary(ldapsrv, slapd):
    slapd.stop()
    try:
        t0 = time.time()
        c = ldapsrv.raw(ldapsrv.imap_port)
        c.readline()
        c.sendline('a LOGIN "alice@example.org" "alice-pw"')
        line = c.read_until_tagged("a")[-1]
        assert line.startswith("a NO [UNAVAILABLE]"), line
        c.close()
        c = ldapsrv.raw(ldapsrv.pop3_port)
        c.readline()
        c.sendline("USER alice@example.org")
        assert c.readline().startswith("+OK")
        c.sendline("PASS alice-pw")
        line = c.readline()
        assert line.startswith("-ERR [SYS/TEMP]"), line
        c.close()
        assert time.time() - t0 < 20
    finally:
        slapd.start()
    typ, m = imap_login(ldapsrv, "alice@example.org", "alice-pw")
    assert typ[0] == "OK"
    m.logout()


def test_ldap_compare_mode(slapd, make_server):
    # auth_bind = no: fetch userPassword as the reader and check the hash
    srv = make_server(ldap_settings(slapd, **{"auth.ldap.auth_bind": "no"}))
    typ, m = imap_login(srv, "alice@example.org", "alice-pw")
    assert typ[0] == "OK"
    m.logout()
    typ, m = imap_login(srv, "alice@example.org", "wrong")
    assert typ[0] == "NO" and b"AUTHENTICATIONFAILED" in typ[1][0]
    m.logout()


def test_ldap_failover_uri(slapd, make_server):
    # the first URI is dead: the second one answers
    dead = "ldap://127.0.0.1:1"
    srv = make_server(ldap_settings(slapd, **{"auth.ldap.uris": dead + " " + slapd.uri}))
    typ, m = imap_login(srv, "bob@example.net", USERS["bob@example.net"][0])
    assert typ[0] == "OK"
    m.logout()


def test_ldap_misspelt_key_is_config_error(slapd, tmp_path):
    from conftest import Maildock
    d = Maildock(tmp_path / "bad", ldap_settings(slapd, **{"auth.ldap.bsae": "x"}))
    with pytest.raises(RuntimeError, match="bsae"):
        d.start()
    d.stop()


# The daemon refuses '*', '(', ')' and quotes in user names before any
# module runs; these call the module directly (ctypes, t/servers/authmod.py)
# with such names, against the same slapd, to show the module escapes them.

@pytest.fixture
def ldapmod(slapd):
    from conftest import BUILDDIR
    from servers.authmod import load_or_skip
    path = BUILDDIR / "authmods" / ".libs" / "libauth_ldap.so"
    settings = {k[len("auth.ldap."):]: v for k, v in ldap_settings(slapd).items()
                if k.startswith("auth.ldap.")}
    m = load_or_skip(path, "ldap", settings)
    yield m
    m.close()


def test_ldap_module_filter_injection(ldapmod):
    from servers import authmod as am
    r, u = ldapmod.verify("alice@example.org", "alice-pw")
    assert r == am.OK and u["user"] == "alice@example.org" and u["uid"] == 5000
    assert u["home"].endswith("/example.org/alice")
    for name in INJECTIONS + ("*)(|(objectClass=*", "alice@example.org*",
                              "*@example.org", "alice@example.org)"):
        # unescaped, these match one or all entries (bind as alice, or
        # "several entries"); escaped, none
        assert ldapmod.verify(name, "alice-pw")[0] == am.NOUSER, name
        assert ldapmod.lookup(name)[0] == am.NOUSER, name
    assert not any(b"several" in fmt for _, fmt in ldapmod.logs)


def test_ldap_module_attributes(ldapmod, slapd):
    from servers import authmod as am
    r, u = ldapmod.lookup("carol@example.org")
    assert r == am.OK
    assert u["mail"] == "%s/custom/carol/Maildir" % slapd.mail_root
    assert (u["uid"], u["gid"]) == (5002, 5000)


def test_ldap_module_hung_server_bounded(tmp_path):
    # a server that accepts connections and never answers: the login is a
    # temporary failure after about auth.ldap.timeout, not a hang
    import socket
    import time
    from conftest import BUILDDIR
    from servers import authmod as am
    path = BUILDDIR / "authmods" / ".libs" / "libauth_ldap.so"
    with socket.socket() as hole:
        hole.bind(("127.0.0.1", 0))
        hole.listen(16)
        m = am.load_or_skip(path, "ldap", {"uris": "ldap://127.0.0.1:%d" % hole.getsockname()[1],
                                         "base": SUFFIX, "timeout": "1500ms"})
        try:
            t0 = time.monotonic()
            assert m.verify("alice@example.org", "alice-pw")[0] == am.TEMPFAIL
            assert time.monotonic() - t0 < 5
        finally:
            m.close()


def test_ldap_concurrent_logins_small_pool(slapd, make_server):
    # 30 logins at once through 2 pooled connections: all succeed
    import concurrent.futures
    srv = make_server(ldap_settings(slapd, **{"auth.ldap.pool_size": "2"}))
    logins = [("alice@example.org", "alice-pw"), ("bob@example.net", USERS["bob@example.net"][0]),
              ("alice@example.org", "wrong")] * 10
    with concurrent.futures.ThreadPoolExecutor(30) as ex:
        lines = list(ex.map(lambda up: raw_imap_login(srv, *up), logins))
    for (user, pw), line in zip(logins, lines):
        if pw == "wrong":
            assert line.startswith("a NO [AUTHENTICATIONFAILED]"), line
        else:
            assert line.startswith("a OK"), line


@pytest.fixture(scope="module")
def tls_slapd(tmp_path_factory):
    try:
        srv = Slapd(tmp_path_factory.mktemp("slapd-tls"), suffix=SUFFIX, tls=True)
    except Unavailable as e:
        pytest.skip(str(e))
    srv.mail_root = tmp_path_factory.mktemp("ldapmail-tls")
    srv.start(make_ldif(srv.mail_root))
    yield srv
    srv.close()


@pytest.mark.slow
def test_ldap_starttls_and_ldaps(tls_slapd, make_server, tmp_path):
    # StartTLS on ldap:// and implicit TLS on ldaps://, checked against the
    # CA file; a CA that did not sign the server certificate is refused
    # (a temporary failure: the directory cannot be reached safely)
    for extra in ({"auth.ldap.starttls": "yes"}, {"auth.ldap.uris": tls_slapd.ldaps_uri}):
        settings = ldap_settings(tls_slapd, **{"auth.ldap.ca_file": tls_slapd.ca_file})
        settings.update(extra)
        srv = make_server(settings)
        assert raw_imap_login(srv, "alice@example.org", "alice-pw").startswith("a OK"), srv.log()[-3000:]
        srv.stop()
    from conftest import make_cert
    _, other_ca = make_cert(tmp_path)
    (tmp_path / "other-ca.pem").write_text(other_ca)
    settings = ldap_settings(tls_slapd, **{"auth.ldap.ca_file": str(tmp_path / "other-ca.pem"),
                                           "auth.ldap.starttls": "yes"})
    srv = make_server(settings)
    line = raw_imap_login(srv, "alice@example.org", "alice-pw")
    assert line.startswith("a NO [UNAVAILABLE]"), line


def test_ldap_after_pwfile_in_chain(slapd, make_server):
    # auth.modules = pwfile ldap: a name unknown to the users file falls
    # through to the directory; pwfile users still log in
    settings = ldap_settings(slapd, **{"auth.modules": "pwfile ldap"})
    del settings["mail.location"]
    srv = make_server(settings)
    assert raw_imap_login(srv, "alice@example.org", "secret-1").startswith("a OK")  # pwfile
    assert raw_imap_login(srv, "bob@example.net", USERS["bob@example.net"][0]).startswith("a OK")
    line = raw_imap_login(srv, "bob@example.net", "wrong")
    assert line.startswith("a NO [AUTHENTICATIONFAILED]"), line
    assert "module=ldap" in srv.log() and "module=pwfile" in srv.log()


def test_ldap_options_attribute(ldapsrv):
    # dora's maildockOptions has disable-pop3: IMAP yes, POP3 no
    assert raw_imap_login(ldapsrv, "dora@example.net", "dora-pw").startswith("a OK")
    line = raw_pop3_login(ldapsrv, "dora@example.net", "dora-pw")
    assert line.startswith("-ERR"), line


def test_ldap_module_options_and_quota(ldapmod):
    from servers import authmod as am
    r, u = ldapmod.lookup("dora@example.net")
    assert r == am.OK
    assert u["options"] == "disable-pop3 x-other"
    assert u["quota"] == "1000000S,100C"


def test_ldap_reload_new_settings(slapd, make_server):
    # SIGHUP re-initialises the module with the new settings (pool torn
    # down and rebuilt): after narrowing the base, bob is no longer found
    srv = make_server(ldap_settings(slapd))
    assert raw_imap_login(srv, "bob@example.net", USERS["bob@example.net"][0]).startswith("a OK")
    srv.settings["auth.ldap.base"] = "ou=example.org," + SUFFIX
    srv.write_conf()
    srv.reload()
    line = raw_imap_login(srv, "bob@example.net", USERS["bob@example.net"][0])
    assert line.startswith("a NO [AUTHENTICATIONFAILED]"), line
    assert raw_imap_login(srv, "alice@example.org", "alice-pw").startswith("a OK")


def test_ldap_module_proxy_host(ldapmod):
    from servers import authmod as am
    r, u = ldapmod.verify("erin@example.net", "erin-pw")
    assert r == am.OK and u["proxy_host"] == "imap2.example.net"
    assert ldapmod.verify("erin@example.net", "dora-pw")[0] == am.FAIL
