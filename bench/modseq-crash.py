#!/usr/bin/python3
"""The modseq crash test of t/proto/test_crash_modseq.py with 200 SIGKILLs
(issue 14), for a soak outside CI. Prints the messages changed and the
final HIGHESTMODSEQ; an assertion error names a lost or backward modseq.

    cd build && python3 ../bench/modseq-crash.py [--kills 200] [--seed 14]
"""
import argparse
import os
import pathlib
import sys
import tempfile

SRC = pathlib.Path(__file__).resolve().parent.parent
os.environ.setdefault("top_srcdir", str(SRC))
os.environ.setdefault("top_builddir", os.getcwd())
sys.path.insert(0, str(SRC / "t" / "proto"))
from conftest import Maildock  # noqa: E402
from test_crash_modseq import kill_loop  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=200)
    ap.add_argument("--seed", type=int, default=14)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="maildock-modseq-") as d:
        srv = Maildock(d).start()
        try:
            changed, high = kill_loop(srv, args.kills, args.seed)
        finally:
            srv.stop()
    print("kills=%d messages changed=%d final HIGHESTMODSEQ=%d: no modseq "
          "went back, no acknowledged change missing" % (args.kills, changed,
                                                         high))


if __name__ == "__main__":
    main()
