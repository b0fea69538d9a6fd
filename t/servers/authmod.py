"""Load a Maildock auth module (libauth_<name>.so) with ctypes behind a fake
host, to call its verify/lookup directly. The protocol tests reach a module
only through the daemon's user-name rules (which already refuse quotes,
parentheses and '*'); this calls the module with any name, to show that the
module itself escapes or binds what it is given.

    m = AuthModule(builddir / "authmods/.libs/libauth_ldap.so", "ldap",
                   {"uris": ..., "base": ...})
    m.verify("alice@example.org", "pw")  -> (code, fields dict)
    m.lookup("alice@example.org")        -> (code, fields dict)
    m.close()
Result codes are the AUTHMOD_* values below."""
import ctypes
import ctypes.util

OK, FAIL, NOUSER, DISABLED, TEMPFAIL, ERROR = 0, -1, -2, -3, -4, -5
ABI = 1

LOGFN = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p)
SETTINGFN = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p)
VERIFYFN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p)


class Host(ctypes.Structure):
    _fields_ = [("abi", ctypes.c_uint), ("log", LOGFN), ("setting", SETTINGFN),
                ("password_verify", VERIFYFN)]


class User(ctypes.Structure):
    _fields_ = [("user", ctypes.c_char_p), ("uid", ctypes.c_uint32),
                ("gid", ctypes.c_uint32), ("home", ctypes.c_char_p),
                ("mail", ctypes.c_char_p), ("quota", ctypes.c_char_p),
                ("options", ctypes.c_char_p), ("proxy_host", ctypes.c_char_p),
                ("buf", ctypes.c_char * 4096)]


INITFN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(Host), ctypes.c_void_p,
                          ctypes.POINTER(ctypes.c_void_p),
                          ctypes.POINTER(ctypes.c_char_p))
MODVERIFYFN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p,
                               ctypes.c_char_p, ctypes.POINTER(User))
MODLOOKUPFN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p,
                               ctypes.POINTER(User))
DEINITFN = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


class Authmod(ctypes.Structure):
    _fields_ = [("abi", ctypes.c_uint), ("struct_size", ctypes.c_size_t),
                ("name", ctypes.c_char_p), ("flags", ctypes.c_uint),
                ("keys", ctypes.POINTER(ctypes.c_char_p)), ("init", INITFN),
                ("verify", MODVERIFYFN), ("lookup", MODLOOKUPFN),
                ("deinit", DEINITFN), ("reserved", ctypes.c_void_p * 4)]


def _crypt_verify():
    """{PLAIN} and crypt(3) hashes (with or without a {SCHEME} prefix)."""
    lib = ctypes.CDLL(ctypes.util.find_library("crypt") or "libcrypt.so.1")
    lib.crypt.restype = ctypes.c_char_p
    lib.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]

    def verify(password, stored):
        if stored.startswith(b"{PLAIN}"):
            return OK if stored[7:] == password else FAIL
        if stored.startswith(b"{"):
            stored = stored[stored.index(b"}") + 1:]
        h = lib.crypt(password, stored)
        return OK if h is not None and h == stored else FAIL
    return verify


class AuthModule:
    def __init__(self, path, name, settings):
        self.lib = ctypes.CDLL(str(path), mode=ctypes.RTLD_LOCAL)
        self.mod = Authmod.in_dll(self.lib, "authmod_entry")
        assert self.mod.abi == ABI and self.mod.name == name.encode()
        self.settings = {k.encode(): ctypes.create_string_buffer(v.encode())
                         for k, v in settings.items()}
        self.logs = []
        pyverify = _crypt_verify()
        self._log = LOGFN(lambda lvl, fmt: self.logs.append((lvl, fmt)))
        self._setting = SETTINGFN(
            lambda conf, key: ctypes.addressof(self.settings[key])
            if key in self.settings else None)
        self._verify = VERIFYFN(pyverify)
        self.host = Host(ABI, self._log, self._setting, self._verify)
        self.state = ctypes.c_void_p()
        err = ctypes.c_char_p()
        if self.mod.init(ctypes.byref(self.host), None, ctypes.byref(self.state),
                         ctypes.byref(err)) != 0:
            raise RuntimeError("init: %s" % (err.value or b"").decode())

    @staticmethod
    def _fields(u):
        return {f: (getattr(u, f).decode() if getattr(u, f) is not None else None)
                for f in ("user", "home", "mail", "quota", "options", "proxy_host")} | \
               {"uid": u.uid, "gid": u.gid}

    def verify(self, user, password):
        u = User()
        r = self.mod.verify(self.state, user.encode(), password.encode(), ctypes.byref(u))
        return r, self._fields(u) if r == OK else None

    def lookup(self, user):
        u = User()
        r = self.mod.lookup(self.state, user.encode(), ctypes.byref(u))
        return r, self._fields(u) if r == OK else None

    def close(self):
        if self.state:
            self.mod.deinit(self.state)
            self.state = ctypes.c_void_p()


def load_or_skip(path, name, settings):
    """AuthModule(path, name, settings), or pytest.skip when the module is
    not built or cannot load into python (a sanitizer build's module needs
    the sanitizer runtime in the process)."""
    import pytest
    if not path.exists():
        pytest.skip("%s module not built" % name)
    data = path.read_bytes()
    if any(m in data for m in (b"__asan_init", b"__tsan_init", b"__ubsan_handle")):
        # loading it would abort python ("runtime does not come first")
        pytest.skip("%s module is a sanitizer build: not loadable into python" % name)
    try:
        return AuthModule(path, name, settings)
    except OSError as e:
        pytest.skip("cannot load the %s module into python: %s" % (name, e))
