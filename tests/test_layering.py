"""The import layering of DESIGN.md, checked on the source: only library/imaging/ imports PIL."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("library", "catalog", "ingest", "viewer")


def _imported_modules(path: Path) -> set[str]:
    """Every module an ``import``/``from ... import`` in ``path`` names, at any depth."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")
                  if "node_modules" not in p.parts and "vendor" not in p.parts)


def test_only_library_imaging_imports_pil() -> None:
    sources = _sources()
    assert ROOT / "library" / "sample.py" in sources  # the walk does find the packages
    importers = {p.relative_to(ROOT).as_posix() for p in sources
                 if any(m == "PIL" or m.startswith("PIL.") for m in _imported_modules(p))}
    assert importers  # the package itself does import it, so the check can see an importer
    assert all(name.startswith("library/imaging/") for name in importers), sorted(importers)


def test_the_check_sees_nested_imports(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from PIL import ImageDraw\n    import PIL.Image\n")
    assert {"PIL", "PIL.Image"} <= _imported_modules(probe)
