"""Reading a batch folder into item plans: which folders are items, their TEI, images and OCR.

A batch is a folder of item folders, or a single item folder. An item folder holds
``<item>.xml`` (TEI), ``images/`` and optionally ``ocr/``; a folder of images only becomes an
item with a minimal record and a warning. ``collections.json`` at the batch root may group items.
Nothing here writes; ``plan_item`` is what ``sudur check`` reports on.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from library.errors import SudurError
from library.models import Diagnostic, Item, Page, is_item_id

from .pairing import PagePairing, pair_ocr

IMAGE_SUFFIXES = {".tif", ".tiff", ".jpg", ".jpeg", ".png", ".jp2", ".j2k", ".gif", ".webp"}
OCR_SUFFIXES = {".xml", ".hocr", ".html", ".htm"}
SKIP_NAMES = {"collections.json", "bagit.txt", "manifest-sha256.txt", "manifest-md5.txt",
              "tagmanifest-sha256.txt", "bag-info.txt", "data"}


@dataclass
class ItemPlan:
    item_id: str
    folder: Path
    display: str  # folder name relative to the batch, for messages
    tei: Optional[Path] = None
    item: Optional[Item] = None
    images: dict[str, Path] = field(default_factory=dict)  # relative path -> file
    ocr: dict[str, Path] = field(default_factory=dict)  # relative path -> file
    pairing: list[PagePairing] = field(default_factory=list)  # one per page, OCR or none
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "warning"]

    def error(self, message: str, file: str = "", line: Optional[int] = None,
              code: str = "") -> None:
        self.diagnostics.append(Diagnostic("error", message, file, line, code))

    def warn(self, message: str, file: str = "", line: Optional[int] = None,
             code: str = "") -> None:
        self.diagnostics.append(Diagnostic("warning", message, file, line, code))


def is_item_folder(folder: Path) -> bool:
    return any(p.suffix.lower() == ".xml" for p in folder.iterdir() if p.is_file()) or \
        (folder / "images").is_dir()


def item_folders(batch: Path) -> list[Path]:
    """The item folders of a batch, in name order (a batch may be one item folder)."""
    if not batch.is_dir():
        raise SudurError(f"{batch} is not a folder", hint="give the path of a batch folder")
    if is_item_folder(batch) and not any(
            p.is_dir() and p.name not in ("images", "ocr", "data") and is_item_folder(p)
            for p in batch.iterdir()):
        return [batch]
    return sorted((p for p in batch.iterdir() if p.is_dir() and not p.name.startswith(".")
                   and p.name not in SKIP_NAMES), key=lambda p: p.name)


def _files(folder: Path, suffixes: set[str]) -> dict[str, Path]:
    out = {}
    if not folder.is_dir():
        return out
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.suffix.lower() in suffixes and not p.name.startswith("."):
            out[p.relative_to(folder.parent).as_posix()] = p
    return out


def find_tei(folder: Path, item_id: str) -> Optional[Path]:
    named = folder / f"{item_id}.xml"
    if named.is_file():
        return named
    xmls = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".xml")
    return xmls[0] if len(xmls) == 1 else (xmls[0] if xmls else None)


def _escapes(folder: Path, files) -> list[str]:
    """Files (usually symlinks) that resolve outside the item folder: never read."""
    base = folder.resolve()
    out = []
    for rel, path in files:
        target = path.resolve()
        if target != base and base not in target.parents:
            out.append(rel)
    return out


def plan_item(folder: Path, batch_root: Path, max_tei_bytes: Optional[int] = None,
              max_pages: Optional[int] = None) -> ItemPlan:
    """Parse and check one item folder without writing anything.

    ``max_tei_bytes`` refuses a TEI file above that size before it is parsed (Settings
    ``max_tei_bytes``), so an oversized file fails in milliseconds, not minutes; ``max_pages``
    refuses an item of more pages (setting ``max_pages_per_item``).
    """
    from .tei import parse_tei  # the TEI edge; imported here to keep this module light

    item_id = unicodedata.normalize("NFC", folder.name)
    try:
        display = folder.relative_to(batch_root).as_posix() or folder.name
    except ValueError:
        display = folder.name
    if display == ".":
        display = folder.name
    plan = ItemPlan(item_id=item_id, folder=folder, display=display)
    if not is_item_id(item_id):
        plan.error(f"folder name {folder.name!r} is not a valid item id "
                   "(lower-case letters, digits, '-' and '_', starting with a letter or digit)",
                   display, code="bad-item-id")
        return plan
    if _escapes(batch_root, [(display, folder)]) if folder != batch_root else folder.is_symlink():
        plan.error("the item folder is a link to somewhere outside the batch; Sudur reads "
                   "nothing outside the batch", display, code="path-escape")
        return plan
    images = _files(folder / "images", IMAGE_SUFFIXES)
    for p in folder.iterdir():
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES:
            images[p.name] = p
    plan.images = images
    plan.ocr = _files(folder / "ocr", OCR_SUFFIXES)
    plan.tei = find_tei(folder, item_id)
    escaping = _escapes(folder, list(images.items()) + list(plan.ocr.items()) + (
        [(plan.tei.name, plan.tei)] if plan.tei is not None else []))
    if escaping:
        plan.error(f"{len(escaping)} file(s) are links to somewhere outside the item folder, "
                   f"e.g. {escaping[0]}; Sudur reads nothing outside the batch",
                   f"{display}/{escaping[0]}", code="path-escape")
        return plan
    if plan.tei is not None:
        rel = f"{display}/{plan.tei.name}"
        size = plan.tei.stat().st_size
        if max_tei_bytes and size > max_tei_bytes:
            plan.error(f"the TEI file is {size:,} bytes, above the limit of {max_tei_bytes:,} "
                       "bytes (setting max_tei_bytes); split the volume or raise the limit",
                       rel, code="tei-too-large")
            return plan
        try:
            result = parse_tei(plan.tei, folder, item_id, display_name=rel)
        except SudurError as exc:
            plan.error(exc.message, exc.file or rel, exc.line, code=type(exc).__name__)
            return plan
        plan.item = result.item
        plan.item.tei_file = plan.tei.name
        plan.diagnostics.extend(result.diagnostics)
        if any(p.image for p in plan.item.pages):
            used = {p.image for p in plan.item.pages if p.image}
            extra = sorted(set(images) - used)
            if extra:
                plan.warn(f"{len(extra)} image(s) not referenced by the TEI: "
                          + ", ".join(extra[:5]), display, code="extra-image")
        elif images and plan.item.pages:
            # TEI without facs: pair pages with images in file-name order
            if len(images) != len(plan.item.pages):
                plan.warn(f"the TEI has {len(plan.item.pages)} <pb/> but the folder has "
                          f"{len(images)} images; pairing them in file-name order", display,
                          code="pb-count")
            for page, rel_img in zip(plan.item.pages, images):
                page.image = rel_img
    else:
        if not images:
            plan.error("no TEI file and no images", display, code="empty-item")
            return plan
        plan.warn("no TEI file: a minimal record was made from the images", display,
                  code="no-tei")
        plan.item = Item(id=item_id, titles={"und": item_id}, pages=[
            Page(item_id=item_id, order=i + 1, label=str(i + 1), image=rel)
            for i, rel in enumerate(images)])
    if max_pages and len(plan.item.pages) > max_pages:
        plan.error(f"{len(plan.item.pages)} pages, more than max_pages_per_item ({max_pages}); "
                   "split the volume or raise the limit",
                   f"{display}/{plan.tei.name}" if plan.tei else display, code="too-many-pages")
        return plan
    plan.pairing = pair_ocr(plan)
    return plan
