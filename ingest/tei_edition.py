"""The edition tree of each page (``library.edition``), built during the body walk.

``tei_body.BodyWalker`` tells an ``EditionBuilder`` what it meets in document order: elements
opening and closing, the text it adds to the page (with the separator ``PageText`` put before
it and its offset), the text it sends to the alternative readings, and notes, which the walk
itself skips. At a page mark the walker starts the next page's builder from the last one: the
elements open there are opened again on the new page, marked ``cont``.

A separator that is a line break becomes an ``lb`` node, unless a block edge came since the last
text (the block already breaks the line); a space is kept in the span, so the shown spans joined
are ``Page.text`` less its line breaks. Notes are read by ``note_node``, a depth-capped walk of
their own; stand-off notes and apparatus (CBETA's ``<note target>`` and ``<app from to>`` in the
back matter) are placed at the anchor they point to (``StandOff``).

Relies on ``tei_text`` for names and whitespace; knows nothing of pages beyond its own.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Optional, Union

from lxml import etree

from library.edition import BLOCK_KINDS as BLOCKS, MAX_DEPTH, Node, Span

# Nesting kept: the body's elements to BODY_DEPTH, a note's inside it to NOTE_DEPTH more; the
# stored tree stays within library.edition.MAX_DEPTH.
NOTE_DEPTH = 8
BODY_DEPTH = MAX_DEPTH - NOTE_DEPTH - 4

from .tei_text import T, WS_RE, XML_ID, XML_LANG, local_name, nfc

# TEI element -> edition kind. Blocks first, then inlines.
_KIND = {
    "div": "div", "div1": "div", "div2": "div", "div3": "div", "div4": "div", "div5": "div",
    "div6": "div", "div7": "div", "juan": "div", "front": "div", "back": "div",
    "head": "head", "jhead": "head", "docTitle": "head", "titlePart": "head",
    "p": "p", "ab": "p", "trailer": "p", "byline": "p", "dateline": "p", "signed": "p",
    "opener": "p", "closer": "p", "salute": "p", "argument": "p", "epigraph": "p",
    "docNumber": "p", "docAuthor": "p", "docImprint": "p", "docDate": "p", "postscript": "p",
    "bibl": "p", "sp": "p", "speaker": "p", "stage": "p",
    "lg": "lg", "l": "l", "list": "list", "item": "item", "table": "table", "row": "row",
    "cell": "cell", "label": "label",
    "hi": "hi", "choice": "choice", "sic": "sic", "corr": "corr", "orig": "orig", "reg": "reg",
    "abbr": "abbr", "expan": "expan", "seg": "seg", "app": "app", "lem": "lem", "rdg": "rdg",
    "unclear": "unclear", "supplied": "supplied", "add": "add", "del": "del", "gap": "gap",
}
# TEI attribute -> edition attribute kept on the node.
_ATTRS = {"n": "n", "rend": "rend", "type": "type", "place": "place", "wit": "wit",
          "reason": "reason", "extent": "extent", "unit": "unit", "quantity": "quantity",
          "cert": "cert", "resp": "resp"}


def _attrs(el: etree._Element, tei_name: str, kind: str) -> dict[str, str]:
    out = {key: WS_RE.sub(" ", v).strip()[:200] for a, key in _ATTRS.items()
           if (v := el.get(a))}
    lang = el.get(XML_LANG)
    if lang:
        out["lang"] = lang.strip()[:40]
    if tei_name != kind:
        out["tei"] = tei_name  # a trailer, byline or jhead keeps its name for the style
    return out


def node_for(el: etree._Element) -> Optional[Node]:
    """The edition node an element opens (None: the element is transparent)."""
    name = local_name(el)
    kind = _KIND.get(name)
    if kind is None:
        if not el.get(XML_LANG):
            return None
        # foreign words, mantras, terms keep their language; so does a <text> or <body>
        holds_blocks = any(_KIND.get(local_name(c)) in BLOCKS for c in el)
        kind = "div" if holds_blocks or name in ("text", "body", "group") else "span"
    return Node(kind=kind, attrs=_attrs(el, name, kind))


def _alt(raw: str) -> str:
    return nfc(WS_RE.sub(" ", raw))


def note_node(el: etree._Element) -> Node:
    """A note's content as an inline node (not shown in the page text: every span is -1).

    Blocks inside a note (a ``p`` of a long note) become line breaks; markup nested deeper
    than ``NOTE_DEPTH`` is kept as its text only.
    """
    note = Node(kind="note", attrs=_attrs(el, "note", "note"))
    _fill_note(note, el, 0)
    return note


def _fill_note(target: Node, parent: etree._Element, level: int) -> None:
    if parent.text:
        target.children.append(Span(_alt(parent.text)))
    for child in parent:
        name = local_name(child)
        if name == "lb" or (_KIND.get(name) in ("p", "l", "item", "head") and target.children):
            target.children.append(Node(kind="lb"))
        if isinstance(child.tag, str) and name != "lb":
            inner = node_for(child)
            if level >= NOTE_DEPTH:
                flat = "".join(child.itertext())
                if flat:
                    target.children.append(Span(_alt(flat)))
            elif inner is not None and not inner.is_block:
                target.children.append(inner)
                _fill_note(inner, child, level + 1)
            else:
                _fill_note(target, child, level + 1)
        if child.tail:
            target.children.append(Span(_alt(child.tail)))


class StandOff:
    """Notes and apparatus entries written away from the text they comment, by the anchor
    ``xml:id`` they point to: ``<note target="#x">`` at ``x``, ``<app from="#a" to="#b">`` at
    ``b`` (its lemma is the text between the anchors)."""

    def __init__(self, root: etree._Element) -> None:
        self.at: dict[str, list[etree._Element]] = {}
        self._notes: set[etree._Element] = set()
        for note in root.iter(f"{T}note"):
            target = (note.get("target") or "").split()
            if target and target[0].startswith("#") and not _in_body(note):
                self.at.setdefault(target[0][1:], []).append(note)
                self._notes.add(note)
        # witness sigla by id: <witness xml:id="wit2">【宋】</witness>
        self.sigla: dict[str, str] = {}
        for wit in root.iter(f"{T}witness"):
            wid, label = wit.get(XML_ID), _alt("".join(wit.itertext())).strip()
            if wid and label:
                self.sigla[wid] = label[:60]
        for app in root.iter(f"{T}app"):
            end = (app.get("to") or "").strip()
            if end.startswith("#"):
                self.at.setdefault(end[1:], []).append(app)

    def placed(self, note: etree._Element) -> bool:
        """Whether ``note`` is shown at its anchor rather than where it stands."""
        return note in self._notes

    def nodes_at(self, anchor: etree._Element) -> list[Node]:
        out: list[Node] = []
        for el in self.at.get(anchor.get(XML_ID) or "", []):
            if local_name(el) == "note":
                out.append(note_node(el))
            else:
                out.append(_standoff_app(el, self.sigla))
        return out


def _in_body(el: etree._Element) -> bool:
    node = el.getparent()
    while node is not None:
        if local_name(node) == "body":
            return True
        node = node.getparent()
    return False


def witnesses(wit: str, sigla: dict[str, str]) -> str:
    """``@wit`` with each ``#id`` of a listed witness replaced by its siglum."""
    return " ".join(sigla.get(w[1:], w) if w.startswith("#") else w for w in wit.split())


