"""The citation of an item or of one of its pages: one model, built once from the ``Item``.

``Citation.of`` gathers what a reference needs from the catalogue record: the responsible
persons the TEI records (bard, author, translator, scribe, editor, ... as ``Person``s sorted by
what they did; an agent the record leaves unnamed, "Unknown scribe", is none of them: every
format then cites an anonymous work, without a creator), the title in the item's own language
with an English rendering, the date, the publisher of the electronic text, the holding
institution and shelfmark, the address of the record or page. ``library.citation_formats`` writes it out: the suggested citation as text, RIS,
BibTeX, CSL-JSON and the Highwire ``citation_*`` meta tags. The citation speaks English (its
style's language), whatever the interface language of the page showing it.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import Optional

from library import urls
from library.models import Item, Work

# What a person did, as a citation groups them. A TEI role is read by the words it holds, so
# codes such as 84000's translatorMain, translatorTib and TEImarkupEditor find their kind.
KINDS = ("author", "translator", "editor", "scribe", "encoder", "contributor")
_KIND_WORDS = (  # first match wins: "TEImarkupEditor" is an encoder, not an editor
    ("encoder", ("markup", "mark-up", "encod", "electronic", "transcri", "digiti", "tei")),
    ("translator", ("translat",)),
    ("scribe", ("scribe", "copyist", "calligraph")),
    ("editor", ("editor", "edited", "reviser", "compil", "redact")),
    ("author", ("author", "bard", "singer", "creator", "composer", "narrat", "storyteller",
                "poet", "reciter")),
)
# Role codes of the corpora, in words; any other camelCase code is split into words.
_ROLE_WORDS = {
    "translatormain": "translator", "translatoreng": "English translator",
    "translatortib": "Tibetan translator", "translatorskt": "Sanskrit translator",
    "teimarkupeditor": "TEI mark-up editor",
}
# the persons a suggested citation names (encoders and other contributors are left to the
# exports and the record page), in the order it names them
CITED_KINDS = ("author", "translator", "editor", "scribe")
_FOLIO_RE = re.compile(r"[0-9]+[abrv]")
_ISO_RE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")


def role_kind(role: str) -> str:
    """The kind of ``role`` as written in the TEI (``bard`` -> author, ``translatorTib`` ->
    translator, ``TEImarkupEditor`` -> encoder); ``contributor`` when no word says."""
    low = role.lower()
    for kind, words in _KIND_WORDS:
        if any(w in low for w in words):
            return kind
    return "contributor"


def role_words(role: str) -> str:
    """``role`` as English words: ``translatorTib`` -> "Tibetan translator"."""
    key = re.sub(r"[^a-z]", "", role.lower())
    if key in _ROLE_WORDS:
        return _ROLE_WORDS[key]
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", role).strip().lower() or "contributor"


@dataclass(frozen=True)
class Person:
    name: str
    role: str  # as the TEI records it
    kind: str  # one of KINDS

    @property
    def role_words(self) -> str:
        return role_words(self.role)


def _title(item: Item) -> tuple[str, str, str]:
    """(language tag, title, English rendering or ""): the title in the item's own main
    language (its writing system, else its first language), else English, else the first."""
    titles = {k: v for k, v in item.titles.items() if v}
    if not titles:
        return "", item.id, ""
    wanted = [item.writing_system] + item.languages
    tag = next((t for t in wanted if t and t in titles), "")
    if not tag:  # "mn" may be written "mn-Mong" in the titles
        bases = [t.split("-")[0] for t in wanted if t]
        tag = next((k for b in bases for k in titles if k.split("-")[0] == b), "")
    tag = tag or ("en" if "en" in titles else next(iter(titles)))
    english = titles.get("en", "") if tag != "en" and titles.get("en") != titles[tag] else ""
    return tag, titles[tag], english


def locator(label: str) -> str:
    """A page as a citation names it: ``f. 2b`` for a folio side, ``p. 3`` otherwise."""
    return f"f. {label}" if _FOLIO_RE.fullmatch(label) else f"p. {label}"


def _volume_of(item_id: str, work: Optional[Work]) -> dict:
    """The work's title (English first, as the citation's other words) and the volume's label,
    when ``item_id`` is a volume of ``work``."""
    if work is None:
        return {}
    label = next((v.label for v in work.volumes if v.item == item_id), "")
    return {"work_title": work.title(), "volume": label} if label else {}


def date_parts(value: str) -> list[int]:
    """``YYYY[-MM[-DD]]`` as numbers (empty when ``value`` is not such a date)."""
    m = _ISO_RE.fullmatch(value or "")
    return [int(x) for x in m.groups() if x] if m else []


@dataclass(frozen=True)
class Citation:
    """Everything a reference to an item (or one page of it) says."""

    item_id: str
    title: str
    title_lang: str
    title_en: str  # an English rendering of a title in another language, else ""
    people: tuple[Person, ...]
    publisher: str
    published: str  # YYYY[-MM[-DD]] of the electronic text
    date_text: str  # the item's date as written
    date_from: Optional[int]
    date_to: Optional[int]
    place: str
    settlement: str
    institution: str
    shelfmark: str
    language: str  # the item's main language tag
    languages: tuple[str, ...]
    genre: str
    summary: str  # in English when there is one
    rights: str
    manuscript: bool  # held by an institution (a shelfmark or repository is recorded)
    record_url: str
    url: str  # the page's address for a page citation, else the record's
    manifest_url: str
    accessed: _dt.date
    page_label: str = ""  # as written on the leaf; "" for the whole item
    page_order: Optional[int] = None
    # the multi-volume work this item is a volume of (issue 15): scholars cite the work, the
    # volume and the folio ("vol. ka, f. 12a")
    work_title: str = ""
    volume: str = ""

    @classmethod
    def of(cls, item: Item, base: str, *, page_label: str = "", page_order: Optional[int] = None,
           page_address: str = "", accessed: Optional[_dt.date] = None,
           work: Optional[Work] = None) -> "Citation":
        """The citation of ``item``, or of its page ``page_order`` (``page_label`` as written,
        ``page_address`` the reader's ``page`` value that opens it: see viewer/pagelist.py)."""
        tag, title, english = _title(item)
        # an agent without a name ("Unknown scribe", 佚名) is no creator: the work is anonymous
        people = [Person(r.name, r.role, role_kind(r.role)) for r in item.responsibility
                  if r.named]
        people.sort(key=lambda p: KINDS.index(p.kind))  # stable: TEI order within a kind
        record = urls.record_url(base, item.id)
        url = (urls.reader_url(base, item.id, page=page_address or page_order)
               if page_order is not None else record)
        summary = item.summary.get("en") or next(iter(item.summary.values()), "")
        return cls(
            item_id=item.id, title=title, title_lang=tag, title_en=english,
            people=tuple(people), publisher=item.publisher, published=item.published,
            date_text=item.date_text, date_from=item.date_from, date_to=item.date_to,
            place=item.place, settlement=item.settlement, institution=item.institution,
            shelfmark=item.shelfmark, language=item.writing_system or tag,
            languages=tuple(item.languages), genre=item.genre, summary=summary,
            rights=item.rights, manuscript=bool(item.shelfmark or item.repository),
            record_url=record, url=url, manifest_url=urls.manifest_url(base, item.id),
            accessed=accessed or _dt.datetime.now(_dt.timezone.utc).date(),
            page_label=page_label if page_order is not None else "", page_order=page_order,
            **_volume_of(item.id, work))

    @property
    def volume_locator(self) -> str:
        """``vol. ka`` of a volume of a work, else ""."""
        return f"vol. {self.volume}" if self.volume else ""

    @property
    def key(self) -> str:
        """A citation key: the item id, with the page's order for a page."""
        return self.item_id if self.page_order is None else f"{self.item_id}-{self.page_order}"

    @property
    def full_title(self) -> str:
        """The title with its English rendering in brackets, as references give one."""
        return f"{self.title} [{self.title_en}]" if self.title_en else self.title

    def persons(self, *kinds: str) -> list[Person]:
        return [p for p in self.people if p.kind in kinds]

    @property
    def cited_people(self) -> list[Person]:
        """The persons the suggested citation names: authors (bards, singers ...), translators,
        editors and scribes; all of them when the TEI records only others."""
        return self.persons(*CITED_KINDS) or list(self.people)

    @property
    def holding(self) -> str:
        """Where the item is kept: settlement, institution (and repository), shelfmark."""
        place = self.settlement if self.settlement and self.settlement not in self.institution \
            else ""
        return ", ".join(x for x in (place, self.institution, self.shelfmark) if x)

    @property
    def year(self) -> Optional[int]:
        if self.date_from is not None:
            return self.date_from
        parts = date_parts(self.published)
        return parts[0] if parts else None
