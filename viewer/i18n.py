"""Interface languages: Chinese, traditional Mongolian, Tibetan and English through Flask-Babel.

The language comes from the remembered switcher cookie, else from ``Accept-Language``, else
English. Templates get helpers to choose the best text of a language map for the reader and to
tag mixed-script text with its BCP 47 language. Catalogues live in ``viewer/translations`` as
gettext ``.po`` files compiled to ``.mo`` (``pybabel compile -d viewer/translations``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Optional

from flask import Flask, request
from flask_babel import Babel, get_locale, lazy_gettext as _l
from markupsafe import Markup, escape

from library import langtags, roles

COOKIE = "sudur_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


@dataclass(frozen=True)
class UILanguage:
    tag: str  # BCP 47, for lang attributes and URLs
    locale: str  # Babel locale identifier, the catalogue folder name
    name: str  # the language's name in itself
    vertical: bool = False  # interface set vertically where the layout allows


UI_LANGUAGES: tuple[UILanguage, ...] = (
    UILanguage("zh-Hans", "zh_Hans", "中文"),
    UILanguage("mn-Mong", "mn_Mong", "ᠮᠣᠩᠭᠣᠯ", vertical=True),
    UILanguage("bo", "bo", "བོད་ཡིག"),
    UILanguage("en", "en", "English"),
)
BY_TAG = {u.tag.lower(): u for u in UI_LANGUAGES}
BY_LOCALE = {u.locale: u for u in UI_LANGUAGES}
DEFAULT = BY_TAG["en"]


def language_for(code: str) -> Optional[UILanguage]:
    """The interface language a user-supplied code names (tag, locale id or a relative of it)."""
    c = (code or "").strip().replace("_", "-").lower()
    if not c:
        return None
    if c in BY_TAG:
        return BY_TAG[c]
    primary = c.split("-")[0]
    # Every Chinese variant reads the simplified interface better than English; every Mongolian
    # (Cyrillic included) reads traditional script; Dzongkha readers read Tibetan script.
    return {"zh": BY_TAG["zh-hans"], "cmn": BY_TAG["zh-hans"], "lzh": BY_TAG["zh-hans"],
            "mn": BY_TAG["mn-mong"], "mvf": BY_TAG["mn-mong"], "bo": BY_TAG["bo"],
            "dz": BY_TAG["bo"], "en": BY_TAG["en"]}.get(primary)


def select_language() -> UILanguage:
    chosen = language_for(request.cookies.get(COOKIE, ""))
    if chosen:
        return chosen
    for value, _quality in request.accept_languages:  # already sorted by quality
        chosen = language_for(value)
        if chosen:
            return chosen
    return DEFAULT


def select_locale() -> str:
    return select_language().locale


def current_language() -> UILanguage:
    return BY_LOCALE.get(str(get_locale()), DEFAULT)


# --- language maps and mixed-script text ----------------------------------------------------

_FALLBACKS = {
    "zh-Hans": ("zh-Hans", "zh-Hant", "zh", "lzh", "en"),
    "mn-Mong": ("mn-Mong", "xal-Mong", "mnc-Mong", "mn", "mn-Cyrl", "en"),
    "bo": ("bo", "bo-x-ewts", "en"),
    "en": ("en", "mn-Latn", "bo-x-ewts", "zh-Latn-pinyin"),
}


def pick(langmap: Mapping[str, str], lang: Optional[str] = None) -> tuple[str, str]:
    """(tag, text) of the entry of ``langmap`` that suits the interface language best."""
    if not langmap:
        return "", ""
    tag = lang or current_language().tag
    for candidate in _FALLBACKS.get(tag, (tag, "en")):
        if langmap.get(candidate):
            return candidate, langmap[candidate]
    first = next(iter(langmap))
    return first, langmap[first]


def script_of(tag: str, text: str = "") -> str:
    """ISO 15924 script of a tagged text (``library.langtags.script_of``); "" when unknown."""
    return langtags.script_of(tag, text) or ""


def is_vertical(tag: str, text: str = "") -> bool:
    """Traditional Mongolian scripts (Hudum, Todo, Manchu) are set in vertical lines."""
    return script_of(tag, text) == "Mong"


def tagged(text: str, tag: str, element: str = "span", css: str = "") -> Markup:
    """``text`` in an element carrying its language, and the vertical class when it is Mongolian."""
    classes = [c for c in (css, "mong" if is_vertical(tag, text) else "") if c]
    cls = f' class="{" ".join(classes)}"' if classes else ""
    lang = f' lang="{escape(tag)}"' if tag else ""
    return Markup(f"<{element}{lang}{cls}>{escape(text)}</{element}>")


_RUN_TAGS = {"Mong": "mn-Mong", "Tibt": "bo", "Hani": "zh"}
_TAG_RE = re.compile(r"(<[^>]*>)")


def _char_script(ch: str) -> str:
    code = langtags.letter_script(ch)
    if code in _RUN_TAGS:
        return code
    if ch.isspace() or not ch.isalnum():
        return ""  # neutral: joins the run it sits in
    return "other"


_TOKEN_RE = re.compile(r"&#?\w+;|.", re.S)


def _tag_runs(escaped: str, tags: Mapping[str, str]) -> str:
    """Wrap script runs of already-escaped text; entities count as neutral tokens."""
    out: list[str] = []
    run: list[tuple[str, str]] = []  # (token, script or "" when neutral)
    current = ""

    def flush() -> None:
        if not run:
            return
        cut = len(run)
        while cut and not run[cut - 1][1]:
            cut -= 1  # trailing spaces and punctuation stay outside the span
        body = "".join(t for t, _ in run[:cut])
        tail = "".join(t for t, _ in run[cut:])
        if current in tags and body:
            out.append(f'<span lang="{tags[current]}">{body}</span>{tail}')
        else:
            out.append(body + tail)
        run.clear()

    for m in _TOKEN_RE.finditer(escaped):
        token = m.group(0)
        script = "" if len(token) > 1 else _char_script(token)
        if script and script != current:
            flush()
            current = script
        run.append((token, script))
    flush()
    return "".join(out)


def autotag(text: str, langs: Optional[Mapping[str, str]] = None) -> Markup:
    """Mixed-script text with its Mongolian, Tibetan and Chinese runs in spans carrying their
    language, for screen readers and font choice. ``Markup`` input (a snippet with ``<mark>``)
    keeps its tags; plain text is escaped first. ``langs`` overrides the tag of a script
    (e.g. ``{"Mong": "xal-Mong"}`` for a Todo text)."""
    tags = dict(_RUN_TAGS, **(langs or {}))
    html_text = str(text) if isinstance(text, Markup) else str(escape(text))
    parts = _TAG_RE.split(html_text)
    return Markup("".join(p if p.startswith("<") else _tag_runs(p, tags) for p in parts))


def script_tags_for(writing_system: str) -> dict[str, str]:
    """Run tags for text of an item: its own writing system for its own script."""
    script = script_of(writing_system)
    return {script: writing_system} if script in _RUN_TAGS and writing_system else {}


# --- names of languages, scripts and facets -------------------------------------------------

# The names of languages and scripts are library.roles's (the manifests give them too).

FACET_NAMES = {
    "collection": _l("Collection"),
    "language": _l("Language"),
    "script": _l("Script"),
    "genre": _l("Genre"),
    "century": _l("Century"),
    "work": _l("Work"),
    "volume": _l("Volume"),
}


def language_name(tag: str) -> str:
    """The name of a BCP 47 tag in the interface language; an unlisted language-script pair is
    named from its parts (``sa-Tibt``: Sanskrit (Tibetan script)); the tag when unnamed."""
    words = roles.language_words(tag)
    return pick(words)[1] if words else tag


def script_name(code: str) -> str:
    words = roles.script_words(code)
    return pick(words)[1] if words else code


# --- wiring ---------------------------------------------------------------------------------

def init_app(app: Flask) -> None:
    """Install Flask-Babel and the template helpers (create_app calls this once per app)."""
    if "babel" in app.extensions:
        return
    Babel(app, locale_selector=select_locale)

    @app.context_processor
    def _ui() -> dict:
        lang = current_language()
        return {"ui": lang, "ui_languages": UI_LANGUAGES}

    app.jinja_env.filters["autotag"] = autotag
    app.jinja_env.globals.update(pick=pick, tagged=tagged, is_vertical=is_vertical,
                                 script_tags_for=script_tags_for,
                                 language_name=language_name, script_name=script_name,
                                 facet_name=lambda f: str(FACET_NAMES.get(f, f)))
    from . import labels  # labels names languages and scripts through this module

    app.jinja_env.globals.update(labels.template_helpers())
