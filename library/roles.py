"""Words for people, not codes: the one table of the words for TEI roles, IIIF viewing terms,
genres, languages and scripts, in the four interface languages (en, zh-Hans, bo, mn-Mong); and
the one rule that tells a placeholder for an unknown agent ("Unknown scribe", 佚名) from a name.

The manifests (library.iiif_presentation) give these words as IIIF language maps; the site
(viewer.labels, viewer.i18n) picks the reader's language from the same entries. A code no
table knows is shown as it is written (a role such as "Electronic Version by" is already
words). The mn-Mong and bo words await a native speaker's review.
"""
from __future__ import annotations

import re
from typing import Iterable, Mapping, Optional

# language tag -> word
Words = Mapping[str, str]

# The interface languages every entry speaks, as BCP 47 tags.
LANGUAGES = ("en", "zh-Hans", "bo", "mn-Mong")

# TEI roles, keyed by the code folded (lower case, letters and digits only): "translatorMain",
# "translator-main" and "Translator main" are one role.
ROLES: dict[str, Words] = {
    "author": {"en": "Author", "zh-Hans": "作者", "bo": "རྩོམ་པ་པོ།", "mn-Mong": "ᠵᠣᠬᠢᠶᠠᠭᠴᠢ"},
    "translator": {"en": "Translator", "zh-Hans": "译者", "bo": "ལོ་ཙཱ་བ།", "mn-Mong": "ᠣᠷᠴᠢᠭᠤᠯᠤᠭᠴᠢ"},
    "scribe": {"en": "Scribe", "zh-Hans": "抄写者", "bo": "ཡི་གེ་བ།", "mn-Mong": "ᠪᠢᠴᠢᠭᠡᠴᠢ"},
    "editor": {"en": "Editor", "zh-Hans": "编者", "bo": "རྩོམ་སྒྲིག་པ།", "mn-Mong": "ᠨᠠᠶᠢᠷᠠᠭᠤᠯᠤᠭᠴᠢ"},
    "bard": {"en": "Bard", "zh-Hans": "说唱艺人", "bo": "སྒྲུང་པ།", "mn-Mong": "ᠲᠤᠤᠯᠢᠴᠢ"},
    "publisher": {"en": "Publisher", "zh-Hans": "出版者", "bo": "དཔར་སྐྲུན་པ།", "mn-Mong": "ᠬᠡᠪᠯᠡᠭᠴᠢ"},
    "contributor": {"en": "Contributor", "zh-Hans": "贡献者", "bo": "ཞལ་འདེབས་པ།", "mn-Mong": "ᠬᠠᠮᠲᠤᠷᠠᠭᠴᠢ"},
    "translatormain": {"en": "Main translator", "zh-Hans": "主译者", "bo": "ལོ་ཙཱ་བ་གཙོ་བོ།", "mn-Mong": "ᠭᠣᠣᠯ ᠣᠷᠴᠢᠭᠤᠯᠤᠭᠴᠢ"},
    "translatoreng": {"en": "Translator into English", "zh-Hans": "英译者", "bo": "དབྱིན་ཡིག་ཏུ་བསྒྱུར་མཁན།", "mn-Mong": "ᠠᠩᠭᠯᠢ ᠬᠡᠯᠡ ᠪᠡᠷ ᠣᠷᠴᠢᠭᠤᠯᠤᠭᠴᠢ"},
    "translatortib": {"en": "Translator into Tibetan", "zh-Hans": "藏译者", "bo": "བོད་ཡིག་ཏུ་བསྒྱུར་མཁན།", "mn-Mong": "ᠲᠥᠪᠡᠳ ᠬᠡᠯᠡ ᠪᠡᠷ ᠣᠷᠴᠢᠭᠤᠯᠤᠭᠴᠢ"},
    "teimarkupeditor": {"en": "TEI mark-up editor", "zh-Hans": "TEI 标记编辑", "bo": "TEI རྟགས་སྒྲིག་པ།", "mn-Mong": "TEI ᠲᠡᠮᠳᠡᠭᠯᠡᠯ ᠦᠨ ᠡᠷᠬᠢᠯᠡᠭᠴᠢ"},
    "advisor": {"en": "Advisor", "zh-Hans": "顾问", "bo": "བློ་འདྲི་བ།", "mn-Mong": "ᠵᠥᠪᠯᠡᠭᠴᠢ"},
    "associateeditor": {"en": "Associate editor", "zh-Hans": "副编辑", "bo": "རྩོམ་སྒྲིག་པ་གཞོན་པ།", "mn-Mong": "ᠲᠤᠰᠠᠯᠠᠬᠤ ᠡᠷᠬᠢᠯᠡᠭᠴᠢ"},
    "copyeditor": {"en": "Copy editor", "zh-Hans": "文字编辑", "bo": "ཡིག་སྒྲིག་པ།", "mn-Mong": "ᠦᠰᠦᠭ ᠦᠨ ᠡᠷᠬᠢᠯᠡᠭᠴᠢ"},
    "dharmamaster": {"en": "Dharma master", "zh-Hans": "法师", "bo": "ཆོས་ཀྱི་སློབ་དཔོན།", "mn-Mong": "ᠨᠣᠮ ᠤᠨ ᠪᠠᠭᠰᠢ"},
    "finalreviewer": {"en": "Final reviewer", "zh-Hans": "终审", "bo": "མཇུག་ཞིབ་པ།", "mn-Mong": "ᠡᠴᠦᠰ ᠦᠨ ᠬᠢᠨᠠᠭᠴᠢ"},
    "projecteditor": {"en": "Project editor", "zh-Hans": "项目编辑", "bo": "ལས་གཞིའི་རྩོམ་སྒྲིག་པ།", "mn-Mong": "ᠲᠥᠰᠥᠯ ᠦᠨ ᠡᠷᠬᠢᠯᠡᠭᠴᠢ"},
    "projectmanager": {"en": "Project manager", "zh-Hans": "项目负责人", "bo": "ལས་གཞིའི་འགན་འཛིན།", "mn-Mong": "ᠲᠥᠰᠥᠯ ᠦᠨ ᠬᠠᠷᠢᠭᠤᠴᠠᠭᠴᠢ"},
    "proofreader": {"en": "Proofreader", "zh-Hans": "校对", "bo": "ཞུ་དག་པ།", "mn-Mong": "ᠬᠢᠨᠠᠨ ᠲᠣᠬᠢᠷᠠᠭᠤᠯᠤᠭᠴᠢ"},
    "reviser": {"en": "Reviser", "zh-Hans": "修订者", "bo": "བཅོས་སྒྲིག་པ།", "mn-Mong": "ᠵᠠᠰᠠᠭᠴᠢ"},
    "corrections": {"en": "Corrections", "zh-Hans": "校勘", "bo": "དག་བཅོས།", "mn-Mong": "ᠵᠠᠰᠠᠪᠤᠷᠢ"},
}

