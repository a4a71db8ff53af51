"""Every benchmark still runs: `python -m bench --smoke` (tiny sizes, its figures mean
nothing) in a child process, its results in a temporary folder (bench/results is left as
it is). A renamed route, a new rate limit or a changed helper breaks this test, not the
next `make bench`."""
import json
import os
import subprocess
import sys

import pytest

from bench.__main__ import NAMES

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.stack
@pytest.mark.timeout(660)  # about a minute alone; more on a machine busy with the other tests
def test_every_benchmark_runs_at_tiny_sizes(tmp_path, mongo_uri):
    env = {**os.environ, "MONGO_URI": mongo_uri}  # the test MongoDB (its own databases); its own moto
    answer = subprocess.run([sys.executable, "-m", "bench", "--smoke", "--results", str(tmp_path)], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=600)

    assert answer.returncode == 0, answer.stdout + answer.stderr
    for name in NAMES:
        with open(tmp_path / f"{name}.json", encoding="utf-8") as results:
            assert json.load(results)["profile"] == "smoke"
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "(smoke)" in summary and "## Headline figures" in summary
    load = json.loads((tmp_path / "load.json").read_text())["results"]
    assert load["failed"] == 0 and load["lost"] == 0, load
    crypto = json.loads((tmp_path / "crypto.json").read_text())["results"]["kms"]
    assert crypto["senders"] > 1  # more messages than one member may send: the limit is respected
