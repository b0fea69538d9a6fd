#!/usr/bin/python3
# Maildock - SPDX-License-Identifier: MIT
"""Compare our FETCH answers for the corpus with Dovecot's golden answers.

Usage: corpus.py COMPARE_BIN CORPUS_DIR [--floor N] [--show ITEM] [--only SUBSTR]

COMPARE_BIN (t/corpus/corpus-compare) prints, for each message file it reads
on stdin, our RFC822.SIZE, ENVELOPE, BODYSTRUCTURE, BODY and section bytes.
This script parses the IMAP syntax, compares each item with
CORPUS_DIR/golden/dovecot/<source>/<name>.json (type, subtype, parameter
names, disposition type and encoding case-insensitively, as
golden/README.md says), prints the number of exact matches per item and
exits 1 when the total is below the floor.
"""
import hashlib
import json
import os
import re
import unicodedata
import subprocess
import sys

ITEMS = ["size", "envelope", "bodystructure", "body", "envelope-wire",
         "bodystructure-wire", "HEADER", "TEXT",
         "HEADER.FIELDS", "]<0.100>", "parts", "BODY[n]", "BODY[n.MIME]"]
FIELDS_KEY = "HEADER.FIELDS (FROM TO CC SUBJECT DATE MESSAGE-ID)"


class ParseError(Exception):
    pass


def parse_imap(data):
    """Parse one IMAP value (list/string/number/NIL) from bytes."""
    pos = 0

    def skip_sp():
        nonlocal pos
        while pos < len(data) and data[pos] == 0x20:
            pos += 1

    def value():
        nonlocal pos
        skip_sp()
        if pos >= len(data):
            raise ParseError("eof")
        c = data[pos]
        if c == 0x28:  # (
            pos += 1
            out = []
            while True:
                skip_sp()
                if pos >= len(data):
                    raise ParseError("unterminated list")
                if data[pos] == 0x29:
                    pos += 1
                    return out
                out.append(value())
        if c == 0x22:  # "
            pos += 1
            buf = bytearray()
            while pos < len(data) and data[pos] != 0x22:
                if data[pos] == 0x5c:
                    pos += 1
                buf.append(data[pos])
                pos += 1
            pos += 1
            return buf.decode("utf-8", "surrogateescape")
        if c == 0x7b:  # {
            end = data.index(b"}", pos)
            n = int(data[pos + 1:end])
            start = end + 3
            pos = start + n
            return data[start:pos].decode("utf-8", "surrogateescape")
        start = pos
        while pos < len(data) and data[pos] not in (0x20, 0x28, 0x29):
            pos += 1
        atom = data[start:pos].decode("ascii", "replace")
        if atom.upper() == "NIL":
            return None
        try:
            return int(atom)
        except ValueError:
            return atom

    v = value()
    return v


def lower(s):
    return s.lower() if isinstance(s, str) else s


def norm_params(p):
    if not isinstance(p, list):
        return p
    return [lower(x) if i % 2 == 0 else x for i, x in enumerate(p)]


def norm_ext(ext):
    """md5/disposition/language/location tail of a body part."""
    out = list(ext)
    if out and isinstance(out[0], list):
        d = out[0]
        out[0] = [lower(d[0])] + [norm_params(x) for x in d[1:]]
    return out


def norm_body(b):
    if not isinstance(b, list) or not b:
        return b
    if isinstance(b[0], list):
        i = 0
        kids = []
        while i < len(b) and isinstance(b[i], list):
            kids.append(norm_body(b[i]))
            i += 1
        rest = b[i:]
        if rest:
            rest[0] = lower(rest[0])
        if len(rest) > 1:
            rest[1] = norm_params(rest[1])
        if len(rest) > 2:
            rest[2:] = norm_ext(rest[2:])
        return kids + rest
    out = list(b)
    out[0] = lower(out[0])
    if len(out) > 1:
        out[1] = lower(out[1])
    if len(out) > 2:
        out[2] = norm_params(out[2])
    if len(out) > 5:
        out[5] = lower(out[5])
    n = 7
    if out[0] == "text":
        n = 8
    elif out[0] == "message" and len(out) > 1 and out[1] == "rfc822" \
            and len(out) > 9 and isinstance(out[8], list):
        out[8] = norm_body(out[8])
        n = 10
    if len(out) > n + 1:
        out[n + 1:] = norm_ext(out[n + 1:])
    return out


