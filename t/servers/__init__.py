"""Private LDAP and SQL servers for the auth module tests (t/servers/).

    from servers.slapd import Slapd        # OpenLDAP slapd on 127.0.0.1
    from servers.mariadb import MariaDB    # mariadbd on a unix socket

Each runs from a temporary directory, is started and stopped by the test,
and raises `servers.Unavailable` when its binary is not installed (tests
turn that into pytest.skip)."""
import ctypes
import os
import signal
import socket
import time


class Unavailable(Exception):
    """The server binary (or a tool it needs) is not installed."""


def which(*candidates):
    for c in candidates:
        if os.path.isabs(c):
            if os.access(c, os.X_OK):
                return c
            continue
        for d in os.environ.get("PATH", "").split(os.pathsep) + ["/usr/sbin", "/sbin"]:
            p = os.path.join(d, c)
            if os.access(p, os.X_OK):
                return p
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout, what, proc=None, log=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("%s exited with %s: %s" % (what, proc.returncode,
                                                          log() if log else ""))
        if check():
            return
        time.sleep(0.05)
    raise RuntimeError("%s did not start within %ss: %s" % (what, timeout,
                                                            log() if log else ""))


def die_with_parent():
    """preexec_fn for server processes: SIGTERM when the test process
    dies, so an aborted test run leaves no server behind (Linux)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
