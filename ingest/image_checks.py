"""The master images of a planned item, probed before anything is copied.

Run by ``sudur check`` and by each ingest worker before it copies a byte, so that a missing,
escaping, linked or undecodable image fails its item early and with its file name. Relies on
``library.imaging.probe`` (header-only reads, decoder limits configured by the caller), given the
file opened once by ``ItemPlan.open``. Ingest cuts the derivatives from its own copy, which the
decoder checks again in full.
"""
from __future__ import annotations

from typing import Optional

from library import imaging
from library.errors import InputError, SudurError
from library.settings import Settings
from library.store import resolve_inside

from .batch import ItemPlan


def check_images(plan: ItemPlan, settings: Optional[Settings] = None) -> None:
    """Probe each page's image and fill its size and mode; report what would go wrong.

    Errors: a path escaping the item folder, a missing file, an image that does not decode.
    Warnings: tiny or huge images, unusual colour modes, several frames, a name that lies about
    the format, and a page whose size jumps from its neighbour's.
    """
    huge = (settings.max_master_pixels if settings else 250_000_000) // 4
    sizes = []
    for page in plan.item.pages:
        if not page.image:
            continue
        rel = f"{plan.display}/{page.image}"
        try:
            path = resolve_inside(plan.folder, page.image)
        except SudurError as exc:
            plan.error(exc.message, rel, code="path-escape")
            continue
        try:
            f = plan.open(page.image)  # once, never through a link; probed from it
        except InputError as exc:
            if exc.message != "file not found":
                plan.error(exc.message, rel, code="unreadable-file")
            elif not any(d.code == "missing-image" and page.image in d.message
                         for d in plan.diagnostics):
                plan.error(f"image {page.image} named for page {page.label or page.order} "
                           "does not exist", rel, code="missing-image")
            continue
        with f:
            try:
                info = imaging.probe(path, rel, fp=f)
            except SudurError as exc:
                plan.error(exc.message, rel, code="bad-image")
                continue
        page.width, page.height, page.mode = info.width, info.height, info.mode
        sizes.append((page.order, info.width, info.height, rel))
        if info.width < 100 or info.height < 100:
            plan.warn(f"image is tiny ({info.width}×{info.height})", rel, code="tiny-image")
        if info.width * info.height > huge:
            plan.warn(f"image is huge ({info.width}×{info.height}, "
                      f"{info.width * info.height / 1e6:.0f} megapixels)", rel, code="huge-image")
        if info.mode not in ("RGB", "L", "1", "P", "RGBA", "LA"):
            target = "greyscale" if info.mode in ("I;16", "I", "F", "I;16B") else "RGB"
            plan.warn(f"unexpected colour mode {info.mode}; derivatives are made in {target}",
                      rel, code="colour-mode")
        for note in getattr(info, "warnings", []):
            note = note.removeprefix(rel + ": ")
            if "although its name ends in" in note:
                plan.warn(note, rel, code="format-mismatch")
            elif "frame" not in note and " shown as " not in note:  # reported here already
                plan.warn(note, rel, code="image-note")
        if getattr(info, "frames", 1) > 1:
            plan.warn(f"image has {info.frames} frames; only the first is used", rel,
                      code="multi-frame")
    for (o1, w1, h1, _), (o2, w2, h2, rel2) in zip(sizes, sizes[1:]):
        if w1 and (abs(w2 - w1) / w1 > 0.25 or abs(h2 - h1) / max(h1, 1) > 0.25):
            plan.warn(f"page {o2} is {w2}×{h2}, its neighbour {w1}×{h1}", rel2,
                      code="size-jump")
