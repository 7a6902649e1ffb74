"""TEI P5 to Sudur records: the header becomes an ``Item``, the transcription becomes ``Page``s.

This is the entry point (``parse_tei``); the reader's parts are ``tei_header`` (titles,
languages, dates, rights), ``tei_body`` (the streaming walk that cuts pages at ``<pb/>``, folio
refs or milestones, with editorial readings and line offsets), ``tei_facsimile`` (surfaces,
zones and each page's image, kept inside the item folder) and ``tei_detect`` (what the TEI
leaves unsaid: page marks, line breaks, the main language and scripts). A missing image or a
language tag that is not BCP 47 is a diagnostic; an image path escaping the folder raises
``PathEscapeError``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from lxml import etree

from ingest.xmlsafe import parse_xml, parse_xml_bytes
from library.errors import NotTEIError
from library.langtags import normalize_tag as norm_lang  # the name importers know
from library.models import Diagnostic, Item, Page, TocEntry

from .tei_body import BodyWalker
from .tei_detect import block_newlines, choose_marks
from .tei_facsimile import Facsimile, page_image
from .tei_header import Header, tag_diagnostics
from .tei_text import T, TEI_NS, lang_of, local_name

# What the reader makes of a TEI file: raised whenever a change to it means an item already in a
# library would read differently (2: the edition tree of each page), so that ingest re-reads
# unchanged batches instead of skipping them by their source hash.
READER_REVISION = 2

__all__ = ["TeiResult", "parse_tei", "norm_lang", "TEI_NS"]


@dataclass
class TeiResult:
    """What a TEI file yields: the item with its pages, and what was found along the way."""

    item: Item
    diagnostics: list[Diagnostic] = field(default_factory=list)


def parse_tei(path: Path, item_dir: Path, item_id: str, *,
              display_name: Optional[str] = None, data: Optional[bytes] = None) -> TeiResult:
    """Read the TEI file ``path`` of the item in ``item_dir`` into an ``Item`` with its pages.

    ``data``, when given, is the file's content as already read (once, by ``ItemPlan.open``):
    it is what is parsed, and ``path`` is only its name.
    """
    name = display_name or path.name
    tree = parse_xml_bytes(data, name) if data is not None else \
        parse_xml(path, display_name=name)
    root = tree.getroot()
    if root.tag not in (f"{T}TEI", f"{T}teiCorpus"):
        ns = etree.QName(root).namespace if isinstance(root.tag, str) else None
        local = local_name(root)
        if local in ("TEI", "teiCorpus"):
            why = (f"the root <{local}> is not in the TEI namespace {TEI_NS} "
                   f"(found {ns or 'no namespace'})")
        else:
            why = f"the root element is <{local}>{' in ' + ns if ns else ''}, not TEI"
        raise NotTEIError(f"not a TEI P5 document: {why}", file=name, line=root.sourceline,
                          hint=f'the root must be <TEI xmlns="{TEI_NS}">')
    diags: list[Diagnostic] = tag_diagnostics(root, name)
    item = Item(id=item_id)
    try:
        item.tei_file = path.resolve().relative_to(item_dir.resolve()).as_posix()
    except ValueError:
        item.tei_file = path.name

    header = Header(root, name, diags)
    fac = Facsimile(root)
    mark_kind = choose_marks(root)
    text_lang = ""
    text_el = root.find(f".//{T}text")
    if text_el is not None:
        text_lang = lang_of(text_el)
    walker = BodyWalker(root, fac, mark_kind, block_newlines(root), text_lang)
    if text_el is None:
        diags.append(Diagnostic("warning", "the TEI has no <text>: the item has no transcription",
                                name, root.sourceline, "no-text"))
    raw_pages = walker.walk()

    pages: list[Page] = []
    for i, (mark, buf) in enumerate(raw_pages):
        text, alt, lines = buf.finish()
        image = page_image(mark.facs, mark.line, i, fac, item_dir, name, diags)
        pages.append(Page(item_id=item_id, order=i + 1, label=mark.label or str(i + 1),
                          image=image, text=text, alt_text=alt, lines=lines,
                          edition=buf.edition.tree))
    # surfaces the page marks never reached still are pages of the volume
    if mark_kind == "none" and len(fac.surfaces) > 1:
        for j in range(1, len(fac.surfaces)):
            image = page_image("", None, j, fac, item_dir, name, diags)
            pages.append(Page(item_id=item_id, order=len(pages) + 1, label=str(len(pages) + 1),
                              image=image))
        diags.append(Diagnostic("warning", "no <pb/> in the text: all of it is shown with the "
                                           "first image", name, None, "no-pb"))
    if pages and not any(p.text for p in pages) and not any(p.image for p in pages):
        diags.append(Diagnostic("warning", "the TEI has neither text nor images", name, None,
                                "empty"))
    item.pages = pages
    body_text = "\n".join(p.text for p in pages)
    header.fill(item, body_text)
    # the TOC labels used the text language before the header was read; use the final one
    _fix_toc_lang(walker.toc, text_lang or item.writing_system or "und")
    item.toc = walker.toc
    for d in diags:
        if d.level == "warning":
            item.warnings.append(str(d))
    return TeiResult(item=item, diagnostics=diags)


def _fix_toc_lang(entries: list[TocEntry], lang: str) -> None:
    for e in entries:
        if "und" in e.label and len(e.label) == 1 and lang != "und":
            e.label = {lang: e.label["und"]}
        _fix_toc_lang(e.children, lang)