def read_records(proc):
    out = proc.stdout
    cur = None
    while True:
        line = out.readline()
        if not line:
            return
        line = line.rstrip(b"\n")
        if line.startswith(b"M "):
            cur = {"file": line[2:].decode("utf-8", "surrogateescape"),
                   "sections": {}}
        elif line == b"ERROR":
            cur["error"] = True
        elif line.startswith(b"S "):
            cur["size"] = int(line[2:])
        elif line == b"END":
            yield cur
            cur = None
        else:
            tag, rest = line.split(b" ", 1)
            spec, n = rest.rsplit(b" ", 1)
            data = out.read(int(n))
            out.read(1)
            if tag == b"X":
                cur["sections"][spec.decode()] = data
            elif tag == b"H":
                cur.setdefault("headers", []).append(
                    (spec.decode("utf-8", "replace").lower(),
                     data.decode("utf-8", "replace")))
            elif tag == b"T":
                cur.setdefault("texts", []).append(
                    data.decode("utf-8", "replace"))
            else:
                cur[tag.decode()] = data
        if cur is not None and cur.get("error"):
            yield cur
            cur = None


def sec_eq(ours, gold):
    if ours is None or gold is None:
        return False
    return (len(ours) == gold["len"] and
            hashlib.sha256(ours).hexdigest() == gold["sha256"])


def compare(rec, gold, diffs):
    res = {}

    def note(item, ok, detail=None):
        res[item] = ok
        if not ok:
            diffs.setdefault(item, []).append((rec["file"], detail))

    if rec.get("error"):
        for item in ITEMS:
            note(item, False, "parse error")
        return res
    note("size", rec["size"] == gold["size"], (rec["size"], gold["size"]))
    for tag, item in (("E", "envelope"), ("B", "bodystructure"),
                      ("b", "body")):
        try:
            ours = parse_imap(rec[tag])
        except (ParseError, ValueError, IndexError) as e:
            note(item, False, "unparsable: %s" % e)
            continue
        gv = gold[item]
        if item != "envelope":
            ok = norm_body(ours) == norm_body(gv)
        else:
            ok = ours == gv
        note(item, ok, (rec[tag][:300], gold["raw"].get(item, "")[:300]
                        if item != "body" else ""))
    # byte-exact wire form (quoting, literals, case) against Dovecot's
    for tag, item, key in (("E", "envelope-wire", "envelope"),
                           ("B", "bodystructure-wire", "bodystructure")):
        ours = rec[tag].decode("utf-8", "surrogateescape")
        note(item, ours == gold["raw"][key], (ours[:200], gold["raw"][key][:200]))
    gs = gold["sections"]
    secs = rec["sections"]
    for key, item in (("HEADER", "HEADER"), ("TEXT", "TEXT"),
                      (FIELDS_KEY, "HEADER.FIELDS"), ("]<0.100>", "]<0.100>")):
        note(item, sec_eq(secs.get(key), gs.get(key)),
             (len(secs.get(key) or b""), gs.get(key, {}).get("len")))
    gold_parts = [k for k in gs if k[0].isdigit() and not k.endswith("MIME")]
    our_parts = [k for k in secs if k[0].isdigit() and not k.endswith("MIME")]
    note("parts", gold_parts == our_parts, (our_parts, gold_parts))
    for suffix, item in (("", "BODY[n]"), (".MIME", "BODY[n.MIME]")):
        bad = [p for p in gold_parts
               if not sec_eq(secs.get(p + suffix), gs.get(p + suffix))]
        note(item, not bad, [(p + suffix, len(secs.get(p + suffix) or b""),
                              gs.get(p + suffix, {}).get("len"))
                             for p in bad[:3]])
    return res


