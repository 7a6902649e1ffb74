"""Build library/data/zh_variants.tsv, the Han variant table of the loose key, from the
maintained sources that packages ship: OpenCC's variant dictionaries and Unihan's variant data.

Sources read (for the committed table):

- **OpenCC** 1.4.2 (PyPI ``opencc``, its bundled dictionaries JPShinjitaiCharacters, TWVariants,
  HKVariants, read with the wheel's own ``opencc_dict`` tool). A pair is kept when it is
  unambiguous (one variant besides the character itself) and both characters share a Mandarin
  reading (pypinyin): a Japanese form such as 芸 for 藝 is a different Chinese character (yún,
  not yì). A Japanese form that is also a Chinese character (in OpenCC's own tables, in GB 2312
  or in Big5) pairs only with an old form that is none of these (概/槪, 研/硏, 郎/郞): 連, used in
  Japan for 聯, and 予 for 豫 are in Chinese text those other characters.
- **Unihan** 15.0.0 (Debian ``unicode-data`` 15.0.0-1, /usr/share/unicode/Unihan_*.txt.bz2),
  read by ``--unihan`` into library/data/zh_variants_unihan.tsv (committed, so that building
  and checking the table needs only OpenCC). Two rules (``unihan_pairs``):
  1. *variant fields*: kZVariant and kSemanticVariant pairs whose members share a Mandarin
     reading (pypinyin), except a pair of two standard characters (both simplified forms, by
     OpenCC t2s, in GB 2312 and different: 溽 "humid" and 縟 "ornate" are two words to a reader
     of today) and except a rare form linked to two different standard characters (ambiguous);
  2. *Korean source-separated forms* (the Kangxi printing forms 尙 淸 靑 姸): a character whose
     IRG sources include KS X 1001 (K0) but none of the main Chinese, Taiwanese or Japanese
     standards (G0, G1, T1, T2, J0, J1) was encoded apart only for Korea's set; it is paired
     with the one standard character (G0 or T1) of the same radical and strokes (kRSUnicode),
     a shared Mandarin reading, and a Unihan definition (kDefinition) that is the form's own or
     begins with it (尙 and 尚 are both "still, yet; even; fairly, rather").
  Not used: kSpecializedSemanticVariant (a variant in some senses only), kSpoofingVariant
  (look-alikes), kTraditionalVariant/kSimplifiedVariant (the loose key's simplification is
  OpenCC's t2s).
- **zh_variants_extra.tsv**: the pair no shipped source has, reviewed, with its reason.

Variants form classes; every member of a class is mapped to one representative, so that the
loose key (variant, then t2s) is one per class: a form t2s makes of another member, the t2s
form most members have, then the one the sources name as the standard (the traditional form
of a shinjitai, Taiwan's or Hong Kong's standard form, the standard member of a Unihan pair),
then the lowest code point.

Run: ``.venv/bin/python mk/make_zh_variants.py`` (tests/test_zh_variants.py checks that the
committed table is what this makes from the installed OpenCC and the committed Unihan pairs);
``.venv/bin/python mk/make_zh_variants.py --unihan [DIR]`` first, to re-read Unihan (needs
``apt-get install unicode-data``, or DIR holding the Unihan_*.txt files of a Unihan.zip).
"""
from __future__ import annotations

import bz2
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "library" / "data"
TABLE = DATA / "zh_variants.tsv"
EXTRA = DATA / "zh_variants_extra.tsv"
UNIHAN_PAIRS = DATA / "zh_variants_unihan.tsv"
SOURCES = ("JPShinjitaiCharacters", "TWVariants", "HKVariants")
UNIHAN_DIR = Path("/usr/share/unicode")
# IRG sources of the main standards: GB 2312 and GB 12345, CNS 11643 planes 1-2 (Big5),
# JIS X 0208 and JIS X 0212
MAIN_SOURCES = ("G0-", "G1-", "T1-", "T2-", "J0-", "J1-")
STANDARD_SOURCES = ("G0-", "T1-")


def _opencc_paths() -> tuple[Path, Path, str]:
    import opencc

    base = Path(opencc.__file__).resolve().parent / "clib"
    return base / "share" / "opencc", base / "bin" / "opencc_dict", opencc.__version__


def read_dictionary(name: str) -> list[tuple[str, list[str]]]:
    """(key, candidates) of one of OpenCC's shipped dictionaries."""
    share, tool, _ = _opencc_paths()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{name}.txt"
        subprocess.run([str(tool), "-i", str(share / f"{name}.ocd2"), "-o", str(out),
                        "-f", "ocd2", "-t", "text"], check=True, capture_output=True)
        rows = []
        for line in out.read_text(encoding="utf-8").splitlines():
            key, _, cands = line.partition("\t")
            rows.append((key, cands.split()))
    return rows


def _readings(ch: str) -> set[str]:
    sys.path.insert(0, str(ROOT))
    from library.scripts import han_readings

    return set(han_readings(ch))


