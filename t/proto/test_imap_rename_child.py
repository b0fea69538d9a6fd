"""RENAME of a folder into its own child is refused (found by a fresh
review: it succeeded and left an empty parent with a new UIDVALIDITY)."""


def test_rename_into_own_child_is_refused(alice):
    alice.deliver("alice", "From: a@b\r\nSubject: s\r\n\r\nbody\r\n", folder="Foo")
    m = alice.login_imap()
    typ, data = m.rename("Foo", "Foo.Bar")
    assert typ == "NO", data
    typ, data = m.status("Foo", "(MESSAGES)")
    assert typ == "OK" and b"MESSAGES 1" in data[0]
    typ, data = m.list('""', "Foo*")
    assert b'"Foo.Bar"' not in b"".join(data)
    assert m.rename("Foo", "Foobar")[0] == "OK"  # a sibling is fine
    m.logout()
