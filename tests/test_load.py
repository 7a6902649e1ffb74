"""bench/load.py still runs: a short load (gunicorn 2 workers, wrk) over the sample, no errors.
The real figures come from a 60 s run (docs/benchmarks-load.md)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_short_load_run_has_no_errors(tmp_path):
    if not shutil.which("wrk"):
        pytest.skip("wrk is not installed (apt-get install wrk)")
    out = tmp_path / "load.json"
    res = subprocess.run([sys.executable, str(ROOT / "bench" / "load.py"), "--seconds", "8",
                          "--connections", "10", "--json", str(out)], capture_output=True,
                         text=True, timeout=300, cwd=ROOT)
    assert out.is_file(), res.stdout + res.stderr
    report = json.loads(out.read_text())
    assert report["total_errors"] == 0
    assert set(report["kinds"]) == {"tile", "info", "manifest", "search", "record"}
    assert all(k["requests"] > 0 for k in report["kinds"].values())
    assert "| tile |" in res.stdout
