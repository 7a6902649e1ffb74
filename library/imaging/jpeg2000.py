"""The structure of a JPEG 2000 master, read from its headers before anything is decoded.

OpenJPEG, under Pillow, decodes a codestream whose tiles are missing without an error and fills
them with black, and Pillow's LOAD_TRUNCATED_IMAGES does the same for a cut file; either way a
few hundred bytes that declare 15000 x 15000 pixels cost a gigabyte and give a black master. So
``codec.open_master`` walks the codestream first: the SIZ marker gives the declared size and the
tile grid, each tile-part's SOT marker gives its length, and the walk checks that every tile is
there, that no tile-part runs past the end of the file, and that the codestream ends with EOC.
Reads a few bytes per tile-part (no pixels, no Pillow). Relies on ISO/IEC 15444-1: the JP2 box
layout (Annex I) and the codestream markers SOC, SIZ, SOT and EOC (Annex A).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

_SIGNATURE = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
_SOC, _SIZ, _SOT, _EOC = 0xFF4F, 0xFF51, 0xFF90, 0xFFD9
_SOT_SEGMENT = 12  # marker, Lsot, Isot, Psot, TPsot, TNsot
_SOD_MARKER = 2


class CodestreamError(ValueError):
    """The JPEG 2000 file is not a complete codestream; the message says what is wrong."""


@dataclass(frozen=True)
class Layout:
    """What the headers of a complete codestream declare."""

    width: int
    height: int
    components: int
    tiles: int


def _read(fh: BinaryIO, at: int, count: int) -> bytes:
    fh.seek(at)
    data = fh.read(count)
    if len(data) != count:
        raise CodestreamError(f"the file ends at byte {at + len(data)}, inside a header "
                              "(truncated)")
    return data


def _codestream_span(fh: BinaryIO, size: int) -> tuple[int, int]:
    """Start and end offsets of the codestream: the whole file, or the JP2 ``jp2c`` box."""
    head = _read(fh, 0, min(size, 12))
    if head[:2] == b"\xff\x4f":
        return 0, size
    if head != _SIGNATURE:
        raise CodestreamError("it is neither a JP2 file nor a raw codestream")
    at = 0
    while at < size:
        length, kind = struct.unpack(">I4s", _read(fh, at, 8))
        header = 8
        if length == 1:
            length = struct.unpack(">Q", _read(fh, at + 8, 8))[0]
            header = 16
        elif length == 0:
            length = size - at
        if length < header or at + length > size:
            raise CodestreamError(f"the {kind.decode('latin-1')!r} box at byte {at} runs past "
                                  "the end of the file (truncated)")
        if kind == b"jp2c":
            return at + header, at + length
        at += length
    raise CodestreamError("it holds no codestream (no jp2c box)")


def read_layout(fh: BinaryIO) -> Layout:
    """Walk the codestream's headers; CodestreamError if it is cut short or lacks a tile."""
    fh.seek(0, 2)
    size = fh.tell()
    start, end = _codestream_span(fh, size)
    marker, = struct.unpack(">H", _read(fh, start, 2))
    if marker != _SOC:
        raise CodestreamError("the codestream does not start with an SOC marker")
    marker, length = struct.unpack(">HH", _read(fh, start + 2, 4))
    if marker != _SIZ or length < 41:
        raise CodestreamError("the codestream has no SIZ marker after SOC")
    (xsiz, ysiz, xosiz, yosiz, xtsiz, ytsiz, xtosiz, ytosiz,
     components) = struct.unpack(">IIIIIIIIH", _read(fh, start + 8, 34))
    if xsiz <= xosiz or ysiz <= yosiz or not xtsiz or not ytsiz or not components:
        raise CodestreamError("its SIZ marker declares no pixels")
    across = -(-(xsiz - xtosiz) // xtsiz)
    down = -(-(ysiz - ytosiz) // ytsiz)
    tiles = across * down
    layout = Layout(xsiz - xosiz, ysiz - yosiz, components, tiles)
    # Main header: marker segments, each with its length, up to the first tile-part.
    at = start + 4 + length
    while True:
        marker, seg = struct.unpack(">HH", _read(fh, at, 4))
        if marker == _SOT:
            break
        if marker >> 8 != 0xFF or seg < 2:
            raise CodestreamError(f"the main header is damaged at byte {at - start}")
        at += 2 + seg
    if tiles * (_SOT_SEGMENT + _SOD_MARKER) > end - at:
        # Each tile needs at least one tile-part header: the file cannot hold them all.
        room = (end - at) // (_SOT_SEGMENT + _SOD_MARKER)
        raise CodestreamError(f"it declares {tiles:,} tiles but has room for {room:,} at most "
                              "(truncated or crafted; missing tiles would decode as black)")
    parts: dict[int, int] = {}
    announced: dict[int, int] = {}
    while True:
        marker, = struct.unpack(">H", _read(fh, at, 2))
        if marker == _EOC:
            break
        if marker != _SOT:
            raise CodestreamError(f"byte {at - start} of the codestream is neither a tile-part "
                                  "nor its end (EOC)")
        _, _, tile, psot, _, count = struct.unpack(">HHHIBB", _read(fh, at, _SOT_SEGMENT))
        if psot == 0:  # "to the end of the codestream": only the last tile-part may say so
            psot = end - 2 - at
        if tile >= tiles:
            raise CodestreamError(f"a tile-part names tile {tile}, past the {tiles} declared")
        if psot < _SOT_SEGMENT + _SOD_MARKER or at + psot > end:
            raise CodestreamError(f"the tile-part at byte {at - start} runs past the end of the "
                                  "file (truncated)")
        parts[tile] = parts.get(tile, 0) + 1
        if count:
            announced[tile] = count
        at += psot
    missing = tiles - len(parts)
    if missing:
        raise CodestreamError(f"{missing:,} of its {tiles:,} tiles are missing (truncated or "
                              "crafted; they would decode as black)")
    short = [t for t, want in announced.items() if parts[t] < want]
    if short:
        raise CodestreamError(f"tile {short[0]} lacks {announced[short[0]] - parts[short[0]]} "
                              "of its tile-parts (truncated)")
    return layout
