"""The built-in sample batch: six small items in five writing systems, TEI and page images made here.

The items: ``jangar-ms-1`` and ``geser-ms-1`` (Hudum Mongolian epics), ``kangyur-vol-1`` (a Tibetan
pothi volume, folios 1a-3b), ``todo-xiyouji-1`` (Oirat in Todo script), ``zh-archive-1`` (a Qing
dispatch in traditional Chinese) and ``manchu-memorial-1`` (its Manchu counterpart). The texts
are short and composed for the sample (the Tibetan is the canonical Heart Sutra).

``write_sample(out)`` writes, in the batch layout of DESIGN.md::

    out/<item>/<item>.xml          TEI P5: full teiHeader, <pb n facs> per page, <div>/<head>, <lb/>
    out/<item>/images/0001.png     each page rendered from its own transcription with Noto fonts
    out/jangar-ms-1/ocr/0001.xml   ALTO 4 with line and word boxes measured from that rendering
    out/kangyur-vol-1/ocr/0001.html  hOCR, the same for the Tibetan folios
    out/collections.json           the collections the items belong to

and returns the item ids. ``sudur sample OUT`` and the test fixtures call it. The output is the
same bytes on every run on one machine (no clock, no randomness that is not seeded from the item
id), so tests may rely on it.

``collections.json`` is a JSON list, in display order, of
``{"id": "epics", "label": {BCP 47 tag: text}, "summary": {...}, "parent": null | id,
"items": [item ids]}``: the fields of ``library.models.Collection``. The TEI also names the
collection of its item in ``msIdentifier/collection`` (label only). The page order and IIIF
behavior are in ``encodingDesc/tagsDecl/rendition``, e.g. ``right-to-left individuals``.

What the images show. A page shows its ``<head>`` (in red on the Mongolian and Tibetan leaves)
and then its lines, one per ``<lb/>``. ``<choice>`` draws the scribe's form (``orig`` or ``sic``),
``<unclear>`` faint ink, ``<gap/>`` a damaged patch of paper; ``<note>`` is the editor's and is not
drawn. The OCR files carry what is drawn, so a word in ``<choice>`` reads as ``orig``/``sic``
there. OCR words are split at spaces only (Tibetan: after each tsheg or shad; Chinese: one
character each): a Mongolian case suffix joined by NNBSP (U+202F) stays in its word's
``String``, as written. Words in ``<unclear>`` get a low confidence (WC 0.40, x_wconf 40).

Layouts: traditional Mongolian (Hudum, Todo, Manchu) in vertical columns running left to right, each
column shaped horizontally by raqm and turned 90 degrees clockwise (Mongolian fonts draw their
glyphs for that; raqm's top-to-bottom direction stacks the letters unjoined); Tibetan in
horizontal lines on a landscape pothi folio about 3:1 with a ruled frame; Chinese in columns
running right to left, one character a cell.

Fonts: ``find_font(script)`` looks in ``$SUDUR_FONT_DIR`` (folders separated by ``os.pathsep``),
``viewer/static/vendor/fonts`` (filled by ``make assets``), ``node_modules/@fontsource/*/files``
and then the Debian font folders (packages fonts-noto-core and fonts-noto-cjk). Pillow's FreeType
reads the npm web fonts (WOFF2) directly, so nothing is converted.
Without a font for a script, its pages are drawn with word-shaped blocks instead of letters, so
the sample still ingests; ``write_sample`` logs a warning naming the missing script.

This module decides what a page shows and where: it describes each page as a
``library.imaging.PageDrawing`` (paper, rules, text runs, column bands, damage) and measures text
with ``imaging.text_length``/``text_bbox``/``font_metrics``; ``imaging.render_page`` draws it.
Pillow stays inside ``library/imaging.py``.
"""
from __future__ import annotations

import json
import logging
import os
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from .errors import ImageError
from .imaging import (Band, Damage, FontSpec, PageDrawing, Paper, Shape, TextRun, font_face_names,
                      font_metrics, render_page, text_bbox, text_length)
from .models import Box, Collection, Word, to_dict, union_boxes

log = logging.getLogger(__name__)

TEI_NS = "http://www.tei-c.org/ns/1.0"
ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"
NNBSP = "\u202f"  # before Mongolian case suffixes
MVS = "\u180e"  # Mongolian vowel separator, before a detached final a/e

_ROOT = Path(__file__).resolve().parents[1]

# --- fonts ------------------------------------------------------------------------------------

# File names per script: the npm (fontsource) web font first, then the Debian ones.
_FONT_FILES: dict[str, tuple[str, ...]] = {
    "Mong": ("noto-sans-mongolian-mongolian-400-normal.woff2", "NotoSansMongolian-Regular.ttf",
             "NotoSansMongolian-Regular.otf"),
    "Tibt": ("noto-serif-tibetan-tibetan-400-normal.woff2", "NotoSerifTibetan-Regular.ttf",
             "NotoSerifTibetan-Regular.otf", "NotoSansTibetan-Regular.ttf"),
    "Hani": ("noto-serif-tc-chinese-traditional-400-normal.woff2", "NotoSerifCJK-Regular.ttc",
             "NotoSansCJK-Regular.ttc", "NotoSerifCJKtc-Regular.otf", "NotoSansCJKtc-Regular.otf"),
}
_NPM_PACKAGES = {"Mong": "noto-sans-mongolian", "Tibt": "noto-serif-tibetan", "Hani": "noto-serif-tc"}
_SYSTEM_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/noto"),
    Path("/usr/share/fonts/opentype/noto"),
    Path("/usr/share/fonts/truetype/noto-cjk"),
    Path("/usr/local/share/fonts"),
)
_SCRIPT_ALIASES = {
    "mong": "Mong", "mongolian": "Mong", "mn": "Mong", "mn-mong": "Mong", "xal-mong": "Mong",
    "todo": "Mong", "mnc-mong": "Mong", "manchu": "Mong",
    "tibt": "Tibt", "tibetan": "Tibt", "bo": "Tibt",
    "hani": "Hani", "hant": "Hani", "hans": "Hani", "chinese": "Hani", "zh": "Hani",
    "zh-hant": "Hani", "zh-hans": "Hani", "cjk": "Hani",
}


def _font_dirs(script: str) -> list[Path]:
    dirs: list[Path] = []
    env = os.environ.get("SUDUR_FONT_DIR", "")
    dirs.extend(Path(d) for d in env.split(os.pathsep) if d)
    dirs.append(_ROOT / "viewer" / "static" / "vendor" / "fonts")
    dirs.append(_ROOT / "node_modules" / "@fontsource" / _NPM_PACKAGES[script] / "files")
    dirs.extend(_SYSTEM_FONT_DIRS)
    dirs.append(Path.home() / ".local" / "share" / "fonts")
    return dirs


def find_font(script: str) -> Optional[Path]:
    """The font file Sudur draws ``script`` with, or None when none is installed.

    ``script`` is an ISO 15924 code (``Mong``, ``Tibt``, ``Hani``/``Hant``/``Hans``), a language
    tag (``mn-Mong``, ``xal-Mong``, ``mnc-Mong``, ``bo``, ``zh-Hant``) or a plain name
    (``mongolian``, ``tibetan``, ``chinese``), case-insensitive. One Noto Sans Mongolian face
    covers Hudum, Todo and Manchu. Raises ValueError for a script Sudur has no font list for.
    """
    key = _SCRIPT_ALIASES.get(script.strip().lower())
    if key is None:
        raise ValueError(f"no font list for script {script!r}")
    names = _FONT_FILES[key]
    for folder in _font_dirs(key):
        for name in names:
            candidate = folder / name
            if candidate.is_file():
                return candidate
    # Debian moves font folders now and then: a last, slower look through /usr/share/fonts.
    system = Path("/usr/share/fonts")
    if system.is_dir():
        for name in names:
            for candidate in sorted(system.rglob(name)):
                if candidate.is_file():
                    return candidate
    return None


# --- the items --------------------------------------------------------------------------------

@dataclass
class _PageSpec:
    label: str
    lines: list[str]  # TEI fragments, one per written line (the text after each <lb/>)
    head: Optional[str] = None  # opens a new <div> on this page


@dataclass
class _ItemSpec:
    id: str
    layout: str  # "mong" (vertical, left to right), "tibt" (pothi), "hani" (vertical, right to left)
    lang: str  # xml:lang of the text
    lang_name: str
    titles: dict[str, str]
    summary: dict[str, str]
    resp: list[tuple[str, str]]  # (role, name)
    date_text: str
    not_before: int
    not_after: int
    place: str
    institution: str
    settlement: str
    collection: str
    shelfmark: str
    genre: str
    licence: tuple[str, str]  # (URI, label)
    form: str
    material: str
    div_type: str
    pages: list[_PageSpec]
    other_langs: list[tuple[str, str]] = field(default_factory=list)
    encoding_note: str = ""
    ocr: str = ""  # "alto", "hocr" or "" for none
    direction: str = "left-to-right"  # IIIF viewingDirection of the page sequence
    behavior: str = "paged"  # IIIF behavior


