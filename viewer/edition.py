"""A page's transcription rendered as an edition: the tree of ``library.edition`` as HTML.

Headings, paragraphs, verse lines, lists and tables become blocks (``div``s with a role where
one helps: a TEI paragraph may hold verse or a list, which an HTML ``p`` may not); notes become
numbered references to footnotes listed after the text (links, so they work without script;
``reader.js`` opens them as pop-ups); a ``choice`` shows one reading and keeps the other beside
it for hover, focus and the toggle; an apparatus shows its lemma and its readings with their
witnesses; gaps, unclear and supplied text are marked.

Search spans are offsets in ``Page.text``; every shown span of the tree knows its own offset,
so the hits are marked where they fall, a hit across two spans in two pieces. A page ingested
before editions existed is shown as its plain text, marked the same way.

Relies on ``library.edition`` for the tree and on ``viewer.labels`` for the words it shows.
"""
from __future__ import annotations

import bisect
import re
from typing import Union

from flask_babel import gettext as _
from markupsafe import Markup, escape

from library.edition import Node, Span, Tree, matches
from library.models import Page

from . import labels

_REND_RE = re.compile(r"[a-z][a-z0-9-]{0,20}")
_BLOCK_CLASS = {"div": "ed-div", "head": "ed-head", "p": "ed-p", "lg": "ed-lg", "l": "ed-l",
                "list": "ed-list", "item": "ed-item", "table": "ed-table", "row": "ed-row"}
_BLOCK_ROLE = {"head": ' role="heading" aria-level="3"', "list": ' role="list"',
               "item": ' role="listitem"', "table": ' role="table"', "row": ' role="row"'}


