"""JPEG 2000 masters that would decode as black (issue 11 point 11) are refused before decoding.

OpenJPEG fills a missing tile with black and Pillow's LOAD_TRUNCATED_IMAGES a cut file, so a
175-byte JP2 declaring 15000 x 15000 pixels used to become a black 225 MP master (1 GB peak).
"""
from __future__ import annotations

import io
import json
import resource
import struct
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image, ImageFile

from library import imaging
from library.cli import cli
from library.errors import ImageError
from library.imaging.jpeg2000 import CodestreamError, read_layout


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def crafted(width: int, height: int, tile: int, *, ihdr: tuple[int, int] | None = None) -> bytes:
    """A JP2 of one grey component whose codestream holds tile 0 only (six empty packets)."""
    siz = struct.pack(">HIIIIIIIIH", 0, width, height, 0, 0, tile, tile, 0, 0, 1) + b"\x07\x01\x01"
    cod = bytes([0, 0, 0, 1, 0, 5, 4, 4, 0, 1])  # LRCP, 1 layer, 5 levels, 64x64 blocks, 5-3
    qcd = bytes([0x40] * 17)
    body = b"\x00" * 6
    codestream = (b"\xff\x4f" + b"\xff\x51" + struct.pack(">H", 2 + len(siz)) + siz
                  + b"\xff\x52" + struct.pack(">H", 2 + len(cod)) + cod
                  + b"\xff\x5c" + struct.pack(">H", 2 + len(qcd)) + qcd
                  + b"\xff\x90" + struct.pack(">HHIBB", 10, 0, 14 + len(body), 0, 1)
                  + b"\xff\x93" + body + b"\xff\xd9")
    w, h = ihdr or (width, height)
    header = _box(b"ihdr", struct.pack(">IIHBBBB", h, w, 1, 7, 7, 0, 0))
    return (_box(b"jP  ", b"\r\n\x87\n") + _box(b"ftyp", b"jp2 \0\0\0\0jp2 ")
            + _box(b"jp2h", header) + _box(b"jp2c", codestream))


def real_jp2(**save) -> bytes:
    """A small real page, saved by Pillow (OpenJPEG) in 4 tiles."""
    im = Image.effect_noise((256, 256), 40).convert("RGB")
    buf = io.BytesIO()
    im.save(buf, "JPEG2000", tile_size=(128, 128), **save)
    return buf.getvalue()


def tile_parts(data: bytes) -> list[int]:
    at = data.index(b"\xff\x90")
    starts = []
    while data[at:at + 2] == b"\xff\x90":
        starts.append(at)
        at += struct.unpack(">I", data[at + 6:at + 10])[0]
    return starts


def test_a_tiny_jp2_declaring_15000_squared_is_refused_before_decoding(tmp_path):
    p = tmp_path / "0001.jp2"
    p.write_bytes(crafted(15000, 15000, 512))
    assert p.stat().st_size < 200
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    with pytest.raises(ImageError) as exc:
        imaging.probe(p, "batch/bomb-1/images/0001.jp2")
    assert time.perf_counter() - t0 < 1.0
    # nothing near the 225 MB of pixels was allocated (ru_maxrss is in KB on Linux)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 50_000
    message = exc.value.message
    assert message.startswith("batch/bomb-1/images/0001.jp2 is not a complete JPEG 2000 image")
    assert "declares 900 tiles" in message and "black" in message


def test_a_real_j2k_cut_after_its_first_tile_is_refused(tmp_path):
    data = real_jp2(no_jp2=True)  # a raw codestream: no box length to give the cut away
    cut = data[:tile_parts(data)[1]] + b"\xff\xd9"  # well-formed end, three tiles gone
    p = tmp_path / "cut.j2k"
    p.write_bytes(cut)
    with pytest.raises(ImageError, match=r"cut\.j2k is not a complete JPEG 2000 image: 3 of "):
        imaging.probe(p, "cut.j2k")


