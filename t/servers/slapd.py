"""A private OpenLDAP slapd for tests: slapd.conf with an mdb database in a
temporary directory, listening on ldap://127.0.0.1:<free port>.

    srv = Slapd(tmpdir, suffix="dc=example,dc=org")
    srv.start(ldif_text)        # slapadd the LDIF, then start slapd
    srv.uri                     # "ldap://127.0.0.1:PORT"
    srv.stop(); srv.start()     # restart on the same port, same data
    srv.close()                 # stop and forget

With tls=True slapd also has a certificate for 127.0.0.1 (srv.ca_file, a
self-signed one that is its own CA), offers StartTLS on srv.uri and listens
on srv.ldaps_uri.

The root DN is cn=admin,<suffix> with password "admin-secret"; the reader
DN cn=reader,<suffix> (password "reader-secret", created by the caller's
LDIF or by add_reader=True) may read userPassword, everyone else may only
authenticate against it."""
import os
import pathlib
import shutil
import signal
import socket
import subprocess

from . import Unavailable, die_with_parent, free_port, wait_for, which

SCHEMA_DIRS = ("/etc/ldap/schema", "/etc/openldap/schema", "/usr/local/etc/openldap/schema")
MODULE_DIRS = ("/usr/lib/ldap", "/usr/lib64/openldap", "/usr/lib/openldap",
               "/usr/libexec/openldap")
HERE = pathlib.Path(__file__).resolve().parent
MAILDOCK_SCHEMA = HERE.parent.parent / "authmods" / "ldap" / "maildock.schema"

ROOT_PW = "admin-secret"
READER_PW = "reader-secret"


class Slapd:
    def __init__(self, workdir, suffix="dc=example,dc=org", tls=False):
        # $SLAPD names another slapd (slapadd is found next to it)
        if os.environ.get("SLAPD"):
            self.slapd = which(os.environ["SLAPD"])
            self.slapadd = self.slapd and which(os.path.join(os.path.dirname(self.slapd),
                                                             "slapadd"))
        else:
            self.slapd = which("/usr/sbin/slapd", "slapd")
            self.slapadd = which("/usr/sbin/slapadd", "slapadd")
        if not self.slapd or not self.slapadd:
            raise Unavailable("slapd not installed (apt-get install slapd)")
        self.schema_dir = next((d for d in SCHEMA_DIRS
                                if os.path.exists(d + "/nis.schema")), None)
        if self.schema_dir is None:
            raise Unavailable("OpenLDAP schema files not found")
        self.dir = pathlib.Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.suffix = suffix
        self.rootdn = "cn=admin," + suffix
        self.readerdn = "cn=reader," + suffix
        self.port = free_port()
        self.uri = "ldap://127.0.0.1:%d" % self.port
        self.tls = tls
        self.ldaps_port = free_port() if tls else None
        self.ldaps_uri = "ldaps://127.0.0.1:%d" % self.ldaps_port if tls else None
        self.ca_file = None
        self.proc = None
        self.loaded = False
        self.logfile = self.dir / "slapd.log"
        self.conf = self.dir / "slapd.conf"
        if tls:
            self._make_cert()
        self._write_conf()

    def _make_cert(self):
        key, crt = self.dir / "key.pem", self.dir / "cert.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", str(key), "-out", str(crt), "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext",
                        "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.ca_file = str(crt)

    def _write_conf(self):
        db = self.dir / "db"
        db.mkdir(exist_ok=True)
        mdir = next((d for d in MODULE_DIRS if os.path.exists(d + "/back_mdb.la")
                     or os.path.exists(d + "/back_mdb.so")), None)
        lines = ["include %s/%s.schema" % (self.schema_dir, s)
                 for s in ("core", "cosine", "inetorgperson", "nis")]
        lines.append("include %s" % MAILDOCK_SCHEMA)
        if self.tls:
            lines += ["TLSCertificateFile %s/cert.pem" % self.dir,
                      "TLSCertificateKeyFile %s/key.pem" % self.dir]
        lines += ["pidfile %s/slapd.pid" % self.dir,
                  "argsfile %s/slapd.args" % self.dir]
        if mdir:
            lines += ["modulepath %s" % mdir, "moduleload back_mdb"]
        lines += [
            "database mdb",
            "maxsize 104857600",
            'suffix "%s"' % self.suffix,
            'rootdn "%s"' % self.rootdn,
            "rootpw %s" % ROOT_PW,
            "directory %s" % db,
            "index objectClass eq",
            "index uid,mail eq",
            'access to attrs=userPassword by dn.exact="%s" read '
            'by anonymous auth by * none' % self.readerdn,
            "access to * by * read",
        ]
        self.conf.write_text("\n".join(lines) + "\n")

    def load(self, ldif):
        """slapadd ldif (text) into the (stopped) database."""
        path = self.dir / "load.ldif"
        path.write_text(ldif)
        r = subprocess.run([self.slapadd, "-q", "-f", str(self.conf), "-l", str(path)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            raise RuntimeError("slapadd failed: " + r.stdout.decode(errors="replace"))
        self.loaded = True

    def log(self):
        try:
            return self.logfile.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def _listening(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), 0.2).close()
            return True
        except OSError:
            return False

    def start(self, ldif=None):
        if ldif is not None and not self.loaded:
            self.load(ldif)
        self.log_fh = open(self.logfile, "ab")
        # -d 0: stay in the foreground (no detach), log nothing by default
        urls = self.uri + "/" + (" " + self.ldaps_uri + "/" if self.tls else "")
        self.proc = subprocess.Popen([self.slapd, "-f", str(self.conf), "-h",
                                      urls, "-d", "0"],
                                     stdout=self.log_fh, stderr=subprocess.STDOUT,
                                     preexec_fn=die_with_parent)
        wait_for(self._listening, 30, "slapd", self.proc, self.log)
        return self

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.log_fh.close()
        wait_for(lambda: not self._listening(), 10, "slapd stop")

    def restart(self):
        self.stop()
        self.start()

    def close(self):
        self.stop()
        shutil.rmtree(self.dir / "db", ignore_errors=True)
