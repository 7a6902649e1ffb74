"""Reading a batch folder into item plans: which folders are items, their TEI, images and OCR.

A batch is a folder of item folders, or a single item folder. An item folder holds
``<item>.xml`` (TEI), ``images/`` and optionally ``ocr/``; a folder of images only becomes an
item with a minimal record and a warning. ``collections.json`` at the batch root may group items.
Nothing here writes; ``plan_item`` is what ``sudur check`` reports on.

Every file is read through ``library.safe_open`` (``ItemPlan.open`` and its siblings), from the
batch root down, so a link anywhere (the item folder, ``images/``, a file) is refused with its
name and a FIFO or device is never read; the TEI is read once and its bytes kept, so what is
parsed is what is stored.
"""
from __future__ import annotations

import os
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from library import safe_open
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
    root: Optional[Path] = None  # the batch root every file is opened from (default: folder)
    base: str = ""  # the item folder relative to ``root`` ("" when it is the root)
    tei_bytes: Optional[bytes] = None  # the TEI as read, parsed and then stored

    def _where(self, rel: str) -> tuple[Path, str, str]:
        root = self.root if self.root is not None else self.folder
        return root, f"{self.base}/{rel}" if self.base else rel, f"{self.display}/{rel}"

    def open(self, rel: str) -> safe_open.BatchFile:
        """The item's file ``rel`` (relative to the item folder), opened once, never via a link."""
        return safe_open.open_batch_file(*self._where(rel))

    def read(self, rel: str, max_bytes: Optional[int] = None) -> bytes:
        return safe_open.read_batch_file(*self._where(rel), max_bytes=max_bytes)

    def digest(self, rel: str) -> str:
        return safe_open.digest_batch_file(*self._where(rel))

    def copy(self, rel: str, dst: Path) -> tuple[int, str]:
        """Copy the item's file ``rel`` to ``dst``: (bytes, sha256 of exactly those bytes)."""
        root, path, name = self._where(rel)
        return safe_open.copy_batch_file(root, path, dst, name)

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
    return any(p.suffix.lower() == ".xml" for p in folder.iterdir()
               if p.is_file() or p.is_symlink()) or (folder / "images").is_dir()


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


def _files(folder: Path, suffixes: set[str], links: list[str]) -> dict[str, Path]:
    """The files of ``folder`` with these suffixes, walked without following links; every
    link met on the way (to a file or a folder) is added to ``links``."""
    out: dict[str, Path] = {}
    if folder.is_symlink():
        links.append(folder.name)
        return out
    if not folder.is_dir():
        return out
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        for name in sorted(dirnames + filenames):
            p = here / name
            rel = p.relative_to(folder.parent).as_posix()
            if p.is_symlink():
                if not name.startswith(".") and (name in dirnames or
                                                 p.suffix.lower() in suffixes):
                    links.append(rel)  # a link this listing would have taken or walked
            elif name in filenames and p.suffix.lower() in suffixes and \
                    not name.startswith("."):
                out[rel] = p
    return dict(sorted(out.items()))


def _is_candidate(p: Path) -> bool:
    """A file the listing takes: a regular file, or a link (refused by name later)."""
    try:
        mode = p.lstat().st_mode
    except OSError:
        return False
    return stat.S_ISREG(mode) or stat.S_ISLNK(mode)


def find_tei(folder: Path, item_id: str) -> Optional[Path]:
    named = folder / f"{item_id}.xml"
    if _is_candidate(named):
        return named
    xmls = sorted(p for p in folder.iterdir() if _is_candidate(p) and p.suffix.lower() == ".xml")
    return xmls[0] if xmls else None


def plan_item(folder: Path, batch_root: Path, max_tei_bytes: Optional[int] = None,
              max_pages: Optional[int] = None) -> ItemPlan:
    """Parse and check one item folder without writing anything.

    ``max_tei_bytes`` refuses a TEI file above that size before it is parsed (Settings
    ``max_tei_bytes``), so an oversized file fails in milliseconds, not minutes; ``max_pages``
    refuses an item of more pages (setting ``max_pages_per_item``).
    """
    from .tei import parse_tei  # the TEI edge; imported here to keep this module light
    from .xmlsafe import DEFAULT_MAX_BYTES

    item_id = unicodedata.normalize("NFC", folder.name)
    try:
        display = folder.relative_to(batch_root).as_posix() or folder.name
    except ValueError:
        display = folder.name
    if display == ".":
        display = folder.name
    base = "" if folder == batch_root else display
    plan = ItemPlan(item_id=item_id, folder=folder, display=display, root=batch_root, base=base)
    if not is_item_id(item_id):
        plan.error(f"folder name {folder.name!r} is not a valid item id "
                   "(lower-case letters, digits, '-' and '_', starting with a letter or digit)",
                   display, code="bad-item-id")
        return plan
    if folder != batch_root and folder.is_symlink():
        plan.error(f"the item folder is a symbolic link; {safe_open.LINK_RULE}", display,
                   code="link")
        return plan
    links: list[str] = []
    images = _files(folder / "images", IMAGE_SUFFIXES, links)
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() in IMAGE_SUFFIXES and p.is_symlink():
            links.append(p.name)
        elif p.suffix.lower() in IMAGE_SUFFIXES and _is_candidate(p):
            images[p.name] = p
    plan.images = images
    plan.ocr = _files(folder / "ocr", OCR_SUFFIXES, links)
    plan.tei = find_tei(folder, item_id)
    if plan.tei is not None and plan.tei.is_symlink():
        links.insert(0, plan.tei.name)
    if links:
        more = f" (and {len(links) - 1} more link(s) in the item)" if len(links) > 1 else ""
        plan.error(f"is a symbolic link{more}; {safe_open.LINK_RULE}",
                   f"{display}/{links[0]}", code="link")
        return plan
    if plan.tei is not None:
        rel = f"{display}/{plan.tei.name}"
        try:
            with plan.open(plan.tei.name) as f:
                size, limit = f.stat.st_size, min(max_tei_bytes or DEFAULT_MAX_BYTES,
                                                  DEFAULT_MAX_BYTES)
                if size > limit:
                    plan.error(f"the TEI file is {size:,} bytes, above the limit of "
                               f"{limit:,} bytes (setting max_tei_bytes); split the "
                               "volume or raise the limit", rel, code="tei-too-large")
                    return plan
                plan.tei_bytes = f.read(limit + 1)
            if len(plan.tei_bytes) > limit:  # it grew while being read
                raise SudurError("the TEI file grew above its size limit while being read",
                                 file=rel)
            result = parse_tei(plan.tei, folder, item_id, display_name=rel,
                               data=plan.tei_bytes)
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
