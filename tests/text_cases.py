"""The hard search cases of ../shared/text/cases.tsv, read once for every test that runs them."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest


def load_cases(shared_dir: Path) -> list[dict]:
    path = shared_dir / "text" / "cases.tsv"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def decode(codepoints: str) -> str:
    """``"182E 1823"`` → the characters they name."""
    return "".join(chr(int(h, 16)) for h in codepoints.split())
