"""REFI-QDA from the command line, on both stores: import a real export, export it, re-import it."""

import json
import subprocess
import sys
import zipfile

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
