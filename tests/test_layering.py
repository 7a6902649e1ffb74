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


# --- every "never" of DESIGN.md's dependency rule -------------------------------------------------

# Importer package -> packages it must never import. Arrows point one way (viewer -> catalog ->
# library, ingest -> catalog -> library), and ingest and viewer never import each other.
NEVER = {
    "library": {"catalog", "ingest", "viewer"},
    "catalog": {"ingest", "viewer"},
    "ingest": {"viewer"},
    "viewer": {"ingest"},
}
# The CLI lives in library but imports the other packages inside its commands (DESIGN.md), so
# importing ``library`` never imports them: there, only imports at module level count.
COMMANDS_MAY_IMPORT = {"library/cli.py"}
WHOOSH_HOME = "catalog"


def _package_of(rel: Path) -> list[str]:
    """The dotted package a module file belongs to (``catalog/x.py`` and
    ``catalog/__init__.py`` are both in ``catalog``)."""
    return list(rel.parts[:-1])


def _imports(path: Path, root: Path) -> list[tuple[str, int, bool]]:
    """(absolute module, line, inside a function) of every import in ``path``: ``import a.b``,
    ``from a import b`` (as ``a`` and ``a.b``, since ``b`` may be a module), relative imports
    resolved against the file's package, and ``import_module("a.b")`` with a literal name."""
    package = _package_of(path.relative_to(root))
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend((a.name, node.lineno, in_function) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((module, node.lineno, in_function))
            found.extend((f"{module}.{a.name}" if module else a.name, node.lineno, in_function)
                         for a in node.names if a.name != "*")
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and ((isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                   or (isinstance(node.func, ast.Name)
                       and node.func.id in ("import_module", "__import__")))):
            found.append((node.args[0].value, node.lineno, in_function))
        inner = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                 ast.Lambda))
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), False)
    return found


def _layering_violations(root: Path) -> list[str]:
    out = []
    for pkg in PACKAGES:
        for path in sorted((root / pkg).rglob("*.py")):
            rel = path.relative_to(root)
            if "node_modules" in rel.parts or "vendor" in rel.parts:
                continue
            for module, line, in_function in _imports(path, root):
                top = module.split(".")[0]
                where = f"{rel.as_posix()}:{line} imports {module}"
                if top in NEVER[pkg] and not (in_function
                                              and rel.as_posix() in COMMANDS_MAY_IMPORT):
                    out.append(f"{where}: {pkg} never imports {top}")
                if top == "whoosh" and pkg != WHOOSH_HOME:
                    out.append(f"{where}: only {WHOOSH_HOME}/ imports whoosh")
    return out


def test_every_never_of_the_dependency_rule_holds() -> None:
    assert _layering_violations(ROOT) == []


def test_the_cli_does_import_the_other_packages_but_only_inside_its_commands() -> None:
    found = _imports(ROOT / "library" / "cli.py", ROOT)
    assert {m.split(".")[0] for m, _, inside in found if inside} >= {"catalog", "ingest", "viewer"}
    assert not {m.split(".")[0] for m, _, inside in found if not inside} & NEVER["library"]


def _fake_tree(root: Path, files: dict[str, str]) -> Path:
    for pkg in PACKAGES:
        (root / pkg).mkdir(parents=True, exist_ok=True)
        (root / pkg / "__init__.py").write_text("")
    for rel, text in files.items():
        (root / rel).write_text(text)
    return root


def test_the_layering_check_sees_each_kind_of_breach(tmp_path: Path) -> None:
    root = _fake_tree(tmp_path, {
        "viewer/a.py": "from ingest import pipeline\n",
        "ingest/b.py": "def f():\n    import viewer.site\n",  # nested in a function
        "catalog/c.py": "from .. import viewer\n",  # relative, above the package
        "library/d.py": "from ..catalog.db import Catalog\n",
        "library/cli.py": "import catalog\ndef cmd():\n    from ingest import pipeline\n",
        "library/e.py": "import importlib\nm = importlib.import_module('catalog.search')\n",
        "viewer/f.py": "from whoosh.query import Term\n",
        "catalog/g.py": "from whoosh import index\nfrom . import db\nfrom library import x\n",
    })
    found = _layering_violations(root)
    assert {v.split(" imports")[0] for v in found} == {
        "viewer/a.py:1", "ingest/b.py:2", "catalog/c.py:1", "library/d.py:1",
        "library/cli.py:1", "library/e.py:2", "viewer/f.py:1"}, found
    # the CLI's import inside a command and catalog's own whoosh are allowed
    assert not any(v.startswith(("library/cli.py:3", "catalog/g.py")) for v in found)


def test_relative_imports_resolve_against_the_package(tmp_path: Path) -> None:
    root = _fake_tree(tmp_path, {"catalog/h.py": "from . import db\nfrom .db import Catalog\n"
                                                "from ..library.store import Store\n"})
    modules = {m for m, _, _ in _imports(root / "catalog" / "h.py", root)}
    assert {"catalog", "catalog.db", "catalog.db.Catalog", "library.store"} <= modules
