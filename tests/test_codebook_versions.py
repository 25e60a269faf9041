"""Codebook versions and the codebook-changes query, and theme-prevalence at any depth, on both stores.

The gold changes are what tests/data/taguette/build.py did to the project with Taguette's own code
between its two exports: 'learning.struggling' renamed 'difficulty', 'interesting' merged into
'learning.positive', 'career' deleted, 'workload' added.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).parent / "data"


def tg(*args):
    return subprocess.run([sys.executable, "-m", "themegraph", *args], capture_output=True, text=True, timeout=300)


def rows(store_args, query, **params):
    args = [a for k, v in params.items() for a in ("-p", f"{k}={v}")]
    proc = tg(*store_args, "query", "run", query, *args, "-f", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_two_versions_of_a_taguette_analysis(store_args):
    for version, name in (("v1", "project.sqlite3"), ("v2", "project-v2.sqlite3")):
        proc = tg(*store_args, "load", "taguette", str(DATA / "taguette" / name), "--study", "course", "--version", version)
        assert proc.returncode == 0, proc.stderr
    sources = [s["source"] for s in json.loads(tg(*store_args, "sources", "-f", "json").stdout)]
    assert sorted(sources) == ["codebook:course@v1", "codebook:course@v2", "taguette:course"]
    changes = {(r["change"], r["code_before"], r["code_after"], r["shared_extracts"])
               for r in rows(store_args, "codebook-changes", study="course", **{"from": "v1", "to": "v2"})}
    assert changes == {
        ("renamed", "learning > struggling", "difficulty", 3),
        ("merged", "interesting", "learning > positive", 1),
        ("removed", "career", "", 0),
        ("added", "", "workload", 0),
    }
    # the current codebook is version 2's; version 1's codes live on only in its snapshot
    codes = {r["name"] for r in json.loads(tg(*store_args, "cypher", "MATCH (c:Code) RETURN c.name AS name",
                                              "-f", "json").stdout)}
    assert codes == {"positive", "difficulty", "slides", "assignments", "cost", "support", "workload"}
    assert tg(*store_args, "check").returncode == 0


def test_theme_prevalence_counts_linked_and_coded_extracts(store_args):
    assert tg(*store_args, "load", str(DATA / "qualcoder" / "history-course.qda"), "--study", "hc").returncode == 0
    got = {r["theme"]: (r["level"], r["extracts"], r["extracts_linked"], r["extracts_via_codes"], r["codes"],
                        r["who"]) for r in rows(store_args, "theme-prevalence", study="hc")}
    assert got == {
        "Course design": ("final", 4, 0, 4, 2, ["ID1", "ID2", "ID3"]),  # Materials' code counts for it too
        "Learning experience": ("final", 3, 0, 3, 2, ["ID1", "ID2", "ID3"]),
        "Materials": ("emerging", 3, 0, 3, 1, ["ID1", "ID2"]),
        "cost": ("final", 2, 1, 1, 1, ["ID1", "ID2"]),  # coded to 'cost' itself, and to its sub-code
    }


def test_a_deep_bundle_versioned_and_counted_at_every_level(store_args, tmp_path):
    bundle = tmp_path / "deep"
    bundle.mkdir()
    (bundle / "study.yaml").write_text("id: deep\ntitle: Deep codebook\n", encoding="utf-8")
    (bundle / "codebook.csv").write_text(
        "code,theme_path\nTrust,Alliance > Bond > Early trust\nFear,Alliance > Bond\nRules,Structure\n", encoding="utf-8")
    (bundle / "participants.csv").write_text("id\nP1\nP2\n", encoding="utf-8")
    (bundle / "extracts.csv").write_text("id,participant,themes,codes,text\nE1,P1,,Trust,I trusted her\n"
                                         "E2,P2,Bond,,We got on\nE3,P2,,Rules,The rules\n", encoding="utf-8")
    proc = tg(*store_args, "load", str(bundle), "--version", "first")
    assert proc.returncode == 0, proc.stderr
    assert f"{bundle}: a study bundle (study.yaml) (load study)" in proc.stderr
    got = {r["theme"]: (r["level"], r["extracts"], r["extracts_linked"], r["extracts_via_codes"], r["codes"])
           for r in rows(store_args, "theme-prevalence", study="deep", level="")}
    assert got == {"Alliance": ("final", 2, 1, 1, 2), "Bond": ("emerging", 2, 1, 1, 2),
                   "Early trust": ("level-3", 1, 0, 1, 1), "Structure": ("final", 1, 0, 1, 1)}
    versions = json.loads(tg(*store_args, "cypher", "MATCH (v:VersionCode) RETURN v.path AS path, "
                             "size(v.extracts) AS n ORDER BY path", "-f", "json").stdout)
    assert versions == [{"path": "Alliance", "n": 0}, {"path": "Alliance > Bond", "n": 1},
                        {"path": "Alliance > Bond > Early trust", "n": 0},
                        {"path": "Alliance > Bond > Early trust > Trust", "n": 1},
                        {"path": "Alliance > Bond > Fear", "n": 0}, {"path": "Structure", "n": 0},
                        {"path": "Structure > Rules", "n": 1}]
