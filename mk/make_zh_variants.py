"""Build library/data/zh_variants.tsv, the Han variant table of the loose key, from OpenCC.

The table is taken from a maintained source that a package ships: the variant dictionaries in
the ``opencc`` wheel (Japanese shinjitai, Taiwan and Hong Kong standard forms), read with the
wheel's own ``opencc_dict`` tool. A pair is kept when it is unambiguous (one variant besides
the character itself) and both characters share a Mandarin reading (pypinyin): a Japanese
form such as 芸 for 藝 is a different Chinese character (yún, not yì), not a variant. The few
pairs no shipped source has are in zh_variants_extra.tsv, each with its reason. A Japanese
form that is also a Chinese character (in OpenCC's own tables, in GB 2312 or in Big5: 連, used
in Japan for 聯; 予 for 豫) is left out: in Chinese text it is that other character.

Variants form classes; every member of a class is mapped to one representative, so that the
loose key (variant, then t2s) is one per class: a form t2s makes of another member, the t2s
form most members have, then the one
the sources name as the standard (the traditional form of a shinjitai, Taiwan's or Hong Kong's
standard form), then the lowest code point.

Run: ``.venv/bin/python mk/make_zh_variants.py`` (tests/test_zh_variants.py checks that the
committed table is what this makes from the installed OpenCC).
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "library" / "data" / "zh_variants.tsv"
EXTRA = ROOT / "library" / "data" / "zh_variants_extra.tsv"
SOURCES = ("JPShinjitaiCharacters", "TWVariants", "HKVariants")


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


def _chinese_characters() -> set[str]:
    """The characters OpenCC's Chinese conversion itself knows (either side of t2s or s2t)."""
    known: set[str] = set()
    for name in ("TSCharacters", "STCharacters"):
        for key, cands in read_dictionary(name):
            known.add(key)
            known.update(cands)
    return known


def _in_chinese_charset(ch: str) -> bool:
    """Whether a character is in GB 2312 or Big5, the standard Chinese character sets."""
    for codec in ("gb2312", "big5"):
        try:
            ch.encode(codec)
            return True
        except UnicodeEncodeError:
            pass
    return False


def _pairs() -> list[tuple[str, str, str]]:
    out = []
    chinese = _chinese_characters()
    for name in SOURCES:
        for key, cands in read_dictionary(name):
            others = [c for c in cands if c != key]
            if len(key) != 1 or len(others) != 1 or len(others[0]) != 1:
                continue
            if name.startswith("JP") and (key in chinese or _in_chinese_charset(key)):
                continue  # a Chinese character in its own right (連 is not 聯, 予 not 豫)
            a, b = key, others[0]
            ra, rb = _readings(a), _readings(b)
            if ra and rb and not ra & rb:
                continue
            out.append((a, b, f"OpenCC {name}"))
    for line in EXTRA.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        a, b, why = (line.split("\t") + [""])[:3]
        out.append((a.strip(), b.strip(), f"extra: {why.strip()}"))
    return out


def build() -> str:
    """The table's text."""
    import opencc

    t2s = opencc.OpenCC("t2s")
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
    lines = [
        "# GENERATED by mk/make_zh_variants.py: do not edit (add reviewed pairs to",
        f"# zh_variants_extra.tsv). Source: OpenCC {version} {', '.join(SOURCES)}.",
        "# variant<TAB>representative<TAB>where the pair comes from. Applied per character in",
        "# the loose key before OpenCC t2s.",
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
    text = build()
    if sys.argv[1:] == ["--check"]:
        sys.exit(0 if TABLE.read_text(encoding="utf-8") == text else 1)
    TABLE.write_text(text, encoding="utf-8")
    print(f"{TABLE}: {text.count(chr(10)) - 4} pairs")
