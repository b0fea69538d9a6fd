#!/usr/bin/python3
"""Login throughput of maildockd against a real backend (issue 8 target:
1,000 logins/s with 50 concurrent clients, LDAP and MySQL, cache off).

Starts a private slapd or mariadbd (t/servers), a maildockd with
auth.modules = ldap|mysql|pwfile and the auth cache off, then runs CLIENTS
concurrent IMAP (or POP3) clients that connect, log in, log out and
disconnect in a loop for SECONDS, spread over PROCS processes. Prints
logins/s and latency percentiles.

    cd build && python3 ../bench/auth-logins.py ldap
    python3 ../bench/auth-logins.py mysql --clients 50 --seconds 20 --proto pop3

Run from a build directory (or set top_builddir/top_srcdir)."""
import argparse
import asyncio
import multiprocessing
import os
import pathlib
import sys
import tempfile
import time

SRC = pathlib.Path(os.environ.get("top_srcdir", pathlib.Path(__file__).resolve().parent.parent))
os.environ.setdefault("top_srcdir", str(SRC))
os.environ.setdefault("top_builddir", os.getcwd())
sys.path.insert(0, str(SRC / "t"))
sys.path.insert(0, str(SRC / "t" / "proto"))

NUSERS = 200
PASSWORD = "bench-pw-%d"


def user(i):
    return "user%d@%s" % (i, "example.org" if i % 2 == 0 else "example.net")


def setup_ldap(tmp):
    import test_auth_ldap as T
    from servers.slapd import Slapd, READER_PW
    srv = Slapd(tmp / "slapd", suffix=T.SUFFIX)
    out = [T.make_ldif(tmp / "mail")]
    for i in range(NUSERS):
        local, dom = user(i).split("@")
        out.append("\n".join([
            "dn: uid=%s,ou=%s,%s" % (local, dom, T.SUFFIX),
            "objectClass: inetOrgPerson", "objectClass: posixAccount",
            "uid: %s" % local, "cn: %s" % local, "sn: %s" % local,
            "mail: %s" % user(i), "uidNumber: 5000", "gidNumber: 5000",
            "homeDirectory: %s/%s/%s" % (tmp / "mail", dom, local),
            "userPassword: %s" % T.ssha(PASSWORD % i), ""]))
    srv.start("\n".join(out))
    srv.mail_root = tmp / "mail"
    return srv, T.ldap_settings(srv)


def setup_mysql(tmp):
    import test_auth_mysql as T
    from servers.mariadb import MariaDB
    db = MariaDB(tempfile.mkdtemp(prefix="md-bench-"))
    db.start()
    db.sql("CREATE DATABASE mail; CREATE USER '%s'@'localhost' IDENTIFIED BY '%s';"
           "GRANT SELECT ON mail.* TO '%s'@'localhost';" % (T.DB_USER, T.DB_PW, T.DB_USER))
    rows = [T.SCHEMA, T.fill_sql()]
    # SHA512-CRYPT would measure libxcrypt (5000 rounds), not the module
    for i in range(NUSERS):
        local, dom = user(i).split("@")
        rows.append("INSERT INTO mailbox (username, password, maildir, local_part, domain) "
                    "VALUES ('%s', '{SSHA256}%s', '%s/%s/', '%s', '%s');"
                    % (user(i), ssha256(PASSWORD % i), dom, local, local, dom))
    db.sql("\n".join(rows), database="mail")
    db.mail_root = tmp / "mail"
    return db, T.mysql_settings(db)


def ssha256(password, salt=b"benchslt"):
    import base64
    import hashlib
    return base64.b64encode(hashlib.sha256(password.encode() + salt).digest() + salt).decode()


def setup_pwfile(tmp):
    users = tmp / "bench-users"
    with open(users, "w") as f:
        for i in range(NUSERS):
            f.write("%s:{SSHA256}%s::::%s::\n" % (user(i), ssha256(PASSWORD % i),
                                                tmp / "home" / str(i)))
    return None, {"auth.modules": "pwfile", "auth.pwfile.path": str(users)}


