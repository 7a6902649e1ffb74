"""The TEI P5 document of a sample item, built with lxml from its ``ItemSpec``.

The header carries every field the ingest reads (titles in several languages, responsibility,
dates, place, holding institution, licence, summary and abstracts, languages, genre, the page
order and IIIF behavior in ``tagsDecl/rendition``); the body has a ``<pb n facs>`` per page, a
``<div>`` with its ``<head>`` where a page opens one, and the page's lines in a ``<p>``, each
after an ``<lb/>`` with no whitespace between them (``<lb/>`` is the only line separator).

Whitespace between the elements is placed by hand, line by line, so that the file is the same
bytes as the sample of earlier releases (it was a string template): the ingest checksums the TEI,
and an unchanged sample then stays unchanged in a library.
"""
from __future__ import annotations

from lxml import etree

from .sample_items import ItemSpec

TEI_NS = "http://www.tei-c.org/ns/1.0"
_T = f"{{{TEI_NS}}}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_XML_ID = "{http://www.w3.org/XML/1998/namespace}id"


def parse_fragment(fragment: str) -> etree._Element:
    """A TEI fragment of the sample data (text and inline elements) inside a wrapper element in
    the TEI namespace: its ``text`` and children are the fragment."""
    return etree.fromstring(f'<l xmlns="{TEI_NS}">{fragment}</l>')


def _newline(parent: etree._Element, indent: int) -> None:
    """Start a new line indented by ``indent`` spaces after ``parent``'s last content."""
    space = "\n" + " " * indent
    if len(parent):
        parent[-1].tail = space
    else:
        parent.text = space


def _add(parent: etree._Element, tag: str, indent: int, text: str | None = None,
         attrib: dict[str, str] | None = None) -> etree._Element:
    """Append ``<tag>`` to ``parent`` on a line of its own, indented by ``indent`` spaces."""
    _newline(parent, indent)
    return _inline(parent, tag, text, attrib)


def _inline(parent: etree._Element, tag: str, text: str | None = None,
            attrib: dict[str, str] | None = None) -> etree._Element:
    """Append ``<tag>`` to ``parent`` right after its last content."""
    el = etree.SubElement(parent, _T + tag, attrib or {})
    el.text = text
    return el


def _append_fragment(parent: etree._Element, fragment: str) -> None:
    """Append the text and elements of a TEI ``fragment`` at the end of ``parent``."""
    wrapper = parse_fragment(fragment)
    if wrapper.text:
        if len(parent):
            parent[-1].tail = (parent[-1].tail or "") + wrapper.text
        else:
            parent.text = (parent.text or "") + wrapper.text
    parent.extend(list(wrapper))  # each child brings its tail


def _title_stmt(parent: etree._Element, spec: ItemSpec) -> None:
    stmt = _add(parent, "titleStmt", 6)
    for i, (lang, text) in enumerate(spec.titles.items()):
        _add(stmt, "title", 8, text, {_XML_LANG: lang, "type": "main" if i == 0 else "alt"})
    for resp in spec.resp:
        line = _add(stmt, "respStmt", 8)
        _inline(line, "resp", resp.role)
        _inline(line, "name", resp.name)
    _newline(stmt, 6)


def _publication_stmt(parent: etree._Element, spec: ItemSpec) -> None:
    stmt = _add(parent, "publicationStmt", 6)
    _add(stmt, "publisher", 8, "Sudur")
    _add(stmt, "idno", 8, spec.id, {"type": "sudur"})
    availability = _add(stmt, "availability", 8)
    _add(availability, "licence", 10, spec.licence.label, {"target": spec.licence.target})
    _newline(availability, 8)
    _newline(stmt, 6)


def _ms_desc(parent: etree._Element, spec: ItemSpec, extent: str) -> None:
    source = _add(parent, "sourceDesc", 6)
    ms = _add(source, "msDesc", 8)
    ident = _add(ms, "msIdentifier", 10)
    _add(ident, "country", 12, "China")
    _add(ident, "settlement", 12, spec.settlement)
    _add(ident, "institution", 12, spec.institution)
    _add(ident, "collection", 12, spec.collection)
    _add(ident, "idno", 12, spec.shelfmark, {"type": "shelfmark"})
    _newline(ident, 10)
    # TEI allows one msContents/summary: the first language there, the others as abstracts.
    contents = _add(ms, "msContents", 10)
    lang, text = next(iter(spec.summary.items()))
    _add(contents, "summary", 10, text, {_XML_LANG: lang})  # 10, not 12: as earlier releases
    attrib = {"mainLang": spec.lang}
    if spec.other_langs:
        attrib["otherLangs"] = " ".join(other.lang for other in spec.other_langs)
    _add(contents, "textLang", 12, spec.lang_name, attrib)
    _newline(contents, 10)
    phys = _add(ms, "physDesc", 10)
    obj = _add(phys, "objectDesc", 12, attrib={"form": spec.form})
    support = _add(obj, "supportDesc", 14, attrib={"material": spec.material})
    n_pages = str(len(spec.pages))
    unit = "leaf" if spec.form == "pothi" else "page"
    _inline(_add(support, "extent", 16), "measure", extent, {"unit": unit, "quantity": n_pages})
    _newline(support, 14)
    _newline(obj, 12)
    _newline(phys, 10)
    history = _add(ms, "history", 10)
    origin = _add(history, "origin", 12)
    _add(origin, "origDate", 14, spec.date_text, {"notBefore": f"{spec.not_before:04d}",
                                                  "notAfter": f"{spec.not_after:04d}"})
    _add(origin, "origPlace", 14, spec.place)
    _newline(origin, 12)
    _newline(history, 10)
    _newline(ms, 8)
    _newline(source, 6)


def _encoding_desc(parent: etree._Element, spec: ItemSpec) -> None:
    desc = _add(parent, "encodingDesc", 4)
    _add(desc, "p", 6, spec.encoding_note)
    tags = _add(desc, "tagsDecl", 6)
    _add(tags, "rendition", 8, f"{spec.direction} {spec.behavior}",
         {_XML_ID: "page-sequence", "scheme": "free"})
    _newline(tags, 6)
    _newline(desc, 4)


def _profile_desc(parent: etree._Element, spec: ItemSpec) -> None:
    profile = _add(parent, "profileDesc", 4)
    for lang, text in list(spec.summary.items())[1:]:
        _inline(_add(profile, "abstract", 6, attrib={_XML_LANG: lang}), "p", text)
    usage = _add(profile, "langUsage", 6)
    _add(usage, "language", 8, spec.lang_name, {"ident": spec.lang})
    for other in spec.other_langs:
        _add(usage, "language", 8, other.name, {"ident": other.lang})
    _newline(usage, 6)
    text_class = _add(profile, "textClass", 6)
    keywords = _add(text_class, "keywords", 8)
    _add(keywords, "term", 10, spec.genre, {"type": "genre"})
    _newline(keywords, 8)
    _newline(text_class, 6)
    _newline(profile, 4)


def _header(root: etree._Element, spec: ItemSpec) -> None:
    header = _add(root, "teiHeader", 2)
    file_desc = _add(header, "fileDesc", 4)
    _title_stmt(file_desc, spec)
    extent = f"{len(spec.pages)} {'folio sides' if spec.form == 'pothi' else 'pages'}"
    _add(file_desc, "extent", 6, extent)
    _publication_stmt(file_desc, spec)
    _ms_desc(file_desc, spec, extent)
    _newline(file_desc, 4)
    _encoding_desc(header, spec)
    _profile_desc(header, spec)
    _newline(header, 2)


def _body(root: etree._Element, spec: ItemSpec) -> None:
    text = _add(root, "text", 2, attrib={_XML_LANG: spec.lang})
    body = _add(text, "body", 2)
    parent = body  # where the page's lines go: the open <div>, else the body
    n_div = 0
    for order, page in enumerate(spec.pages, start=1):
        pb_attrib = {"n": page.label, "facs": f"images/{order:04d}.png"}
        if page.head is not None:
            if parent is not body:
                _newline(parent, 4)
            n_div += 1
            _add(body, "pb", 4, attrib=pb_attrib)
            parent = _add(body, "div", 4, attrib={"type": spec.div_type, "n": str(n_div)})
            _append_fragment(_add(parent, "head", 6), page.head)
        else:
            _add(parent, "pb", 4, attrib=pb_attrib)  # 4 even inside a div: as earlier releases
        if page.lines:
            p = _add(parent, "p", 6)
            for fragment in page.lines:
                _inline(p, "lb")
                _append_fragment(p, fragment)
    if parent is not body:
        _newline(parent, 4)
    _newline(body, 2)
    _newline(text, 2)


def tei_document(spec: ItemSpec) -> bytes:
    """The TEI P5 document of one item, UTF-8 with an XML declaration."""
    root = etree.Element(_T + "TEI", {_XML_LANG: "en"}, nsmap={None: TEI_NS})
    _header(root, spec)
    _body(root, spec)
    _newline(root, 0)
    return (b'<?xml version="1.0" encoding="UTF-8"?>\n'
            + etree.tostring(root, encoding="UTF-8") + b"\n")