def _standoff_app(app: etree._Element, sigla: dict[str, str]) -> Node:
    node = Node(kind="app", attrs={"standoff": "1"})
    for child in app:
        name = local_name(child)
        if name not in ("lem", "rdg"):
            continue
        reading = Node(kind=name, attrs=_attrs(child, name, name))
        if reading.attrs.get("wit"):
            reading.attrs["wit"] = witnesses(reading.attrs["wit"], sigla)
        text = _alt("".join(child.itertext())).strip()
        if text:
            reading.children.append(Span(text))
        node.children.append(reading)
    return node


_HIDDEN = Node(kind="span")  # marks an open element whose content is shown elsewhere


class EditionBuilder:
    """Collects one page's edition tree."""

    def __init__(self, previous: Optional["EditionBuilder"] = None,
                 sigla: Optional[dict[str, str]] = None) -> None:
        self.sigla = previous.sigla if previous is not None else (sigla or {})
        self.root = Node(kind="div")
        self.stack: list[Node] = [self.root]
        self.fresh = True  # a block edge since the last text: a line break there is the block's
        self.opened: list[Optional[Node]] = []  # per open element: its node, None if transparent
        self.hidden = 0  # depth inside content shown elsewhere
        for node in previous.opened if previous is not None else []:
            if node is None or node is _HIDDEN:
                self.hidden += node is _HIDDEN
                self.opened.append(node)
            else:  # an element the page mark stood in goes on here
                self.open_node(Node(kind=node.kind, attrs=dict(node.attrs, cont="1")))

    @property
    def tree(self) -> list[Union[Node, Span]]:
        """The page's tree, without the blocks left empty (a verse line the page mark ended)."""
        _prune(self.root)
        return self.root.children

    def _append(self, child: Union[Node, Span]) -> None:
        self.stack[-1].children.append(child)

    def open(self, el: etree._Element) -> None:
        if self.hidden or (local_name(el) == "app" and (el.get("from") or el.get("to"))):
            self.hidden += 1  # a stand-off apparatus entry: shown at its anchor instead
            self.opened.append(_HIDDEN)
            return
        node = node_for(el) if len(self.stack) < BODY_DEPTH else None
        if node is not None:
            if node.is_block:
                self.fresh = True
            if node.attrs.get("wit"):
                node.attrs["wit"] = witnesses(node.attrs["wit"], self.sigla)
            self._append(node)
            self.stack.append(node)
        self.opened.append(node)

    def open_node(self, node: Node) -> None:
        self._append(node)
        self.stack.append(node)
        self.opened.append(node)

    def close(self) -> None:
        node = self.opened.pop() if self.opened else None
        if node is _HIDDEN:
            self.hidden -= 1
            return
        if node is None:
            return
        if node.is_block:
            self.fresh = True
        while len(self.stack) > 1 and self.stack.pop() is not node:
            pass  # an element left open inside it (none in well-formed XML)

    def shown(self, sep: str, core: str, start: int) -> None:
        """Text of the page: ``sep`` (a separator put before it) and ``core`` at ``start``."""
        if self.hidden:
            return
        if sep and not self.fresh:
            # the separator goes before the inlines opened since the last shown text: the
            # space before a word in italics, or before a choice, is no part of it
            at = len(self.stack) - 1
            while at > 0 and not self.stack[at].is_block and not _has_shown(self.stack[at]):
                at -= 1
            if at == len(self.stack) - 1:
                if sep == "\n":
                    self._append(Node(kind="lb"))
                else:
                    core, start = " " + core, start - 1
            else:
                mark: Union[Node, Span] = Node(kind="lb") if sep == "\n" else Span(" ", start - 1)
                kids, opened = self.stack[at].children, self.stack[at + 1]
                where = next(i for i in range(len(kids) - 1, -1, -1) if kids[i] is opened)
                kids.insert(where, mark)
        self.fresh = False
        self._append(Span(core, start))

    def other(self, raw: str) -> None:
        """Text of a reading the page does not show."""
        text = _alt(raw)
        if text.strip() and not self.hidden:
            self._append(Span(text))

    def add(self, nodes: list[Node]) -> None:
        if self.hidden:
            return
        for n in nodes:
            self._append(n)


def _has_shown(node: Node) -> bool:
    """Whether any text under ``node`` is shown text. Looks from the last child back, where
    shown text usually is, without copying a long paragraph's children for each word."""
    stack: list[Iterator[Union[Node, Span]]] = [reversed(node.children)]
    while stack:
        n = next(stack[-1], None)
        if n is None:
            stack.pop()
        elif isinstance(n, Span):
            if n.start >= 0:
                return True
        else:
            stack.append(reversed(n.children))
    return False


def _prune(node: Node) -> None:
    """Drop empty blocks and empty continued inlines under ``node`` (depth: BODY_DEPTH)."""
    kept: list[Union[Node, Span]] = []
    for child in node.children:
        if isinstance(child, Node):
            _prune(child)
            if not child.children and (child.is_block or child.attrs.get("cont")):
                continue
        kept.append(child)
    node.children = kept
