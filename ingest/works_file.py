"""The ``works`` of a batch's ``collections.json``: multi-volume works, validated, then turned
into ``library.models.Work`` records.

A work is declared in the object form of ``collections.json``::

    {"collections": [...],
     "works": [{"id": "kangyur-sher-phyin",
                "titles": {"bo": "...", "en": "..."}, "summary": {...},
                "volumes": [{"item": "kangyur-vol-1", "label": "ka"}, ...],
                "divisions": [{"title": {"en": "..."},
                               "start": {"volume": "ka", "page": "1b"},
                               "end": {"volume": "kha", "page": "2a"}}]}]}

Volumes are in reading order; a division names its volumes by their labels and its pages by
the label written on the leaf (or the page's order, as a number). What can be checked from the
file alone is checked here (each problem with its JSON path and line); whether the named items
and pages exist is a warning at ``sudur check`` (``volume_warnings``), because a work may name a
volume delivered in another batch.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Optional

from library.json_kind import json_kind
from library.models import (Division, Volume, Work, WorkPlace, is_item_id)

KEYS = ("id", "titles", "summary", "volumes", "divisions")
VOLUME_KEYS = ("item", "label")
DIVISION_KEYS = ("title", "start", "end")
PLACE_KEYS = ("volume", "page")
MAX_LABEL = 40  # a volume's label: "ka", "1", "vol. 108"

Problem = Callable[[str, Any], None]  # (message, the object it is in, for its line)


def _unknown(entry: dict, keys: tuple[str, ...], at: str, problem: Problem) -> None:
    for key in entry:
        if key not in keys:
            problem(f"{at}.{key}: unknown key (expected {', '.join(keys)})", entry)


def _place(value: Any, at: str, labels: dict[str, int], problem: Problem, owner: Any
           ) -> Optional[tuple[int, str]]:
    if not isinstance(value, dict):
        problem(f'{at}: expected an object like {{"volume": "ka", "page": "1a"}}, got '
                f"{json_kind(value)}", owner)
        return None
    _unknown(value, PLACE_KEYS, at, problem)
    vol, page = value.get("volume"), value.get("page")
    if not isinstance(vol, str) or vol not in labels:
        shown = json.dumps(vol, ensure_ascii=False)[:40]
        problem(f"{at}.volume: {shown} is not the label of a volume of this work "
                f"({', '.join(labels) or 'none'})", value)
        vol = None
    if isinstance(page, bool) or not isinstance(page, (str, int)) or not str(page).strip() \
            or (isinstance(page, int) and page < 1):
        problem(f'{at}.page: expected a page label as written ("12a") or an order (12), got '
                f"{json_kind(page)}", value)
        return None
    return (labels[vol], str(page).strip()) if vol is not None else None


def _volumes(entry: dict, at: str, problem: Problem) -> dict[str, int]:
    """The labels of the work's volumes -> their position; problems reported."""
    volumes = entry.get("volumes")
    labels: dict[str, int] = {}
    if not isinstance(volumes, list) or not volumes:
        problem(f"{at}.volumes: expected a list of volumes like "
                f'[{{"item": "kangyur-vol-1", "label": "ka"}}], got {json_kind(volumes)}'
                + (" (empty)" if volumes == [] else ""), entry)
        return labels
    items: set[str] = set()
    for i, vol in enumerate(volumes):
        where = f"{at}.volumes[{i}]"
        if not isinstance(vol, dict):
            problem(f"{where}: expected an object, got {json_kind(vol)}", entry)
            continue
        _unknown(vol, VOLUME_KEYS, where, problem)
        item, label = vol.get("item"), vol.get("label")
        if not isinstance(item, str) or not is_item_id(item):
            shown = json.dumps(item, ensure_ascii=False)[:80] if isinstance(item, str) \
                else json_kind(item)
            problem(f"{where}.item: expected an item id, got {shown}", vol)
        elif item in items:
            problem(f'{where}.item: "{item}" is already a volume of this work', vol)
        else:
            items.add(item)
        if not isinstance(label, str) or not label.strip() or len(label) > MAX_LABEL:
            problem(f'{where}.label: expected the label the volume is cited by ("ka", "1"), '
                    f"at most {MAX_LABEL} characters, got {json_kind(label)}", vol)
        elif label in labels:
            problem(f'{where}.label: "{label}" is already the label of another volume', vol)
        else:
            labels[label] = i
    return labels