_CC_BY = ("https://creativecommons.org/licenses/by/4.0/", "CC BY 4.0")
_CC0 = ("https://creativecommons.org/publicdomain/zero/1.0/", "CC0 1.0")
_IML = "Inner Mongolia Library (sample)"

_MONG_NOTE = ("Unicode traditional Mongolian: case suffixes follow a NARROW NO-BREAK SPACE "
              "(U+202F), a detached final a/e follows the MONGOLIAN VOWEL SEPARATOR (U+180E). "
              "Text composed for the Sudur sample.")

_N = NNBSP
_M = MVS

JANGAR = _ItemSpec(
    id="jangar-ms-1",
    layout="mong",
    lang="mn-Mong",
    lang_name="Mongolian in traditional (Hudum) script",
    titles={
        "mn-Mong": "ᠵᠠᠩᠭᠠᠷ",
        "en": "Jangar (manuscript excerpt)",
        "zh-Hans": "江格尔",
        "zh-Hant": "江格爾",
        "mn-Cyrl": "Жангар",
        "xal-Mong": "ᡓᠠᡊᡎᠠᠷ",
    },
    summary={
        "en": "Four pages from the opening of the Jangar epic: the land of Bumba, the steed "
              "Aranjal, the feast of the twelve heroes and the bard's closing lines. Composed "
              "for the Sudur sample, not copied from a real manuscript.",
        "zh-Hans": "《江格尔》史诗开篇四页：宝木巴之地、骏马阿兰扎尔、十二勇士之宴与说唱艺人的结语。"
                   "为 Sudur 示例而撰，并非真实抄本。",
        "mn-Mong": f"ᠵᠠᠩᠭᠠᠷ{_N}ᠤᠨ ᠲᠠᠤᠯᠢ{_N}ᠶᠢᠨ ᠡᠬᠢᠨ ᠬᠡᠰᠡᠭ",
    },
    resp=[("bard", "Eelyan Ovla (attributed)"), ("scribe", "Unknown scribe"),
          ("transcription and TEI encoding", "Sudur sample team")],
    date_text="1950s",
    not_before=1950,
    not_after=1959,
    place="Hohhot",
    institution=_IML,
    settlement="Hohhot",
    collection="Epics",
    shelfmark="IML-S-001",
    genre="epic",
    licence=_CC_BY,
    form="codex",
    material="paper",
    div_type="chapter",
    other_langs=[("xal-Mong", "Oirat names in Todo script (title only)")],
    encoding_note=_MONG_NOTE,
    ocr="alto",
    pages=[
        _PageSpec("1", head=f"ᠵᠠᠩᠭᠠᠷ{_N}ᠤᠨ ᠲᠠᠤᠯᠢ", lines=[
            f"ᠡᠷᠲᠡ ᠤᠷᠢᠳᠠ ᠴᠠᠭ{_N}ᠲᠤ",
            f"ᠪᠤᠮᠪᠠ{_N}ᠶᠢᠨ ᠣᠷᠣᠨ{_N}ᠳᠤ",
            f"ᠦᠪᠦᠯ ᠦᠭᠡᠢ ᠮᠥᠩᠬᠡ ᠵᠤᠨ ᠪᠠᠢᠨ{_M}ᠠ",
            "ᠬᠦᠮᠦᠨ ᠪᠦᠷᠢ ᠬᠣᠷᠢᠨ ᠲᠠᠪᠤᠨ ᠨᠠᠰᠤᠲᠠᠢ",
            f"ᠡᠵᠡᠨ ᠨᠢ ᠪᠣᠭᠳᠠ ᠵᠠᠩᠭᠠᠷ ᠬᠠᠭᠠᠨ ᠪᠣᠯᠤᠨ{_M}ᠠ",
        ]),
        _PageSpec("2", head="ᠠᠷᠠᠩᠵᠠᠯ ᠮᠣᠷᠢ", lines=[
            f"ᠵᠠᠩᠭᠠᠷ{_N}ᠤᠨ ᠬᠥᠯᠦᠭ ᠠᠷᠠᠩᠵᠠᠯ"
            "<note type=\"editorial\" xml:lang=\"en\">Aranjal, Jangar's red-brown steed, "
            "is named in every song of the cycle.</note>",
            f"ᠬᠠᠷ{_M}ᠠ ᠰᠡᠭᠦᠯ{_N}ᠲᠡᠢ ᠬᠤᠷᠳᠤᠨ ᠮᠣᠷᠢ",
            f"ᠳᠣᠯᠣᠭᠠᠨ ᠳᠠᠯᠠᠢ{_N}ᠶᠢ ᠭᠡᠲᠦᠯᠦᠨ{_M}ᠡ",
            f"ᠠᠯᠲᠠᠨ ᠡᠮᠡᠭᠡᠯ ᠲᠣᠬᠣᠮ{_N}ᠲᠠᠢ",
            f"<choice><orig>ᠪᠠᠲᠤᠷ</orig><reg>ᠪᠠᠭᠠᠲᠤᠷ</reg></choice> ᠡᠵᠡᠨ{_N}ᠢ ᠡᠭᠦᠷᠴᠦ "
            f"ᠶᠠᠪᠤᠨ{_M}ᠠ",
        ]),
        _PageSpec("3", head="ᠠᠷᠪᠠᠨ ᠬᠣᠶᠠᠷ ᠪᠠᠭᠠᠲᠤᠷ", lines=[
            "ᠠᠷᠪᠠᠨ ᠬᠣᠶᠠᠷ ᠪᠠᠭᠠᠲᠤᠷ ᠴᠢᠭᠤᠯᠵᠤ",
            f"ᠠᠯᠲᠠᠨ ᠣᠷᠳᠣ{_N}ᠳᠤ ᠬᠤᠷᠢᠮ ᠬᠢᠪᠡ",
            f"ᠤᠯᠠᠭᠠᠨ ᠬᠣᠩᠭᠣᠷ ᠪᠠᠷᠠᠭᠤᠨ ᠭᠠᠷ{_N}ᠲᠤ",
            f"<unclear reason=\"faded\">ᠰᠠᠨᠠᠯ</unclear> ᠵᠡᠭᠦᠨ ᠭᠠᠷ{_N}ᠲᠤ ᠰᠠᠭᠤᠵᠤ",
            f"ᠠᠷᠢᠬᠢ <gap reason=\"damage\" quantity=\"1\" unit=\"word\"/> ᠤᠤᠨ{_M}ᠠ",
        ]),
        _PageSpec("4", head="ᠲᠡᠭᠦᠰᠬᠡᠯ", lines=[
            f"ᠡᠨᠡ ᠲᠠᠤᠯᠢ{_N}ᠶᠢ ᠲᠠᠤᠯᠢᠴᠢ ᠬᠡᠯᠡᠪᠡ",
            "ᠪᠢᠴᠢᠭᠡᠴᠢ ᠪᠢᠴᠢᠵᠦ ᠲᠡᠭᠦᠰᠪᠡ",
            "ᠰᠠᠢᠨ ᠦᠢᠯᠡ ᠳᠡᠯᠭᠡᠷᠡᠬᠦ ᠪᠣᠲᠤᠭᠠᠢ",
            f"ᠮᠣᠩᠭᠣᠯ ᠤᠯᠤᠰ{_N}ᠤᠨ ᠵᠠᠩᠭᠠᠷ",
        ]),
    ],
)

