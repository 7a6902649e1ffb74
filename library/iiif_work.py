"""IIIF Presentation 3 for multi-volume works: the work's Collection and its divisions as Ranges
of each volume's manifest.

A work is a Collection with ``behavior: ["multi-part"]`` whose members are its volumes'
manifests, in order (cookbook recipe 0030). A Collection cannot hold Ranges, so a division that
runs across volumes (the Kangyur's 'dul ba fills several) is given to each volume it touches:
the volume's manifest gains a "contents of the work" Range whose members are the parts of the
work's divisions in that volume, each a Range with the same id stem in every volume
(``/iiif/work/<work>/range/<n>-<volume>``), and the manifest names the work in ``partOf``.
The work's Collection carries the work-level Content Search services, and the rights
statement its volumes share.

Pure functions like ``library.iiif_presentation``, whose helpers it uses; no I/O.
"""
from __future__ import annotations

import bisect
import json
from typing import Optional, Sequence

from iiif_prezi3 import Collection as PreziCollection, ManifestRef

from .iiif_presentation import (PLACEHOLDER_BASE, PREZI3_CONTEXT, SEARCH1_PROFILE,
                                SEARCH2_CONTEXT, _dump, _label, _provider, _thumbnail,
                                build_manifest, lang_map, normalize_rights)
from .models import Item, Volume, Work, WorkPlace
from .urls import (canvas_url, manifest_url, work_collection_url, work_range_url,
                   work_search1_url, work_search_url, work_url)


def find_page(place_page: str, pages: Sequence[tuple[int, str]]) -> Optional[int]:
    """The order of the page a division names: by its label as written, else by its order
    (digits); None when the volume has no such page."""
    for order, label in pages:
        if label == place_page:
            return order
    if place_page.isdigit() and any(order == int(place_page) for order, _ in pages):
        return int(place_page)
    return None


def volume_span(work: Work, item_id: str, pages: Sequence[tuple[int, str]], start: WorkPlace,
                end: WorkPlace) -> Optional[tuple[int, int]]:
    """(first, last) page orders of volume ``item_id`` that a division from ``start`` to
    ``end`` covers; None when it covers none of them (or names a page the volume lacks)."""
    labels = [v.label for v in work.volumes]
    mine = next((n for n, v in enumerate(work.volumes) if v.item == item_id), None)
    if mine is None or start.volume not in labels or end.volume not in labels or not pages:
        return None
    s, e = labels.index(start.volume), labels.index(end.volume)
    if not s <= mine <= e:
        return None
    first = find_page(start.page, pages) if mine == s else pages[0][0]
    last = find_page(end.page, pages) if mine == e else pages[-1][0]
    if first is None or last is None or first > last:
        return None
    return first, last


def work_structures(item: Item, works: Sequence[Work], base: str) -> list[dict]:
    """For each work ``item`` is a volume of, a Range holding the parts of the work's divisions
    in this volume (as the dicts iiif-prezi3's Range dumps to); none without divisions."""
    pages = [(p.order, p.label) for p in item.pages]
    orders = [o for o, _ in pages]
    out = []
    for work in works:
        vol = work.volume_of(item.id)
        if vol is None:
            continue
        ranges = []
        for n, div in enumerate(work.divisions, start=1):
            span = volume_span(work, item.id, pages, div.start, div.end)
            if span is None:
                continue
            lo, hi = bisect.bisect_left(orders, span[0]), bisect.bisect_right(orders, span[1])
            refs = [{"id": canvas_url(base, item.id, o), "type": "Canvas"} for o in orders[lo:hi]]
            label = lang_map(div.title, fallback=str(n))
            if div.start.volume != div.end.volume:  # say which volumes it runs across
                label = {k: [f"{v[0]} ({div.start.volume}–{div.end.volume})"]
                         for k, v in label.items()}
            ranges.append({"id": work_range_url(base, work.id, f"{n}-{vol.label}"),
                           "type": "Range", "label": label, "items": refs})
        if ranges:
            title = lang_map(work.titles, fallback=work.id)
            out.append({"id": work_range_url(base, work.id, f"toc-{vol.label}"), "type": "Range",
                        "label": {k: [f"{v[0]}: {vol.label}"] for k, v in title.items()},
                        "items": ranges})
    return out


def work_part_of(base: str, works: Sequence[Work]) -> list[dict]:
    """The ``partOf`` entries of a volume's manifest naming its works."""
    return [{"id": work_collection_url(base, w.id), "type": "Collection"} for w in works]


def work_search_services(base: str, work_id: str) -> list[dict]:
    """Content Search 2.0 and 1.0 over every volume of a work."""
    return [{"id": work_search_url(base, work_id), "type": "SearchService2"},
            {"@id": work_search1_url(base, work_id), "@type": "SearchService1",
             "profile": SEARCH1_PROFILE}]


def common_rights(items: Sequence[Item]) -> Optional[str]:
    """The rights statement every volume states alike, so the work can say it too; None when
    the volumes differ or one states none (a work must not promise more than a volume)."""
    stated = {normalize_rights(item.rights) for item in items}
    if len(stated) != 1 or None in stated:
        return None
    return stated.pop()


def build_work_collection(base: str, work: Work, volumes: Sequence[tuple[Volume, Optional[Item]]],
                          *, thumb_width: int = 200) -> dict:
    """The work as a multi-part Collection of its volumes' manifests (an item with its first
    page suffices for a volume; a volume not in the library (None) is left out)."""
    members = []
    for vol, item in volumes:
        if item is None:
            continue
        extra = {}
        first_image = next((p for p in item.pages if p.has_image), None)
        if first_image is not None:
            extra["thumbnail"] = [_thumbnail(base, first_image, thumb_width)]
        members.append(ManifestRef(id=manifest_url(base, item.id), type="Manifest",
                                   label=lang_map(item.titles, fallback=vol.label), **extra))
    props: dict = {"label": lang_map(work.titles, fallback=work.id), "behavior": ["multi-part"],
                   "provider": _provider(base),
                   "homepage": [{"id": work_url(base, work.id), "type": "Text",
                                 "label": _label("record"), "format": "text/html"}]}
    if work.summary:
        props["summary"] = lang_map(work.summary)
    rights = common_rights([item for _, item in volumes if item is not None])
    if rights:
        props["rights"] = rights
    data = _dump(PreziCollection(id=work_collection_url(base, work.id), items=members, **props))
    data["service"] = work_search_services(base, work.id)
    data["@context"] = [SEARCH2_CONTEXT, PREZI3_CONTEXT]
    return data


def build_volume_manifest(item: Item, works: Sequence[Work], base: str = PLACEHOLDER_BASE, *,
                          thumb_width: int = 200) -> dict:
    """An item's manifest, naming the works it is a volume of and carrying their divisions."""
    data = build_manifest(item, base, thumb_width=thumb_width)
    works = [w for w in works if w.volume_of(item.id)]
    if works:
        data["partOf"] = data.get("partOf", []) + work_part_of(base, works)
        structures = data.get("structures", []) + work_structures(item, works, base)
        if structures:
            data["structures"] = structures
    return data


def volume_manifest_json(item: Item, works: Sequence[Work], *, thumb_width: int = 200) -> str:
    """The serialized manifest with the placeholder base, as it is cached."""
    return json.dumps(build_volume_manifest(item, works, PLACEHOLDER_BASE,
                                            thumb_width=thumb_width),
                      ensure_ascii=False, separators=(",", ":"))
