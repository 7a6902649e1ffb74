"""All image decoding and encoding in Sudur: the only package that imports Pillow.

Ingest calls ``probe`` to check a master and ``make_derivatives`` to cut, once, the tile pyramid
that info.json announces; the viewer calls ``prebuilt_path``/``render`` to answer IIIF Image API
requests from those files, never from the master; ``sudur sample`` draws its pages with
``render_page``. The modules, one seam each:

    codec       decoding masters and tiles, encoding answers, Pillow's decompression-bomb limit
    jpeg2000    the tiles and length of a JPEG 2000 codestream, read before it is decoded
    pyramid     cutting tiles, sizes and the thumbnail at ingest; the files of one page's pyramid
    rendering   answering an Image API request from the pyramid
    drawing     sample pages described as plain data (PageDrawing, render_page, fonts)

The names below are the package's public face; importers use ``from library import imaging``.
"""
from __future__ import annotations

from .codec import MASTER_FORMATS, ImageInfo, configure, encode, probe
from .drawing import (RGB, Band, Damage, FontSpec, PageDrawing, Paper, Shape, TextRun,
                      font_face_names, font_metrics, render_page, text_bbox, text_length)
from .pyramid import (SIZE_LIMIT, Derivatives, load_derivatives, make_derivatives, pyramid_path,
                      size_path, thumbnail_path, tile_path)
from .rendering import prebuilt_path, render

__all__ = [
    "MASTER_FORMATS", "ImageInfo", "configure", "encode", "probe",
    "RGB", "Band", "Damage", "FontSpec", "PageDrawing", "Paper", "Shape", "TextRun",
    "font_face_names", "font_metrics", "render_page", "text_bbox", "text_length",
    "SIZE_LIMIT", "Derivatives", "load_derivatives", "make_derivatives", "pyramid_path",
    "size_path", "thumbnail_path", "tile_path",
    "prebuilt_path", "render",
]
