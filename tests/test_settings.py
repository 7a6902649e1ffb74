"""Settings.load: what it accepts, what it refuses and how it says so, and the library path it
resolves once (a relative one used to make a second ingest delete the live index)."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from library.cli import cli
from library.errors import SettingsError, SudurError
from library.settings import Settings


@pytest.fixture(autouse=True)
def _no_sudur_environment(monkeypatch) -> None:
    for name in list(os.environ):
        if name.startswith("SUDUR_"):
            monkeypatch.delenv(name)


def _write(lib: Path, text: str) -> Path:
    lib.mkdir(parents=True, exist_ok=True)
    cfg = lib / "sudur.json"
    cfg.write_text(text, encoding="utf-8")
    return cfg


def test_file_environment_and_keywords_in_that_order(tmp_path, monkeypatch) -> None:
    _write(tmp_path, '{"tile_size": 256, "max_area": 1000, "base_url": "https://a.example/"}')
    monkeypatch.setenv("SUDUR_MAX_AREA", "2000")
    s = Settings.load(tmp_path, base_url="https://b.example/", thumb_width=None)
    assert (s.tile_size, s.max_area, s.base_url, s.thumb_width) == (256, 2000,
                                                                    "https://b.example/", 200)


def test_an_unknown_key_in_the_file_is_refused_with_file_line_and_a_suggestion(tmp_path) -> None:
    cfg = _write(tmp_path, '{\n  "tile_size": 256,\n  "max_aera": 5\n}\n')
    with pytest.raises(SettingsError) as err:
        Settings.load(tmp_path)
    assert err.value.file == str(cfg) and err.value.line == 3
    assert "unknown setting 'max_aera'" in err.value.message
    assert "did you mean 'max_area'" in err.value.message
    assert isinstance(err.value, SudurError)


def test_an_unknown_key_far_from_any_setting_lists_the_known_ones(tmp_path) -> None:
    _write(tmp_path, '{"colour": "red"}')
    with pytest.raises(SettingsError) as err:
        Settings.load(tmp_path)
    assert "did you mean" not in err.value.message
    assert "max_url_length" in err.value.hint and "thumb_width" in err.value.hint


def test_an_unknown_keyword_is_refused(tmp_path) -> None:
    with pytest.raises(SettingsError, match=r"unknown setting 'thumb_widht'.*'thumb_width'"):
        Settings.load(tmp_path, thumb_widht=100)


def test_the_library_cannot_be_set_from_inside_itself(tmp_path) -> None:
    _write(tmp_path, '{"library": "/elsewhere"}')
    with pytest.raises(SettingsError, match="library") as err:
        Settings.load(tmp_path)
    assert "--library" in err.value.hint


@pytest.mark.parametrize("text, key", [
    ('{"max_area": "big"}', "max_area"),
    ('{"workers": true}', "workers"),  # JSON true is no number, though Python's bool is an int
    ('{"tile_size": 51.2}', "tile_size"),
    ('{"base_url": 7}', "base_url"),
    ('{"search_time_budget": [1]}', "search_time_budget"),
])
def test_a_value_of_the_wrong_type_is_refused(tmp_path, text: str, key: str) -> None:
    cfg = _write(tmp_path, text)
    with pytest.raises(SettingsError) as err:
        Settings.load(tmp_path)
    assert err.value.file == str(cfg) and err.value.line == 1
    assert err.value.message.startswith(f"'{key}' must be ")


def test_an_integer_is_a_fine_number_of_seconds(tmp_path) -> None:
    _write(tmp_path, '{"search_time_budget": 1}')
    budget = Settings.load(tmp_path).search_time_budget
    assert budget == 1.0 and isinstance(budget, float)


def test_a_keyword_of_the_wrong_type_is_refused(tmp_path) -> None:
    with pytest.raises(SettingsError, match="max_area must be an integer, not a string '3'"):
        Settings.load(tmp_path, max_area="3")


def test_an_environment_variable_that_is_no_number_is_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SUDUR_MAX_AREA", "big")
    with pytest.raises(SettingsError, match="SUDUR_MAX_AREA='big' must be an integer"):
        Settings.load(tmp_path)


@pytest.mark.parametrize("text, line", [
    ('{"tile_size": 256,,}', 1),
    ('{\n  "tile_size": 256\n  "max_area": 5\n}', 3),  # the missing comma
    ("", 1),
])
def test_invalid_json_names_the_file_and_line(tmp_path, text: str, line: int) -> None:
    cfg = _write(tmp_path, text)
    with pytest.raises(SettingsError, match="not valid JSON") as err:
        Settings.load(tmp_path)
    assert (err.value.file, err.value.line) == (str(cfg), line)
    assert str(err.value).startswith(f"{cfg}:{line}: ")


def test_a_file_that_is_no_object_is_refused(tmp_path) -> None:
    _write(tmp_path, '[{"tile_size": 256}]')
    with pytest.raises(SettingsError, match="expected a JSON object of settings, found a list"):
        Settings.load(tmp_path)


def test_the_cli_prints_the_message_not_a_traceback(tmp_path) -> None:
    cfg = _write(tmp_path / "lib", '{\n  "max_area": "big"\n}')
    res = CliRunner().invoke(cli, ["--library", str(tmp_path / "lib"), "reindex"])
    assert res.exit_code == 2
    assert f"error: {cfg}:2: 'max_area' must be an integer, not a string 'big'" in res.output
    assert "Traceback" not in res.output
    assert not isinstance(res.exception, SettingsError)  # handled, not propagated


# --- the library path ---------------------------------------------------------------------------

def test_a_relative_library_is_made_absolute_once(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    s = Settings.load("rel-lib")
    assert s.library == tmp_path.resolve() / "rel-lib" and s.library.is_absolute()
    monkeypatch.chdir("/")
    assert s.library == tmp_path.resolve() / "rel-lib"  # kept, whatever the cwd becomes
    monkeypatch.chdir(tmp_path)
    assert Settings.load().library == tmp_path.resolve() / "sudur-library"


def test_a_symlinked_library_is_followed_once(tmp_path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert Settings.load(tmp_path / "link").library == (tmp_path / "real").resolve()


def test_a_second_ingest_into_a_relative_library_keeps_the_index(tmp_path, monkeypatch,
                                                                 sample_batch) -> None:
    """Issue 11.1: the second ingest's clean-up compared the index generations it listed
    (relative paths) with the resolved current one, and deleted the live index."""
    monkeypatch.chdir(tmp_path)
    run = CliRunner()
    # one item of the sample will do (the whole sample takes seconds to ingest)
    shutil.copytree(sample_batch / "geser-ms-1", tmp_path / "b" / "geser-ms-1")
    for _ in range(2):
        res = run.invoke(cli, ["--library", "rel-lib", "ingest", "--workers", "1", "b"])
        assert res.exit_code == 0, res.output
    res = run.invoke(cli, ["--library", "rel-lib", "search", "Geser", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["total"] > 0