GESER = _ItemSpec(
    id="geser-ms-1",
    layout="mong",
    lang="mn-Mong",
    lang_name="Mongolian in traditional (Hudum) script",
    titles={
        "mn-Mong": f"ᠠᠷᠪᠠᠨ ᠵᠦᠭ{_N}ᠦᠨ ᠡᠵᠡᠨ ᠭᠡᠰᠡᠷ ᠬᠠᠭᠠᠨ{_N}ᠤ ᠲᠤᠵᠢ",
        "en": "The Tale of Geser Khan, Lord of the Ten Directions (manuscript excerpt)",
        "zh-Hans": "十方之主格斯尔可汗传",
        "zh-Hant": "十方之主格斯爾可汗傳",
        "bo": "གླིང་རྗེ་གེ་སར་རྒྱལ་པོའི་སྒྲུང་",
        "mn-Cyrl": "Арван зүгийн эзэн Гэсэр хааны тууж",
    },
    summary={
        "en": "Three pages in the manner of the 1716 Beijing Geser: the hero's titles, his "
              "descent from heaven and his vow. Composed for the Sudur sample.",
        "zh-Hans": "仿1716年北京木刻本《格斯尔传》的三页：英雄的尊号、自天降生与誓愿。为 Sudur 示例而撰。",
        "mn-Mong": f"ᠭᠡᠰᠡᠷ ᠬᠠᠭᠠᠨ{_N}ᠤ ᠲᠤᠵᠢ{_N}ᠶᠢᠨ ᠬᠡᠰᠡᠭ",
    },
    resp=[("scribe", "Lobsang (attributed)"),
          ("transcription and TEI encoding", "Sudur sample team")],
    date_text="18th century, after the Beijing xylograph of 1716",
    not_before=1716,
    not_after=1799,
    place="Beijing",
    institution=_IML,
    settlement="Hohhot",
    collection="Epics",
    shelfmark="IML-S-002",
    genre="epic",
    licence=_CC_BY,
    form="codex",
    material="paper",
    div_type="chapter",
    encoding_note=_MONG_NOTE,
    pages=[
        _PageSpec("1", head=f"ᠭᠡᠰᠡᠷ ᠬᠠᠭᠠᠨ{_N}ᠤ ᠲᠤᠵᠢ", lines=[
            f"ᠠᠷᠪᠠᠨ ᠵᠦᠭ{_N}ᠦᠨ ᠡᠵᠡᠨ",
            "ᠭᠡᠰᠡᠷ ᠮᠡᠷᠭᠡᠨ ᠬᠠᠭᠠᠨ",
            f"ᠲᠩᠷᠢ{_N}ᠡᠴᠡ ᠪᠠᠭᠤᠵᠤ",
            f"ᠬᠠᠷ{_M}ᠠ ᠮᠠᠩᠭᠤᠰ{_N}ᠢ ᠳᠠᠷᠤᠭᠰᠠᠨ",
        ]),
        _PageSpec("2", lines=[
            "ᠭᠡᠰᠡᠷ ᠬᠠᠭᠠᠨ ᠬᠡᠯᠡᠷᠦᠨ",
            f"ᠪᠢ ᠪᠦᠬᠦ ᠠᠮᠢᠲᠠᠨ{_N}ᠤ ᠵᠢᠷᠭᠠᠯ{_N}ᠤᠨ ᠲᠤᠯᠠ",
            f"ᠡᠨᠡ ᠭᠠᠵᠠᠷ{_N}ᠲᠤ ᠲᠥᠷᠦᠯ ᠣᠯᠪᠠ"
            "<note type=\"editorial\" xml:lang=\"en\">Geser is born on earth as the son of a "
            "heavenly king; the 1716 print tells it in its first chapter.</note>",
            f"<unclear reason=\"rubbed\">ᠬᠠᠷᠠᠩᠭᠤᠢ</unclear> ᠲᠥᠷᠦ{_N}ᠶᠢ ᠲᠡᠭᠰᠢᠯᠡᠨ{_M}ᠡ",
        ]),
        _PageSpec("3", head="ᠭᠡᠰᠡᠷ ᠬᠠᠭᠠᠨ", lines=[
            f"ᠠᠯᠲᠠᠨ ᠰᠢᠷᠡᠭᠡ{_N}ᠳᠦ ᠰᠠᠭᠤᠵᠤ",
            f"ᠠᠷᠪᠠᠨ ᠵᠦᠭ{_N}ᠢ ᠡᠵᠡᠯᠡᠪᠡ",
            "<choice><sic>ᠭᠡᠰᠠᠷ</sic><corr>ᠭᠡᠰᠡᠷ</corr></choice> ᠬᠠᠭᠠᠨ ᠮᠥᠩᠬᠡ ᠮᠥᠨ",
        ]),
    ],
)

KANGYUR = _ItemSpec(
    id="kangyur-vol-1",
    layout="tibt",
    behavior="individuals",
    lang="bo",
    lang_name="Classical Tibetan",
    titles={
        "bo": "བཀའ་འགྱུར། ཤེར་ཕྱིན་སྣ་ཚོགས། ཀ",
        "bo-x-ewts": "bka' 'gyur/ sher phyin sna tshogs/ ka",
        "en": "Kangyur, Perfection of Wisdom miscellany, volume ka (excerpt: the Heart Sutra)",
        "zh-Hans": "甘珠尔·般若部·第一函（心经）",
        "zh-Hant": "甘珠爾·般若部·第一函（心經）",
        "mn-Mong": "ᠭᠠᠨᠵᠤᠤᠷ",
    },
    summary={
        "en": "Six sides of a pothi volume of the Kangyur (Tibetan Buddhist canon): the volume "
              "title on folio 1a, then the Heart Sutra from its Sanskrit title to its closing "
              "praise. Written out for the Sudur sample.",
        "zh-Hans": "藏文《甘珠尔》贝叶夹装本六面：1a 为函名，其后为《心经》。为 Sudur 示例而抄。",
        "bo": "བཀའ་འགྱུར་གྱི་པོ་ཏི་ཀ་པ་ལས་ཤེས་རབ་སྙིང་པོ།",
    },
    resp=[("translator", "Vimalamitra and Rinchen De (8th–9th century)"),
          ("scribe", "Unknown scribe"),
          ("transcription and TEI encoding", "Sudur sample team")],
    date_text="18th century",
    not_before=1700,
    not_after=1799,
    place="Amdo",
    institution=_IML,
    settlement="Hohhot",
    collection="Kangyur",
    shelfmark="IML-S-KA-001",
    genre="sutra",
    licence=_CC_BY,
    form="pothi",
    material="paper",
    div_type="text",
    other_langs=[("sa-Tibt", "Sanskrit title and mantra in Tibetan script")],
    encoding_note="Unicode Tibetan. Folios are numbered by leaf: 1a is the recto, 1b the verso.",
    ocr="hocr",
    pages=[
        _PageSpec("1a", head="༄༅། །བཀའ་འགྱུར། ཤེར་ཕྱིན་སྣ་ཚོགས། ཀ", lines=[]),
        _PageSpec("1b", head="ཤེས་རབ་སྙིང་པོ།", lines=[
            "༄༅། །རྒྱ་གར་སྐད་དུ། བྷ་ག་ཝ་ཏཱི་པྲཛྙཱ་པཱ་ར་མི་ཏཱ་ཧྲྀ་ད་ཡ། བོད་སྐད་དུ།",
            "བཅོམ་ལྡན་འདས་མ་ཤེས་རབ་ཀྱི་ཕ་རོལ་ཏུ་ཕྱིན་པའི་སྙིང་པོ། བམ་པོ་གཅིག་གོ།",
            "སངས་རྒྱས་དང་བྱང་ཆུབ་སེམས་དཔའ་ཐམས་ཅད་ལ་ཕྱག་འཚལ་ལོ། །འདི་སྐད་བདག་གིས་ཐོས་པ་དུས་གཅིག་ན།",
            "བཅོམ་ལྡན་འདས་རྒྱལ་པོའི་ཁབ་ན་བྱ་རྒོད་ཕུང་པོའི་རི་ལ། དགེ་སློང་གི་དགེ་འདུན་ཆེན་པོ་དང་།",
        ]),
        _PageSpec("2a", lines=[
            "བྱང་ཆུབ་སེམས་དཔའི་དགེ་འདུན་ཆེན་པོ་དང་ཐབས་གཅིག་ཏུ་བཞུགས་ཏེ། དེའི་ཚེ་བཅོམ་ལྡན་འདས་",
            "ཟབ་མོ་སྣང་བ་ཞེས་བྱ་བ་ཆོས་ཀྱི་རྣམ་གྲངས་ཀྱི་ཏིང་ངེ་འཛིན་ལ་སྙོམས་པར་ཞུགས་སོ། །",
            "ཡང་དེའི་ཚེ་བྱང་ཆུབ་སེམས་དཔའ་སེམས་དཔའ་ཆེན་པོ་འཕགས་པ་སྤྱན་རས་གཟིགས་དབང་ཕྱུག",
            "ཤེས་རབ་ཀྱི་ཕ་རོལ་ཏུ་ཕྱིན་པ་ཟབ་མོའི་སྤྱོད་པ་ཉིད་ལ་རྣམ་པར་བལྟ་ཞིང་།",
            "ཕུང་པོ་ལྔ་པོ་དེ་དག་ལ་ཡང་རང་བཞིན་གྱིས་སྟོང་པར་རྣམ་པར་བལྟའོ། །",
        ]),
        _PageSpec("2b", lines=[
            "གཟུགས་སྟོང་པའོ། །སྟོང་པ་ཉིད་གཟུགས་སོ། །གཟུགས་ལས་སྟོང་པ་ཉིད་གཞན་མ་ཡིན།",
            "སྟོང་པ་ཉིད་ལས་ཀྱང་གཟུགས་གཞན་མ་ཡིན་ནོ། །དེ་བཞིན་དུ་ཚོར་བ་དང་། འདུ་ཤེས་དང་།",
            "འདུ་བྱེད་དང་། རྣམ་པར་ཤེས་པ་རྣམས་སྟོང་པའོ། །<unclear reason=\"faded\">ཤཱ་རིའི་བུ་</unclear>"
            "དེ་ལྟ་བས་ན་ཆོས་ཐམས་ཅད་སྟོང་པ་ཉིད་དེ།",
            "མཚན་ཉིད་མེད་པ། མ་སྐྱེས་པ། མ་འགགས་པ། དྲི་མ་མེད་པ། དྲི་མ་"
            "<gap reason=\"damage\" quantity=\"2\" unit=\"syllable\"/>བ་མེད་པ།",
            "བྲི་བ་མེད་པ། གང་བ་མེད་པའོ། །",
        ]),
        _PageSpec("3a", head="གཟུངས་སྔགས།", lines=[
            "དུས་གསུམ་དུ་རྣམ་པར་བཞུགས་པའི་སངས་རྒྱས་ཐམས་ཅད་ཀྱང་ཤེས་རབ་ཀྱི་ཕ་རོལ་ཏུ་ཕྱིན་པ་འདི་ལ་",
            "བརྟེན་ནས། བླ་ན་མེད་པ་ཡང་དག་པར་རྫོགས་པའི་བྱང་ཆུབ་ཏུ་མངོན་པར་རྫོགས་པར་སངས་རྒྱས་སོ། །",
            "ཤེས་རབ་ཀྱི་ཕ་རོལ་ཏུ་ཕྱིན་པའི་སྔགས། ཏདྱ་ཐཱ། ག་ཏེ་ག་ཏེ། པཱ་ར་ག་ཏེ། པཱ་ར་སཾ་ག་ཏེ། བོ་དྷི་སྭཱ་ཧཱ།",
        ]),
        _PageSpec("3b", head="མཇུག་བྱང་།", lines=[
            "བཅོམ་ལྡན་འདས་ཀྱིས་དེ་སྐད་ཅེས་བཀའ་སྩལ་ནས།",
            "ལྷ་དང་། <choice><orig>མྱི</orig><reg>མི</reg></choice>་དང་། ལྷ་མ་ཡིན་དང་། "
            "དྲི་ཟར་བཅས་པའི་འཇིག་རྟེན་ཡི་རངས་ཏེ།",
            "བཅོམ་ལྡན་འདས་ཀྱིས་གསུངས་པ་ལ་མངོན་པར་བསྟོད་དོ། །",
            "འཕགས་པ་ཤེས་རབ་ཀྱི་ཕ་རོལ་ཏུ་ཕྱིན་པའི་སྙིང་པོ་རྫོགས་སོ། །"
            "<note type=\"editorial\" xml:lang=\"en\">The archaic spelling myi for mi in the "
            "line above is kept as the scribe wrote it.</note>",
        ]),
    ],
)

