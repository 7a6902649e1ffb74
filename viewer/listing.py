"""What the home and search pages list beside their own views: the items of a collection (its
sub-collections' included) and, for an item of the search results, its summary and the
thumbnail of its best page."""
from __future__ import annotations

from typing import Callable, Optional

from library.errors import NotFoundError
from library.models import Collection, Item

from .links import thumb_url
from .resources import get_catalog


def collection_items(cid: str, collections: list[Collection], present: set[str]) -> list[str]:
    """The items of a collection and of its sub-collections, in that order, each once, those
    in the library only."""
    children: dict[Optional[str], list[Collection]] = {}
    for c in collections:
        children.setdefault(c.parent, []).append(c)
    by_id = {c.id: c for c in collections}
    out: dict[str, None] = {}
    todo, seen = [cid], set()
    while todo:
        current = todo.pop(0)
        if current in seen or current not in by_id:
            continue  # a cycle of parents, or a parent not in the library
        seen.add(current)
        out.update((i, None) for i in by_id[current].items if i in present)
        todo.extend(c.id for c in children.get(current, []))
    return list(out)


def result_item(group, summarize: Callable[[Item], dict]) -> tuple[dict, Optional[str]]:
    """(the item's summary by ``summarize``, the thumbnail URL of its best page, if it has an
    image) of one item of the results (a ``catalog.search.ItemHits``)."""
    catalog = get_catalog()
    try:
        summary = summarize(catalog.get_item(group.item_id, with_pages=False))
    except NotFoundError:  # withdrawn since the index was written
        return {"id": group.item_id, "title": group.title, "title_lang": "", "ws": "",
                "vertical": False}, None
    best = getattr(group, "best", None)
    if best is None:
        return summary, None
    try:
        page = catalog.get_page(group.item_id, best)
    except NotFoundError:
        return summary, None
    return summary, (thumb_url(page) if page.has_image else None)
