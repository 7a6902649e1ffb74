"""The TEI reader's shared ground: namespaces and the text of an element.

Whitespace is XML whitespace only (U+3000 and other Unicode spaces are characters of the text);
a source line break between two CJK characters is no space, nor is an ``<lb break="no"/>``.
Text is NFC, never NFKC. Used by ``tei_header``, ``tei_body``, ``tei_facsimile`` and
``tei_detect``.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Optional

from lxml import etree

from library.langtags import SPACELESS_CLASS, normalize_tag

TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
T = f"{{{TEI_NS}}}"
XML_ID = f"{{{XML_NS}}}id"
XML_LANG = f"{{{XML_NS}}}lang"

_CJK = SPACELESS_CLASS  # East Asian text written without spaces (library.langtags)
CJK_RE = re.compile(f"[{_CJK}]")
# XML whitespace only: U+3000 and other Unicode spaces are characters of the text and stay.
WS_RE = re.compile(r"[ \t\r\n]+")
CJK_SEAM_RE = re.compile(f"(?<=[{_CJK}])[ \\t\\r]*\\n[ \\t\\r\\n]*(?=[{_CJK}])")
# Where an <lb break="no"/> stood in a text_of walk (a C0 control: no XML text holds one).
_NO_BREAK = "\x1f"
NO_BREAK_RE = re.compile(f"[ \\t\\r\\n]*{_NO_BREAK}[ \\t\\r\\n]*")


def local_name(el: etree._Element) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def norm_ws(text: str) -> str:
    return WS_RE.sub(" ", text).strip()


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def text_of(el: Optional[etree._Element]) -> str:
    """Whitespace-normalised text of ``el`` without its notes."""
    if el is None:
        return ""
    parts: list[str] = []
    _collect_text(el, parts)
    # a source line break between two CJK characters is not a space in the text, and a line
    # break that says the word goes on (<lb break="no"/>) is none anywhere
    joined = NO_BREAK_RE.sub("", CJK_SEAM_RE.sub("", "".join(parts)))
    return nfc(norm_ws(joined))


def _collect_text(el: etree._Element, parts: list[str]) -> None:
    stack: list[tuple[etree._Element, bool]] = [(el, False)]
    while stack:
        node, done = stack.pop()
        if done:
            if node is not el and node.tail:
                parts.append(node.tail)
            continue
        name = local_name(node)
        if name in ("note", "figDesc") and node is not el:
            if node.tail:
                parts.append(node.tail)
            continue
        if name == "lb":
            parts.append(_NO_BREAK if node.get("break") == "no" else "\n")
        if isinstance(node.tag, str) and node.text:
            parts.append(node.text)
        stack.append((node, True))
        for child in reversed(node):
            stack.append((child, False))


def lang_of(el: etree._Element) -> str:
    """The ``xml:lang`` in force at ``el`` (its own or an ancestor's), normalised; "" if none."""
    node: Optional[etree._Element] = el
    while node is not None:
        v = node.get(XML_LANG)
        if v:
            return normalize_tag(v)
        node = node.getparent()
    return ""


def first_ref(value: Optional[str]) -> str:
    """The first of the space-separated references of a ``facs`` or similar attribute."""
    return value.split()[0] if value and value.split() else ""
