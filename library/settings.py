"""Settings: one dataclass, read from the environment and an optional ``sudur.json`` in the library.

Environment variables win over the file; every field has a default that works for the demo.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Optional

DEFAULT_LIBRARY = "./sudur-library"


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
    max_url_length: int = 1024
    iiif_cache_max_mb: int = 2048  # built Image API results kept on disk; 0 = keep none
    search_time_budget: float = 0.04  # seconds for totals and facets before estimating
    kiosk_idle_seconds: int = 120
    kiosk_advance_seconds: int = 12
    workers: int = 0  # 0 = all cores

    @classmethod
    def load(cls, library: Optional[str | os.PathLike] = None, **overrides) -> "Settings":
        lib = Path(library or os.environ.get("SUDUR_LIBRARY") or DEFAULT_LIBRARY)
        values: dict = {}
        cfg = lib / "sudur.json"
        if cfg.is_file():
            values.update(json.loads(cfg.read_text(encoding="utf-8")))
        for f in fields(cls):
            env = os.environ.get("SUDUR_" + f.name.upper())
            if env is not None and f.name != "library":
                values[f.name] = _coerce(f.type, env)
        values.update({k: v for k, v in overrides.items() if v is not None})
        values["library"] = lib
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


def _coerce(type_name: object, raw: str):
    t = str(type_name)
    if "bool" in t:
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if "int" in t:
        return int(raw)
    if "float" in t:
        return float(raw)
    return raw