async def one_client(port, proto, idx, nclients, deadline, lat, errors):
    n = 0
    while time.monotonic() < deadline:
        # users idx, idx+nclients, ...: never two clients on one maildrop
        i = (idx + n * nclients) % NUSERS
        n += 1
        t0 = time.monotonic()
        try:
            r, w = await asyncio.open_connection("127.0.0.1", port)
            await r.readline()
            if proto == "imap":
                w.write(b'a LOGIN "%s" "%s"\r\n' % (user(i).encode(), (PASSWORD % i).encode()))
                line = await r.readline()
                ok = line.startswith(b"a OK")
                w.write(b"b LOGOUT\r\n")
            else:
                w.write(b"USER %s\r\nPASS %s\r\n" % (user(i).encode(), (PASSWORD % i).encode()))
                await r.readline()
                line = await r.readline()
                ok = line.startswith(b"+OK")
                w.write(b"QUIT\r\n")
            await w.drain()
            while await r.read(4096):
                pass
            w.close()
            await w.wait_closed()
        except OSError as e:
            ok, line = False, str(e).encode()
        if ok:
            lat.append(time.monotonic() - t0)
        else:
            errors.append(line[:200])


def worker(port, proto, clients, first, total, seconds, q):
    async def run():
        lat, errors = [], []
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(one_client(port, proto, first + k, total, deadline, lat, errors)
                               for k in range(clients)))
        return lat, errors
    lat, errors = asyncio.run(run())
    q.put((lat, errors[:5], len(errors)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("backend", choices=("ldap", "mysql", "pwfile"))
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--procs", type=int, default=2, help="client processes")
    ap.add_argument("--proto", choices=("imap", "pop3"), default="imap")
    ap.add_argument("--pool", type=int, default=8, help="auth.<backend>.pool_size")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directories")
    a = ap.parse_args()
    if a.clients > NUSERS:
        ap.error("at most %d clients" % NUSERS)

    from conftest import Maildock
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="maildock-bench-"))
    backend, settings = {"ldap": setup_ldap, "mysql": setup_mysql,
                         "pwfile": setup_pwfile}[a.backend](tmp)
    # 50 clients share 127.0.0.1: lift the per-address limits
    settings.update({"log.level": "info", "auth.cache_ttl": "0",
                     "auth.failure_delay": "0s",
                     "limits.max_connections_per_ip": "1000",
                     "auth.max_failures_per_ip": "0"})
    if a.backend in ("ldap", "mysql"):
        settings["auth.%s.pool_size" % a.backend] = str(a.pool)
    srv = Maildock(tmp / "maildock", settings).start()
    port = srv.imap_port if a.proto == "imap" else srv.pop3_port
    try:
        q = multiprocessing.Queue()
        per = [a.clients // a.procs + (1 if k < a.clients % a.procs else 0)
               for k in range(a.procs)]
        procs = [multiprocessing.Process(target=worker, args=(port, a.proto, per[k],
                                                              sum(per[:k]), a.clients,
                                                              a.seconds, q))
                 for k in range(a.procs)]
        t0 = time.monotonic()
        for p in procs:
            p.start()
        results = [q.get() for _ in procs]
        for p in procs:
            p.join()
        wall = time.monotonic() - t0
    finally:
        srv.stop()
        if backend is not None:
            backend.close()
        sanitizer = [m for m in ("ThreadSanitizer", "AddressSanitizer", "runtime error:")
                     if m in srv.log()]
        if sanitizer:
            print("sanitizer reports in %s" % srv.logfile)
        elif not a.keep:
            import shutil
            shutil.rmtree(tmp, ignore_errors=True)
            if backend is not None:
                shutil.rmtree(backend.dir, ignore_errors=True)
    lat = sorted(x for r in results for x in r[0])
    nerr = sum(r[2] for r in results)
    samples = [e for r in results for e in r[1]]

    def pct(p):
        return lat[min(len(lat) - 1, int(len(lat) * p))] * 1000 if lat else 0
    print("backend=%s proto=%s clients=%d procs=%d pool=%d seconds=%.1f"
          % (a.backend, a.proto, a.clients, a.procs, a.pool, a.seconds))
    print("logins=%d errors=%d rate=%.0f/s latency_ms p50=%.1f p90=%.1f p99=%.1f max=%.1f"
          % (len(lat), nerr, len(lat) / a.seconds, pct(.5), pct(.9), pct(.99),
             lat[-1] * 1000 if lat else 0))
    if samples:
        print("error samples:", samples)
    return 0 if lat and nerr == 0 and not sanitizer else 1


if __name__ == "__main__":
    sys.exit(main())