@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.99])
def test_a_truncated_real_jp2_is_refused_even_if_pillow_would_fill_it(tmp_path, monkeypatch,
                                                                         fraction):
    data = real_jp2()
    p = tmp_path / "half.jp2"
    p.write_bytes(data[:int(len(data) * fraction)])
    # Some importer may switch this on process-wide; the codestream walk does not depend on it.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(ImageError, match=r"half\.jp2 is not a complete JPEG 2000.*truncated"):
        imaging.probe(p, "half.jp2")


def test_a_codestream_larger_than_its_jp2_header_is_refused(tmp_path):
    p = tmp_path / "liar.jp2"
    p.write_bytes(crafted(15000, 15000, 15000, ihdr=(100, 100)))
    with pytest.raises(ImageError, match=r"liar\.jp2.*15000 x 15000"):
        imaging.probe(p, "liar.jp2")


@pytest.mark.parametrize("save", [{}, {"no_jp2": True}, {"progression": "RPCL"},
                                  {"quality_mode": "rates", "quality_layers": [40, 20]}],
                         ids=["jp2", "raw-j2k", "rpcl", "layers"])
def test_complete_jp2_files_still_pass(tmp_path, save):
    p = tmp_path / ("page.j2k" if save.get("no_jp2") else "page.jp2")
    p.write_bytes(real_jp2(**save))
    info = imaging.probe(p, p.name)
    assert (info.width, info.height, info.format) == (256, 256, "JPEG2000")
    with p.open("rb") as fh:
        layout = read_layout(fh)
    assert (layout.width, layout.height, layout.components, layout.tiles) == (256, 256, 3, 4)


def test_a_single_tile_jp2_of_empty_packets_is_a_valid_grey_page(tmp_path):
    """Complete and decodable: the walk does not refuse a codestream for being small."""
    p = tmp_path / "grey.jp2"
    p.write_bytes(crafted(300, 200, 300))
    info = imaging.probe(p, "grey.jp2")
    assert (info.width, info.height, info.mode) == (300, 200, "L")


def test_a_file_that_is_not_jpeg2000_is_no_codestream():
    with pytest.raises(CodestreamError, match="neither a JP2 file nor a raw codestream"):
        read_layout(io.BytesIO(b"GIF89a" + b"\0" * 40))


def _batch(root: Path, image: bytes) -> Path:
    folder = root / "batch" / "bomb-1"
    (folder / "images").mkdir(parents=True)
    (folder / "images" / "0001.jp2").write_bytes(image)
    (folder / "bomb-1.xml").write_text(
        '<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt><title>B'
        '</title></titleStmt><publicationStmt><p/></publicationStmt><sourceDesc><p/>'
        '</sourceDesc></fileDesc></teiHeader><text><body><p><pb n="1" facs="images/0001.jp2"/>'
        'text</p></body></text></TEI>', encoding="utf-8")
    return root / "batch"


def test_check_and_ingest_refuse_the_crafted_jp2_naming_it(tmp_path):
    batch = _batch(tmp_path, crafted(15000, 15000, 512))
    lib = ["--library", str(tmp_path / "lib")]
    runner = CliRunner()
    res = runner.invoke(cli, lib + ["check", str(batch), "--no-schema", "--format", "json"],
                        catch_exceptions=False)
    assert res.exit_code == 1, res.output
    found = [d for it in json.loads(res.output)["items"] for d in it["diagnostics"]
             if d["code"] == "bad-image"]
    assert len(found) == 1 and "bomb-1/images/0001.jp2" in found[0]["message"], found
    assert "declares 900 tiles" in found[0]["message"]
    res = runner.invoke(cli, lib + ["ingest", str(batch)], catch_exceptions=False)
    assert res.exit_code != 0
    assert "bomb-1/images/0001.jp2" in res.output + res.stderr
    assert "Traceback" not in res.output
    assert not list((tmp_path / "lib" / "items").glob("bomb-1*"))
