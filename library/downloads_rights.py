"""Whether an item's downloads (page images at a chosen size, PDF, ZIP) are offered, and why not.

One rule, read by the reader (which shows the download menu only when offered) and by every
download view (403 with the reason otherwise): ``Settings.download_policy`` "all" offers every
item's downloads, "none" none, and "licence" (the default) looks at the item's licence (its
``rights`` URI, from the TEI ``availability/licence``): a licence whose URI starts with one of
``Settings.download_refused_licences`` (comma-separated; In Copyright by default) is refused,
any other licence, or none stated, is offered. http and https spellings are one licence.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import ForbiddenError
from .settings import Settings

_CC = re.compile(r"creativecommons\.org/(?:licenses|publicdomain)/([a-z-]+)/(\d+(?:\.\d+)?)")
_RS = re.compile(r"rightsstatements\.org/vocab/([A-Za-z-]+)/")
_RS_NAMES = {"InC": "In Copyright", "InC-OW-EU": "In Copyright - EU Orphan Work",
             "InC-EDU": "In Copyright - Educational Use Permitted",
             "InC-NC": "In Copyright - Non-Commercial Use Permitted",
             "InC-RUU": "In Copyright - Rights-holder(s) Unlocatable or Unidentifiable",
             "NoC-CR": "No Copyright - Contractual Restrictions",
             "NoC-NC": "No Copyright - Non-Commercial Use Only",
             "NoC-OKLR": "No Copyright - Other Known Legal Restrictions",
             "NoC-US": "No Copyright - United States", "CNE": "Copyright Not Evaluated",
             "UND": "Copyright Undetermined", "NKC": "No Known Copyright"}


@dataclass(frozen=True)
class Offer:
    """The downloads of one item: offered or not, and the sentence saying why not."""

    offered: bool
    reason: str = ""
    licence: str = ""  # the licence's name as people know it, for messages

    def check(self) -> None:
        """ForbiddenError (403) with the reason, unless offered."""
        if not self.offered:
            raise ForbiddenError(self.reason, hint="the record page states the item's licence")


def _bare(uri: str) -> str:
    return re.sub(r"^https?://", "", uri.strip()).rstrip("/").lower()


def licence_name(uri: str) -> str:
    """``CC BY-NC 4.0``, ``In Copyright``, or the URI itself when it is neither family."""
    m = _CC.search(uri)
    if m:
        kind, version = m.groups()
        return "CC0 " + version if kind == "zero" else f"CC {kind.upper()} {version}"
    m = _RS.search(uri)
    if m:
        return _RS_NAMES.get(m.group(1), m.group(1))
    return uri


def offer(rights: str, settings: Settings) -> Offer:
    """Whether an item whose licence is ``rights`` (a URI, or empty) offers its downloads."""
    name = licence_name(rights) if rights else ""
    if settings.download_policy == "all":
        return Offer(True, licence=name)
    if settings.download_policy == "none":
        return Offer(False, "downloads are turned off in this library", name)
    refused = [_bare(p) for p in settings.download_refused_licences.split(",") if p.strip()]
    if rights and any(_bare(rights).startswith(p) for p in refused):
        return Offer(False, f"the licence of this item, {name} ({rights}), does not allow "
                            "downloads", name)
    return Offer(True, licence=name)
