"""The TEI facsimile: surfaces, zones and the image file of each page.

``Facsimile`` indexes the ``<facsimile>`` (and ``<sourceDoc>``) once, so that a page mark's or a
line's ``facs`` resolves to a ``<graphic url>`` or to a zone's box. ``page_image`` turns that
into a path inside the item folder: a reference that escapes it raises ``PathEscapeError``, a
missing file is an error diagnostic left for the pipeline to act on.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional
from urllib.parse import unquote

from lxml import etree

from library.errors import PathEscapeError
from library.models import Box, Diagnostic
from library.numbers import plausible
from library.store import resolve_inside

from .tei_text import T, XML_ID


def _plausible(values: list[float]) -> bool:
    # NaN fails too (it would otherwise be kept or lost by min/max depending on its place)
    return all(plausible(v) for v in values)


def _zone_box(zone: etree._Element) -> Optional[Box]:
    try:
        if zone.get("points"):
            xs: list[float] = []
            ys: list[float] = []
            for pair in zone.get("points", "").split():
                x, y = pair.split(",")[:2]
                xs.append(float(x))
                ys.append(float(y))
            if not xs or not _plausible(xs + ys):
                return None
            x0, y0 = int(min(xs)), int(min(ys))
            return Box(x0, y0, max(0, int(round(max(xs))) - x0), max(0, int(round(max(ys))) - y0))
        if zone.get("ulx") is not None:
            ulx, uly = float(zone.get("ulx", "0")), float(zone.get("uly", "0"))
            lrx, lry = float(zone.get("lrx", "0")), float(zone.get("lry", "0"))
            if not _plausible([ulx, uly, lrx, lry]):
                return None
            return Box(int(ulx), int(uly), max(0, int(lrx - ulx)), max(0, int(lry - uly)))
    except (ValueError, OverflowError):  # not a number, or inf/1e999: no box, not a crash
        return None
    return None


class Facsimile:
    """Surfaces in order, and every xml:id of the facsimile section, for resolving ``facs``."""

    def __init__(self, root: etree._Element) -> None:
        self.ids: dict[str, etree._Element] = {}
        self.surfaces: list[etree._Element] = []
        for fac in root.iter(f"{T}facsimile", f"{T}sourceDoc"):
            for el in fac.iter():
                if not isinstance(el.tag, str):
                    continue
                xid = el.get(XML_ID)
                if xid:
                    self.ids[xid] = el
                if el.tag == f"{T}surface":
                    self.surfaces.append(el)
            if fac.get(XML_ID):
                self.ids[fac.get(XML_ID)] = fac

    @staticmethod
    def graphic_of(el: etree._Element) -> Optional[etree._Element]:
        if el.tag == f"{T}graphic":
            return el
        if el.tag == f"{T}zone":
            node = el.getparent()
            while node is not None and node.tag != f"{T}surface":
                node = node.getparent()
            return Facsimile.graphic_of(node) if node is not None else None
        return next(el.iter(f"{T}graphic"), None)

    def zone_box(self, ref: str) -> Optional[Box]:
        if not ref.startswith("#"):
            return None
        el = self.ids.get(ref[1:])
        if el is None or el.tag != f"{T}zone":
            return None
        return _zone_box(el)


def _resolve_image(ref: str, item_dir: Path, name: str, line: Optional[int],
                   diags: list[Diagnostic], what: str) -> str:
    try:
        target = resolve_inside(item_dir, ref)
    except PathEscapeError as exc:
        # resolve_inside names the absolute folder; the batch-relative file name says enough
        why = (f"{ref!r} points outside the item folder" if "points outside" in exc.message
               else exc.message)
        raise PathEscapeError(f"{what}: {why}", file=name, line=line) from None
    if not target.is_file() and ("%" in ref or "\\" in ref):
        # facs is a URI reference: try it percent-decoded, and Windows separators as "/"
        alt = unquote(ref).replace("\\", "/")
        if alt != ref:
            try:
                alt_target = resolve_inside(item_dir, alt)
            except PathEscapeError as exc:
                raise PathEscapeError(f"{what}: {exc.message}", file=name, line=line) from None
            if alt_target.is_file():
                target = alt_target
    rel = target.relative_to(item_dir.resolve()).as_posix()
    if not target.is_file():
        diags.append(Diagnostic("error", f"image {ref!r} named by {what} is not in the item folder",
                                name, line, "missing-image"))
    return rel


def page_image(facs: str, line: Optional[int], index: int, fac: Facsimile, item_dir: Path,
               name: str, diags: list[Diagnostic]) -> Optional[str]:
    """The image of page ``index`` (from 0): its mark's ``facs``, else the surface of that rank."""
    ref = facs
    what = f"<pb facs={ref!r}>"
    graphic: Optional[etree._Element] = None
    if ref.startswith("#"):
        target = fac.ids.get(ref[1:])
        graphic = fac.graphic_of(target) if target is not None else None
        if graphic is None or not graphic.get("url"):
            diags.append(Diagnostic("error", f"facs {ref!r} points at no <graphic url> in the "
                                             "<facsimile>", name, line, "missing-image"))
            return None
    elif not ref and index < len(fac.surfaces):
        graphic = fac.graphic_of(fac.surfaces[index])
        if graphic is None or not graphic.get("url"):
            return None
        what = f"<surface> {index + 1} of the <facsimile>"
    if graphic is not None:
        ref = graphic.get("url", "")
        what = f"<graphic url> (line {graphic.sourceline}) for {what}"
        line = line or graphic.sourceline
    if not ref.strip():
        return None
    return _resolve_image(ref.strip(), item_dir, name, line, diags, what)
