"""Catalogue rows to records, refusing a row that does not conform to its record's types.

A row written by an older or buggy Sudur, or edited by hand, must not take the library down.
``catalog.db`` reads every row through here: a row that is not JSON, misses a field, holds a
value of the wrong type (a number where an id belongs, a string where a language map belongs),
names another id than its key, or a collection id the viewer's URLs reserve, raises
NotFoundError saying why; the listing readers log it and leave the row out.

Relies on the dataclasses of ``library.models`` and their type annotations: the check walks the
annotations, so a field added to a record is checked without a change here. The lines and words
of a page are checked only for being a list (their constructors already need their keys): a
reader of a 500-page volume should not walk every word of every page.
"""
from __future__ import annotations

import dataclasses
import json
import types
import typing
from typing import Any, Optional, Union

from library.errors import NotFoundError
from library.models import (Collection, Item, Page, Work, collection_from_dict,
                            is_collection_id, item_from_dict, page_from_dict, work_from_dict)

_SHALLOW = {(Page, "lines")}
_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _kind(value: Any) -> str:
    return type(value).__name__


def why_not(value: Any, hint: Any, where: str) -> Optional[str]:
    """Why ``value`` does not conform to the type ``hint`` (None when it does)."""
    origin = typing.get_origin(hint)
    if hint is Any:
        return None
    if origin in (Union, types.UnionType):
        args = typing.get_args(hint)
        if value is None and type(None) in args:
            return None
        rest = [a for a in args if a is not type(None)]
        return why_not(value, rest[0], where) if len(rest) == 1 else None
    if origin is list:
        if not isinstance(value, list):
            return f"{where}: expected a list, got {_kind(value)}"
        (arg,) = typing.get_args(hint)
        return next((w for i, v in enumerate(value)
                     if (w := why_not(v, arg, f"{where}[{i}]"))), None)
    if origin is dict:
        if not isinstance(value, dict):
            return f"{where}: expected a map, got {_kind(value)}"
        key_t, value_t = typing.get_args(hint)
        return next((w for k, v in value.items()
                     if (w := why_not(k, key_t, f"{where} key") or
                         why_not(v, value_t, f"{where}.{k}"))), None)
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, hint):
            return f"{where}: expected {hint.__name__}, got {_kind(value)}"
        hints = _hints(hint)
        for f in dataclasses.fields(hint):
            sub = getattr(value, f.name)
            if (hint, f.name) in _SHALLOW:
                if not isinstance(sub, list):
                    return f"{where}.{f.name}: expected a list, got {_kind(sub)}"
            elif (w := why_not(sub, hints[f.name], f"{where}.{f.name}")):
                return w
        return None
    if hint is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(hint, type):
        ok = isinstance(value, hint)
    else:
        ok = True  # a hint this check does not know: the constructor had its say
    return None if ok else f"{where}: expected {getattr(hint, '__name__', hint)}, got " \
        f"{_kind(value)}"


def _load(what: str, text: str, build) -> Any:
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise NotFoundError(f"the catalogue record of {what} cannot be read: "
                                f"not a JSON object")
        return build(data)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        raise NotFoundError(f"the catalogue record of {what} cannot be read: "
                            f"{type(exc).__name__}: {exc}") from None


def _conform(what: str, record: Any, cls: type) -> None:
    why = why_not(record, cls, cls.__name__.lower())
    if why:
        raise NotFoundError(f"the catalogue record of {what} cannot be read: {why}")


def item_record(item_id: str, text: str) -> Item:
    what = f"item {item_id!r}"
    item = _load(what, text, item_from_dict)
    _conform(what, item, Item)
    if item.id != item_id:
        raise NotFoundError(f"the catalogue record of {what} cannot be read: it holds the "
                            f"record of {item.id!r}")
    return item


def page_record(item_id: str, order: int, text: str) -> Page:
    what = f"item {item_id!r} page {order}"
    page = _load(what, text, page_from_dict)
    _conform(what, page, Page)
    if page.item_id != item_id or page.order != order:
        raise NotFoundError(f"the catalogue record of {what} cannot be read: it holds page "
                            f"{page.order} of {page.item_id!r}")
    return page


def collection_record(cid: str, text: str) -> Collection:
    what = f"collection {cid!r}"
    coll = _load(what, text, collection_from_dict)
    _conform(what, coll, Collection)
    if coll.id != cid or not is_collection_id(coll.id):
        raise NotFoundError(f"the catalogue record of {what} cannot be read: its id "
                            f"{coll.id!r} is not a collection id the viewer can serve")
    return coll


def work_record(work_id: str, text: str) -> Work:
    what = f"work {work_id!r}"
    work = _load(what, text, work_from_dict)
    _conform(what, work, Work)
    if work.id != work_id:
        raise NotFoundError(f"the catalogue record of {what} cannot be read: it holds the "
                            f"record of {work.id!r}")
    return work