TODO = _ItemSpec(
    id="todo-xiyouji-1",
    layout="mong",
    lang="xal-Mong",
    lang_name="Oirat in Todo (clear) script",
    titles={
        "xal-Mong": f"ᡋᠠᠷᡇᡃᠨ ᡓᡉᡘ{_N}ᡅᠨ ᡐᡇᡇᡓᡅ",
        "en": "Journey to the West (Oirat, Todo script; excerpt)",
        "zh-Hans": "西游记（托忒文译本）",
        "zh-Hant": "西遊記（托忒文譯本）",
        "mn-Mong": f"ᠪᠠᠷᠠᠭᠤᠨ ᠵᠦᠭ{_N}ᠦᠨ ᠲᠤᠵᠢ",
    },
    summary={
        "en": "Three pages retelling the start of Journey to the West in Oirat, written in the "
              "Todo script of Zaya Pandita: the Tang master sets out, his three disciples guard "
              "him, the scriptures come home. Composed for the Sudur sample.",
        "zh-Hans": "以托忒文卫拉特语复述《西游记》开篇三页：唐僧西行、三徒护法、取经东归。为 Sudur 示例而撰。",
    },
    resp=[("translator", "Unknown Oirat translator"),
          ("transcription and TEI encoding", "Sudur sample team")],
    date_text="late 18th to early 19th century",
    not_before=1770,
    not_after=1830,
    place="Ili",
    institution="Xinjiang Oirat Collection (sample)",
    settlement="Urumqi",
    collection="Oirat literature",
    shelfmark="XOC-S-017",
    genre="novel",
    licence=_CC_BY,
    form="codex",
    material="paper",
    div_type="chapter",
    other_langs=[("zh", "Chinese names transcribed in Todo letters")],
    encoding_note="Unicode Todo letters (U+1843-U+185C) with the letters Todo shares with Hudum; "
                  "case suffixes follow U+202F. Text composed for the Sudur sample.",
    pages=[
        _PageSpec("1", head=f"ᡋᠠᠷᡇᡃᠨ ᡓᡉᡘ{_N}ᡅᠨ ᡐᡇᡇᡓᡅ", lines=[
            f"ᡐᠠᡊ{_N}ᡅᠨ ᠯᠠᡏᠠ ᡋᠠᡎᠱᡅ",
            f"ᠨᡆᡏ{_N}ᡅ ᠠᡋᡒᡅᠷᡍᠠᡕᡅᠨ ᡐᡇᠯᠠ",
            f"ᡋᠠᠷᡇᡃᠨ ᡓᡉᡘ{_N}ᡐᡇ ᡆᡑᡋᠠ",
            f"ᡄᠨᡄᡐᡗᡄᡘ{_N}ᡅᠨ ᡆᠷᡆᠨ ᡋᠠᠷᡇᡃᠨ ᡋᠠᡅᠨᠠ",
        ]),
        _PageSpec("2", head="ᡎᡇᠷᡋᠠᠨ ᠱᠠᡋᡅ", lines=[
            "ᡏᡄᡒᡅᠨ ᠰᡇᠨ ᡖᡇ ᡍᡇᡊ"
            "<note type=\"editorial\" xml:lang=\"en\">Sun Wukong, the Monkey King; Chinese names "
            "are spelled by sound in Todo letters.</note>",
            f"ᡆᠯᡆᠨ ᡏᠠᡊᡎᡇᠰ{_N}ᡅ ᡅᠯᠠᡓᡇ",
            "ᡓᡇ ᡋᠠ ᡓᡅᡄ ᠱᠠ ᡖᡇ ᡓᡅᡊ ᡍᡆᡕᠠᠷ",
            f"ᡐᠠᡊ ᠯᠠᡏᠠ{_N}ᡅ <choice><orig>ᡍᠠᠷᡇᠯᠠᡓᡇ</orig><reg>ᡍᠠᠷᡇᡃᠯᠠᡓᡇ</reg></choice>",
        ]),
        _PageSpec("3", head="ᠨᡆᡏ ᠠᡋᡒᡅᠷᡋᠠ", lines=[
            "ᡆᠯᡆᠨ ᡓᡅᠯ ᡕᠠᡋᡇᡓᡇ",
            f"ᠨᡆᡏ{_N}ᡅ ᡐᠠᡊ{_N}ᡅᠨ ᡆᠷᡆᠨ{_N}ᡐᡇ ᠠᡋᡒᡅᠷᡋᠠ",
            "<unclear reason=\"faded\">ᡋᡇᡕᠠᠨ</unclear> ᡅᡗᡄ ᡋᡆᠯᡋᠠ",
        ]),
    ],
)

