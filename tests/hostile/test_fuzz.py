"""Fuzzing with hypothesis: the TEI page splitter, the safe XML parser and the IIIF Image API
URL parser either succeed with a sane result or raise a SudurError; nothing else escapes.

(atheris was not used: it has no wheel for this Python and needs clang to build.)
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from ingest.tei import parse_tei
from ingest.xmlsafe import parse_xml_bytes
from library.errors import SudurError
from library.iiif_image import parse_request
from library.settings import Settings

TEI_NS = "http://www.tei-c.org/ns/1.0"
HEADER = ("<teiHeader><fileDesc><titleStmt><title>F</title></titleStmt><publicationStmt><p>t"
          "</p></publicationStmt><sourceDesc><p>t</p></sourceDesc></fileDesc></teiHeader>")
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# --- the TEI page splitter -----------------------------------------------------------------------

CONTAINERS = ("div", "p", "l", "lg", "ab", "hi", "seg", "quote")


@st.composite
def body(draw, depth: int = 0) -> list:
    """A random body: nested containers holding words, <lb/> and <pb/> anywhere."""
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["word", "word", "pb", "lb", "el"] if depth < 5
                                    else ["word", "pb", "lb"]))
        if kind == "el":
            parts.append((draw(st.sampled_from(CONTAINERS)), draw(body(depth + 1))))
        else:
            parts.append(kind)
    return parts


def render(parts, counter: list[int], pbs: list[int]) -> str:
    out = []
    for part in parts:
        if part == "word":
            counter[0] += 1
            out.append(f" w{counter[0]}x ")
        elif part == "pb":
            pbs.append(counter[0])
            out.append(f'<pb n="{len(pbs)}"/>')
        elif part == "lb":
            out.append("<lb/>")
        else:
            name, inner = part
            out.append(f"<{name}>{render(inner, counter, pbs)}</{name}>")
    return "".join(out)


@FUZZ
@given(body())
def test_page_splitter_keeps_every_word_on_its_page(parts):
    counter, pbs = [0], []
    inner = render(parts, counter, pbs)
    doc = (f'<TEI xmlns="{TEI_NS}">{HEADER}<text><body><div>{inner}</div></body></text></TEI>')
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "f.xml"
        path.write_text(doc, encoding="utf-8")
        result = parse_tei(path, Path(d), "fuzz-1")
    pages = result.item.pages
    if pbs:
        # a page per <pb/>; text before the first <pb/> joins the first page
        assert len(pages) == len(pbs)
    text = " ".join(p.text for p in pages)
    for k in range(1, counter[0] + 1):
        assert text.count(f"w{k}x") == 1, (k, doc)
    for i, start in enumerate(pbs):
        end = pbs[i + 1] if i + 1 < len(pbs) else counter[0]
        for k in range(start + 1, end + 1):
            assert f"w{k}x" in pages[i].text, (k, i, doc)


# --- the safe XML parser -------------------------------------------------------------------------

@FUZZ
@given(st.one_of(
    st.binary(max_size=400),
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.lists(st.sampled_from([
        b"<?xml version='1.0'?>", b"<!DOCTYPE TEI [", b"<!ENTITY a 'x'>", b"]>", b"<TEI>",
        b"</TEI>", b"&a;", b"<![CDATA[", b"]]>", b"<!--", b"-->", b"\xef\xbb\xbf", b"\x00",
        b"<xi:include xmlns:xi='http://www.w3.org/2001/XInclude' href='/etc/passwd'/>",
        b"<!ENTITY % p SYSTEM 'http://127.0.0.1:9/'>", b"%p;", b"&#x0;", b"&#1114112;",
    ]), max_size=12).map(b"".join)))
def test_xml_parser_never_raises_anything_but_sudur_errors(data):
    try:
        tree = parse_xml_bytes(data, "fuzz.xml")
    except SudurError as exc:
        assert exc.file == "fuzz.xml"
        return
    root = tree.getroot()
    assert b"root:x:0:0" not in (root.text or "").encode()


# --- the IIIF Image API URL parser ---------------------------------------------------------------

LIMITS = Settings()
number = st.one_of(st.integers(-5, 20000).map(str), st.floats(allow_nan=True).map(str),
                   st.text("0123456789.,-e^!:pct", max_size=12))
region = st.one_of(st.sampled_from(["full", "square", "pct:", "pct:0,0,0,0"]),
                   st.builds(lambda *n: ",".join(n), number, number, number, number),
                   st.builds(lambda *n: "pct:" + ",".join(n), number, number, number, number),
                   st.text(max_size=30))
size = st.one_of(st.sampled_from(["max", "^max", "!1,1", "^!99999,99999", ",", "pct:0"]),
                 st.builds(lambda a, b: f"{a},{b}", number, number),
                 st.builds(lambda a, b: f"^!{a},{b}", number, number),
                 st.builds(lambda a: f"pct:{a}", number), st.text(max_size=30))
rotation = st.one_of(st.sampled_from(["0", "!0", "90", "360", "-90", "!"]), number,
                     st.text(max_size=10))
qf = st.one_of(st.sampled_from(["default.jpg", "color.png", "gray.webp", "bitonal.tif",
                                "default", ".jpg", "default.jpg.exe"]), st.text(max_size=20))


@FUZZ
@given(region, size, rotation, qf, st.integers(1, 30000), st.integers(1, 30000))
def test_image_url_parser_accepts_or_refuses_cleanly(r, s, rot, q, width, height):
    try:
        req = parse_request("img.0001", r, s, rot, q, width=width, height=height,
                            settings=LIMITS)
    except SudurError as exc:
        assert 400 <= exc.http_status < 600
        return
    x, y, rw, rh = req.region
    assert 0 <= x < width and 0 <= y < height and 0 < rw and 0 < rh
    assert x + rw <= width and y + rh <= height
    w, h = req.size
    assert 0 < w <= LIMITS.max_width and 0 < h <= LIMITS.max_height
    assert w * h <= LIMITS.max_area


# --- atheris (coverage-guided), when it is installed ---------------------------------------------

def test_atheris_finds_nothing():
    import subprocess
    import sys

    try:
        import atheris  # noqa: F401
    except ImportError:
        import pytest
        pytest.skip("atheris is not installed (pip install atheris)")
    script = Path(__file__).with_name("fuzz_atheris.py")
    root = Path(__file__).resolve().parents[2]
    for target in ("xml", "iiif"):
        res = subprocess.run([sys.executable, str(script), target, "-runs=3000",
                              "-max_total_time=20"], cwd=root, capture_output=True, text=True,
                             timeout=120, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
        assert res.returncode == 0, res.stderr[-3000:]
        assert "Done 3000 runs" in res.stderr or "max_total_time" in res.stderr, res.stderr[-500:]
