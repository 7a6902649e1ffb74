"""The fonts the sample pages are drawn with: which file draws a script, loaded once per size.

``find_font(script)`` looks in ``$SUDUR_FONT_DIR`` (folders separated by ``os.pathsep``),
``viewer/static/vendor/fonts`` (filled by ``make assets``), ``node_modules/@fontsource/*/files``
and then the Debian font folders (packages fonts-noto-core and fonts-noto-cjk). Pillow's FreeType
reads the npm web fonts (WOFF2) directly, so nothing is converted. ``Fonts`` hands the page
drawing (``library.sample_pages``) a ``library.imaging.FontSpec`` per script and size, or None
where no readable font is installed: those pages are drawn with word-shaped blocks instead.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Optional

from .errors import ImageError
from .imaging import FontSpec, font_face_names, font_metrics

log = logging.getLogger(__name__)

_ROOT = Path(__file__).resolve().parents[1]

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


class Fonts:
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