# IIIF Presentation 3.0 viewingDirection values.
DIRECTIONS: dict[str, Words] = {
    "left-to-right": {"en": "Left to right", "zh-Hans": "从左到右", "bo": "གཡོན་ནས་གཡས་སུ།", "mn-Mong": "ᠵᠡᠭᠦᠨ ᠡᠴᠡ ᠪᠠᠷᠠᠭᠤᠨ ᠲᠤ"},
    "right-to-left": {"en": "Right to left", "zh-Hans": "从右到左", "bo": "གཡས་ནས་གཡོན་དུ།", "mn-Mong": "ᠪᠠᠷᠠᠭᠤᠨ ᠡᠴᠡ ᠵᠡᠭᠦᠨ ᠲᠦ"},
    "top-to-bottom": {"en": "Top to bottom", "zh-Hans": "从上到下", "bo": "སྟེང་ནས་འོག་ཏུ།", "mn-Mong": "ᠳᠡᠭᠡᠷᠡ ᠡᠴᠡ ᠳᠣᠣᠷ᠎ᠠ"},
    "bottom-to-top": {"en": "Bottom to top", "zh-Hans": "从下到上", "bo": "འོག་ནས་སྟེང་དུ།", "mn-Mong": "ᠳᠣᠣᠷ᠎ᠠ ᠡᠴᠡ ᠳᠡᠭᠡᠭᠰᠢ"},
}

