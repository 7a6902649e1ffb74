"""BagIt (RFC 8493, the Library of Congress spec): verify a delivered bag, write an export bag.

Only what Sudur needs: version 1.0 bags with ``manifest-<alg>.txt`` for sha256/sha512/md5/sha1,
payload in ``data/``, ``tagmanifest`` checked when present. Paths in manifests are checked to stay
inside the bag. Every file of the bag (tag files, manifests, payload) is opened once through
``safe_open``: a link anywhere in the bag, or a file that is not regular, is refused by name before
a byte of it is read, so no error ever quotes a file from outside the bag.
"""
from __future__ import annotations

import os
import shutil
import stat
from datetime import date
from pathlib import Path
from typing import Iterable
from urllib.parse import unquote

from .errors import BagError, InputError, PathEscapeError, SudurError
from .safe_open import LINK_RULE, digest_batch_file, read_batch_file
from .store import file_digest, resolve_inside

ALGORITHMS = ("sha512", "sha256", "sha1", "md5")
MAX_TAG_BYTES = 200_000_000  # a manifest of millions of files


def is_bag(path: Path) -> bool:
    return os.path.lexists(path / "bagit.txt")  # a link too: verify_bag refuses it by name


def _read(bag: Path, name: str) -> str:
    """A tag file or manifest of the bag, read once, never through a link."""
    try:
        data = read_batch_file(bag, name, name, max_bytes=MAX_TAG_BYTES)
    except InputError as exc:
        raise BagError(exc.message, file=name, hint=exc.hint) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BagError(f"not UTF-8 (byte {exc.start})", file=name) from None


def _digest(bag: Path, rel: str, algorithm: str) -> str:
    try:
        return digest_batch_file(bag, rel, rel, algorithm)
    except InputError as exc:
        raise BagError(exc.message, file=rel, hint=exc.hint) from None


def _payload_files(bag: Path) -> set[str]:
    """The payload's files, walked without following links; a link or a file that is not
    regular is refused by name, unread."""
    present = set()
    for dirpath, dirnames, filenames in os.walk(bag / "data"):
        for name in sorted(dirnames + filenames):
            p = Path(dirpath) / name
            rel = p.relative_to(bag).as_posix()
            mode = p.lstat().st_mode
            if stat.S_ISLNK(mode):
                raise BagError(f"{rel} is a symbolic link; {LINK_RULE}", file=bag.name)
            if name in filenames:
                if not stat.S_ISREG(mode):
                    raise BagError(f"{rel} is not a regular file; Sudur reads regular files "
                                   "only", file=bag.name)
                present.add(rel)
    return present


