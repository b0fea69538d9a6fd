"""imaptest's scripted tests that need CONDSTORE (esearch-condstore: SEARCH
MODSEQ with ESEARCH's MIN, MAX and ALL, the FETCH MODSEQ of STOREs)."""
import re

import pytest

from conftest import USERS
from stress_util import script_run, stress_binary, stress_mbox


@pytest.mark.slow
@pytest.mark.parametrize("name", ["esearch-condstore"])
def test_imaptest_condstore_script(alice, tmp_path, name):
    binary = stress_binary()
    if binary is None or not stress_mbox().is_file():
        pytest.skip("imaptest or its tests not found")
    user, password = USERS["alice"]
    rc, out = script_run(binary, alice.imap_port, name, tmp_path, user,
                         password)
    counts = [(int(a), int(b)) for a, b in
              re.findall(r"(\d+)/(\d+) individual commands failed", out)]
    assert rc == 0 and counts, out[-3000:]
    assert all(a == 0 for a, _ in counts), out[-3000:]
    assert sum(b for _, b in counts) > 0, out[-3000:]   # it did run