# IIIF Presentation 3.0 behavior values.
BEHAVIORS: dict[str, Words] = {
    "paged": {"en": "Bound pages, turned in pairs", "zh-Hans": "装订成册，成对翻页", "bo": "དེབ་ཏུ་བཅིངས་པ། ཤོག་ངོས་ཟུང་དུ་བསློག", "mn-Mong": "ᠳᠡᠪᠲᠡᠷ ᠡᠭᠦᠳᠡᠭᠰᠡᠨ᠂ ᠬᠣᠣᠰ ᠨᠢᠭᠤᠷ ᠢᠶᠠᠷ ᠡᠷᠭᠢᠭᠦᠯᠦᠨ᠎ᠡ"},
    "individuals": {"en": "Loose leaves, one at a time", "zh-Hans": "散页（梵夹装），逐页翻阅", "bo": "དཔེ་ཆའི་ཤོག་བུ་རེ་རེ་བཞིན།", "mn-Mong": "ᠰᠠᠯᠠᠩᠭᠢ ᠨᠠᠪᠴᠢ᠂ ᠨᠢᠭᠡ ᠨᠢᠭᠡ ᠪᠡᠷ"},
    "continuous": {"en": "One continuous scroll", "zh-Hans": "连续长卷", "bo": "ཤོག་དྲིལ་རྒྱུན་ཆགས།", "mn-Mong": "ᠲᠠᠰᠤᠷᠠᠯᠲᠠ ᠦᠭᠡᠢ ᠣᠷᠢᠶᠠᠮᠠᠯ"},
    "unordered": {"en": "In no particular order", "zh-Hans": "无固定顺序", "bo": "གོ་རིམ་ངེས་མེད།", "mn-Mong": "ᠲᠣᠭᠲᠠᠮᠠᠯ ᠳᠠᠷᠠᠭᠠᠯᠠᠯ ᠦᠭᠡᠢ"},
    "multi-part": {"en": "Volumes of one set", "zh-Hans": "同一套书的各册", "bo": "དཔེ་ཚན་གཅིག་གི་པོད་རྣམས།", "mn-Mong": "ᠨᠢᠭᠡ ᠪᠠᠭᠴᠠ ᠶᠢᠨ ᠪᠣᠳᠢ"},
    "facing-pages": {"en": "Facing pages", "zh-Hans": "对开页", "bo": "ཕན་ཚུན་ཁ་བལྟས་ཤོག་ངོས།", "mn-Mong": "ᠬᠠᠷᠠᠭᠴᠠᠭᠰᠠᠨ ᠨᠢᠭᠤᠷ"},
    "non-paged": {"en": "Not part of the page sequence", "zh-Hans": "不在页序之中", "bo": "ཤོག་གྲངས་ཀྱི་གོ་རིམ་ནང་མི་ཚུད།", "mn-Mong": "ᠨᠢᠭᠤᠷ ᠤᠨ ᠳᠠᠷᠠᠭᠠᠯᠠᠯ ᠳᠤ ᠣᠷᠣᠬᠤ ᠦᠭᠡᠢ"},
}