def _read_manifest(bag: Path, name: str) -> dict[str, str]:
    entries: dict[str, str] = {}
    for lineno, line in enumerate(_read(bag, name).splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split(None, 1)
        if len(parts) != 2:
            raise BagError("malformed manifest line", file=name, line=lineno)
        digest, rel = parts[0].lower(), unquote(parts[1].strip())
        try:
            resolve_inside(bag, rel)
        except PathEscapeError as exc:
            raise BagError(f"manifest path {rel!r} leaves the bag", file=name,
                           line=lineno) from exc
        entries[rel] = digest
    return entries


def _check_oxum(bag: Path, present: set[str]) -> None:
    """Payload-Oxum (octets.count in bag-info.txt), when given, must match the payload. Checked
    after the manifests, whose messages (which file is missing or changed) say more."""
    if not os.path.lexists(bag / "bag-info.txt"):
        return
    for lineno, line in enumerate(_read(bag, "bag-info.txt").splitlines(), 1):
        key, _, value = line.partition(":")
        if key.strip().lower() != "payload-oxum":
            continue
        octets, _, count = value.strip().partition(".")
        if not (octets.isdigit() and count.isdigit()):
            raise BagError(f"malformed Payload-Oxum {value.strip()!r}", file="bag-info.txt",
                           line=lineno)
        size = sum((bag / rel).lstat().st_size for rel in present)
        if (int(octets), int(count)) != (size, len(present)):
            raise BagError(f"Payload-Oxum says {int(count)} files of {int(octets)} bytes, the "
                           f"payload has {len(present)} files of {size} bytes", file="bag-info.txt",
                           line=lineno)


def verify_bag(bag: Path) -> Path:
    """Check a bag completely; return its payload folder, or raise BagError naming the problem."""
    bag = Path(bag)
    decl = _read(bag, "bagit.txt")
    if "BagIt-Version" not in decl:
        raise BagError("bagit.txt does not declare BagIt-Version", file="bagit.txt", line=1)
    manifests = [f"manifest-{a}.txt" for a in ALGORITHMS
                 if os.path.lexists(bag / f"manifest-{a}.txt")]
    if not manifests:
        raise BagError("the bag has no payload manifest", file=str(bag.name))
    payload = bag / "data"
    if payload.is_symlink():
        raise BagError(f"data is a symbolic link; {LINK_RULE}", file=str(bag.name))
    if not payload.is_dir():
        raise BagError("the bag has no data/ folder", file=str(bag.name))
    if os.path.lexists(bag / "fetch.txt") and _read(bag, "fetch.txt").strip():
        raise BagError("the bag lists files to download (fetch.txt); Sudur never downloads: "
                       "deliver a complete bag", file="fetch.txt", line=1)
    present = _payload_files(bag)
    for name in manifests:
        alg = name[len("manifest-"):-4]
        entries = _read_manifest(bag, name)
        missing = sorted(set(entries) - present)
        if missing:
            raise BagError(f"{len(missing)} file(s) listed but missing, e.g. {missing[0]}",
                           file=name)
        extra = sorted(present - set(entries))
        if extra:
            raise BagError(f"{len(extra)} file(s) not in the manifest, e.g. {extra[0]}", file=name)
        for rel, digest in entries.items():
            if _digest(bag, rel, alg) != digest:
                raise BagError(f"checksum mismatch for {rel}", file=name)
    _check_oxum(bag, present)
    for alg in ALGORITHMS:
        tag = f"tagmanifest-{alg}.txt"
        if os.path.lexists(bag / tag):
            for rel, digest in _read_manifest(bag, tag).items():
                if not os.path.lexists(bag / rel) or _digest(bag, rel, alg) != digest:
                    raise BagError(f"tag file {rel} does not match", file=tag)
    return payload


def write_bag(out: Path, files: Iterable[tuple[str, Path | bytes]], info: dict[str, str], *,
              overwrite: bool = False) -> Path:
    """Write a bag at ``out`` from (payload path, source file or bytes) pairs, atomically.

    An existing ``out`` is replaced only with ``overwrite`` (and only if it is itself a bag):
    a mistyped path must never delete someone's folder.
    """
    out = Path(out)
    if out.exists() or out.is_symlink():
        if not overwrite or not is_bag(out):
            raise SudurError(f"{out} already exists", hint="give the path of a new folder")
    tmp = out.with_name(out.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    (tmp / "data").mkdir(parents=True)
    lines = []
    total = 0
    count = 0
    for rel, src in files:
        dst = resolve_inside(tmp / "data", rel)
        dst.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(src, bytes):
            dst.write_bytes(src)
        else:
            shutil.copyfile(src, dst)
        total += dst.stat().st_size
        count += 1
        lines.append(f"{file_digest(dst, 'sha256')}  data/{rel}")
    (tmp / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
                                   encoding="utf-8")
    (tmp / "manifest-sha256.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    meta = {"Bagging-Date": date.today().isoformat(), "Payload-Oxum": f"{total}.{count}",
            "Bag-Software-Agent": "Sudur", **info}
    (tmp / "bag-info.txt").write_text("".join(f"{k}: {v}\n" for k, v in meta.items()),
                                      encoding="utf-8")
    tags = [f"{file_digest(tmp / n, 'sha256')}  {n}" for n in
            ("bagit.txt", "bag-info.txt", "manifest-sha256.txt")]
    (tmp / "tagmanifest-sha256.txt").write_text("\n".join(tags) + "\n", encoding="utf-8")
    if out.exists():
        shutil.rmtree(out)
    os.rename(tmp, out)
    return out
