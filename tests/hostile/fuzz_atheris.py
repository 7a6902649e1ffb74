"""Coverage-guided fuzzing with atheris (libFuzzer), run as a script by test_fuzz.py.

Usage: python fuzz_atheris.py xml|iiif -runs=N   (libFuzzer exits the process when done, which
is why this is not a pytest test itself). Any exception other than a SudurError is a finding.
"""
from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from ingest.xmlsafe import parse_xml_bytes
    from library.errors import SudurError
    from library.iiif_image import parse_request
    from library.settings import Settings

LIMITS = Settings()


def fuzz_xml(data: bytes) -> None:
    try:
        parse_xml_bytes(data, "fuzz.xml")
    except SudurError:
        pass  # a clean refusal is the expected outcome for most inputs


def fuzz_iiif(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    parts = [fdp.ConsumeUnicodeNoSurrogates(24) for _ in range(4)]
    width, height = fdp.ConsumeIntInRange(1, 40000), fdp.ConsumeIntInRange(1, 40000)
    try:
        req = parse_request("img.0001", *parts, width=width, height=height, settings=LIMITS)
    except SudurError:
        return
    w, h = req.size
    if not (0 < w <= LIMITS.max_width and 0 < h <= LIMITS.max_height):
        raise AssertionError(f"size {req.size} beyond the limits for {parts}")


if __name__ == "__main__":
    target = {"xml": fuzz_xml, "iiif": fuzz_iiif}[sys.argv[1]]
    atheris.Setup([sys.argv[0]] + sys.argv[2:], target)
    atheris.Fuzz()