# Genres the catalogue records, keyed by the genre in lower case.
GENRES: dict[str, Words] = {
    "epic": {"en": "Epic", "zh-Hans": "史诗", "bo": "སྒྲུང་།", "mn-Mong": "ᠲᠠᠤᠯᠢ"},
    "sutra": {"en": "Sutra", "zh-Hans": "经", "bo": "མདོ།", "mn-Mong": "ᠰᠤᠳᠤᠷ"},
    "tantra": {"en": "Tantra", "zh-Hans": "密续", "bo": "རྒྱུད།", "mn-Mong": "ᠳᠠᠨᠲᠷᠠ"},
    "novel": {"en": "Novel", "zh-Hans": "小说", "bo": "བརྩམས་སྒྲུང་།", "mn-Mong": "ᠲᠤᠭᠤᠵᠢ"},
    "archival document": {"en": "Archival document", "zh-Hans": "档案文书", "bo": "ཡིག་ཚགས།", "mn-Mong": "ᠠᠷᠬᠢᠪ ᠤᠨ ᠪᠢᠴᠢᠭ ᠪᠠᠷᠢᠮᠲᠠ"},
    "memorial": {"en": "Memorial to the throne", "zh-Hans": "奏折", "bo": "ཞུ་ཡིག", "mn-Mong": "ᠮᠡᠳᠡᠭᠦᠯᠦᠯ ᠦᠨ ᠪᠢᠴᠢᠭ"},
    "chronicle": {"en": "Chronicle", "zh-Hans": "编年史", "bo": "ལོ་རྒྱུས།", "mn-Mong": "ᠲᠣᠪᠴᠢᠶᠠᠨ"},
    "letter": {"en": "Letter", "zh-Hans": "书信", "bo": "འཕྲིན་ཡིག", "mn-Mong": "ᠵᠠᠬᠢᠳᠠᠯ"},
    "newspaper": {"en": "Newspaper", "zh-Hans": "报纸", "bo": "གསར་ཤོག", "mn-Mong": "ᠰᠣᠨᠢᠨ"},
}


# Languages the catalogue records, keyed by BCP 47 tag (a tag of a language and a script that
# is not listed is named from its parts: see language_words).
LANGUAGE_NAMES: dict[str, Words] = {
    "mn-Mong": {"en": "Mongolian (traditional script)", "zh-Hans": "蒙古语（传统蒙古文）", "bo": "སོག་སྐད། (སོག་ཡིག་རྙིང་པ།)", "mn-Mong": "ᠮᠣᠩᠭᠣᠯ ᠬᠡᠯᠡ (ᠬᠠᠭᠤᠴᠢᠨ ᠪᠢᠴᠢᠭ)"},
    "mn": {"en": "Mongolian", "zh-Hans": "蒙古语", "bo": "སོག་སྐད།", "mn-Mong": "ᠮᠣᠩᠭᠣᠯ ᠬᠡᠯᠡ"},
    "mn-Cyrl": {"en": "Mongolian (Cyrillic)", "zh-Hans": "蒙古语（西里尔文）", "bo": "སོག་སྐད། (ཀི་རིལ།)", "mn-Mong": "ᠮᠣᠩᠭᠣᠯ ᠬᠡᠯᠡ (ᠬᠢᠷᠢᠯᠯ ᠦᠰᠡᠭ)"},
    "xal-Mong": {"en": "Oirat (Todo script)", "zh-Hans": "卫拉特语（托忒文）", "bo": "ཨོ་ཡི་རད་སྐད། (ཐོ་ཏོ་ཡིག)", "mn-Mong": "ᠣᠶᠢᠷᠠᠳ ᠬᠡᠯᠡ (ᠲᠣᠳᠣ ᠪᠢᠴᠢᠭ)"},
    "xal": {"en": "Oirat", "zh-Hans": "卫拉特语", "bo": "ཨོ་ཡི་རད་སྐད།", "mn-Mong": "ᠣᠶᠢᠷᠠᠳ ᠬᠡᠯᠡ"},
    "mnc-Mong": {"en": "Manchu", "zh-Hans": "满语", "bo": "མན་ཇུའི་སྐད།", "mn-Mong": "ᠮᠠᠨᠵᠤ ᠬᠡᠯᠡ"},
    "mnc": {"en": "Manchu", "zh-Hans": "满语", "bo": "མན་ཇུའི་སྐད།", "mn-Mong": "ᠮᠠᠨᠵᠤ ᠬᠡᠯᠡ"},
    "bo": {"en": "Tibetan", "zh-Hans": "藏语", "bo": "བོད་སྐད།", "mn-Mong": "ᠲᠥᠪᠡᠳ ᠬᠡᠯᠡ"},
    "bo-x-ewts": {"en": "Tibetan (Wylie)", "zh-Hans": "藏语（威利转写）", "bo": "བོད་སྐད། (ཝ་ལི།)", "mn-Mong": "ᠲᠥᠪᠡᠳ ᠬᠡᠯᠡ (Wylie)"},
    "zh": {"en": "Chinese", "zh-Hans": "汉语", "bo": "རྒྱ་སྐད།", "mn-Mong": "ᠬᠢᠲᠠᠳ ᠬᠡᠯᠡ"},
    "zh-Hant": {"en": "Chinese (traditional)", "zh-Hans": "汉语（繁体）", "bo": "རྒྱ་སྐད། (ཡིག་གཟུགས་རྙིང་པ།)", "mn-Mong": "ᠬᠢᠲᠠᠳ ᠬᠡᠯᠡ (ᠪᠦᠷᠢᠨ)"},
    "zh-Hans": {"en": "Chinese (simplified)", "zh-Hans": "汉语（简体）", "bo": "རྒྱ་སྐད། (ཡིག་གཟུགས་སྟབས་བདེ།)", "mn-Mong": "ᠬᠢᠲᠠᠳ ᠬᠡᠯᠡ (ᠬᠠᠯᠪᠠᠭᠠᠢ)"},
    "lzh": {"en": "Classical Chinese", "zh-Hans": "文言文", "bo": "རྒྱ་ཡིག་རྙིང་པ།", "mn-Mong": "ᠡᠷᠲᠡᠨ ᠦ ᠬᠢᠲᠠᠳ ᠬᠡᠯᠡ"},
    "sa": {"en": "Sanskrit", "zh-Hans": "梵语", "bo": "ལེགས་སྦྱར།", "mn-Mong": "ᠰᠠᠨᠰᠬᠷᠢᠲ ᠬᠡᠯᠡ"},
    "en": {"en": "English", "zh-Hans": "英语", "bo": "དབྱིན་སྐད།", "mn-Mong": "ᠠᠩᠭᠭᠯᠢ ᠬᠡᠯᠡ"},
}