ZH_ARCHIVE = _ItemSpec(
    id="zh-archive-1",
    layout="hani",
    direction="right-to-left",
    behavior="individuals",
    lang="zh-Hant",
    lang_name="Classical Chinese (traditional characters)",
    titles={
        "zh-Hant": "理藩院為咨送土爾扈特部蒙古經卷事咨軍機處文",
        "zh-Hans": "理藩院为咨送土尔扈特部蒙古经卷事咨军机处文",
        "en": "Dispatch of the Court of Colonial Affairs on the Mongolian books of the Torghuts (1771)",
        "mn-Mong": f"ᠲᠤᠷᠭᠤᠳ{_N}ᠤᠨ ᠮᠣᠩᠭᠣᠯ ᠨᠣᠮ{_N}ᠤᠨ ᠲᠤᠬᠠᠢ ᠪᠢᠴᠢᠭ",
    },
    summary={
        "en": "A three-page dispatch dated Qianlong 36 (1771): the Torghut khan, back from the "
              "Volga, hands over a Jangar manuscript, a printed Geser, a Tibetan Kangyur volume "
              "and a Todo Journey to the West. Composed for the Sudur sample.",
        "zh-Hans": "乾隆三十六年（1771）咨文三页：土尔扈特汗东归后呈送《江格尔》抄本、《格斯尔》刻本、"
                   "藏文《甘珠尔》一函及托忒文《西游记》。为 Sudur 示例而撰。",
        "zh-Hant": "乾隆三十六年咨文三頁：土爾扈特汗東歸後呈送江格爾傳、格斯爾傳、甘珠爾經及托忒字西遊記。",
    },
    resp=[("author", "Court of Colonial Affairs (Lifan Yuan)"),
          ("transcription and TEI encoding", "Sudur sample team")],
    date_text="乾隆三十六年五月初十日 (1771)",
    not_before=1771,
    not_after=1771,
    place="Beijing",
    institution="Historical Archives (sample)",
    settlement="Beijing",
    collection="Archives",
    shelfmark="HA-S-LFY-1771-05",
    genre="archival document",
    licence=_CC0,
    form="sheet",
    material="paper",
    div_type="section",
    encoding_note="Traditional characters as written; variant forms are regularised in <reg>.",
    pages=[
        _PageSpec("1", head="理藩院咨文", lines=[
            "理藩院為咨送事",
            "乾隆三十六年五月初十日",
            "准土爾扈特汗渥巴錫呈稱"
            "<note type=\"editorial\" xml:lang=\"en\">Ubashi, khan of the Torghuts, who led "
            "them back from the Volga in 1771.</note>",
            "本部自俄羅斯東歸攜有",
            "蒙古字江格爾傳抄本一部",
        ]),
        _PageSpec("2", lines=[
            "又格斯爾可汗傳刻本<choice><sic>三</sic><corr>二</corr></choice>冊",
            "並唐古特字甘珠爾經一函",
            "及托忒字西遊記譯本一部",
            "俱係舊本<unclear reason=\"faded\">字跡</unclear>間有模糊",
        ]),
        _PageSpec("3", head="咨行", lines=[
            "今將原書咨送京師",
            "交內閣蒙古堂翻譯",
            "以備查核可也",
            "須至咨者右咨軍機處",
            "乾隆三十六年五月<gap reason=\"damage\" quantity=\"2\" unit=\"chars\"/>日",
        ]),
    ],
)

MANCHU = _ItemSpec(
    id="manchu-memorial-1",
    layout="mong",
    lang="mnc-Mong",
    lang_name="Manchu in Manchu script",
    titles={
        "mnc-Mong": "ᡨᡠᡵᡤᡡᡨ ᡳ ᠮᠣᠩᡤᠣ ᠪᡳᡨᡥᡝ ᠪᡝ ᠪᡝᠨᡝᠪᡠᡥᡝ ᠸᡝᠰᡳᠮᠪᡠᡵᡝ ᠪᡳᡨᡥᡝ",
        "mnc-Latn": "turgūt i monggo bithe be benebuhe wesimbure bithe",
        "en": "Memorial on sending the Mongolian books of the Torghuts (Manchu, 1771)",
        "zh-Hans": "奏报呈送土尔扈特蒙古文书籍折（满文）",
        "zh-Hant": "奏報呈送土爾扈特蒙古文書籍摺（滿文）",
    },
    summary={
        "en": "The Manchu memorial that goes with the Chinese dispatch zh-archive-1: the Court "
              "of Colonial Affairs reports the Torghut books and the emperor writes 'noted'. "
              "Composed for the Sudur sample.",
        "zh-Hans": "与汉文咨文 zh-archive-1 相应的满文奏折：理藩院奏报土尔扈特所献书籍，朱批“知道了”。"
                   "为 Sudur 示例而撰。",
    },
    resp=[("author", "Court of Colonial Affairs (Lifan Yuan)"),
          ("transcription and TEI encoding", "Sudur sample team")],
    date_text="abkai wehiyehe i gūsin ningguci aniya (1771)",
    not_before=1771,
    not_after=1771,
    place="Beijing",
    institution="Historical Archives (sample)",
    settlement="Beijing",
    collection="Archives",
    shelfmark="HA-S-MNC-1771-05",
    genre="memorial",
    licence=_CC0,
    form="sheet",
    material="paper",
    div_type="section",
    behavior="individuals",
    other_langs=[("mn-Mong", "Mongolian book titles")],
    encoding_note="Unicode Manchu letters (U+185D-U+1878 with the shared Mongolian letters); "
                  "particles are written as separate words. Text composed for the Sudur sample.",
    pages=[
        _PageSpec("1", head="ᠸᡝᠰᡳᠮᠪᡠᡵᡝ ᠪᡳᡨᡥᡝ", lines=[
            "ᡨᡠᠯᡝᡵᡤᡳ ᡤᠣᠯᠣ ᠪᡝ ᡩᠠᠰᠠᡵᠠ ᠵᡠᡵᡤᠠᠨ",
            "ᡤᡳᠩᡤᡠᠯᡝᠮᡝ ᠸᡝᠰᡳᠮᠪᡠᡵᡝ ᠵᠠᠯᡳᠨ",
            "ᡨᡠᡵᡤᡡᡨ ᡳ ᡥᠠᠨ ᡠᠪᠠᠰᡳ",
        ]),
        _PageSpec("2", lines=[
            "ᠮᠣᠩᡤᠣ ᠪᡳᡨᡥᡝᡳ ᠵᠠᠩᡤᠠᡵ ᡝᠮᡠ ᡩᡝᠪᡨᡝᠯᡳᠨ",
            "ᡤᡝᠰᡝᡵ ᡥᠠᠨ ᡳ ᠪᡳᡨᡥᡝ ᠵᡠᠸᡝ ᡩᡝᠪᡨᡝᠯᡳᠨ",
            "ᡨᠠᠩᡤᡡᡨ ᡥᡝᡵᡤᡝᠨ ᡳ ᡤᠠᠨᠵᡠᡵ ᠨᠣᠮᡠᠨ ᡝᠮᡠ ᡩᠣᠪᡨᠣᠨ",
            "<unclear reason=\"faded\">ᡴᠠᠮᠴᡳᠮᡝ</unclear> ᠪᡝᠨᡝᠪᡠᡥᡝ",
        ]),
        _PageSpec("3", head="ᡥᡝᠰᡝ", lines=[
            "ᠠᠪᡴᠠᡳ ᠸᡝᡥᡳᠶᡝᡥᡝ ᡳ ᡤᡡᠰᡳᠨ ᠨᡳᠩᡤᡠᠴᡳ ᠠᠨᡳᠶᠠ",
            "ᠰᡠᠨᠵᠠ ᠪᡳᠶᠠ ᡳ ᡳᠴᡝ ᠵᡠᠸᠠᠨ",
            "ᡥᡝᠰᡝ ᠰᠠᡥᠠ"
            "<note type=\"editorial\" xml:lang=\"en\">saha, 'noted': the emperor's rescript, "
            "written in vermilion on the original.</note>",
        ]),
    ],
)

ITEMS: tuple[_ItemSpec, ...] = (JANGAR, GESER, KANGYUR, TODO, ZH_ARCHIVE, MANCHU)

COLLECTIONS: tuple[Collection, ...] = (
    Collection(id="epics",
               label={"en": "Epics", "mn-Mong": "ᠲᠠᠤᠯᠢ", "zh-Hans": "史诗", "zh-Hant": "史詩",
                      "bo": "སྒྲུང་"},
               summary={"en": "The Mongolian epics of Jangar and Geser."},
               items=["jangar-ms-1", "geser-ms-1"]),
    Collection(id="kangyur",
               label={"en": "Kangyur", "bo": "བཀའ་འགྱུར", "mn-Mong": "ᠭᠠᠨᠵᠤᠤᠷ",
                      "zh-Hans": "甘珠尔", "zh-Hant": "甘珠爾"},
               summary={"en": "Volumes of the Tibetan Buddhist canon (one in the sample)."},
               items=["kangyur-vol-1"]),
    Collection(id="oirat",
               label={"en": "Oirat literature in Todo script", "xal-Mong": "ᡆᡅᠷᠠᡑ",
                      "zh-Hans": "托忒文文献", "zh-Hant": "托忒文文獻"},
               summary={"en": "Texts written in the Todo (clear) script of the Oirats."},
               items=["todo-xiyouji-1"]),
    Collection(id="archives",
               label={"en": "Archival documents", "zh-Hans": "档案", "zh-Hant": "檔案",
                      "mn-Mong": "ᠬᠠᠷᠢ ᠪᠢᠴᠢᠭ", "mnc-Mong": "ᡩᠠᠩᠰᡝ"},
               summary={"en": "Qing government documents about the books of the collection."},
               items=["zh-archive-1", "manchu-memorial-1"]),
)


# --- TEI ----------------------------------------------------------------------------------------

@dataclass
class _Seg:
    kind: str  # "text", "unclear" or "gap"
    text: str = ""


