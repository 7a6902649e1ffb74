"""Words for people, not codes: the one home of each table that turns a code the catalogue
stores into a label in the reader's language.

Collection ids, the parts of a search's "understood" explanation and the editorial readings of
an edition. TEI roles (``translatorMain``, ``TEImarkupEditor``), IIIF viewing terms and genres
have their one table in library.roles (the manifests speak them too); this module picks the
reader's language from it. A code no table knows is shown as it is written. The catalogue keeps
codes; only the viewer translates.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from flask_babel import gettext, lazy_gettext as _l

from library import roles

from . import i18n

# The editorial readings of a choice or an apparatus (library.edition.READING_KINDS).
READING_NAMES = {
    "sic": _l("as written"),
    "corr": _l("corrected"),
    "orig": _l("original spelling"),
    "reg": _l("regularised"),
    "abbr": _l("abbreviated"),
    "expan": _l("expanded"),
    "seg": _l("reading"),
    "lem": _l("lemma"),
    "rdg": _l("variant"),
    "supplied": _l("supplied by the editor"),
}

# Why text is missing or hard to read (TEI @reason values the corpora use).
REASON_NAMES = {
    "illegible": _l("illegible"),
    "damage": _l("damaged"),
    "lost": _l("lost"),
    "omitted": _l("omitted"),
    "faded": _l("faded"),
    "cancelled": _l("cancelled"),
}

TRANSLITERATION_NAMES = {
    "wylie": _l("Wylie (Tibetan)"),
    "pinyin": _l("Pinyin (Chinese)"),
    "latin": _l("Latin transcription (Mongolian)"),
    "cyrillic": _l("Cyrillic (Mongolian)"),
}

FILTER_NAMES = {
    "title": _l("title"),
    "collection": _l("collection"),
    "script": _l("script"),
    "language": _l("language"),
    "item": _l("item"),
}


def _word(words: Optional[roles.Words], code: str) -> str:
    return i18n.pick(words)[1] if words else code


def role_name(role: str) -> str:
    """A responsibility's role in the reader's language (the code itself when unknown)."""
    return _word(roles.role_words(role), role)


def direction_name(code: str) -> str:
    return _word(roles.direction_words(code), code)


def behavior_name(code: str) -> str:
    return _word(roles.behavior_words(code), code)


def genre_name(genre: str) -> str:
    return _word(roles.genre_words(genre), genre)


def reading_name(kind: str) -> str:
    return str(READING_NAMES.get(kind, kind))


def collection_name(cid: str, collections: Mapping[str, Any]) -> str:
    """A collection's label for the reader (its id when it is not in ``collections``)."""
    coll = collections.get(cid)
    label = getattr(coll, "label", None) or {}
    return i18n.pick(label)[1] or cid


def collection_names(ids: list[str]) -> list[str]:
    """The labels of an item's collections, read from the catalogue once per request."""
    from flask import g

    from .resources import get_catalog

    if "collection_labels" not in g:
        g.collection_labels = {c.id: c for c in get_catalog().collections()}
    return [collection_name(cid, g.collection_labels) for cid in ids]


def viewing_labels(item: Any) -> list[tuple[str, str]]:
    """(label, value) lines saying how the item is read: its direction and book form, as the
    manifest announces them (the item's own, else its script's custom)."""
    from library.iiif_presentation import default_viewing

    direction, behaviors = default_viewing(item)
    out = [(gettext("Reading direction"), direction_name(direction))]
    if behaviors:
        out.append((gettext("Book form"), ", ".join(behavior_name(b) for b in behaviors)))
    return out


def gap_title(attrs: Mapping[str, str]) -> str:
    """What a gap stands for: "Gap: illegible, 3 chars" in the reader's language."""
    return _described(gettext("Text missing"), attrs)


def unclear_title(attrs: Mapping[str, str]) -> str:
    return _described(gettext("Unclear reading"), attrs)


def _described(what: str, attrs: Mapping[str, str]) -> str:
    parts = [str(REASON_NAMES.get(r, r)) for r in attrs.get("reason", "").split()]
    amount = attrs.get("extent") or attrs.get("quantity", "")
    if amount:
        parts.append(f"{amount} {attrs.get('unit', '')}".strip())
    return f"{what}: {', '.join(parts)}" if parts else what


def understood_value(key: str, value: Any) -> str:
    """One value of a search's "understood" explanation in words: scripts and transliteration
    schemes named, filters by their field's name."""
    if key == "scripts" and isinstance(value, list):
        return ", ".join(i18n.script_name(str(v)) for v in value)
    if key == "transliteration" and isinstance(value, str):
        return str(TRANSLITERATION_NAMES.get(value, value))
    if key == "converted" and isinstance(value, dict):
        return "; ".join(f"{TRANSLITERATION_NAMES.get(k, k)} → {_flat(v)}"
                         for k, v in value.items())
    if key == "filters" and isinstance(value, dict):
        return "; ".join(f"{FILTER_NAMES.get(k, k)}: {_flat(v)}" for k, v in value.items())
    if isinstance(value, dict):
        return "; ".join(f"{k} → {_flat(v)}" for k, v in value.items())
    return _flat(value)


def _flat(value: Any) -> str:
    if value is True:
        return "✓"
    if isinstance(value, (list, tuple, set)):
        return ", ".join(_flat(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_flat(v)}" for k, v in value.items())
    return str(value)


def template_helpers() -> dict:
    """The label functions templates call (installed by ``i18n.init_app``)."""
    return {"role_name": role_name, "direction_name": direction_name,
            "behavior_name": behavior_name, "genre_name": genre_name,
            "collection_name": collection_name, "reading_name": reading_name,
            "collection_names": collection_names, "viewing_labels": viewing_labels}
