"""The README's reference tables against the code: the CLI table against the click group, the
settings table against the Settings dataclass, the URL table against the Flask app's URL map.
A command, option, setting or URL added without a README row fails here, and so does a row
left behind after its code is gone."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import click
import pytest

from library.cli import cli
from library.settings import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


# --- reading the README --------------------------------------------------------------------------

def _section(text: str, title: str) -> str:
    """The body of the ``## title`` section, up to the next ``## `` heading."""
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert m, f"the README has no section {title!r}"
    return m.group(1)


def _cells(line: str) -> list[str]:
    """A table row's cells; a ``|`` inside a code span belongs to the cell."""
    cells, cur, in_code = [], "", False
    for ch in line.strip().strip("|"):
        if ch == "`":
            in_code = not in_code
        if ch == "|" and not in_code:
            cells.append(cur.strip())
            cur = ""
        else:
            cur += ch
    cells.append(cur.strip())
    return cells


def _table(section: str) -> list[dict[str, str]]:
    """The first markdown table of a section, as one dict per row keyed by the header cells."""
    lines = [ln for ln in section.splitlines() if ln.lstrip().startswith("|")]
    assert len(lines) >= 3, "expected a header, a separator and rows"
    header = _cells(lines[0])
    assert set("".join(_cells(lines[1]))) <= set("-: "), "the second line must be the separator"
    rows = [dict(zip(header, _cells(ln))) for ln in lines[2:]]
    assert all(len(_cells(ln)) == len(header) for ln in lines[2:]), "a row with missing cells"
    return rows


def _prose(section: str) -> str:
    return "\n".join(ln for ln in section.splitlines() if not ln.lstrip().startswith("|"))


