"""A tagged IMAP session over a raw socket, for tests that check the exact
lines of a response (extensions imaplib does not parse)."""


class Wire:
    def __init__(self, server, user="alice", password=None, tls=False):
        from conftest import USERS
        self.server = server
        self.raw = server.raw(server.imaps_port if tls else server.imap_port,
                              tls=tls)
        self.greeting = self.raw.readline()
        assert self.greeting.startswith("* OK"), self.greeting
        self.n = 0
        self.status = ""
        if user is not None:
            login, pw = USERS[user]
            assert self.ok('LOGIN %s "%s"' % (
                login, (password or pw).replace("\\", "\\\\")
                .replace('"', '\\"'))), self.status

    def cmd(self, text):
        """Untagged lines of text's response; the tagged text is in
        self.status ("OK ...", "NO ...", "BAD ...")."""
        self.n += 1
        tag = "w%d" % self.n
        self.raw.sendline("%s %s" % (tag, text))
        lines = self.raw.read_until_tagged(tag)
        self.status = lines[-1][len(tag) + 1:]
        return lines[:-1]

    def ok(self, text):
        self.cmd(text)
        return self.status.startswith("OK")

    def caps(self):
        return self.cmd("CAPABILITY")[0].split()[2:]

    def append(self, folder, msg, flags=""):
        """APPEND msg (bytes or str) with a synchronizing literal."""
        if isinstance(msg, str):
            msg = msg.encode()
        self.n += 1
        tag = "w%d" % self.n
        self.raw.sendline("%s APPEND %s (%s) {%d}" % (tag, folder, flags,
                                                      len(msg)))
        assert self.raw.readline().startswith("+")
        self.raw.send(msg + b"\r\n")
        lines = self.raw.read_until_tagged(tag)
        self.status = lines[-1][len(tag) + 1:]
        assert self.status.startswith("OK"), self.status
        return lines[:-1]

    def close(self):
        self.raw.close()


def message(subject="hello", body="body text\r\n", extra=""):
    return ("From: a@example.org\r\nTo: b@example.org\r\nSubject: %s\r\n"
            "Message-ID: <%s@example.org>\r\n%s\r\n%s" % (
                subject, subject.replace(" ", "."), extra, body))
