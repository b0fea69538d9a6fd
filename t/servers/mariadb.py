"""A private MariaDB server for tests: mariadb-install-db into a temporary
datadir, mariadbd with --skip-networking on a unix socket there.

    db = MariaDB(tmpdir)
    db.start()                  # install (first time) and start
    db.sql("CREATE DATABASE x") # run SQL as root through the mariadb client
    db.socket                   # path of the unix socket
    db.stop(); db.start()       # restart, same data
    db.close()

Root logs in with the password "root-secret" (normal authentication, not
unix_socket, so it works for any test user). With tls=True the server has a
self-signed certificate for localhost (db.ca_file) and accepts TLS. With
tcp=True it also listens on 127.0.0.1:db.port."""
import os
import pathlib
import shutil
import signal
import subprocess

from . import Unavailable, die_with_parent, free_port, wait_for, which

ROOT_PW = "root-secret"


class MariaDB:
    def __init__(self, workdir, tls=False, tcp=False):
        # $MARIADBD names another server binary
        self.mariadbd = (which(os.environ["MARIADBD"]) if os.environ.get("MARIADBD")
                         else which("/usr/sbin/mariadbd", "mariadbd", "/usr/sbin/mysqld"))
        self.install_db = which("mariadb-install-db", "mysql_install_db")
        self.client = which("mariadb", "mysql")
        if not (self.mariadbd and self.install_db and self.client):
            raise Unavailable("mariadbd not installed (apt-get install mariadb-server)")
        self.dir = pathlib.Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.datadir = self.dir / "data"
        self.socket = str(self.dir / "mysqld.sock")
        if len(self.socket) > 100:
            raise RuntimeError("socket path too long: " + self.socket)
        self.pidfile = self.dir / "mysqld.pid"
        self.logfile = self.dir / "mysqld.log"
        self.proc = None
        self.installed = False
        self.as_root = ["--user=root"] if os.geteuid() == 0 else []
        self.ca_file = None
        self.tls_args = []
        self.port = free_port() if tcp else None
        self.net_args = (["--port=%d" % self.port, "--bind-address=127.0.0.1"] if tcp
                         else ["--skip-networking"])
        if tls:
            key, crt = self.dir / "key.pem", self.dir / "cert.pem"
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", str(key), "-out", str(crt), "-days", "2",
                            "-subj", "/CN=localhost", "-addext",
                            "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.ca_file = str(crt)
            self.tls_args = ["--ssl-cert=%s" % crt, "--ssl-key=%s" % key]

    def log(self):
        try:
            return self.logfile.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def _install(self):
        r = subprocess.run([self.install_db, "--no-defaults",
                            "--datadir=%s" % self.datadir,
                            "--auth-root-authentication-method=normal",
                            "--skip-test-db"] + self.as_root,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            raise RuntimeError("mariadb-install-db failed: " +
                               r.stdout.decode(errors="replace")[-3000:])
        self.installed = True

    def _alive(self):
        r = subprocess.run(self._client_args(self.root_pw) + ["-e", "SELECT 1"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return r.returncode == 0

    def _client_args(self, pw):
        args = [self.client, "--no-defaults", "-S", self.socket, "-uroot"]
        if pw:
            args.append("-p" + pw)
        return args

    def start(self):
        first = not self.installed
        if first:
            self._install()
            self.root_pw = ""
        self.log_fh = open(self.logfile, "ab")
        self.proc = subprocess.Popen(
            [self.mariadbd, "--no-defaults", "--datadir=%s" % self.datadir,
             "--socket=%s" % self.socket, "--pid-file=%s" % self.pidfile,
             "--log-error=%s" % self.logfile,
             "--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M",
             "--max-connections=500", "--skip-name-resolve",
             "--innodb-flush-log-at-trx-commit=0"] + self.net_args + self.tls_args +
            self.as_root,
            stdout=self.log_fh, stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent)
        wait_for(self._alive, 60, "mariadbd", self.proc, self.log)
        if first:
            self.sql("ALTER USER 'root'@'localhost' IDENTIFIED BY '%s'" % ROOT_PW)
            self.root_pw = ROOT_PW
        return self

    def sql(self, text, database=None):
        args = self._client_args(self.root_pw)
        if database:
            args.append(database)
        r = subprocess.run(args, input=text.encode(), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        if r.returncode != 0:
            raise RuntimeError("SQL failed: %s\n%s" % (r.stdout.decode(errors="replace"),
                                                       text[:2000]))
        return r.stdout.decode(errors="replace")

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.log_fh.close()

    def restart(self):
        self.stop()
        self.start()

    def close(self):
        self.stop()
        shutil.rmtree(self.datadir, ignore_errors=True)
