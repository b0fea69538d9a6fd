"""PREVIEW (RFC 8970): FETCH PREVIEW gives at most 256 characters of plain
text from the first text/plain or text/html part that is not an
attachment, decoded to UTF-8, on one line; it does not set \\Seen."""
import base64
import re

import pytest

from imapwire import Wire

HDR = "From: a@example.org\r\nTo: b@example.org\r\nSubject: p\r\n"


@pytest.fixture
def w(server, alice):
    c = Wire(server)
    yield c
    c.close()


def preview(w, msg):
    """append msg (str or bytes) and return its PREVIEW text"""
    w.append("INBOX", msg)
    assert w.ok("SELECT INBOX")
    n = int([l for l in w.cmd("NOOP") + w.cmd("SELECT INBOX")
             if l.endswith(" EXISTS")][-1].split()[1])
    w.n += 1
    tag = "p%d" % w.n
    w.raw.sendline("%s FETCH %d (PREVIEW)" % (tag, n))
    line = w.raw.readline()
    m = re.match(r'\* \d+ FETCH \(PREVIEW (?:"((?:[^"\\]|\\.)*)"|\{(\d+)\})',
                 line)
    assert m, line
    if m.group(2) is not None:
        text = w.raw.read_exact(int(m.group(2))).decode("utf-8")
        w.raw.readline()
    else:
        text = re.sub(r'\\(.)', r'\1', m.group(1))
    assert w.raw.read_until_tagged(tag)[-1].startswith(tag + " OK")
    return text


def test_capability(w):
    assert "PREVIEW" in w.caps()


def test_plain_text_one_line(w):
    body = "Hello  there,\r\n\r\n\tsee you\r\n  tomorrow.\r\n"
    assert preview(w, HDR + "\r\n" + body) == "Hello there, see you tomorrow."


def test_alternative_uses_plain(w):
    msg = (HDR + "MIME-Version: 1.0\r\nContent-Type: multipart/alternative;"
           " boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
           "plain words\r\n--b\r\nContent-Type: text/html\r\n\r\n"
           "<p>html words</p>\r\n--b--\r\n")
    assert preview(w, msg) == "plain words"


def test_html_only_stripped(w):
    msg = (HDR + "MIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n"
           "<html><head><style>p { color: red }</style></head><body>"
           "<p>Tom &amp; Jerry&nbsp;&lt;3</p><script>x=1</script>"
           "<div>bye</div></body></html>\r\n")
    assert preview(w, msg) == "Tom & Jerry <3 bye"


def test_base64_latin1_decoded_to_utf8(w):
    body = base64.b64encode("Grüße aus Köln".encode("latin-1")).decode()
    msg = (HDR + "MIME-Version: 1.0\r\nContent-Type: text/plain; "
           "charset=iso-8859-1\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           + body + "\r\n")
    assert preview(w, msg) == "Grüße aus Köln"


def test_256_characters_at_most(w):
    body = ("é" * 300) + "\r\n"
    msg = (HDR + "MIME-Version: 1.0\r\nContent-Type: text/plain; "
           "charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body)
    got = preview(w, msg)
    assert got == "é" * 256
    words = " ".join(["word"] * 100)
    got = preview(w, HDR + "\r\n" + words + "\r\n")
    assert len(got) <= 256 and words.startswith(got) and \
        not got.endswith(" ")


def test_attachments_skipped(w):
    msg = (HDR + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed;"
           " boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n"
           "Content-Disposition: attachment; filename=a.txt\r\n\r\n"
           "attached text\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n"
           "Subject: inner\r\n\r\ninner text\r\n--b\r\n"
           "Content-Type: text/plain\r\n\r\nreal text\r\n--b--\r\n")
    assert preview(w, msg) == "real text"


def test_no_text_part_is_empty(w):
    msg = (HDR + "MIME-Version: 1.0\r\nContent-Type: application/pdf\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n")
    assert preview(w, msg) == ""


def test_lazy_modifier_and_no_seen(w):
    w.append("INBOX", HDR + "\r\nlazy body\r\n")
    assert w.ok("SELECT INBOX")
    lines = w.cmd("FETCH 1 (FLAGS PREVIEW (LAZY) UID)")
    assert w.status.startswith("OK")
    assert lines == ['* 1 FETCH (UID 1 FLAGS (\\Recent) PREVIEW "lazy body")'] \
        or 'PREVIEW "lazy body"' in lines[0], lines
    assert "\\Seen" not in w.cmd("FETCH 1 FLAGS")[0]


@pytest.mark.parametrize("items", ["(PREVIEW (BOGUS))", "(PREVIEW ())",
                                   "(PREVIEW (LAZY) (LAZY))",
                                   "PREVIEW.PEEK", "(PREVIEW LAZY)"])
def test_bad_syntax(w, items):
    w.append("INBOX", HDR + "\r\nx\r\n")
    assert w.ok("SELECT INBOX")
    w.cmd("FETCH 1 " + items)
    assert w.status.startswith("BAD"), (items, w.status)


def test_invalid_utf8_replaced(w):
    # found by the corpus: a part declared UTF-8 is passed through as is
    msg = (HDR + "MIME-Version: 1.0\r\nContent-Type: text/plain; "
           "charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n").encode() \
        + b"ok \xf4\x41 \xc3\xa9 end\x85\r\n"
    assert preview(w, msg) == "ok \ufffdA \u00e9 end\ufffd"


def test_large_part_read_from_its_start(w):
    # only the first 64 KiB of a part are decoded for its preview
    body = base64.encodebytes(("start of a long text " + "z" * 3000000)
                              .encode()).decode().replace("\n", "\r\n")
    msg = (HDR + "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\n" + body)
    got = preview(w, msg)
    assert got.startswith("start of a long text zzz") and len(got) == 256
