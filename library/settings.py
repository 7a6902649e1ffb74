"""Settings: one dataclass, read from the environment and an optional ``sudur.json`` in the library.

Environment variables win over the file; every field has a default that works for the demo.
Everything is checked here, at the edge: an unknown key or a value of the wrong type is a
``SettingsError`` naming where it came from (file and line, variable or keyword), never dropped.
"""
from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Optional, get_type_hints

from .errors import SettingsError
from .json_kind import json_kind

DEFAULT_LIBRARY = "./sudur-library"
DOWNLOAD_POLICIES = ("licence", "all", "none")


@dataclass
class Settings:
    library: Path = field(default_factory=lambda: Path(DEFAULT_LIBRARY))
    base_url: str = ""  # public base URL; empty = taken from each request
    trust_proxy_headers: bool = False  # honour X-Forwarded-Proto/Host/Prefix (behind a proxy)
    tile_size: int = 512
    thumb_width: int = 200
    max_width: int = 10000  # Image API limits announced in info.json
    max_height: int = 10000
    max_area: int = 40_000_000
    max_master_pixels: int = 250_000_000  # Pillow's decompression-bomb limit, set once
    max_tei_bytes: int = 50_000_000  # ten times the largest TEI we have seen; refused unread
    # Pages (<pb/> or images) of one item, refused at check: the largest volumes we know (a
    # Kangyur volume, at most ~1,000 leaves of two sides) have 2,000; ten times that still gets
    # a record page in ~50 ms and a first manifest in ~3 s here (docs/benchmarks.md), far
    # inside gunicorn's 30 s, while a 0.5 MB TEI of 30,000 empty <pb/> is refused.
    max_pages_per_item: int = 20_000
    max_url_length: int = 1024
    iiif_cache_max_mb: int = 2048  # built Image API results kept on disk; 0 = keep none
    search_time_budget: float = 0.04  # seconds for totals and facets before estimating
    search_deadline: float = 1.0  # seconds; past it a search returns what it has, partial
    kiosk_idle_seconds: int = 120
    kiosk_advance_seconds: int = 12
    workers: int = 0  # 0 = all cores
    # Beyond one machine (DESIGN.md): where item versions live. Empty = the library folder;
    # s3://BUCKET/PREFIX = an S3-compatible store (credentials from the AWS_* variables).
    store_url: str = ""
    s3_endpoint_url: str = ""  # e.g. http://127.0.0.1:8333; empty = the AWS default
    store_cache_max_mb: int = 4096  # objects of an S3 store kept on this node's disk
    # a Dask scheduler (tcp://HOST:8786) that cuts ingest's page derivatives; empty = local
    # processes (`sudur ingest --dask ADDRESS` wins over it)
    dask_scheduler: str = ""
    # nginx's internal location for the library folder (e.g. /_sudur/): pre-cut tiles are then
    # sent by nginx (X-Accel-Redirect) instead of through Python; empty = off
    x_accel_redirect: str = ""

    # Downloads (library.downloads_rights, library.downloads): "licence" = each item's licence
    # decides (refused for the URI prefixes of download_refused_licences), "all", "none".
    download_policy: str = "licence"
    download_refused_licences: str = "http://rightsstatements.org/vocab/InC"
    pdf_max_pages: int = 500
    # MB of JPEGs one PDF may embed: fpdf2 holds a PDF in memory until it is written, about 3x
    # its size at the peak (docs/benchmarks-downloads.md); 0 = no limit
    pdf_max_mb: float = 400.0
    download_cache_max_mb: int = 4096  # built PDFs kept in LIB/cache/downloads (LRU)
    download_wait_seconds: float = 5.0  # a PDF request waits this long before showing progress
    # Beyond one machine (DESIGN.md): empty = SQLite in the library folder;
    # postgresql://USER@HOST:PORT/DB = a PostgreSQL catalogue shared by every node
    catalog_url: str = ""

    def __post_init__(self) -> None:
        if self.download_policy not in DOWNLOAD_POLICIES:
            raise SettingsError(f"download_policy must be one of {', '.join(DOWNLOAD_POLICIES)},"
                                f" not {self.download_policy!r}")
        if self.catalog_url and not self.catalog_url.startswith(("postgresql://", "postgres://")):
            raise SettingsError(f"catalog_url must be empty (SQLite in the library folder) or "
                                f"postgresql://USER@HOST:PORT/DB, not {self.catalog_url!r}")

    @classmethod
    def load(cls, library: Optional[str | os.PathLike] = None, **overrides) -> "Settings":
        # The library path is resolved once, here, and kept: every path built from it is then
        # absolute and free of symlinks, so paths listed from the folder compare equal to
        # resolved ones (a relative library once made a second ingest delete the live index),
        # and a later chdir or a re-pointed symlink does not move a running process's library.
        lib = Path(library or os.environ.get("SUDUR_LIBRARY") or DEFAULT_LIBRARY).resolve()
        types = _field_types(cls)
        values: dict = {}
        cfg = lib / "sudur.json"
        if cfg.is_file():
            values.update(_read_file(cfg, types))
        for name, kind in types.items():
            var = "SUDUR_" + name.upper()
            env = os.environ.get(var)
            if env is not None and name != "library":
                values[name] = _coerce(kind, env, var)
        for key, value in overrides.items():
            if value is None:
                continue
            where = f"keyword argument {key}"
            _check_known(key, types, where)
            values[key] = _checked(kind=types[key], value=value, where=where)
        values["library"] = lib
        return cls(**values)