# Scripts, keyed by ISO 15924 code.
SCRIPT_NAMES: dict[str, Words] = {
    "Mong": {"en": "Mongolian script", "zh-Hans": "蒙古文", "bo": "སོག་ཡིག", "mn-Mong": "ᠮᠣᠩᠭᠣᠯ ᠪᠢᠴᠢᠭ"},
    "Tibt": {"en": "Tibetan script", "zh-Hans": "藏文", "bo": "བོད་ཡིག", "mn-Mong": "ᠲᠥᠪᠡᠳ ᠪᠢᠴᠢᠭ"},
    "Hani": {"en": "Chinese characters", "zh-Hans": "汉字", "bo": "རྒྱ་ཡིག", "mn-Mong": "ᠬᠢᠲᠠᠳ ᠦᠰᠡᠭ"},
    "Hant": {"en": "Traditional Chinese characters", "zh-Hans": "繁体字", "bo": "རྒྱ་ཡིག་རྙིང་པ།", "mn-Mong": "ᠪᠦᠷᠢᠨ ᠬᠢᠲᠠᠳ ᠦᠰᠡᠭ"},
    "Hans": {"en": "Simplified Chinese characters", "zh-Hans": "简体字", "bo": "རྒྱ་ཡིག་སྟབས་བདེ།", "mn-Mong": "ᠬᠠᠯᠪᠠᠭᠠᠢ ᠬᠢᠲᠠᠳ ᠦᠰᠡᠭ"},
    "Latn": {"en": "Latin script", "zh-Hans": "拉丁字母", "bo": "ལ་ཏིན་ཡིག", "mn-Mong": "ᠯᠠᠲᠢᠨ ᠦᠰᠡᠭ"},
    "Cyrl": {"en": "Cyrillic script", "zh-Hans": "西里尔字母", "bo": "ཀི་རིལ་ཡིག", "mn-Mong": "ᠬᠢᠷᠢᠯᠯ ᠦᠰᠡᠭ"},
}


