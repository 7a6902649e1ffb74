"""A page's transcription as an edition: a small tree of blocks and inlines (no I/O).

Ingest (``ingest.tei_edition``) builds it while it cuts the TEI at its page marks, so each page
holds the part of the tree it shows; a block cut by a page mark is closed on one page and opened
again on the next with ``cont`` set. The tree keeps what the flat ``Page.text`` loses: headings,
paragraphs, verse, lists, notes, both readings of a ``choice``, the readings of an apparatus,
gaps and unclear passages.

Every ``Span`` the page shows carries ``start``, the offset of its text in ``Page.text``, with
``Page.text[start:start + len(text)] == text``: search spans, which are offsets in ``Page.text``,
mark the edition without a second text. Text the page does not show (the other reading of a
choice, apparatus readings, notes) has ``start == -1``.

``KINDS`` is the closed vocabulary; ``tree_from_json`` reads the catalogue's JSON form back,
turning an unknown kind into a plain ``span`` and refusing a tree deeper than ``MAX_DEPTH``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Callable, Iterator
from typing import Any, Union

# Blocks start on a new line; the others run in the line.
BLOCK_KINDS = frozenset({"div", "head", "p", "lg", "l", "list", "item", "table", "row"})
# Editorial readings: which one a ``choice`` shows first, the others on demand.
READING_KINDS = frozenset({"sic", "corr", "orig", "reg", "abbr", "expan", "seg"})
INLINE_KINDS = frozenset({"span", "hi", "lb", "choice", "app", "lem", "rdg", "note", "gap",
                          "unclear", "supplied", "add", "del", "label", "cell"}) | READING_KINDS
KINDS = BLOCK_KINDS | INLINE_KINDS
# Attributes kept from the TEI (values are strings): what the renderer shows or styles.
ATTRS = frozenset({"n", "rend", "type", "place", "wit", "reason", "extent", "unit", "quantity",
                   "cert", "lang", "resp", "cont", "standoff", "tei"})
MAX_DEPTH = 64  # a deeper stored tree is refused: ingest flattens TEI nested past it


@dataclass
class Span:
    """Text; ``start`` is its offset in ``Page.text`` (-1 for text the page does not show)."""

    text: str
    start: int = -1

    @property
    def shown(self) -> bool:
        return self.start >= 0


@dataclass
class Node:
    """A block or an inline of the edition: ``kind`` from ``KINDS``, ``attrs`` from ``ATTRS``."""

    kind: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Union["Node", Span]] = field(default_factory=list)

    @property
    def is_block(self) -> bool:
        return self.kind in BLOCK_KINDS


Tree = list[Union[Node, Span]]


def _child(d: Any, depth: int) -> Union[Node, Span]:
    if not isinstance(d, dict):
        raise ValueError(f"an edition node must be an object, got {type(d).__name__}")
    if "kind" not in d:
        text, start = d["text"], d.get("start", -1)
        if not isinstance(text, str) or not isinstance(start, int) or isinstance(start, bool):
            raise ValueError("an edition span needs a string text and an integer start")
        return Span(text=text, start=start)
    if depth >= MAX_DEPTH:
        raise ValueError(f"the edition tree is deeper than {MAX_DEPTH}")
    kind = d["kind"]
    if not isinstance(kind, str):
        raise ValueError("an edition node's kind must be a string")
    attrs = d.get("attrs") or {}
    if not isinstance(attrs, dict):
        raise ValueError("an edition node's attrs must be a map")
    kids = d.get("children") or []
    if not isinstance(kids, list):
        raise ValueError("an edition node's children must be a list")
    return Node(kind=kind if kind in KINDS else "span",
                attrs={str(k): str(v) for k, v in attrs.items() if k in ATTRS},
                children=[_child(c, depth + 1) for c in kids])


def tree_from_json(data: Any) -> Tree:
    """The edition tree of a page from its JSON form (``dataclasses.asdict`` of the nodes)."""
    if not isinstance(data, list):
        raise ValueError("a page's edition must be a list")
    return [_child(d, 0) for d in data]


def shown_text(tree: Tree) -> str:
    """The text the tree shows, joined without separators (for checks and tests)."""
    out: list[str] = []
    stack: list[Union[Node, Span]] = list(reversed(tree))
    while stack:
        n = stack.pop()
        if isinstance(n, Span):
            if n.shown:
                out.append(n.text)
        else:
            stack.extend(reversed(n.children))
    return "".join(out)


def _spans(tree: Tree) -> Iterator[Span]:
    stack: list[Union[Node, Span]] = list(reversed(tree))
    while stack:
        n = stack.pop()
        if isinstance(n, Span):
            yield n
        else:
            stack.extend(reversed(n.children))


def matches(tree: Tree, text: str) -> bool:
    """Whether the tree is an edition of ``text``: every shown span stands at its offset, and
    text with content has shown spans. A page whose text was replaced after the tree was built
    (an OCR text for an empty transcription) is not."""
    shown = 0
    for s in _spans(tree):
        if s.shown:
            if text[s.start:s.start + len(s.text)] != s.text:
                return False
            shown += 1
    return shown > 0 or not text.strip()


def converted(tree: Tree, text: str, convert: Callable[[str], str]) -> Tree:
    """The tree with every span's text passed through ``convert`` (the page text having been
    converted as a whole, e.g. Menksoft code points to Unicode), its shown spans found again in
    ``text`` in order. An empty tree when one is not found: the page then shows its text."""
    cursor = 0
    for s in _spans(tree):
        s.text = convert(s.text)
        if s.shown:
            at = text.find(s.text, cursor)
            if at < 0:
                return []
            s.start, cursor = at, at + len(s.text)
    return tree
