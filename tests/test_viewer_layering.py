"""The viewer's own layering, checked on the source: a blueprint module (one that makes a
``Blueprint``) imports shared helper modules only, never another blueprint module; the shared
helpers import no blueprint module; only ``create_app`` (viewer/__init__.py) imports them all."""
from __future__ import annotations

import ast
from pathlib import Path

VIEWER = Path(__file__).resolve().parents[1] / "viewer"

# Names the search call sites still take from the site module. They belong to the search
# request the catalog work is re-cutting (issue 10); when they move to a shared home, this
# shrinks to nothing. Any other name imported sideways fails the test.
SEARCH_CALL_SITES = {
    ("api", "site"): {"MAX_QUERY", "search_params", "run_search", "matches_for_item",
                      "page_spans", "item_request"},
    ("embed", "site"): {"reader_context"},
}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _makes_blueprint(tree: ast.Module) -> bool:
    return any(isinstance(n, ast.Call) and getattr(n.func, "id", None) == "Blueprint"
               for n in ast.walk(tree))


def viewer_imports(path: Path) -> dict[str, set[str]]:
    """{viewer module imported: names used from it} for one module, at any depth. A module
    imported whole (``from . import site``) counts the attributes read from it."""
    tree = _tree(path)
    out: dict[str, set[str]] = {}
    whole: dict[str, str] = {}  # local name -> viewer module
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 1 and module:
                out.setdefault(module.split(".")[0], set()).update(a.name for a in node.names)
            elif node.level == 1:
                for a in node.names:
                    out.setdefault(a.name, set())
                    whole[a.asname or a.name] = a.name
            elif node.level == 0 and module.startswith("viewer."):
                out.setdefault(module.split(".")[1], set()).update(a.name for a in node.names)
            elif node.level == 0 and module == "viewer":
                for a in node.names:
                    out.setdefault(a.name, set())
                    whole[a.asname or a.name] = a.name
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("viewer."):
                    out.setdefault(a.name.split(".")[1], set())
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in whole):
            out[whole[node.value.id]].add(node.attr)
    return out


def _modules() -> dict[str, Path]:
    return {p.stem: p for p in sorted(VIEWER.glob("*.py")) if p.stem != "__init__"}


def blueprint_modules() -> set[str]:
    return {name for name, path in _modules().items() if _makes_blueprint(_tree(path))}


def sideways_imports() -> list[str]:
    """Every import of a blueprint module by another viewer module, allowances aside."""
    blueprints = blueprint_modules()
    found = []
    for name, path in _modules().items():
        for target, names in viewer_imports(path).items():
            if target not in blueprints or target == name:
                continue
            left = names - SEARCH_CALL_SITES.get((name, target), set())
            if left or not names:
                found.append(f"viewer/{name}.py imports {sorted(left) or 'all'} from {target}")
    return found


def test_the_blueprint_modules_are_found():
    assert {"site", "api", "embed", "iiif_image", "iiif_presentation", "iiif_search",
            "oai"} <= blueprint_modules()
    assert not {"resources", "links", "args", "security", "errors", "i18n"} & blueprint_modules()


def test_no_blueprint_module_imports_another():
    assert sideways_imports() == []


def test_the_allowances_are_still_used():
    """An allowance nobody needs any more is deleted, not left to hide a new import."""
    for (importer, target), allowed in SEARCH_CALL_SITES.items():
        used = viewer_imports(VIEWER / f"{importer}.py").get(target, set())
        assert allowed & used, (importer, target)


def test_create_app_registers_every_blueprint_module():
    used = viewer_imports(VIEWER / "__init__.py")
    assert blueprint_modules() <= set(used)
    source = (VIEWER / "__init__.py").read_text(encoding="utf-8")
    assert "importlib" not in source
    for name in blueprint_modules():
        assert f"app.register_blueprint({name}.bp)" in source, name


def test_the_check_sees_sideways_imports(tmp_path: Path):
    probe = tmp_path / "probe.py"
    probe.write_text("from . import site\nfrom .iiif_presentation import count_arg\n"
                     "def f():\n    from viewer.oai import oai\n    return site.load_item\n")
    assert viewer_imports(probe) == {"site": {"load_item"},
                                     "iiif_presentation": {"count_arg"}, "oai": {"oai"}}
