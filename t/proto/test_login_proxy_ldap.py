"""Login proxies routing users by an LDAP attribute (maildockProxyHost) from
a real OpenLDAP slapd (t/servers/slapd.py): two Maildock proxies with the
ldap auth module in front of two backends; every login lands on the
backend its directory entry names, through either proxy."""
import base64
import hashlib
import imaplib
import os
import re
import sys

import pytest

from conftest import free_port

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from servers import Unavailable  # noqa: E402
from servers.slapd import Slapd, READER_PW  # noqa: E402

SUFFIX = "o=maildock"
# login: (password, backend address the directory names)
USERS = {"ann@example.org": ("ann-pw", "127.0.0.2"),
         "ben@example.org": ("ben-pw", "127.0.0.3"),
         "cid@example.org": ("cid pw", "127.0.0.2")}


def ssha(password, salt=b"maildock"):
    h = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(h + salt).decode()


def ldif():
    out = ["dn: %s" % SUFFIX, "objectClass: organization", "o: maildock", "",
           "dn: cn=reader,%s" % SUFFIX, "objectClass: organizationalRole",
           "objectClass: simpleSecurityObject", "cn: reader",
           "userPassword: %s" % READER_PW, ""]
    for n, (login, (pw, host)) in enumerate(sorted(USERS.items())):
        local = login.split("@")[0]
        out += ["dn: uid=%s,%s" % (local, SUFFIX),
                "objectClass: inetOrgPerson", "objectClass: posixAccount",
                "objectClass: maildockUser", "uid: %s" % local,
                "cn: %s" % local, "sn: %s" % local, "mail: %s" % login,
                "uidNumber: %d" % (6000 + n), "gidNumber: 6000",
                "homeDirectory: /nonexistent/%s" % local,
                "userPassword: %s" % ssha(pw),
                "maildockProxyHost: %s" % host, ""]
    return "\n".join(out)


@pytest.fixture
def slapd(tmp_path):
    try:
        srv = Slapd(tmp_path / "slapd", suffix=SUFFIX)
    except Unavailable as e:
        pytest.skip(str(e))
    srv.start(ldif())
    yield srv
    srv.close()


def test_ldap_attribute_routes_every_login(slapd, make_server, tmp_path):
    imap_port = free_port()
    users = tmp_path / "users"
    users.write_text("".join("%s:{PLAIN}%s::::::\n" % (login, pw)
                             for login, (pw, _) in USERS.items()))
    backends = {host: make_server({
        "imap.listen": "%s:%d" % (host, imap_port),
        "auth.pwfile.path": str(users),
        "proxy.trusted_networks": "127.0.0.0/8"})
        for host in ("127.0.0.2", "127.0.0.3")}
    proxies = [make_server({
        "auth.modules": "ldap",
        "auth.ldap.uris": slapd.uri,
        "auth.ldap.base": SUFFIX,
        "auth.ldap.bind_dn": slapd.readerdn,
        "auth.ldap.bind_password": READER_PW,
        "auth.ldap.filter": "(&(objectClass=posixAccount)(mail=%u))",
        "auth.ldap.attr_user": "mail",
        "mail.location": str(tmp_path / "none") + "/%d/%n",
        "proxy.enabled": "yes",
        "imap.proxy_port": str(imap_port)}) for _ in range(2)]
    for proxy in proxies:
        for login, (pw, host) in USERS.items():
            m = imaplib.IMAP4("127.0.0.1", proxy.imap_port)
            m.login(login, pw)
            m.select("INBOX")
            m.logout()
            assert re.search(r"proxy: login backend=%s:%d user=\"%s\""
                             % (re.escape(host), imap_port,
                                re.escape(login)), proxy.log())
    for login, (_, host) in USERS.items():
        for other, srv in backends.items():
            landed = 'user="%s"' % login in srv.log()
            assert landed == (other == host), (login, other)
