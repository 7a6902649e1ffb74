"""One search request: what every entry point asks of ``catalog.search``.

The command line (``sudur search``), the HTML search, ``/api/search``, the per-item searches
(``/api/items/<item>/search``, the reader's highlights, IIIF Content Search 2.0 and 1.0,
autocomplete) all describe their search as a ``SearchRequest``, built from the settings,
the library and the request's parameters here, and nowhere else: the library's own
``aliases.tsv``, the time budget, the hard deadline, the reading of ``exact`` and the query-length cap are the
same for all of them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping, Optional

from library.errors import BadRequestError
from library.numbers import parse_int
from library.settings import Settings
from library.store import Store

from .query_syntax import parse
from .querying import MAX_QUERY_CHARS
from .schema import FACETS

__all__ = ["SearchRequest", "parse_flag", "aliases_path", "MAX_QUERY_CHARS", "MAX_PAGE",
           "MAX_PAGE_SIZE", "PAGE_SIZE", "SORTS", "ALIASES_FILE"]

MAX_PAGE_SIZE = 1000  # hits in one page of results (`sudur search --limit`; the site asks 20)
MAX_PAGE = 10_000  # result pages; deeper paging is a crawler, not a reader
PAGE_SIZE = 20
SORTS = ("reading", "relevance")
# A library's own alias thesaurus, extending the built-in one (catalog.querying.load_aliases)
ALIASES_FILE = "aliases.tsv"

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


def parse_flag(raw: Optional[str], name: str = "exact") -> bool:
    """A yes/no parameter: 1/true/yes/on or 0/false/no/off/empty, in any case; else 400."""
    value = (raw or "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise BadRequestError(f"{name} must be one of 1, true, yes, on, 0, false, no, off, "
                          f"not {raw!r}")


def aliases_path(settings: Settings) -> Path:
    """The library's own alias file (it may not exist: then the built-in thesaurus alone)."""
    return Store(settings.library).root / ALIASES_FILE


@dataclass(frozen=True)
class SearchRequest:
    """A search, validated: the query text, its options, and what the library adds to it.

    ``item`` scopes the search to one item's pages (the per-item searches, which return every
    match and so ignore ``page``, ``page_size``, ``sort`` and ``filters``). ``aliases`` is the
    library's alias file; None searches with the built-in thesaurus alone. ``deadline`` is
    the hard limit in seconds (the ``search_deadline`` setting), past which the search
    returns what it has, marked partial; None (a library caller's own search) has none.
    """

    text: str
    exact: bool = False
    filters: Mapping[str, str] = field(default_factory=dict)
    item: Optional[str] = None
    page: int = 1
    page_size: int = PAGE_SIZE
    sort: str = "reading"
    time_budget: float = 0.04
    aliases: Optional[Path] = None
    deadline: Optional[float] = None

    def __post_init__(self) -> None:
        text = "" if self.text is None else str(self.text)
        if len(text) > MAX_QUERY_CHARS:
            raise BadRequestError(f"the query is longer than {MAX_QUERY_CHARS} characters")
        if self.sort not in SORTS:
            raise BadRequestError(f"sort must be one of {', '.join(SORTS)}, not {self.sort!r}")
        for name in self.filters:
            if name not in FACETS:
                raise BadRequestError(f"unknown facet {name!r}")
        if self.item is None:
            # a malformed query is refused with what to write instead (QuerySyntaxError);
            # an item's searches (the reader, Content Search, autocomplete), asked as one
            # types, read it as well as they can
            parse(text, strict=True)
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "filters", MappingProxyType(
            {k: v for k, v in self.filters.items() if v}))
        object.__setattr__(self, "page", max(1, int(self.page)))
        object.__setattr__(self, "page_size", max(1, min(MAX_PAGE_SIZE, int(self.page_size))))

    @classmethod
    def create(cls, text: str, settings: Settings, **options) -> "SearchRequest":
        """A request with the library's settings (time budget, deadline, aliases): the
        command line's constructor; ``options`` are the other fields."""
        return cls(text=text, time_budget=settings.search_time_budget,
                   deadline=settings.search_deadline, aliases=aliases_path(settings),
                   **options)

    @classmethod
    def from_args(cls, args: Mapping[str, str], settings: Settings, *,
                  item: Optional[str] = None, page_size: int = PAGE_SIZE) -> "SearchRequest":
        """A request from a URL's query parameters: ``q``, ``exact``, and for a search of
        the whole library (no ``item``) ``page``, ``sort`` and the facets. 400 on a
        malformed value."""
        text = (args.get("q") or "").strip()
        exact = parse_flag(args.get("exact"))
        if item is not None:
            return cls.create(text, settings, exact=exact, item=item)
        page = max(1, parse_int(args.get("page", "1") or "1", "page"))
        if page > MAX_PAGE:
            raise BadRequestError("page is out of range")
        filters = {f: (args.get(f) or "").strip() for f in FACETS}
        sort = "relevance" if args.get("sort") == "relevance" else "reading"
        return cls.create(text, settings, exact=exact, filters=filters, page=page,
                          page_size=page_size, sort=sort)
