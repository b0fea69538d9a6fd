"""CREATE-SPECIAL-USE (RFC 6154 section 3): CREATE name (USE (...)) gives
the new folder special-use attributes that LIST shows (next to the
imap.special_use.* configured names), kept with the folder on disk so they
last across sessions and follow RENAME; an attribute Maildock has no use
for answers NO [USEATTR] and creates nothing."""
import pytest


class Session:
    def __init__(self, server):
        self.raw = server.raw(server.imap_port)
        assert self.raw.readline().startswith("* OK")
        self.n = 0
        assert self.ok("LOGIN alice@example.org secret-1")

    def cmd(self, text):
        self.n += 1
        tag = "t%d" % self.n
        self.raw.sendline("%s %s" % (tag, text))
        lines = self.raw.read_until_tagged(tag)
        self.status = lines[-1][len(tag) + 1:]
        return lines[:-1]

    def ok(self, text):
        self.cmd(text)
        return self.status.startswith("OK")

    def list(self, args='"" "*"'):
        """{quoted name: set of attributes} of LIST args"""
        lines = self.cmd("LIST " + args)
        assert self.status.startswith("OK"), self.status
        out = {}
        for l in lines:
            assert l.startswith("* LIST ("), l
            attrs, rest = l[len("* LIST ("):].split(") ", 1)
            out[rest[len('"." '):]] = attrs.split()
        return out


@pytest.fixture
def s(server, alice):
    return Session(server)


def test_capability_advertises_create_special_use(s):
    caps = s.cmd("CAPABILITY")[0].split()
    assert "SPECIAL-USE" in caps and "CREATE-SPECIAL-USE" in caps


def test_create_with_use_shows_in_list(s):
    assert s.ok(r"CREATE MySent (USE (\Sent))"), s.status
    assert s.ok(r"CREATE Keep (USE (\archive \JUNK \Archive))"), s.status
    assert s.ok("CREATE Plain")
    got = s.list()
    assert "\\Sent" in got['"MySent"']
    # any case in, canonical spelling out, each attribute once
    keep = [a for a in got['"Keep"'] if a in ("\\Archive", "\\Junk")]
    assert sorted(keep) == ["\\Archive", "\\Junk"]
    assert not {"\\Sent", "\\Archive", "\\Junk", "\\Drafts",
                "\\Trash"} & set(got['"Plain"'])
    # RFC 6154 selection option: only folders with a special use
    got = s.list('(SPECIAL-USE) "" "*"')
    assert set(got) == {'"MySent"', '"Keep"'}
    # RFC 6154 5.1: RETURN (SPECIAL-USE) is accepted, Plain still plain
    got = s.list('"" "*" RETURN (SPECIAL-USE)')
    assert "\\Sent" in got['"MySent"'] and '"Plain"' in got


def test_special_use_lasts_and_follows_rename(server, s):
    assert s.ok(r"CREATE Drafts2 (USE (\Drafts))")
    md = server.maildir("alice")
    assert (md / ".Drafts2" / "maildock-specialuse").read_text() == \
        "\\Drafts\n"
    # another session (a later login) sees it
    s2 = Session(server)
    assert "\\Drafts" in s2.list()['"Drafts2"']
    assert s2.ok("RENAME Drafts2 Work.Drafts")
    got = s.list()
    assert '"Drafts2"' not in got
    assert "\\Drafts" in got['"Work.Drafts"']
    # DELETE takes it along: a new folder of that name has none
    assert s.ok("DELETE Work.Drafts") and s.ok("CREATE Work.Drafts")
    assert "\\Drafts" not in s.list()['"Work.Drafts"']


def test_configured_names_still_work(s):
    # imap.special_use.sent = Sent (default): no USE needed
    assert s.ok("CREATE Sent") and s.ok("CREATE Trash")
    # the configured use and the same one given at CREATE: listed once
    assert s.ok(r"CREATE Junk (USE (\Junk))")
    got = s.list()
    assert got['"Sent"'].count("\\Sent") == 1
    assert "\\Trash" in got['"Trash"']
    assert got['"Junk"'].count("\\Junk") == 1
    assert set(s.list('(SPECIAL-USE) "" "*"')) == {'"Sent"', '"Trash"',
                                                     '"Junk"'}


@pytest.mark.parametrize("use", [r"\Bogus", r"\All", r"\Flagged",
                                 r"\Sent \Nope"])
def test_unknown_use_is_no_useattr_and_creates_nothing(s, use):
    s.cmd("CREATE Odd (USE (%s))" % use)
    assert s.status.startswith("NO [USEATTR]"), s.status
    assert '"Odd"' not in s.list()
    assert s.ok("CREATE Odd")      # the name itself was fine


@pytest.mark.parametrize("params", [r"(FOO (\Sent))", r"(USE \Sent)",
                                    r"(USE)", "()", r"USE (\Sent)",
                                    r"(USE (Sent))"])
def test_malformed_create_params_are_bad(s, params):
    s.cmd("CREATE Odd " + params)
    assert s.status.startswith("BAD"), s.status
    assert '"Odd"' not in s.list()


def test_empty_use_list_creates_plain_folder(s):
    assert s.ok("CREATE Empty (USE ())"), s.status
    assert '"Empty"' in s.list()
    assert '"Empty"' not in s.list('(SPECIAL-USE) "" "*"')


def test_hand_edited_file_shows_only_known_uses(server, s):
    assert s.ok("CREATE Box")
    f = server.maildir("alice") / ".Box" / "maildock-specialuse"
    f.write_text("\\Archive\n) evil {5}\n\\Bogus\n\\archive\n")
    got = s.list()
    assert got['"Box"'].count("\\Archive") == 1
    assert not any("evil" in a or "Bogus" in a for a in got['"Box"'])
