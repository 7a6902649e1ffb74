"""The ZIP of an item: its TEI and its page images (the masters as delivered, or each page at a
chosen size), streamed: each piece is yielded as soon as it is written, so neither the archive
nor a whole master is ever held in memory.

Images go in stored (they are compressed already), the TEI deflated. The ZIP is written to a
sink that cannot seek, so zipfile puts each entry's sizes in a data descriptor after it. A page
at a chosen size is its pyramid level's whole-image file when ingest cut one, else rendered from
the level's tiles by ``library.imaging.render`` (the Image API's own path).
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path, PurePosixPath
from typing import Iterator, Optional, Sequence

from . import imaging
from .iiif_image import parse_request
from .models import Item, Page
from .pdf import level_for, level_size
from .settings import Settings
from .store import Store, page_derived_dir, resolve_inside, source_dir

CHUNK = 1 << 20


class _Sink(io.RawIOBase):
    """A write-only stream the ZIP is written into and the response drains."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        self._chunks.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        out = b"".join(self._chunks)
        self._chunks.clear()
        return out


def _level_jpeg(page: Page, store: Store, version: str, width: int,
                settings: Settings) -> bytes:
    folder = page_derived_dir(store.version_dir(version), page.order)
    if not imaging.pyramid_path(folder).is_file():
        folder = store.cached_pyramid_dir(version, page.order)
    derivs = imaging.load_derivatives(folder)
    lw, lh = level_size(derivs, level_for(derivs, width))
    if (lw, lh) in derivs.sizes:
        return imaging.size_path(folder, lw, lh).read_bytes()
    req = parse_request(page.image_id, "full", f"{lw},", "0", "default.jpg",
                        width=derivs.width, height=derivs.height, settings=settings)
    return imaging.render(req, folder, derivs)


def zip_stream(item: Item, pages: Sequence[Page], store: Store, version: str,
               width: Optional[int], settings: Settings) -> Iterator[bytes]:
    """The ZIP's bytes, piece by piece: ``<item>/<TEI>`` and ``<item>/images/<order>…``
    (``width`` None: the masters as delivered)."""
    sink = _Sink()
    src = source_dir(store.version_dir(version))
    root = PurePosixPath(item.id)
    with zipfile.ZipFile(sink, "w", allowZip64=True) as zf:
        if item.tei_file:
            tei = resolve_inside(src, item.tei_file)
            zf.writestr(str(root / PurePosixPath(item.tei_file).name), tei.read_bytes(),
                        compress_type=zipfile.ZIP_DEFLATED)
            yield sink.drain()
        for page in pages:
            if not page.has_image:
                continue
            name = f"{page.order:04d}"
            if width is None:
                master = resolve_inside(src, page.image or "")
                target = root / "images" / f"{name}-{Path(page.image or '').name}"
                with open(master, "rb") as fh, zf.open(str(target), "w",
                                                       force_zip64=True) as out:
                    while chunk := fh.read(CHUNK):
                        out.write(chunk)
                        yield sink.drain()
            else:
                data = _level_jpeg(page, store, version, width, settings)
                zf.writestr(str(root / "images" / f"{name}.jpg"), data)
            yield sink.drain()
    yield sink.drain()