def _segments(fragment: str) -> list[_Seg]:
    """What the scribe wrote in one line fragment: text, faint text, damaged gaps."""
    root = etree.fromstring(f'<l xmlns="{TEI_NS}">{fragment}</l>')
    segs: list[_Seg] = []

    def add(kind: str, text: Optional[str]) -> None:
        if not text:
            return
        if segs and segs[-1].kind == kind == "text":
            segs[-1].text += text
        else:
            segs.append(_Seg(kind, text))

    add("text", root.text)
    for child in root:
        name = etree.QName(child).localname
        if name == "choice":
            shown = child.find(f"{{{TEI_NS}}}orig")
            if shown is None:
                shown = child.find(f"{{{TEI_NS}}}sic")
            add("text", "".join(shown.itertext()) if shown is not None else "")
        elif name == "unclear":
            add("unclear", "".join(child.itertext()))
        elif name == "gap":
            segs.append(_Seg("gap"))
        elif name == "note":
            pass  # the editor's, not on the leaf
        else:
            add("text", "".join(child.itertext()))
        add("text", child.tail)
    return segs


def _title_elems(spec: _ItemSpec) -> str:
    out = []
    for i, (lang, text) in enumerate(spec.titles.items()):
        kind = ' type="main"' if i == 0 else ' type="alt"'
        out.append(f'        <title xml:lang="{lang}"{kind}>{escape(text)}</title>')
    return "\n".join(out)


def _tei(spec: _ItemSpec) -> str:
    """The TEI P5 document of one item (a string; well-formed by construction, tested)."""
    resp = "\n".join(
        f"        <respStmt><resp>{escape(role)}</resp><name>{escape(name)}</name></respStmt>"
        for role, name in spec.resp)
    # TEI allows one msContents/summary: English there, the other languages as abstracts.
    summary_langs = list(spec.summary)
    summaries = (f'          <summary xml:lang="{summary_langs[0]}">'
                 f'{escape(spec.summary[summary_langs[0]])}</summary>')
    abstracts = "\n".join(
        f'      <abstract xml:lang="{lang}"><p>{escape(spec.summary[lang])}</p></abstract>'
        for lang in summary_langs[1:])
    other = " ".join(lang for lang, _ in spec.other_langs)
    other_attr = f' otherLangs="{other}"' if other else ""
    languages = "\n".join(
        [f'        <language ident="{spec.lang}">{escape(spec.lang_name)}</language>']
        + [f'        <language ident="{lang}">{escape(name)}</language>'
           for lang, name in spec.other_langs])
    n_pages = len(spec.pages)
    unit = "folio sides" if spec.form == "pothi" else "pages"
    lic_uri, lic_label = spec.licence
    header = f"""<teiHeader>
    <fileDesc>
      <titleStmt>
{_title_elems(spec)}
{resp}
      </titleStmt>
      <extent>{n_pages} {unit}</extent>
      <publicationStmt>
        <publisher>Sudur</publisher>
        <idno type="sudur">{spec.id}</idno>
        <availability>
          <licence target={quoteattr(lic_uri)}>{escape(lic_label)}</licence>
        </availability>
      </publicationStmt>
      <sourceDesc>
        <msDesc>
          <msIdentifier>
            <country>China</country>
            <settlement>{escape(spec.settlement)}</settlement>
            <institution>{escape(spec.institution)}</institution>
            <collection>{escape(spec.collection)}</collection>
            <idno type="shelfmark">{escape(spec.shelfmark)}</idno>
          </msIdentifier>
          <msContents>
{summaries}
            <textLang mainLang="{spec.lang}"{other_attr}>{escape(spec.lang_name)}</textLang>
          </msContents>
          <physDesc>
            <objectDesc form="{spec.form}">
              <supportDesc material="{spec.material}">
                <extent><measure unit="{'leaf' if spec.form == 'pothi' else 'page'}" quantity="{n_pages}">{n_pages} {unit}</measure></extent>
              </supportDesc>
            </objectDesc>
          </physDesc>
          <history>
            <origin>
              <origDate notBefore="{spec.not_before:04d}" notAfter="{spec.not_after:04d}">{escape(spec.date_text)}</origDate>
              <origPlace>{escape(spec.place)}</origPlace>
            </origin>
          </history>
        </msDesc>
      </sourceDesc>
    </fileDesc>
    <encodingDesc>
      <p>{escape(spec.encoding_note)}</p>
      <tagsDecl>
        <rendition xml:id="page-sequence" scheme="free">{spec.direction} {spec.behavior}</rendition>
      </tagsDecl>
    </encodingDesc>
    <profileDesc>
{abstracts}
      <langUsage>
{languages}
      </langUsage>
      <textClass>
        <keywords>
          <term type="genre">{escape(spec.genre)}</term>
        </keywords>
      </textClass>
    </profileDesc>
  </teiHeader>"""

    body: list[str] = []
    open_div = False
    n_div = 0
    for order, page in enumerate(spec.pages, start=1):
        pb = f'    <pb n="{escape(page.label)}" facs="images/{order:04d}.png"/>'
        if page.head is not None:
            if open_div:
                body.append("    </div>")
            n_div += 1
            body.append(pb)
            body.append(f'    <div type="{spec.div_type}" n="{n_div}">')
            body.append(f"      <head>{page.head}</head>")
            open_div = True
        else:
            body.append(pb)
        if page.lines:
            # No whitespace between the lines: <lb/> is the only line separator.
            body.append("      <p>" + "".join(f"<lb/>{line}" for line in page.lines) + "</p>")
    if open_div:
        body.append("    </div>")
    body_xml = "\n".join(body)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<TEI xmlns="{TEI_NS}" xml:lang="en">\n  {header}\n'
            f'  <text xml:lang="{spec.lang}">\n  <body>\n{body_xml}\n  </body>\n  </text>\n</TEI>\n')


# --- drawing ------------------------------------------------------------------------------------

_INK = (38, 30, 24)
_RED = (168, 42, 30)


@dataclass
class _Drawn:
    """One written line as drawn: its text (what the scribe wrote) and boxes on the page."""

    text: str
    box: Optional[Box]
    words: list[Word]
    confidence: list[float]  # per word: lower where the ink is faint (<unclear>)


def _seed(*parts: str) -> int:
    return zlib.crc32("/".join(parts).encode("utf-8"))


class _Fonts:
    """Fonts by script and size, loaded once; None where no font is installed."""

    def __init__(self) -> None:
        self._paths: dict[str, Optional[Path]] = {}
        self._cache: dict[tuple[str, int], FontSpec] = {}
        self.missing: set[str] = set()

    def get(self, script: str, size: int) -> Optional[FontSpec]:
        if script not in self._paths:
            self._paths[script] = find_font(script)
            if self._paths[script] is None:
                self.missing.add(script)
        path = self._paths[script]
        if path is None:
            return None
        key = (script, size)
        if key not in self._cache:
            index = _cjk_face_index(path) if script == "Hani" else 0
            spec = FontSpec(str(path), size, index)
            try:
                font_metrics(spec)  # loads it: a font that cannot be read is found here
            except ImageError as exc:
                # e.g. a FreeType built without Brotli cannot open WOFF2: draw blocks instead
                log.warning("cannot load font %s for %s: %s", path, script, exc)
                self._paths[script] = None
                self.missing.add(script)
                return None
            self._cache[key] = spec
        return self._cache[key]


def _cjk_face_index(path: Path) -> int:
    """In a Noto CJK collection (.ttc), the face for traditional characters (TC), else 0."""
    if path.suffix.lower() != ".ttc":
        return 0
    for index, name in enumerate(font_face_names(path)):
        if name.endswith(" TC"):
            return index
    return 0


def _words_in(text: str, splitter: re.Pattern[str]) -> list[tuple[int, str]]:
    return [(m.start(), m.group(0)) for m in splitter.finditer(text)]


_SPACE_WORDS = re.compile(r"[^ ]+")
# a syllable with its tsheg or shad, or a shad standing alone after a space
_TIBETAN_WORDS = re.compile(r"[^\s་།]+(?:་|།+)?|།+")