def _code_spans(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def _readme() -> str:
    return README.read_text(encoding="utf-8")


# --- the CLI ----------------------------------------------------------------------------------------

Signature = tuple[tuple[str, ...], frozenset[str]]  # (argument names in order, long options)


def _click_commands(group: click.Group) -> dict[str, Signature]:
    out = {}
    for name, cmd in group.commands.items():
        args = tuple(p.name.upper() for p in cmd.params if isinstance(p, click.Argument))
        opts = frozenset(o for p in cmd.params if isinstance(p, click.Option)
                         for o in p.opts if o.startswith("--"))
        out[name] = (args, opts)
    return out


def _documented_commands(readme: str) -> dict[str, Signature]:
    """``sudur NAME ARG [--opt V] --req V`` in the first cell of each row: the arguments are the
    upper-case words outside brackets that do not follow an option (those are its values)."""
    out = {}
    for row in _table(_section(readme, "CLI reference")):
        spans = _code_spans(row["command"])
        assert spans and spans[0].startswith("sudur "), row
        usage = spans[0]
        words = re.sub(r"\[[^\]]*\]", " ", usage).split()[2:]
        args = tuple(w for i, w in enumerate(words)
                     if re.fullmatch(r"[A-Z]+", w) and not (i and words[i - 1].startswith("--")))
        out[usage.split()[1]] = (args, frozenset(re.findall(r"--[a-z][a-z0-9-]*", usage)))
    return out


def test_the_cli_table_documents_every_command_with_its_arguments_and_options() -> None:
    assert _documented_commands(_readme()) == _click_commands(cli)


def test_the_global_options_are_documented() -> None:
    prose = _prose(_section(_readme(), "CLI reference"))
    for p in cli.params:
        for opt in p.opts:
            assert f"`{opt}" in prose, f"the global option {opt} is not in the CLI reference"


def test_the_cli_check_fails_on_an_undocumented_command_or_option() -> None:
    group = click.Group(commands=dict(cli.commands))
    group.add_command(click.Command("undocumented", callback=lambda: None))
    assert _documented_commands(_readme()) != _click_commands(group)
    # a new option on a documented command
    ingest = cli.commands["ingest"]
    more = click.Command("ingest", params=ingest.params + [click.Option(["--dry-run"])])
    group = click.Group(commands={**cli.commands, "ingest": more})
    assert _documented_commands(_readme()) != _click_commands(group)
    # and a README row whose command is gone
    readme = re.sub(r"^\| `sudur verify[ `].*\n", "", _readme(), flags=re.M)
    assert "verify" not in _documented_commands(readme)


def test_the_usage_parser_tells_arguments_from_option_values() -> None:
    readme = ("## CLI reference\n\n| command | does |\n|---|---|\n"
              "| `sudur export ITEM --bag OUT [--since DATE]` | x |\n")
    assert _documented_commands(readme) == {"export": (("ITEM",),
                                                       frozenset({"--bag", "--since"}))}


# --- the settings -----------------------------------------------------------------------------------

def _documented_settings(readme: str) -> dict[str, str]:
    """Setting name -> its documented default; a row may name several settings, with their
    defaults in the same order, separated by commas."""
    out = {}
    for row in _table(_section(readme, "Configuration")):
        names = _code_spans(row["setting"])
        defaults = [d.strip() for d in row["default"].split(",")]
        assert names and len(defaults) in (1, len(names)), row
        for i, name in enumerate(names):
            out[name] = defaults[i if len(defaults) > 1 else 0]
    return out


def _default(f: dataclasses.Field) -> object:
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default


def _check_default(value: object, documented: str) -> bool:
    """Numbers compare as numbers (the README groups digits with spaces); a string or path
    default is written in backticks; the empty string means "not set", which the README says in words in
    parentheses, such as "(from request)"."""
    if isinstance(value, bool):
        return documented == str(value).lower()
    if isinstance(value, (int, float)):
        return float(documented.replace(" ", "")) == value
    if value == "":
        return documented.startswith("(") and documented.endswith(")")
    if isinstance(value, Path):  # ./sudur-library and sudur-library are one path
        return documented.startswith("`") and Path(documented.strip("`")) == value
    return documented == f"`{value}`"


def test_the_settings_table_documents_every_field_with_its_default() -> None:
    documented = _documented_settings(_readme())
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    assert set(documented) == set(fields)
    wrong = {n: d for n, d in documented.items() if not _check_default(_default(fields[n]), d)}
    assert not wrong, f"documented defaults that are not the code's: {wrong}"


def test_the_settings_check_fails_on_an_undocumented_field() -> None:
    more = dataclasses.make_dataclass("More", [("page_cap", int, 10)], bases=(Settings,))
    assert set(_documented_settings(_readme())) != {f.name for f in dataclasses.fields(more)}
    assert not _check_default(512, "256") and not _check_default("x", "`y`")
    assert _check_default(40_000_000, "40 000 000") and _check_default(0.04, "0.04")


# --- the URLs ---------------------------------------------------------------------------------------

def _shape(path: str) -> str:
    """A path reduced to its shape. Query strings go (``?q=``, ``[?page=N]``, ``?…``: the URL map
    has no queries). Every placeholder becomes ``<>``, as the README names them for readers
    (``<item>``) and the code for itself (``<item_id>``, ``<int:order>``); placeholders joined by
    punctuation in one segment become one, as the Image API's ``<quality>.<fmt>`` is one
    variable in the URL map, split by its view."""
    path = re.split(r"\[?\?", path, maxsplit=1)[0]
    return re.sub(r"<[^>]*>(?:[.,]<[^>]*>)*", "<>", path)


def _documented_urls(readme: str) -> set[str]:
    urls = set()
    for row in _table(_section(readme, "URLs")):
        spans = _code_spans(row["path"])
        assert spans and all(s.startswith("/") for s in spans), row
        urls.update(_shape(s) for s in spans)
    return urls


def _app_urls(app) -> set[str]:
    # Flask's own /static route serves the vendored viewer code and fonts, which no reader
    # addresses by hand; it is described in "The site", not in the URL table.
    return {_shape(r.rule) for r in app.url_map.iter_rules() if r.endpoint != "static"}


@pytest.fixture()
def app(tmp_path):
    from viewer import create_app

    return create_app({"SUDUR_SETTINGS": Settings.load(tmp_path / "lib"), "TESTING": True})


def test_the_url_table_documents_every_rule_of_the_app(app) -> None:
    documented, served = _documented_urls(_readme()), _app_urls(app)
    assert len(served) > 20  # the app did register its blueprints
    assert served - documented == set(), "URLs the app serves that the README does not list"
    assert documented - served == set(), "URLs the README lists that the app does not serve"


def test_the_url_check_fails_on_an_undocumented_rule(app) -> None:
    app.add_url_rule("/iiif/<item_id>/undocumented", "undocumented", lambda item_id: "")
    assert "/iiif/<>/undocumented" in _app_urls(app) - _documented_urls(_readme())


def test_url_shapes() -> None:
    assert _shape("/iiif/collection/<collection>[?page=N]") == "/iiif/collection/<>"
    assert _shape("/iiif/3/<image>/<region>/<size>/<rotation>/<quality>.<fmt>") == \
        _shape("/iiif/3/<ident>/<region>/<size>/<rotation>/<quality_format>")
    assert _shape("/iiif/<item>/annotations/<order>") == \
        _shape("/iiif/<item_id>/annotations/<int:order>")
    assert _shape("/oai?verb=…") == "/oai" and _shape("/iiif/3/<image>/info.json").endswith(
        "/<>/info.json")
