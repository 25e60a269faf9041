"""A non-editable install works: the wheel carries the worked example, its metadata declares what
the code imports, and ``themegraph demo`` runs from it.

Offline: the wheel is built from a copy of the sources without build isolation (setuptools comes
from the test extras), installed with ``--no-index --no-deps`` into a fresh virtualenv that reuses
this environment's installed dependencies through a ``.pth`` file.  It is marked slow (~20 s).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from email.parser import Parser
from importlib.metadata import version
from pathlib import Path

import pytest

import themegraph

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def run(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], check=False, capture_output=True, text=True, timeout=600,
                          **kwargs)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from a copy of the working tree (the build writes nothing into the tree)."""
    have = tuple(int(part) for part in version("setuptools").split(".")[:2])
    assert have >= (77, 0), f"setuptools {version('setuptools')} is too old to build offline: pip install -e '.[test]'"
    tmp = tmp_path_factory.mktemp("build")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "themegraph", src / "themegraph", symlinks=True, ignore=ignore)
    shutil.copytree(ROOT / "examples", src / "examples", ignore=ignore)
    proc = run(sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-index",
               "-w", tmp / "dist", src)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (built,) = (tmp / "dist").glob("themegraph-*.whl")
    return built


def test_the_wheel_ships_the_worked_example_whole(wheel):
    with zipfile.ZipFile(wheel) as zf:
        shipped = {n for n in zf.namelist() if n.startswith("themegraph/examples/")}
    folders = {n.split("/")[2] for n in shipped}
    assert "mandatory-therapy" in folders
    for folder in folders:  # every bundle shipped is shipped whole (its SOURCE.md, if any, included)
        files = {f"themegraph/examples/{folder}/{p.name}" for p in (ROOT / "examples" / folder).iterdir() if p.is_file()}
        assert {n for n in shipped if n.split("/")[2] == folder} == files


def test_the_wheel_metadata_declares_version_licence_and_imported_dependencies(wheel):
    with zipfile.ZipFile(wheel) as zf:
        (name,) = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        meta = Parser().parsestr(zf.read(name).decode("utf-8"))
    assert meta["Version"] == themegraph.__version__
    assert meta["License-Expression"] == "MIT"
    names = {req.split(">")[0].split("=")[0].split("<")[0].split(";")[0].strip() for req in meta.get_all("Requires-Dist")}
    assert {"pylatexenc", "lxml"} <= names


def test_demo_runs_from_a_non_editable_install(wheel, tmp_path):
    venv = tmp_path / "venv"
    proc = run(sys.executable, "-m", "venv", "--without-pip", venv)
    assert proc.returncode == 0, proc.stderr
    bin_dir = venv / "bin"
    purelib = Path(run(bin_dir / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    # this environment's dependencies, after the fresh venv's own site-packages (where the wheel goes)
    deps = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (purelib / "themegraph-test-deps.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    proc = run(sys.executable, "-m", "pip", "--python", bin_dir / "python", "install", "--no-index", "--no-deps", wheel)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    where = run(bin_dir / "python", "-c", "import themegraph; print(themegraph.__file__)", cwd=tmp_path)
    assert Path(where.stdout.strip()).parent == purelib / "themegraph"  # the installed copy, not the checkout

    out = tmp_path / "demo"
    proc = run(bin_dir / "themegraph", "demo", "--out", out, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert {p.name for p in out.glob("*.html")} == {"themes.html", "theory.html", "citations.html", "participants.html"}
    stats = json.loads(run(bin_dir / "themegraph", "--db", out / "themegraph.db", "stats", "-f", "json", cwd=tmp_path).stdout)
    # the study's Table 1 codes, its 11 participants (PA-PK), 20 emerging + 5 final themes, 49 cited works
    assert {k: stats["nodes"][k] for k in ("Code", "Participant", "Theme", "Work")} == {
        "Code": 232, "Participant": 11, "Theme": 25, "Work": 49,
    }
