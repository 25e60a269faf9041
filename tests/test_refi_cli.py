"""REFI-QDA from the command line, on both stores: import a real export, export it, re-import it."""

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import SHARED, shared_missing

QC = SHARED / "fixtures" / "refi" / "qc-1.3.2-interview.qdpx"


def tg(*args):
    return subprocess.run([sys.executable, "-m", "themegraph", *args], capture_output=True, text=True, timeout=300,
                          check=False)


@pytest.mark.skipif(shared_missing(), reason="the real exports are in ../shared")
def test_qdpx_import_export_reimport(store_args, tmp_path):
    loaded = tg(*store_args, "load", "qdpx", str(QC), "--study", "interview")
    assert loaded.returncode == 0, loaded.stderr
    assert "Warning:" in loaded.stderr  # the qc export departs from the standard: said, not fatal
    counts = json.loads(tg(*store_args, "stats", "-f", "json").stdout)
    assert counts["nodes"]["Extract"] == 158
    out = tmp_path / "interview.qdpx"
    assert tg(*store_args, "export", "qdpx", str(out), "--study", "interview").returncode == 0
    assert tg(*store_args, "export", "qdc", str(tmp_path / "codebook.qdc"), "--study", "interview").returncode == 0
    # the exported project loads as a second study with the same shape
    again = tg(*store_args, "load", "qdpx", str(out), "--study", "interview-2")
    assert again.returncode == 0, again.stderr
    rows = json.loads(tg(*store_args, "cypher", "MATCH (e:Extract) RETURN e.study AS study, count(e) AS n "
                         "ORDER BY study", "-f", "json").stdout)
    assert rows == [{"study": "interview", "n": 158}, {"study": "interview-2", "n": 158}]
    assert tg(*store_args, "check").returncode == 0


def test_a_broken_project_is_a_clear_error(store_args, tmp_path):
    bad = tmp_path / "broken.qdpx"
    bad.write_bytes(b"this is not a zip archive")
    proc = tg(*store_args, "load", "qdpx", str(bad), "--study", "x")
    assert proc.returncode == 1 and proc.stderr.startswith("Error: ") and "broken.qdpx" in proc.stderr


def test_an_nvivo_project_goes_back_out_with_its_files_and_selections(store_args, tmp_path):
    """Through the command line: a real NVivo 12 export (tests/data/refi/nvivo) loads with the
    oddities it has said, and exports with every selection, GUID and source file it had."""
    from refi_compare import compare, undocumented
    from test_refi_roundtrip import REAL, sources_folder

    path = REAL["nvivo-win-12.6-oltas"][0]
    loaded = tg(*store_args, "load", "qdpx", str(path), "--study", "olt")
    assert loaded.returncode == 0, loaded.stderr
    assert "count UTF-16 code units instead of characters (as NVivo does): positions corrected" in loaded.stderr
    out = tmp_path / "olt.qdpx"
    exported = tg(*store_args, "export", "qdpx", str(out), "--study", "olt")
    assert exported.returncode == 0, exported.stderr
    only_original, only_export = compare(zipfile.ZipFile(path).read("project.qde"), zipfile.ZipFile(out).read("project.qde"))
    assert undocumented(only_original) == [] and undocumented(only_export) == []
    assert sources_folder(out) == sources_folder(path)


# --- an unchanged input is recognised before it is read --------------------------------------------------

DATA = Path(__file__).parent / "data"
PROJECTS = {  # loader: the input, and an option that changes what is read
    "qdpx": (DATA / "refi" / "nvivo" / "nvivo-win-12.6-oltas.qdpx", ["--theme-depth", "1"]),
    "qdc": (DATA / "taguette" / "codebook.qdc", ["--theme-depth", "1"]),  # without its origin: a REFI-QDA codebook
    "taguette": (DATA / "taguette" / "project.sqlite3", ["--tag-separator", ""]),
    "qualcoder": (DATA / "qualcoder" / "history-course.qda", ["--participant-from", r"^(\w+)"]),
    "segments": (DATA / "segments" / "nvivo-coding.csv", ["--format", "nvivo"]),
}
UNCHANGED = "unchanged since the last load (same files, same options); nothing read or written"


def loads(store_args) -> list:
    """What `sources` lists: each load's source, counts and time (a rewrite changes the time)."""
    proc = tg(*store_args, "sources", "-f", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("loader", sorted(PROJECTS))
def test_an_unchanged_project_is_not_loaded_again_unless_forced_or_its_options_change(loader, store_args, tmp_path):
    source, other_options = PROJECTS[loader]
    given = tmp_path / source.name
    if loader == "qdc":
        given.write_text(source.read_text(encoding="utf-8").replace(' origin="Taguette 1.5.2"', ""), encoding="utf-8")
    else:
        (shutil.copytree if source.is_dir() else shutil.copy)(source, given)
    load = [*store_args, "load", loader, str(given), "--study", "p"]
    first = tg(*load)
    assert first.returncode == 0 and UNCHANGED not in first.stderr, first.stderr
    before = loads(store_args)
    again = tg(*load)
    assert again.returncode == 0 and again.stderr.splitlines() == [f"{loader}:p: {UNCHANGED}"], again.stderr
    assert loads(store_args) == before  # nothing written
    by_content = tg(*store_args, "load", str(given), "--study", "p")  # `load FILE` recognises it too
    assert by_content.returncode == 0 and f"{loader}:p: {UNCHANGED}" in by_content.stderr, by_content.stderr
    forced = tg(*load, "--force")
    assert forced.returncode == 0 and f"{loader}:p: wrote " in forced.stderr, forced.stderr  # rewritten
    changed = tg(*load, *other_options)
    assert changed.returncode == 0 and UNCHANGED not in changed.stderr, changed.stderr


def test_a_changed_file_is_loaded_again(store_args, tmp_path):
    sheet = tmp_path / "coding.csv"
    shutil.copy(PROJECTS["segments"][0], sheet)
    load = [*store_args, "load", "segments", str(sheet), "--study", "p"]
    assert tg(*load).returncode == 0
    text = sheet.read_text(encoding="utf-8-sig")
    sheet.write_text(text.replace("I really like learning new things.", "I really like learning new words."),
                     encoding="utf-8")
    again = tg(*load)
    assert again.returncode == 0 and UNCHANGED not in again.stderr, again.stderr
    said = tg(*store_args, "cypher", "MATCH (e:Extract) WHERE e.text CONTAINS $t RETURN count(e) AS n",
              "-p", "t=new words", "-f", "json")
    assert json.loads(said.stdout) == [{"n": 1}]


def test_an_unchanged_project_is_not_even_opened(store_args, tmp_path, monkeypatch):
    """Recognised from its bytes before any reader runs: a reader that fails is never called."""
    from dataclasses import replace

    from typer.testing import CliRunner

    from themegraph.cli import app
    from themegraph.loaders.registry import LOADERS

    project = PROJECTS["qdpx"][0]
    assert tg(*store_args, "load", "qdpx", str(project), "--study", "p").returncode == 0

    def unreadable(path, **_):
        raise AssertionError(f"{path} was read")

    monkeypatch.setitem(LOADERS, "qdpx", replace(LOADERS["qdpx"], read=unreadable))
    for args in (["load", "qdpx", str(project), "--study", "p"], ["load", str(project), "--study", "p"]):
        result = CliRunner().invoke(app, [*store_args, *args])
        assert result.exit_code == 0 and f"qdpx:p: {UNCHANGED}" in result.stderr, result.output
