"""FETCH of messages with huge header fields (found by a fresh review:
a 1 MB Subject made FETCH ENVELOPE answer NO [LIMIT] and a range FETCH
leave the message out)."""


def test_envelope_of_a_megabyte_subject(alice):
    subject = "X" * (1024 * 1024)
    alice.deliver("alice", "From: a@b\r\nTo: c@d\r\n\r\nfirst\r\n")
    alice.deliver("alice", "From: a@b\r\nSubject: %s\r\n\r\nbody\r\n" % subject)
    alice.deliver("alice", "From: a@b\r\nTo: c@d\r\n\r\nlast\r\n")
    m = alice.login_imap()
    m.select("INBOX")
    typ, data = m.fetch("1:*", "(RFC822.SIZE ENVELOPE)")
    assert typ == "OK"
    heads = [d[0] if isinstance(d, tuple) else d for d in data]
    numbers = [h.split(b" ", 1)[0] for h in heads if h and h[:1].isdigit()]
    assert numbers == [b"1", b"2", b"3"]
    typ, data = m.fetch("2", "(ENVELOPE)")
    assert typ == "OK"
    text = b"".join(p for d in data for p in (d if isinstance(d, tuple) else (d,)))
    assert subject.encode() in text
    m.logout()