def fold(code: str) -> str:
    """A role code as the table keys it."""
    return re.sub(r"[^0-9a-z]", "", code.lower())


def role_words(role: str) -> Optional[Words]:
    """The words for a TEI role (``None`` when the table does not know it)."""
    return ROLES.get(fold(role))


def direction_words(code: str) -> Optional[Words]:
    return DIRECTIONS.get(code)


def behavior_words(code: str) -> Optional[Words]:
    return BEHAVIORS.get(code)


def genre_words(genre: str) -> Optional[Words]:
    return GENRES.get(genre.strip().lower())


def language_words(tag: str) -> Optional[Words]:
    """The name of a BCP 47 tag; a language and a script the table lists apart are named from
    their parts (``sa-Tibt``: "Sanskrit (Tibetan script)"); ``None`` for any other tag."""
    if tag in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[tag]
    parts = tag.split("-")
    if len(parts) == 2 and parts[0] in LANGUAGE_NAMES and parts[1] in SCRIPT_NAMES:
        language, script = LANGUAGE_NAMES[parts[0]], SCRIPT_NAMES[parts[1]]
        return {lang: f"{language[lang]} ({script[lang]})" for lang in LANGUAGES}
    return None


def script_words(code: str) -> Optional[Words]:
    return SCRIPT_NAMES.get(code)

def language_names(tags: Iterable[str]) -> dict[str, list[str]]:
    """The names of several language tags as one map of lists (language -> each name once, in
    order; a tag without a name as it is written): the shape of a IIIF language map."""
    return _listed([language_words(t) or as_written(t) for t in tags])


def script_names(codes: Iterable[str]) -> dict[str, list[str]]:
    """The names of several ISO 15924 codes, as ``language_names`` gives those of tags."""
    return _listed([script_words(c) or as_written(c) for c in codes])


def _listed(entries: list[Words]) -> dict[str, list[str]]:
    return {lang: list(dict.fromkeys(e[lang] for e in entries)) for lang in LANGUAGES}

def as_written(code: str) -> Words:
    """An unknown code's stand-in entry: the code itself, in every language."""
    return {lang: code for lang in LANGUAGES}


# --- agents without a name -------------------------------------------------------------------

# What records write where nobody knows the name: "Unknown scribe", "an unnamed bard",
# "Anonymous", "[unknown]", 佚名, 不详, 无名氏. Such an agent is information for the record page
# but never a creator in a citation or a harvested record: Zotero, given "Unknown scribe",
# makes a person of that name, and an anonymous work is one without creators.
_UNNAMED_EN = re.compile(r"(?:(?:an?|the|some)\s+)?(?:unknown|unnamed|anonymous|anon\b|"
                         r"unidentified|unattributed|not\s+known|n\.\s?n(?:\.|$))(?![a-z])",
                         re.IGNORECASE)
_UNNAMED_ZH = ("佚名", "不详", "不詳", "无名氏", "無名氏", "未详", "未詳", "阙名", "闕名", "失名",
               "未知")
_OPENING = " \t\r\n[](){}（）【】〔〕?？.。,，:：;；-–—\"'“”‘’"


def unnamed(name: str) -> bool:
    """Whether ``name`` stands in for an agent whose name is not known (or is empty): it opens,
    brackets and an article aside, with "unknown", "unnamed", "anonymous", "unidentified" ...
    or with 佚名, 不详, 无名氏, 未详, 阙名, 失名. A name that merely contains such a word later
    ("Lama Unknown-Born") is a name."""
    text = (name or "").strip(_OPENING)
    if not text:
        return True
    return bool(_UNNAMED_EN.match(text)) or text.startswith(_UNNAMED_ZH)
