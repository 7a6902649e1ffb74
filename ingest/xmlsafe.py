"""The one XML parser Sudur uses for every file it reads (TEI, ALTO, PAGE, XHTML hOCR, METS).

Batches come from outside, so parsing is locked down: no entity resolution, no DTD loading, no
network, no huge-tree mode (libxml2 then caps depth at 256 and the size of text nodes). A DOCTYPE
that declares entities of any kind is refused before libxml2 sees the document, so entity bombs
(billion laughs, quadratic blowup) and external entities (``file:``/``http:``) never expand. A
DOCTYPE without declarations (XHTML's public identifier, say) is accepted; its external DTD is
never fetched, and a reference to an entity only it could define is an error. XInclude is never
processed: an ``xi:*`` element is refused, so nothing silently goes missing. A byte order mark
that contradicts the declared encoding is refused. Every error names the file (``display_name``,
a path relative to the batch) and the line.
"""
from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import Optional

from lxml import etree

from library.errors import UnsafeXMLError, XMLSyntaxError
from library.safe_open import read_batch_file

XINCLUDE_NS = "http://www.w3.org/2001/XInclude"
DEFAULT_MAX_BYTES = 300_000_000

_DECL_RE = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _make_parser() -> etree.XMLParser:
    # A fresh parser per document: lxml's error log belongs to the parser, and a shared one would
    # mix other files' errors into this file's message.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        recover=False,
        collect_ids=True,
    )


def _bom_encoding(data: bytes) -> Optional[str]:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def _family(encoding: str) -> str:
    enc = encoding.lower().replace("_", "-")
    if enc in ("utf8", "utf-8"):
        return "utf-8"
    if enc.startswith("utf-16") or enc in ("ucs-2", "unicode"):
        return "utf-16"
    if enc.startswith("utf-32") or enc == "ucs-4":
        return "utf-32"
    return enc


_WIDE_BOMS = {
    codecs.BOM_UTF32_LE: "utf-32", codecs.BOM_UTF32_BE: "utf-32",
    codecs.BOM_UTF16_LE: "utf-16", codecs.BOM_UTF16_BE: "utf-16",
}


def _wide_codec(data: bytes) -> Optional[str]:
    for bom, codec in _WIDE_BOMS.items():
        if data.startswith(bom):
            return codec
    return None


def _ascii_view(data: bytes) -> bytes:
    """The document with markup as ASCII bytes, whatever its encoding (for scanning only)."""
    wide = _wide_codec(data)
    if wide:
        return data.decode(wide, errors="replace").encode("utf-8", errors="replace")
    return data


def _check_encoding(data: bytes, name: str) -> None:
    bom = _bom_encoding(data)
    if bom is None:
        return
    wide = _wide_codec(data)
    if wide:
        head = data[:800].decode(wide, errors="replace").encode("ascii", errors="replace")
    else:
        head = data[len(codecs.BOM_UTF8):]
    m = _DECL_RE.match(head)
    if m:
        declared = m.group(1).decode("ascii")
        if _family(declared) != bom:
            raise XMLSyntaxError(
                f"the byte order mark says {bom.upper()} but the XML declaration says "
                f"encoding={declared!r}", file=name, line=1,
                hint="save the file as UTF-8 and declare encoding=\"UTF-8\" (or drop the BOM)")


def _check_doctype(data: bytes, name: str) -> None:
    # A literal "<!ENTITY" can only stand in a DOCTYPE's internal subset (or a comment or CDATA
    # section); searching the whole file cannot be fooled by brackets or comments in the subset,
    # and refusing the odd comment that mentions it is a price worth paying.
    if b"<!DOCTYPE" not in data:
        return
    pos = data.find(b"<!ENTITY")
    if pos == -1:
        return
    decl = data[pos:pos + 2000]
    if re.match(rb"<!ENTITY\s+%", decl):
        what = "a parameter entity"
    elif re.match(rb"<!ENTITY\s+\S+\s+(SYSTEM|PUBLIC)\b", decl):
        what = "an external entity"
    else:
        what = "an entity"
    raise UnsafeXMLError(
        f"the DOCTYPE declares {what}; Sudur never resolves DTDs or entities",
        file=name, line=data.count(b"\n", 0, pos) + 1)


def _syntax_error(exc: etree.XMLSyntaxError, parser: etree.XMLParser,
                  name: str) -> XMLSyntaxError:
    # The parser's own log holds this document's errors only (the exception's log may not).
    entries = list(parser.error_log)
    entry = next((e for e in entries if e.level_name in ("FATAL", "ERROR")), None)
    line = entry.line if entry is not None else (exc.lineno or None)
    message = (entry.message if entry is not None else str(exc.msg or exc)).strip()
    low = message.lower()
    if "excessive depth" in low:
        message = "elements nested too deeply (over 256 levels)"
    elif "encoding" in low or "utf-8" in low:
        message = f"not valid in its declared encoding (UTF-8 unless declared): {message}"
    elif "entity" in low and "not defined" in low:
        message = f"{message} (Sudur does not load DTDs; write the character itself)"
    return XMLSyntaxError(f"not well-formed XML: {message}", file=name, line=line or None)


def parse_xml_bytes(data: bytes, display_name: str) -> etree._ElementTree:
    """Parse ``data`` safely; ``display_name`` (a path relative to the batch) is used in errors."""
    name = display_name
    if not data.strip():
        raise XMLSyntaxError("the file is empty", file=name)
    _check_encoding(data, name)
    _check_doctype(_ascii_view(data), name)
    parser = _make_parser()
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, parser, name) from None
    except ValueError as exc:  # e.g. unknown encoding names
        raise XMLSyntaxError(f"cannot read the XML: {exc}", file=name, line=1) from None
    tree = root.getroottree()
    dtd = tree.docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        # Belt and braces: the scan above should already have refused this.
        raise UnsafeXMLError("the DOCTYPE declares entities", file=name, line=1)
    for ent in root.iter(etree.Entity):
        # Left unexpanded because an external DTD might declare it; Sudur never reads that DTD.
        raise XMLSyntaxError(
            f"entity reference {ent.text} is not defined in the file (Sudur does not load DTDs; "
            "write the character itself)", file=name, line=ent.sourceline)
    for el in root.iter(f"{{{XINCLUDE_NS}}}*"):
        raise UnsafeXMLError(
            "XInclude is not processed by Sudur; put the included text in the file itself",
            file=name, line=el.sourceline)
    return tree


def parse_xml(path: Path, *, display_name: Optional[str] = None,
              max_bytes: int = DEFAULT_MAX_BYTES) -> etree._ElementTree:
    """Parse the XML file at ``path`` safely (see the module docstring); the file is read
    once, never through a link as its last part, and only if regular (``library.safe_open``)."""
    name = display_name or path.name
    return parse_xml_bytes(read_batch_file(path.parent, path.name, name, max_bytes), name)