def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def _chinese_characters() -> set[str]:
    """The characters OpenCC's Chinese conversion itself knows (either side of t2s or s2t)."""
    known: set[str] = set()
    for name in ("TSCharacters", "STCharacters"):
        for key, cands in read_dictionary(name):
            known.add(key)
            known.update(cands)
    return known


def _in_charset(ch: str, codecs: tuple[str, ...] = ("gb2312", "big5")) -> bool:
    """Whether a character is in one of the standard Chinese character sets named."""
    for codec in codecs:
        try:
            ch.encode(codec)
            return True
        except UnicodeEncodeError:
            pass
    return False


def opencc_pairs() -> list[tuple[str, str, str]]:
    """(variant, standard, source) from OpenCC's variant dictionaries (see the docstring)."""
    out = []
    chinese = _chinese_characters()

    def is_chinese(c: str) -> bool:
        return c in chinese or _in_charset(c)

    for name in SOURCES:
        for key, cands in read_dictionary(name):
            others = [c for c in cands if c != key]
            if len(key) != 1 or len(others) != 1 or len(others[0]) != 1:
                continue
            a, b = key, others[0]
            if name.startswith("JP") and is_chinese(a) and is_chinese(b):
                continue  # two Chinese characters in their own right (連 is not 聯)
            ra, rb = _readings(a), _readings(b)
            if ra and rb and not ra & rb:
                continue
            out.append((a, b, f"OpenCC {name}"))
    return out


# --- Unihan ----------------------------------------------------------------------------------

def read_unihan(lines, fields: set[str]) -> dict[str, dict[str, str]]:
    """character -> {field: value} for the named fields of Unihan text lines."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for line in lines:
        if not line.startswith("U+"):
            continue
        cp, field, value = line.rstrip("\n").split("\t", 2)
        if field in fields:
            out[chr(int(cp[2:], 16))][field] = value
    return out


def _unihan_lines(directory: Path, part: str):
    plain = directory / f"Unihan_{part}.txt"
    if plain.is_file():
        return plain.open(encoding="utf-8")
    return bz2.open(directory / f"Unihan_{part}.txt.bz2", "rt", encoding="utf-8")


def _code_chars(value: str) -> list[str]:
    """The characters of a variant field's value ("U+5C1A<kLau U+5C19")."""
    return [chr(int(v.split("<")[0][2:], 16)) for v in value.split()]


def unihan_pairs(props: dict[str, dict[str, str]], readings, t2s,
                 ) -> list[tuple[str, str, str]]:
    """(variant, standard, rule) by the two Unihan rules of the docstring.

    ``props`` holds each character's kZVariant, kSemanticVariant, kIRG_*Source, kRSUnicode and
    kDefinition; ``readings(ch)`` its Mandarin readings, ``t2s(ch)`` its simplified form.
    """
    def standard(c: str) -> str | None:
        s = t2s(c)
        return s if len(s) == 1 and _in_charset(s, ("gb2312",)) else None

    def share_reading(a: str, b: str) -> bool:
        return bool(readings(a) & readings(b))

    # 1. variant fields
    linked: dict[str, dict[str, str]] = defaultdict(dict)
    for a, p in props.items():
        for field in ("kZVariant", "kSemanticVariant"):
            for b in _code_chars(p.get(field, "")):
                if b != a and share_reading(a, b):
                    linked[a].setdefault(b, field)
                    linked[b].setdefault(a, field)
    def ambiguous(c: str) -> bool:
        # a rare form linked to two different standard characters
        return not standard(c) and len({standard(p) for p in linked[c]} - {None}) > 1

    kept: dict[tuple[str, str], str] = {}
    for a, partners in linked.items():
        for b, field in partners.items():
            sa, sb = standard(a), standard(b)
            if (sa and sb and sa != sb) or ambiguous(a) or ambiguous(b):
                continue  # (two characters of today's standard, 溽 and 縟)
            # as (variant, standard): the standard member second, else by code point
            pair = (a, b) if sb and not sa else (b, a) if sa and not sb else tuple(sorted((a, b)))
            kept.setdefault(pair, f"Unihan {field}")
    out = [(a, b, why) for (a, b), why in sorted(kept.items())]

    # 2. Korean source-separated forms
    def sources(c: str) -> list[str]:
        return [v for f, v in props.get(c, {}).items() if f.startswith("kIRG_")]

    def in_sources(c: str, prefixes: tuple[str, ...]) -> bool:
        return any(s.startswith(prefixes) for s in sources(c))

    by_rs: dict[str, list[str]] = defaultdict(list)
    for c, p in props.items():
        if "kRSUnicode" in p:
            by_rs[p["kRSUnicode"]].append(c)
    for v, p in sorted(props.items()):
        if not p.get("kIRG_KSource", "").startswith("K0-") or in_sources(v, MAIN_SOURCES):
            continue
        own = p.get("kDefinition", "").strip()
        found = [s for s in by_rs.get(p.get("kRSUnicode", ""), ())
                 if s != v and in_sources(s, STANDARD_SOURCES) and share_reading(v, s)
                 and _begins_with(props[s].get("kDefinition", ""), own)]
        if len(found) == 1:
            out.append((v, found[0], "Unihan K0 form"))
    return out