class _Marks:
    """The search spans of a page, sorted, cut to the piece of text at hand."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        merged: list[list[int]] = []
        for s, e in sorted(spans):
            if e <= s:
                continue
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        self.starts = [m[0] for m in merged]
        self.spans = merged

    def html(self, text: str, start: int) -> Markup:
        if start < 0 or not self.spans:
            return escape(text)
        end = start + len(text)
        i = max(0, bisect.bisect_right(self.starts, start) - 1)
        out, cursor = [], start
        while i < len(self.spans) and self.spans[i][0] < end:
            s, e = max(self.spans[i][0], cursor), min(self.spans[i][1], end)
            if s < e:
                out.append(escape(text[cursor - start:s - start]))
                out.append(Markup("<mark>") + escape(text[s - start:e - start]) +
                           Markup("</mark>"))
                cursor = e
            i += 1
        out.append(escape(text[cursor - start:]))
        return Markup("").join(out)


class _Renderer:
    def __init__(self, page: Page, spans: list[tuple[int, int]]) -> None:
        self.page = page
        self.marks = _Marks(spans)
        self.notes: list[Markup] = []

    # --- blocks and inlines ----------------------------------------------------------------
    def children(self, kids: list[Union[Node, Span]]) -> Markup:
        return Markup("").join(self.one(k) for k in kids)

    def one(self, n: Union[Node, Span]) -> Markup:
        if isinstance(n, Span):
            return self.marks.html(n.text, n.start)
        if n.kind == "lb":
            return Markup("<br>")
        if n.is_block:
            return self.block(n)
        method = getattr(self, "k_" + n.kind, None)
        return method(n) if method else self.span(n, "ed-" + n.kind)

    def _lang(self, n: Node) -> Markup:
        lang = n.attrs.get("lang", "")
        return Markup(' lang="%s"') % lang if lang else Markup("")

    def _classes(self, n: Node, base: str) -> str:
        classes = [base]
        if n.attrs.get("tei"):
            classes.append("ed-" + n.attrs["tei"].lower()[:20])
        if n.attrs.get("cont"):
            classes.append("cont")  # begun on the page before
        for token in n.attrs.get("rend", "").replace(";", " ").replace(":", "-").lower().split():
            if _REND_RE.fullmatch(token):
                classes.append("rend-" + token)
        return " ".join(c for c in classes if re.fullmatch(r"[A-Za-z0-9_-]+", c))

    def block(self, n: Node) -> Markup:
        cls = self._classes(n, _BLOCK_CLASS.get(n.kind, "ed-div"))
        role = Markup(_BLOCK_ROLE.get(n.kind, ""))
        num = n.attrs.get("n", "") if n.kind in ("l", "item") else ""
        number = Markup('<span class="ed-n" aria-hidden="true">%s</span>') % num if num else ""
        return Markup('<div class="%s"%s%s>%s%s</div>') % (
            cls, role, self._lang(n), number, self.children(n.children))

    def span(self, n: Node, base: str, title: str = "") -> Markup:
        t = Markup(' title="%s"') % title if title else Markup("")
        return Markup('<span class="%s"%s%s>%s</span>') % (
            self._classes(n, base), self._lang(n), t, self.children(n.children))

    def k_cell(self, n: Node) -> Markup:
        return Markup('<span class="ed-cell" role="cell">%s</span> ') % self.children(n.children)

    def k_gap(self, n: Node) -> Markup:
        return self.span(n, "ed-gap", labels.gap_title(n.attrs))

    def k_unclear(self, n: Node) -> Markup:
        return self.span(n, "ed-unclear", labels.unclear_title(n.attrs))

    def k_supplied(self, n: Node) -> Markup:
        return self.span(n, "ed-supplied", labels.reading_name("supplied"))

    def k_add(self, n: Node) -> Markup:
        return Markup('<ins class="ed-add">%s</ins>') % self.children(n.children)

    def k_del(self, n: Node) -> Markup:
        return Markup('<del class="ed-del">%s</del>') % self.children(n.children)

    # --- notes -------------------------------------------------------------------------------
    def k_note(self, n: Node) -> Markup:
        number = len(self.notes) + 1
        ident = f"fn-{self.page.order}-{number}"
        body = self.children(n.children)
        self.notes.append(Markup('<li id="%s" role="doc-footnote"%s>%s '
                                 '<a class="ed-back" href="#%s-ref" role="doc-backlink" '
                                 'aria-label="%s">↩</a></li>')
                          % (ident, self._lang(n), body, ident, _("back to the text")))
        return Markup('<a class="ed-note-ref" id="%s-ref" href="#%s" role="doc-noteref" '
                      'aria-label="%s" data-note="%s">%s</a>') % (
            ident, ident, _("Note %(n)s", n=number), ident, number)

    def footnotes(self) -> Markup:
        if not self.notes:
            return Markup("")
        return Markup('<aside class="ed-notes" role="doc-endnotes" aria-label="%s">'
                      '<h3 class="ed-notes-title">%s</h3><ol>%s</ol></aside>') % (
            _("Notes"), _("Notes"), Markup("").join(self.notes))

    # --- readings ----------------------------------------------------------------------------
    @staticmethod
    def _split(n: Node) -> tuple[list[Node], list[Node]]:
        """The readings of a choice or app the page shows, and the others."""
        kids = [k for k in n.children if isinstance(k, Node)]
        shown = [k for k in kids if _shows(k)]
        return shown, [k for k in kids if k not in shown]

    def k_choice(self, n: Node) -> Markup:
        shown, others = self._split(n)
        if not others:
            return self.children(n.children)
        main = shown[0] if shown else others.pop(0)
        other_text = "; ".join(f"{labels.reading_name(o.kind)}: {_plain(o) or '∅'}"
                               for o in others)
        title = f"{labels.reading_name(main.kind)}: {_plain(main)} · {other_text}"
        alts = Markup("").join(
            Markup('<span class="rd alt" data-kind="%s"><span class="rd-label">%s</span> '
                   '%s</span>') % (o.kind, labels.reading_name(o.kind), self.children(o.children))
            for o in others)
        return Markup('<span class="ed-choice" tabindex="0" title="%s" data-other="%s">'
                      '<span class="rd main" data-kind="%s">%s</span>%s</span>') % (
            title, other_text, main.kind, self.children(main.children), alts)

    def k_app(self, n: Node) -> Markup:
        shown, others = self._split(n)
        lemma = Markup("")
        if n.attrs.get("standoff"):
            lem = next((k for k in n.children if isinstance(k, Node) and k.kind == "lem"), None)
            others = [k for k in others if k is not lem]
            lemma = escape(_plain(lem)) if lem is not None else Markup("")
        elif shown:
            lemma = Markup('<span class="ed-lem">%s</span>') % self.children(shown[0].children)
        readings = Markup("; ").join(
            Markup('<span class="ed-rdg">%s%s</span>') % (
                Markup('<span class="ed-wit">%s</span> ') % o.attrs["wit"]
                if o.attrs.get("wit") else "",
                self.children(o.children) if _plain(o) else
                Markup('<i class="ed-om">%s</i>') % _("omitted"))
            for o in others)
        if not readings:
            return lemma
        if n.attrs.get("standoff"):
            return Markup('<span class="ed-app standoff"><span class="ed-rdgs" title="%s">'
                          '%s] %s</span></span>') % (_("Apparatus"), lemma, readings)
        return Markup('<span class="ed-app">%s<span class="ed-rdgs" title="%s">%s</span>'
                      '</span>') % (lemma, _("Apparatus"), readings)


def _shows(n: Node) -> bool:
    stack: list[Union[Node, Span]] = [n]
    while stack:
        k = stack.pop()
        if isinstance(k, Span):
            if k.shown:
                return True
        else:
            stack.extend(k.children)
    return False


def _plain(n: Node) -> str:
    out: list[str] = []
    stack: list[Union[Node, Span]] = [n]
    while stack:
        k = stack.pop()
        if isinstance(k, Span):
            out.append(k.text)
        elif k.kind != "note":
            stack.extend(reversed(k.children))
    return " ".join("".join(out).split())


def render_tree(page: Page, tree: Tree, spans: list[tuple[int, int]]) -> Markup:
    r = _Renderer(page, spans)
    body = r.children(tree)
    return Markup('<div class="edition">%s</div>%s') % (body, r.footnotes())


def page_html(page: Page, spans: list[tuple[int, int]]) -> Markup:
    """The page's transcription as HTML with the search ``spans`` marked: the edition when
    the page has one that is still an edition of its text, else its plain text (shown with
    its line breaks)."""
    if page.edition and matches(page.edition, page.text):
        return render_tree(page, page.edition, spans)
    return Markup('<div class="plain-text">%s</div>') % _Marks(spans).html(page.text, 0)