SEARCH_RE = re.compile(r'^SEARCH (?:CHARSET \S+ )?'
                       r'(SUBJECT|FROM|TO|CC|BCC|BODY) "([^"]*)"$')


def fold(text):
    return unicodedata.normalize("NFC", text).casefold()


def search_check(corpus, decoded):
    """Evaluate the golden SUBJECT/FROM/TO/CC/BCC/BODY queries on our decoded
    header values and part texts (substring match after case folding) and
    compare the message sets with Dovecot's. Returns (agree, total, notes)."""
    path = os.path.join(corpus, "golden", "dovecot", "queries.json")
    if not os.path.exists(path):
        return 0, 0, []
    with open(path, encoding="utf-8") as f:
        queries = json.load(f)
    agree, total, notes = 0, 0, []
    for q in queries:
        m = SEARCH_RE.match(q["command"])
        if m is None:
            continue
        kind, key = m.group(1).lower(), fold(m.group(2))
        ours = set()
        for rel, (headers, texts) in decoded.items():
            hay = texts if kind == "body" else \
                [v for n, v in headers if n == kind]
            if any(key in fold(h) for h in hay):
                ours.add(rel)
        gold = set(q["result"])
        total += 1
        if ours == gold:
            agree += 1
        else:
            notes.append("%s: only Dovecot %s, only ours %s"
                         % (q["command"], sorted(gold - ours)[:3],
                            sorted(ours - gold)[:3]))
    return agree, total, notes


def main():
    args = sys.argv[1:]
    floor, show, only = 0, None, None
    if "--floor" in args:
        i = args.index("--floor")
        floor = int(args[i + 1])
        del args[i:i + 2]
    if "--show" in args:
        i = args.index("--show")
        show = args[i + 1]
        del args[i:i + 2]
    if "--only" in args:
        i = args.index("--only")
        only = args[i + 1]
        del args[i:i + 2]
    binary, corpus = args[0], args[1]
    msgdir = os.path.join(corpus, "messages")
    files = []
    for src in sorted(os.listdir(msgdir)):
        for name in sorted(os.listdir(os.path.join(msgdir, src))):
            if name.endswith(".eml"):
                rel = os.path.join(src, name)
                if only is None or only in rel:
                    files.append(rel)
    proc = subprocess.Popen([binary], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)
    feed = "".join(os.path.join(msgdir, f) + "\n" for f in files)
    import threading
    t = threading.Thread(target=lambda: (proc.stdin.write(feed.encode()),
                                         proc.stdin.close()))
    t.start()
    counts = {item: 0 for item in ITEMS}
    total = 0
    diffs = {}
    decoded = {}
    for rec in read_records(proc):
        rel = os.path.relpath(rec["file"], msgdir)
        gpath = os.path.join(corpus, "golden", "dovecot",
                             rel[:-4] + ".json")
        with open(gpath, encoding="utf-8", errors="surrogateescape") as f:
            gold = json.load(f)
        if "error" in gold:
            continue
        decoded["messages/" + rel] = (rec.get("headers", []),
                                      rec.get("texts", []))
        total += 1
        for item, ok in compare(rec, gold, diffs).items():
            counts[item] += ok
    t.join()
    rc = proc.wait()
    s_agree, s_total, s_notes = search_check(corpus, decoded)
    matched = sum(counts.values()) + s_agree
    print("corpus: %d messages compared with Dovecot 2.3 golden answers"
          % total)
    for item in ITEMS:
        print("  %-18s %5d / %d" % (item, counts[item], total))
    print("  %-18s %5d / %d (SUBJECT/FROM/TO/CC/BCC/BODY queries of "
          "queries.json on our decoded text)" % ("search", s_agree, s_total))
    for note in s_notes:
        print("    differs: " + note)
    print("  total              %5d / %d (floor %d)"
          % (matched, total * len(ITEMS) + s_total, floor))
    if show is not None:
        for f, d in diffs.get(show, [])[:40]:
            print("DIFF %s %s: %r" % (show, f, d))
    if rc != 0:
        print("corpus-compare exited with %d" % rc)
        return 1
    return 0 if matched >= floor else 1


if __name__ == "__main__":
    sys.exit(main())