class _Strip:
    """Lays out one line of text along its length: shaped segments, gaps, word extents.

    Coordinates are along the line (u) and across it (v), in the frame of a horizontal strip
    whose top edge is v = 0; the callers map them onto the page.
    """

    def __init__(self, font: Optional[FontSpec], language: str, splitter: re.Pattern[str]) -> None:
        self.font = font
        self.language = language
        self.splitter = splitter

    def length(self, segs: list[_Seg], size: int) -> float:
        total = 0.0
        for seg in segs:
            if seg.kind == "gap":
                total += 2 * size
            elif self.font is not None:
                total += text_length(self.font, seg.text, self.language)
            else:
                total += 0.55 * size * len(seg.text)
        return total

    def draw(self, marks: list, segs: list[_Seg], size: int, v0: int, damage: list[tuple]) -> list[
            tuple[str, float, float, float, float, float]]:
        """Append the marks drawing ``segs`` (255 = full ink) from u = 0 at v0 to ``marks``.

        Returns the words as (text, u0, u1, v0, v1, confidence) and appends the gaps' extents
        to ``damage`` as (u0, u1).
        """
        u = 0.0
        words: list[tuple[str, float, float, float, float, float]] = []
        for seg in segs:
            if seg.kind == "gap":
                damage.append((u, u + 2 * size))
                u += 2 * size
                continue
            fill = 255 if seg.kind == "text" else 105
            confidence = 0.95 if seg.kind == "text" else 0.4
            if self.font is None:
                self._blocks(marks, seg.text, u, v0, size, fill, words, confidence)
            else:
                marks.append(TextRun((u, v0), seg.text, self.font, fill, self.language))
                for start, word in _words_in(seg.text, self.splitter):
                    before = text_length(self.font, seg.text[:start], self.language)
                    bx0, by0, bx1, by1 = text_bbox(self.font, word, self.language)
                    words.append((word, u + before + bx0, u + before + bx1, v0 + by0, v0 + by1,
                                  confidence))
                u += text_length(self.font, seg.text, self.language)
                continue
            u += 0.55 * size * len(seg.text)
        return words

    def _blocks(self, marks: list, text: str, u: float, v0: int, size: int, fill: int,
                words: list, confidence: float) -> None:
        # No font for this script: a block per word keeps the page's shape and boxes.
        for start, word in _words_in(text, self.splitter):
            a = u + 0.55 * size * start
            b = a + 0.55 * size * len(word)
            top, bottom = v0 + size * 0.3, v0 + size * 1.1
            marks.append(Shape("rounded_rectangle", (a, top, b, bottom), fill=fill,
                               radius=size // 5))
            words.append((word, a, b, top, bottom, confidence))


def _page_lines(page: _PageSpec) -> list[tuple[str, list[_Seg]]]:
    lines: list[tuple[str, list[_Seg]]] = []
    if page.head is not None:
        lines.append(("head", _segments(page.head)))
    lines.extend(("line", _segments(fragment)) for fragment in page.lines)
    return lines


def _seg_text(segs: list[_Seg]) -> str:
    return "".join(seg.text if seg.kind != "gap" else " " for seg in segs).strip()


def _drawn(text: str, words: list[Word], confidence: list[float]) -> _Drawn:
    return _Drawn(text=text, box=union_boxes([w.box for w in words if w.box]), words=words,
                  confidence=confidence)


def _page_size(fonts: _Fonts, script: str, language: str, splitter: re.Pattern[str],
               lines: list[tuple[str, list[_Seg]]], base: int, room: float) -> int:
    """One type size for the whole page: the largest up to ``base`` at which every line fits
    (fonts differ from machine to machine, so this is measured, not assumed)."""
    size = base
    for _kind, segs in lines:
        length = _Strip(fonts.get(script, base), language, splitter).length(segs, base)
        if length > room:
            size = min(size, max(8, int(base * room / length) - 1))
    return size


def _page(size_px: tuple[int, int], base: tuple[int, int, int], edge: tuple[int, int, int],
          spec: _ItemSpec, page: _PageSpec) -> PageDrawing:
    return PageDrawing(size=size_px, paper=Paper(base, edge, _seed(spec.id, page.label)),
                       ink_color=_INK, red_color=_RED)


def _render_mongolian(spec: _ItemSpec, page: _PageSpec, fonts: _Fonts) -> tuple[PageDrawing,
                                                                                list[_Drawn]]:
    """A portrait page with vertical columns running left to right."""
    size_px = (1000, 1500)
    width, height = size_px
    sheet = _page(size_px, (238, 226, 196), (196, 170, 126), spec, page)
    sheet.ink.append(Shape("rectangle", (60, 60, width - 61, height - 61), outline=230, width=3))
    sheet.ink.append(Shape("rectangle", (70, 70, width - 71, height - 71), outline=200, width=1))
    language = {"mn-Mong": "mn", "xal-Mong": "xal", "mnc-Mong": "mnc"}.get(spec.lang, "mn")
    pitch = 112
    x_left, top, bottom = 104, 110, height - 110
    room = bottom - top
    lines = _page_lines(page)
    size = _page_size(fonts, "Mong", language, _SPACE_WORDS, lines, 58, room)
    strip = _Strip(fonts.get("Mong", size), language, _SPACE_WORDS)
    drawn: list[_Drawn] = []
    for column, (kind, segs) in enumerate(lines):
        x = x_left + column * pitch
        # the column is laid out as a horizontal band, then turned clockwise onto the page
        band = Band(size=(room, pitch), at=(x, top), turn=90)
        if strip.font is not None:
            ascent, descent = font_metrics(strip.font)
            v0 = (pitch - ascent - descent) // 2 + size // 8
        else:
            v0 = (pitch - int(size * 1.4)) // 2
        gaps: list[tuple] = []
        words = strip.draw(band.marks, segs, size, v0, gaps)
        (sheet.red if kind == "head" else sheet.ink).append(band)

        # (u, v) on the band -> (x + pitch - v, top + u) on the page
        def to_page(u0: float, u1: float, v_lo: float, v_hi: float) -> Box:
            bx0, bx1 = x + pitch - int(round(v_hi)), x + pitch - int(round(v_lo))
            by0, by1 = top + int(round(u0)), top + int(round(u1))
            return Box(bx0, by0, max(1, bx1 - bx0), max(1, by1 - by0))

        word_recs = [Word(text=w, box=to_page(u0, u1, vl, vh)) for w, u0, u1, vl, vh, _ in words]
        for n, (u0, u1) in enumerate(gaps):
            box = to_page(u0, u1, v0 + size * 0.4, v0 + size * 1.5)
            sheet.damage.append(Damage((box.x, box.y, box.x + box.w, box.y + box.h),
                                       _seed(spec.id, page.label, str(column), str(n))))
        drawn.append(_drawn(_seg_text(segs), word_recs, [w[5] for w in words]))
    return sheet, drawn


def _render_tibetan(spec: _ItemSpec, page: _PageSpec, fonts: _Fonts) -> tuple[PageDrawing,
                                                                              list[_Drawn]]:
    """A landscape pothi folio (3:1) with a double frame and side panels; lines run across."""
    size_px = (1800, 600)
    width, height = size_px
    sheet = _page(size_px, (232, 214, 172), (190, 160, 110), spec, page)
    rules = sheet.red
    rules.append(Shape("rectangle", (40, 40, width - 41, height - 41), outline=220, width=3))
    rules.append(Shape("rectangle", (48, 48, width - 49, height - 49), outline=200, width=1))
    for x in (170, width - 171):
        rules.append(Shape("line", (x, 48, x, height - 49), fill=200, width=2))
    for cx in (109, width - 110):  # the string holes of the pothi, drawn in the side panels
        rules.append(Shape("ellipse", (cx - 22, height // 2 - 22, cx + 22, height // 2 + 22),
                           outline=200, width=2))
    x_left, x_right, top = 196, width - 196, 70
    room = x_right - x_left
    lines = _page_lines(page)
    drawn: list[_Drawn] = []
    if not page.lines:
        # A title leaf: the head alone, large, in the middle.
        segs = lines[0][1]
        size = _page_size(fonts, "Tibt", "bo", _TIBETAN_WORDS, lines, 58, room)
        strip = _Strip(fonts.get("Tibt", size), "bo", _TIBETAN_WORDS)
        length = strip.length(segs, size)
        x0 = int(x_left + (room - length) / 2)
        y = height // 2 - int(size * 1.1)
        band = Band(size=(room, int(size * 2.6)), at=(x0, y))
        words = strip.draw(band.marks, segs, size, 0, [])
        sheet.ink.append(band)
        word_recs = [Word(text=w, box=_box(x0 + u0, y + vl, x0 + u1, y + vh))
                     for w, u0, u1, vl, vh, _ in words]
        drawn.append(_drawn(_seg_text(segs), word_recs, [w[5] for w in words]))
    else:
        pitch = (height - 2 * top) // max(5, len(lines))
        size = _page_size(fonts, "Tibt", "bo", _TIBETAN_WORDS, lines, 36, room)
        strip = _Strip(fonts.get("Tibt", size), "bo", _TIBETAN_WORDS)
        for row, (kind, segs) in enumerate(lines):
            y = top + row * pitch
            band = Band(size=(room, pitch), at=(x_left, y))
            v0 = 6
            gaps: list[tuple] = []
            words = strip.draw(band.marks, segs, size, v0, gaps)
            (sheet.red if kind == "head" else sheet.ink).append(band)
            word_recs = [Word(text=w, box=_box(x_left + u0, y + vl, x_left + u1, y + vh))
                         for w, u0, u1, vl, vh, _ in words]
            for n, (u0, u1) in enumerate(gaps):
                sheet.damage.append(Damage((int(x_left + u0), y + 14, int(x_left + u1),
                                            y + pitch - 14),
                                           _seed(spec.id, page.label, str(row), str(n))))
            drawn.append(_drawn(_seg_text(segs), word_recs, [w[5] for w in words]))
    return sheet, drawn


def _box(x0: float, y0: float, x1: float, y1: float) -> Box:
    ix0, iy0 = int(round(x0)), int(round(y0))
    return Box(ix0, iy0, max(1, int(round(x1)) - ix0), max(1, int(round(y1)) - iy0))


def _render_chinese(spec: _ItemSpec, page: _PageSpec, fonts: _Fonts) -> tuple[PageDrawing,
                                                                              list[_Drawn]]:
    """A portrait sheet ruled in red columns; characters run down, columns right to left."""
    size_px = (1100, 1500)
    width, height = size_px
    sheet = _page(size_px, (242, 234, 214), (205, 186, 150), spec, page)
    left, right, top, bottom = 90, width - 90, 90, height - 90
    pitch = 115
    columns = (right - left) // pitch
    right = left + columns * pitch
    sheet.red.append(Shape("rectangle", (left, top, right, bottom), outline=210, width=3))
    for n in range(1, columns):
        sheet.red.append(Shape("line", (right - n * pitch, top, right - n * pitch, bottom),
                               fill=170, width=1))
    size, cell = 62, 70
    font = fonts.get("Hani", size)
    drawn: list[_Drawn] = []
    for column, (kind, segs) in enumerate(_page_lines(page)):
        cx = right - column * pitch - pitch // 2
        y = top + 40 + (cell if kind == "line" else 0)  # lines sit one cell below the head
        words: list[Word] = []
        confidence: list[float] = []
        for seg in segs:
            if seg.kind == "gap":
                sheet.damage.append(Damage((cx - cell // 2, y, cx + cell // 2, y + 2 * cell),
                                           _seed(spec.id, page.label, str(column))))
                y += 2 * cell
                continue
            fill = 255 if seg.kind == "text" else 105
            for ch in seg.text:
                if font is not None:
                    sheet.ink.append(TextRun((cx, y), ch, font, fill, "zh-Hant", "mt"))
                    bx0, by0, bx1, by1 = text_bbox(font, ch, "zh-Hant", "mt")
                    box = _box(cx + bx0, y + by0, cx + bx1, y + by1)
                else:
                    box = _box(cx - size // 2, y + 4, cx + size // 2, y + size)
                    sheet.ink.append(Shape("rectangle", (box.x, box.y, box.x + box.w,
                                                         box.y + box.h), fill=fill))
                words.append(Word(text=ch, box=box))
                confidence.append(0.95 if seg.kind == "text" else 0.4)
                y += cell
        drawn.append(_drawn(_seg_text(segs), words, confidence))
    return sheet, drawn


_RENDERERS = {"mong": _render_mongolian, "tibt": _render_tibetan, "hani": _render_chinese}


# --- OCR ----------------------------------------------------------------------------------------

def _alto(spec: _ItemSpec, order: int, size: tuple[int, int], lines: list[_Drawn]) -> bytes:
    """ALTO 4: one TextBlock per page, a TextLine per written line, a String per word."""
    A = f"{{{ALTO_NS}}}"
    root = etree.Element(A + "alto", nsmap={None: ALTO_NS})
    desc = etree.SubElement(root, A + "Description")
    etree.SubElement(desc, A + "MeasurementUnit").text = "pixel"
    src = etree.SubElement(desc, A + "sourceImageInformation")
    etree.SubElement(src, A + "fileName").text = f"images/{order:04d}.png"
    layout = etree.SubElement(root, A + "Layout")
    pg = etree.SubElement(layout, A + "Page", ID=f"p{order}", PHYSICAL_IMG_NR=str(order),
                          WIDTH=str(size[0]), HEIGHT=str(size[1]))
    space = etree.SubElement(pg, A + "PrintSpace", HPOS="0", VPOS="0", WIDTH=str(size[0]),
                             HEIGHT=str(size[1]))
    block = etree.SubElement(space, A + "TextBlock", ID=f"p{order}_b1", LANG=spec.lang)
    for ln, line in enumerate(lines, start=1):
        if line.box is None:
            continue
        tl = etree.SubElement(block, A + "TextLine", ID=f"p{order}_l{ln}", **_xywh(line.box))
        for wn, (word, conf) in enumerate(zip(line.words, line.confidence), start=1):
            if wn > 1:
                etree.SubElement(tl, A + "SP")
            assert word.box is not None
            etree.SubElement(tl, A + "String", ID=f"p{order}_l{ln}_w{wn}", CONTENT=word.text,
                             WC=f"{conf:.2f}", **_xywh(word.box))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _xywh(box: Box) -> dict[str, str]:
    return {"HPOS": str(box.x), "VPOS": str(box.y), "WIDTH": str(box.w), "HEIGHT": str(box.h)}


def _hocr(spec: _ItemSpec, order: int, size: tuple[int, int], lines: list[_Drawn]) -> bytes:
    """hOCR 1.2 (XHTML): ocr_page > ocr_line > ocrx_word with bbox x0 y0 x1 y1."""
    H = "{http://www.w3.org/1999/xhtml}"
    root = etree.Element(H + "html", nsmap={None: "http://www.w3.org/1999/xhtml"})
    root.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    head = etree.SubElement(root, H + "head")
    etree.SubElement(head, H + "title").text = f"{spec.id} {order:04d}"
    etree.SubElement(head, H + "meta", attrib={"http-equiv": "Content-Type",
                                                "content": "text/html; charset=utf-8"})
    etree.SubElement(head, H + "meta", name="ocr-system", content="sudur-sample")
    etree.SubElement(head, H + "meta", name="ocr-capabilities",
                     content="ocr_page ocr_line ocrx_word")
    body = etree.SubElement(root, H + "body")
    page = etree.SubElement(body, H + "div", attrib={
        "class": "ocr_page", "id": f"page_{order}",
        "title": f'image "images/{order:04d}.png"; bbox 0 0 {size[0]} {size[1]}; ppageno {order - 1}'})
    for ln, line in enumerate(lines, start=1):
        if line.box is None:
            continue
        span = etree.SubElement(page, H + "span", attrib={
            "class": "ocr_line", "id": f"line_{order}_{ln}", "title": _bbox(line.box)})
        span.set("{http://www.w3.org/XML/1998/namespace}lang", spec.lang)
        for wn, (word, conf) in enumerate(zip(line.words, line.confidence), start=1):
            assert word.box is not None
            w = etree.SubElement(span, H + "span", attrib={
                "class": "ocrx_word", "id": f"word_{order}_{ln}_{wn}",
                "title": f"{_bbox(word.box)}; x_wconf {round(conf * 100)}"})
            w.text = word.text
            w.tail = " "
    return (b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
            + etree.tostring(root, encoding="UTF-8", pretty_print=True))


def _bbox(box: Box) -> str:
    return f"bbox {box.x} {box.y} {box.x + box.w} {box.y + box.h}"


# --- writing ------------------------------------------------------------------------------------

def write_sample(out: Path) -> list[str]:
    """Write the sample batch into ``out`` (created if needed) and return its item ids.

    Files of an earlier sample in ``out`` are overwritten; nothing else there is touched.
    """
    out = Path(out)
    fonts = _Fonts()
    ids: list[str] = []
    for spec in ITEMS:
        folder = out / spec.id
        (folder / "images").mkdir(parents=True, exist_ok=True)
        (folder / f"{spec.id}.xml").write_text(_tei(spec), encoding="utf-8")
        render = _RENDERERS[spec.layout]
        for order, page in enumerate(spec.pages, start=1):
            sheet, lines = render(spec, page, fonts)
            (folder / "images" / f"{order:04d}.png").write_bytes(render_page(sheet))
            if spec.ocr:
                (folder / "ocr").mkdir(exist_ok=True)
                if spec.ocr == "alto":
                    (folder / "ocr" / f"{order:04d}.xml").write_bytes(
                        _alto(spec, order, sheet.size, lines))
                else:
                    (folder / "ocr" / f"{order:04d}.html").write_bytes(
                        _hocr(spec, order, sheet.size, lines))
        ids.append(spec.id)
    collections = [to_dict(c) for c in COLLECTIONS]
    (out / "collections.json").write_text(
        json.dumps(collections, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for script in sorted(fonts.missing):
        log.warning("no font for script %s: its sample pages show word blocks instead of letters "
                    "(run `make assets`, or install Debian's fonts-noto-core/fonts-noto-cjk)",
                    script)
    return ids


def sample_fonts() -> dict[str, Optional[Path]]:
    """The font each script of the sample is drawn with (None: word blocks), for reports."""
    return {script: find_font(script) for script in ("Mong", "Tibt", "Hani")}
