"""The checks only ``sudur check`` runs: they report, they never block an ingest.

- TEI validity against TEI P5 ``tei_all`` (RELAX NG), as warnings: real project TEI is often
  not valid and still perfectly usable. Loading tei_all costs about ten seconds, so the schema is
  compiled once per process and only when a check asks for it.
- Pages against images: ``<pb>`` count against the image count, an image shown on two pages,
  two image files with the same bytes, images referenced out of file-name order.
- Text anomalies (``ingest.anomalies.text_anomalies``) with the TEI line where each first occurs:
  Menksoft private-use text, Hudum letters in Todo, text not in NFC, unassigned code points.

The text is read from the XML tree, not from the parsed pages, because the TEI reader already
normalises to NFC and would hide the very problem the archivist needs to fix.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Optional

from lxml import etree

from library.errors import SudurError

from .anomalies import text_anomalies
from .batch import ItemPlan

TEI_NS = "http://www.tei-c.org/ns/1.0"
MAX_SCHEMA_ERRORS = 5  # per file; the rest are counted

_SCHEMAS: dict[str, etree.RelaxNG] = {}


def tei_schema_path() -> Optional[Path]:
    """Where tei_all.rng is: ``SUDUR_TEI_SCHEMA``, else ``../shared/corpora/tei-p5-schema``."""
    env = os.environ.get("SUDUR_TEI_SCHEMA")
    if env:
        return Path(env) if Path(env).is_file() else None
    default = (Path(__file__).resolve().parents[2] / "shared" / "corpora" / "tei-p5-schema"
               / "tei_all.rng")
    return default if default.is_file() else None


def load_schema(path: Path) -> etree.RelaxNG:
    key = str(Path(path).resolve())
    if key not in _SCHEMAS:
        # the schema is ours, not the batch's, but it is still read without network access
        parser = etree.XMLParser(no_network=True, resolve_entities=False)
        _SCHEMAS[key] = etree.RelaxNG(etree.parse(key, parser))
    return _SCHEMAS[key]


def run_checks(plan: ItemPlan, schema: Optional[Path]) -> None:
    """Add the check-only findings of one planned item to ``plan.diagnostics``."""
    check_ocr(plan)
    tree = None
    if plan.tei is not None and plan.item is not None and plan.tei_bytes is not None:
        from .xmlsafe import parse_xml_bytes

        try:  # the bytes the TEI reader parsed, not the file read again
            tree = parse_xml_bytes(plan.tei_bytes, f"{plan.display}/{plan.tei.name}")
        except SudurError:
            pass  # already reported by the TEI reader
    check_pages_and_images(plan, _reference_lines(tree) if tree is not None else {})
    if tree is None:
        return
    rel = f"{plan.display}/{plan.tei.name}"
    if schema is not None:
        check_tei_validity(plan, tree, rel, schema)
    check_text(plan, tree, rel)


def check_ocr(plan: ItemPlan) -> None:
    """Parse every OCR file as ingest will, so check reports what ingest would refuse."""
    from .ocr import parse_ocr

    from .xmlsafe import DEFAULT_MAX_BYTES

    for rel, path in plan.ocr.items():
        name = f"{plan.display}/{rel}"
        try:
            parse_ocr(path, display_name=name, data=plan.read(rel, DEFAULT_MAX_BYTES))
        except SudurError as exc:
            plan.error(exc.message, exc.file or name, exc.line, code=type(exc).__name__)


def check_tei_validity(plan: ItemPlan, tree: etree._ElementTree, rel: str, schema: Path) -> None:
    rng = load_schema(schema)
    if rng.validate(tree):
        return
    errors = list(rng.error_log)
    for e in errors[:MAX_SCHEMA_ERRORS]:
        plan.warn(f"not valid TEI P5 (tei_all): {e.message}", rel, e.line or None,
                  code="tei-invalid")
    if len(errors) > MAX_SCHEMA_ERRORS:
        plan.warn(f"not valid TEI P5 (tei_all): {len(errors) - MAX_SCHEMA_ERRORS} more "
                  "schema errors", rel, None, code="tei-invalid")


def _natural_key(name: str) -> list:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


def _reference_lines(tree: etree._ElementTree) -> dict[str, list[int]]:
    """The TEI lines naming each image (``pb/@facs`` or ``graphic/@url``), in order."""
    lines: dict[str, list[int]] = {}
    for el in tree.getroot().iter(f"{{{TEI_NS}}}pb", f"{{{TEI_NS}}}graphic"):
        ref = el.get("facs") or el.get("url") or ""
        for r in ref.split():
            lines.setdefault(r.removeprefix("./"), []).append(el.sourceline)
    return lines


def check_pages_and_images(plan: ItemPlan,
                           lines: Optional[dict[str, list[int]]] = None) -> None:
    item = plan.item
    if item is None:
        return
    codes = {d.code for d in plan.diagnostics}
    n_pb = len(item.pages)
    n_img = len(plan.images)
    tei_name = f"{plan.display}/{plan.tei.name}" if plan.tei else plan.display
    if plan.tei is not None and n_img and n_pb != n_img and "pb-count" not in codes:
        plan.warn(f"the TEI has {n_pb} page(s) (<pb/>) but the folder has {n_img} image(s)",
                  tei_name, code="pb-count")
    shown: dict[str, str] = {}
    for page in item.pages:
        if not page.image:
            continue
        label = page.label or str(page.order)
        if page.image in shown:
            plan.warn(f"image {page.image} is shown on page {shown[page.image]} and again on "
                      f"page {label}", tei_name, _line(lines, page.image, second=True),
                      code="duplicate-image")
        else:
            shown[page.image] = label
    order = [p.image for p in item.pages if p.image]
    for prev, page in zip(order, order[1:]):
        if prev != page and _natural_key(page) < _natural_key(prev):
            plan.warn(f"the images are not in page order: {page} comes after {prev} in the TEI",
                      tei_name, _line(lines, page), code="image-order")
            break
    by_size: dict[int, list[tuple[str, Path]]] = {}
    for rel, path in plan.images.items():
        try:
            by_size.setdefault(path.lstat().st_size, []).append((rel, path))
        except OSError:
            continue
    for group in by_size.values():
        if len(group) < 2:
            continue
        seen: dict[str, str] = {}
        for rel, path in group:
            try:
                digest = plan.digest(rel)
            except (OSError, SudurError):
                continue  # reported by the image check
            if digest in seen:
                plan.warn(f"{rel} has the same bytes as {seen[digest]} (a page scanned twice?)",
                          f"{plan.display}/{rel}", code="duplicate-image-file")
            else:
                seen[digest] = rel


XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _line(lines: Optional[dict[str, list[int]]], image: str,
          second: bool = False) -> Optional[int]:
    """The TEI line of the first (or, for a duplicate, the second) reference to ``image``."""
    found = (lines or {}).get(image.removeprefix("./"), [])
    index = 1 if second else 0
    return found[index] if len(found) > index else (found[0] if found else None)


def _text_chunks(tree: etree._ElementTree, default_lang: Optional[str]):
    """(line, xml:lang in force, text) of every text and tail in the document, in order."""
    root = tree.getroot()

    def walk(el, lang):
        # the root's xml:lang is left out: it often names the header's language, not the text's
        own = el.get(XML_LANG) if isinstance(el.tag, str) and el is not root else None
        inner = own or lang
        if isinstance(el.tag, str) and el.text:
            yield el.sourceline, inner, el.text
        for child in el:
            yield from walk(child, inner)
            if child.tail:
                yield child.sourceline, inner, child.tail

    yield from walk(root, default_lang)


def check_text(plan: ItemPlan, tree: etree._ElementTree, rel: str) -> None:
    """Each anomaly once per file, at the first line where it occurs, with the number of lines.

    Each text is judged by the ``xml:lang`` in force where it stands (a Hudum title in the
    header of a Todo text is no anomaly); the item's writing system where none is given, since
    the root's ``xml:lang`` often names the language of the header, not of the text.
    """
    ws = plan.item.writing_system if plan.item is not None else None
    found: dict[str, list] = {}  # code -> [first message, first line, count]
    for line, lang, text in _text_chunks(tree, None):
        if text.isspace():
            continue
        for finding in text_anomalies(text, lang or ws):
            code, _, message = finding.partition(": ")
            entry = found.get(code)
            if entry is None:
                found[code] = [message, line, 1]
            else:
                entry[2] += 1
    for code, (message, line, count) in found.items():
        more = f" (and in {count - 1} more place(s))" if count > 1 else ""
        plan.warn(message + more, rel, line, code=code)