def _field_types(cls: type) -> dict[str, type]:
    hints = get_type_hints(cls)
    return {f.name: hints[f.name] for f in fields(cls)}


def _read_file(cfg: Path, types: dict[str, type]) -> dict:
    """The settings of ``sudur.json``: a JSON object of known keys with values of their type."""
    try:
        text = cfg.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SettingsError(f"not UTF-8 text: {exc.reason} at byte {exc.start}",
                            file=str(cfg), hint="save the file as UTF-8") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SettingsError(f"not valid JSON: {exc.msg} (column {exc.colno})", file=str(cfg),
                            line=exc.lineno, hint="fix the JSON at the line named above") from exc
    if not isinstance(data, dict):
        raise SettingsError(f"expected a JSON object of settings, found {json_kind(data)}",
                            file=str(cfg), line=1)
    values = {}
    for key, value in data.items():
        line = _line_of(text, key)
        if key == "library":
            raise SettingsError("the setting 'library' cannot be set in the library's own "
                                "sudur.json", file=str(cfg), line=line,
                                hint="use --library or SUDUR_LIBRARY, and remove the key")
        _check_known(key, types, "", file=str(cfg), line=line)
        values[key] = _checked(types[key], value, f"{key!r}", file=str(cfg), line=line)
    return values


def _check_known(key: str, types: dict[str, type], where: str, *, file: Optional[str] = None,
                 line: Optional[int] = None) -> None:
    if key in types:
        return
    settable = [name for name in types if name != "library"]  # library: --library only
    close = difflib.get_close_matches(key, settable, n=3)
    guess = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    where = f" ({where})" if where else ""
    raise SettingsError(f"unknown setting {key!r}{where}{guess}", file=file, line=line,
                        hint="the known settings are " + ", ".join(settable))


def _checked(kind: type, value: object, where: str, *, file: Optional[str] = None,
             line: Optional[int] = None) -> object:
    """``value`` if it is of the field's type (an int is a fine float; a bool is no number)."""
    ok = isinstance(value, kind) and (kind is bool or not isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not ok:
        raise SettingsError(f"{where} must be {_NAMES.get(kind, kind.__name__)}, not "
                            f"{json_kind(value)} {value!r}", file=file, line=line)
    return value


def _coerce(kind: type, raw: str, var: str):
    """An environment variable's text as the field's type."""
    if kind is bool:
        flag = raw.strip().lower()
        if flag in ("1", "true", "yes", "on"):
            return True
        if flag in ("", "0", "false", "no", "off"):
            return False
        raise SettingsError(f"{var}={raw!r} must be {_NAMES[kind]}")
    try:
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
    except ValueError as exc:
        raise SettingsError(f"{var}={raw!r} must be {_NAMES[kind]}") from exc
    return raw


_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}


def _line_of(text: str, key: str) -> Optional[int]:
    """The line where ``key`` is written in the JSON text (the first such line), for messages."""
    needle = json.dumps(key, ensure_ascii=False)
    for n, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return n
    return None
