"""BagIt (RFC 8493, the Library of Congress spec): verify a delivered bag, write an export bag.

Only what Sudur needs: version 1.0 bags with ``manifest-<alg>.txt`` for sha256/sha512/md5/sha1,
payload in ``data/``, ``tagmanifest`` checked when present. Paths in manifests are checked to stay
inside the bag.
"""
from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path
from typing import Iterable
from urllib.parse import unquote

from .errors import BagError, PathEscapeError, SudurError
from .store import file_digest, resolve_inside

ALGORITHMS = ("sha512", "sha256", "sha1", "md5")


def is_bag(path: Path) -> bool:
    return (path / "bagit.txt").is_file()


def _read_manifest(bag: Path, name: str) -> dict[str, str]:
    entries: dict[str, str] = {}
    for lineno, line in enumerate((bag / name).read_text(encoding="utf-8").splitlines(), 1):
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
    info = bag / "bag-info.txt"
    if not info.is_file():
        return
    for lineno, line in enumerate(info.read_text(encoding="utf-8", errors="replace")
                                  .splitlines(), 1):
        key, _, value = line.partition(":")
        if key.strip().lower() != "payload-oxum":
            continue
        octets, _, count = value.strip().partition(".")
        if not (octets.isdigit() and count.isdigit()):
            raise BagError(f"malformed Payload-Oxum {value.strip()!r}", file="bag-info.txt",
                           line=lineno)
        size = sum((bag / rel).stat().st_size for rel in present)
        if (int(octets), int(count)) != (size, len(present)):
            raise BagError(f"Payload-Oxum says {int(count)} files of {int(octets)} bytes, the "
                           f"payload has {len(present)} files of {size} bytes", file="bag-info.txt",
                           line=lineno)


def verify_bag(bag: Path) -> Path:
    """Check a bag completely; return its payload folder, or raise BagError naming the problem."""
    bag = Path(bag)
    decl = (bag / "bagit.txt").read_text(encoding="utf-8", errors="replace")
    if "BagIt-Version" not in decl:
        raise BagError("bagit.txt does not declare BagIt-Version", file="bagit.txt", line=1)
    manifests = [f"manifest-{a}.txt" for a in ALGORITHMS if (bag / f"manifest-{a}.txt").is_file()]
    if not manifests:
        raise BagError("the bag has no payload manifest", file=str(bag.name))
    payload = bag / "data"
    if not payload.is_dir():
        raise BagError("the bag has no data/ folder", file=str(bag.name))
    if (bag / "fetch.txt").is_file() and (bag / "fetch.txt").read_text(
            encoding="utf-8", errors="replace").strip():
        raise BagError("the bag lists files to download (fetch.txt); Sudur never downloads: "
                       "deliver a complete bag", file="fetch.txt", line=1)
    root = bag.resolve()
    for p in payload.rglob("*"):
        if p.is_symlink():
            target = p.resolve()
            if root not in target.parents:
                # refused before anything is read: the link could name any file, or a FIFO
                raise BagError(f"{p.relative_to(bag).as_posix()} is a link to somewhere outside "
                               "the bag", file=str(bag.name))
    present = {p.relative_to(bag).as_posix() for p in payload.rglob("*") if p.is_file()}
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
            if file_digest(bag / rel, alg) != digest:
                raise BagError(f"checksum mismatch for {rel}", file=name)
    _check_oxum(bag, present)
    for alg in ALGORITHMS:
        tag = bag / f"tagmanifest-{alg}.txt"
        if tag.is_file():
            for rel, digest in _read_manifest(bag, tag.name).items():
                if not (bag / rel).is_file() or file_digest(bag / rel, alg) != digest:
                    raise BagError(f"tag file {rel} does not match", file=tag.name)
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