def _begins_with(definition: str, own: str) -> bool:
    """Whether a Unihan definition is ``own`` or begins with it and then a comma or semicolon."""
    definition = definition.strip()
    return bool(own) and (definition == own or (definition.startswith(own)
                                                and definition[len(own)] in ",;"))


def unihan_version(directory: Path) -> str:
    with _unihan_lines(directory, "Variants") as f:
        for line in f:
            m = re.match(r"# Unicode version: (\S+)", line)
            if m:
                return m.group(1)
    return "unknown"


def _debian_version(package: str) -> str | None:
    try:
        r = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", package],
                           capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return None
    return r.stdout.strip() or None


def write_unihan_pairs(directory: Path) -> int:
    """Read Unihan in ``directory`` into UNIHAN_PAIRS; return the number of pairs."""
    fields = {"kZVariant", "kSemanticVariant", "kRSUnicode", "kDefinition", "kIRG_GSource",
              "kIRG_TSource", "kIRG_JSource", "kIRG_KSource"}
    props: dict[str, dict[str, str]] = defaultdict(dict)
    for part in ("Variants", "IRGSources", "Readings"):
        with _unihan_lines(directory, part) as f:
            for c, p in read_unihan(f, fields).items():
                props[c].update(p)
    t2s = _t2s()
    pairs = unihan_pairs(props, _readings, t2s.convert)
    version = unihan_version(directory)
    debian = _debian_version("unicode-data") if directory == UNIHAN_DIR else None
    _, _, opencc_version = _opencc_paths()
    lines = [
        "# GENERATED by mk/make_zh_variants.py --unihan: do not edit. Source: Unihan "
        f"{version} ({f'Debian unicode-data {debian}' if debian else directory}),",
        f"# readings pypinyin, simplified forms OpenCC {opencc_version} t2s; the rules are in the",
        "# script's docstring. variant<TAB>standard<TAB>rule",
    ]
    lines += [f"{a}\t{b}\t{why}" for a, b, why in pairs]
    UNIHAN_PAIRS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(pairs)


# --- the table -------------------------------------------------------------------------------

def _listed_pairs(path: Path, label: str) -> list[tuple[str, str, str]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        a, b, why = (line.split("\t") + [""])[:3]
        out.append((a.strip(), b.strip(), f"{label}{why.strip()}"))
    return out


def _pairs() -> list[tuple[str, str, str]]:
    return (opencc_pairs() + _listed_pairs(UNIHAN_PAIRS, "")
            + _listed_pairs(EXTRA, "extra: "))


def build() -> str:
    """The table's text."""
    t2s = _t2s()
    parent: dict[str, str] = {}

    def find(c: str) -> str:
        while parent.setdefault(c, c) != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    source: dict[str, str] = {}
    pairs = _pairs()
    for a, b, why in pairs:
        parent[find(a)] = find(b)
        source.setdefault(a, why)
        source.setdefault(b, why)
    named_standard = Counter(t2s.convert(b) for _, b, _ in pairs)
    classes: dict[str, list[str]] = {}
    for c in list(parent):
        classes.setdefault(find(c), []).append(c)
    _, _, version = _opencc_paths()
    unihan = UNIHAN_PAIRS.read_text(encoding="utf-8").split("Source: ", 1)[1].split(",")[0]
    lines = [
        "# GENERATED by mk/make_zh_variants.py: do not edit (add reviewed pairs to",
        f"# zh_variants_extra.tsv). Sources: OpenCC {version} {', '.join(SOURCES)}; {unihan}",
        "# (zh_variants_unihan.tsv). variant<TAB>representative<TAB>where the pair comes from.",
        "# Applied per character in the loose key before OpenCC t2s.",
    ]
    for members in sorted(classes.values(), key=lambda m: min(m)):
        votes = Counter(t2s.convert(m) for m in members)
        changed = Counter(t2s.convert(m) for m in members if t2s.convert(m) != m)
        rep = max(votes, key=lambda f: (changed[f], votes[f], named_standard[f], -ord(f[0])))
        for m in sorted(members):
            if t2s.convert(m) != rep:  # (a pair t2s already folds needs no line)
                lines.append(f"{m}\t{rep}\t{source[m]}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--unihan"]:
        n = write_unihan_pairs(Path(args[1]) if len(args) > 1 else UNIHAN_DIR)
        print(f"{UNIHAN_PAIRS}: {n} pairs")
        args = []
    text = build()
    if args == ["--check"]:
        sys.exit(0 if TABLE.read_text(encoding="utf-8") == text else 1)
    TABLE.write_text(text, encoding="utf-8")
    print(f"{TABLE}: {text.count(chr(10)) - 4} pairs")