def validate_works(data: Any, at: str, problem: Problem,
                   lang_map: Callable[[Any, str, str, Any], None]) -> None:
    """Report every problem of a ``works`` list through ``problem``; ``lang_map`` checks a
    language map (collections.json's own rule)."""
    if not isinstance(data, list):
        problem(f"{at}: expected a list of works, got {json_kind(data)}", None)
        return
    seen: dict[str, int] = {}
    for n, entry in enumerate(data):
        where = f"{at}[{n}]"
        if not isinstance(entry, dict):
            problem(f"{where}: expected an object, got {json_kind(entry)}", None)
            continue
        _unknown(entry, KEYS, where, problem)
        wid = entry.get("id")
        if not isinstance(wid, str) or not is_item_id(wid):
            shown = json.dumps(wid, ensure_ascii=False)[:80] if wid is not None else "nothing"
            problem(f"{where}.id: expected a work id (lower-case letters, digits, '-' and '_', "
                    f"starting with a letter or digit), got {shown}", entry)
        elif wid in seen:
            problem(f'{where}.id: "{wid}" is also the id of works[{seen[wid]}]', entry)
        else:
            seen[wid] = n
        for key, example in (("titles", "Kangyur"), ("summary", "The Tibetan canon")):
            if key in entry:
                lang_map(entry[key], f"{where}.{key}", example, entry)
        labels = _volumes(entry, where, problem)
        divisions = entry.get("divisions", [])
        if not isinstance(divisions, list):
            problem(f"{where}.divisions: expected a list, got {json_kind(divisions)}", entry)
            continue
        for i, div in enumerate(divisions):
            dw = f"{where}.divisions[{i}]"
            if not isinstance(div, dict):
                problem(f"{dw}: expected an object, got {json_kind(div)}", entry)
                continue
            _unknown(div, DIVISION_KEYS, dw, problem)
            if "title" not in div:
                problem(f"{dw}.title: missing", div)
            else:
                lang_map(div["title"], f"{dw}.title", "'dul ba", div)
            start = _place(div.get("start"), f"{dw}.start", labels, problem, div)
            end = _place(div.get("end"), f"{dw}.end", labels, problem, div)
            if start and end and start[0] > end[0]:
                problem(f"{dw}: ends in a volume before the one it starts in", div)


def works_from(data: Iterable[dict]) -> list[Work]:
    """The Work records of a validated ``works`` list."""
    out = []
    for d in data:
        divisions = [Division(title=dict(x["title"]),
                              start=WorkPlace(x["start"]["volume"], str(x["start"]["page"]).strip()),
                              end=WorkPlace(x["end"]["volume"], str(x["end"]["page"]).strip()))
                     for x in d.get("divisions", [])]
        out.append(Work(id=d["id"], titles=dict(d.get("titles") or {"en": d["id"]}),
                        summary=dict(d.get("summary") or {}),
                        volumes=[Volume(v["item"], v["label"]) for v in d["volumes"]],
                        divisions=divisions))
    return out


def volume_warnings(works: list[Work], pages_of: Callable[[str], Optional[list[tuple[int, str]]]]
                    ) -> list[tuple[Work, Optional[str], str]]:
    """What the batch and the library cannot show of each work: (work, the item concerned or
    None, message).

    ``pages_of(item)`` gives (order, label) of an item's pages from the batch or the library,
    None when it is in neither. A volume that is nowhere is a warning, not an error: the work
    is kept, and its page and IIIF Collection list the volumes that are there.
    """
    out: list[tuple[Work, Optional[str], str]] = []
    for work in works:
        pages = {v.label: pages_of(v.item) for v in work.volumes}
        for vol in work.volumes:
            if pages[vol.label] is None:
                out.append((work, None, f'work "{work.id}": volume {vol.label} names item '
                            f'"{vol.item}", which is neither in this batch nor in the library; '
                            "the work is kept without it"))
        for div in work.divisions:
            for place in (div.start, div.end):
                found, vol = pages.get(place.volume), work.volume_labelled(place.volume)
                if found is None or vol is None:
                    continue
                if not any(label == place.page or str(order) == place.page
                           for order, label in found):
                    out.append((work, vol.item, f'work "{work.id}": a division names page '
                                f"{place.page} of volume {place.volume} ({vol.item}), which "
                                "has no such page"))
    return out
