"""Every file ThemeGraph writes for a user is whole or not written at all, through the CLI.

A full disk is made real with the process's file-size limit (RLIMIT_FSIZE, with SIGXFSZ ignored
so that a write past it fails with "File too large", as a full disk or a quota fails it).  Each
output is first written whole, then written again with the limit at half its size: the command
must say which file it could not write, exit 1 without a traceback, and leave the earlier file
byte for byte, with no temporary file beside it.  Before ``files.replace_file`` a map came out
truncated with exit 1 and a JSON Lines dump ended in a traceback.
"""

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLE, ROOT, SHARED, shared_missing

EXAMPLES = ROOT / "examples"
STUDIES = ("mandatory-therapy", "merkt-2021-patients", "merkt-2021-professionals", "zielinski-2021-share")
RID = "alliance-mandated"
SEED = SHARED / "seed" / "000_1beee7b64457cf5b.txt"


def tg(*args, limit: int | None = None):
    def limited():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run([sys.executable, "-m", "themegraph", *args], capture_output=True, text=True, timeout=300,
                          cwd=ROOT, preexec_fn=limited if limit else None)


@pytest.fixture(scope="module")
def kb(tmp_path_factory) -> list[str]:
    """The worked review's knowledge base: its four studies and the review."""
    db = tmp_path_factory.mktemp("kb") / "kb.db"
    for study in STUDIES:
        assert tg("--db", str(db), "load", "study", str(EXAMPLES / study)).returncode == 0
    assert tg("--db", str(db), "load", "review", str(EXAMPLES / "alliance-review")).returncode == 0
    return ["--db", str(db)]


OUTPUTS = {
    "map.html": ["map", "themes", "--out", "{out}"],
    "map.png": ["map", "theory", "--format", "png", "--out", "{out}"],
    "map.svg": ["map", "citations", "--format", "svg", "--out", "{out}"],
    "rows.csv": ["query", "run", "most-cited", "--out", "{out}"],
    "rows.xlsx": ["query", "run", "theme-prevalence", "--out", "{out}"],
    "rows.json": ["query", "run", "theory-links", "--out", "{out}"],
    "rows.md": ["query", "run", "participant-theme", "--out", "{out}"],
    "graph.graphml": ["export", "graphml", "{out}", "--study", "mandatory-therapy"],
    "codebook.qdc": ["export", "qdc", "{out}", "--study", "mandatory-therapy"],
    "project.qdpx": ["export", "qdpx", "{out}", "--study", "zielinski-2021-share"],
    "soqf.csv": ["review", "soqf", "--review", RID, "-f", "csv", "--out", "{out}"],
    "profile.docx": ["review", "profile", "--review", RID, "-f", "docx", "--out", "{out}"],
    "synthesis.html": ["review", "map", "--review", RID, "--out", "{out}"],
}


@pytest.mark.parametrize("name", OUTPUTS)
def test_a_write_that_fails_leaves_the_earlier_file_whole(kb, tmp_path, name):
    out = tmp_path / "out" / name  # a folder that does not exist yet is made
    args = [a.replace("{out}", str(out)) for a in OUTPUTS[name]]
    first = tg(*kb, *args)
    assert first.returncode == 0, first.stderr
    mask = os.umask(0)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~mask  # as a plain open() makes it, not a temp file's 0600
    before, beside = out.read_bytes(), sorted(os.listdir(out.parent))
    full = tg(*kb, *args, limit=len(before) // 2)
    assert full.returncode == 1
    assert f"Error: cannot write {out}: File too large" in full.stderr.splitlines()
    assert "Traceback" not in full.stderr
    assert out.read_bytes() == before
    assert sorted(os.listdir(out.parent)) == beside


@pytest.mark.skipif(shared_missing(), reason="needs the seed paper in shared/")
def test_proposed_findings_are_written_whole_or_not_at_all(tmp_path):
    out = tmp_path / "findings.yaml"
    args = ["cite", str(SEED), "--refs", str(EXAMPLE / "references.bib"), "--propose-findings", str(out)]
    assert tg(*args).returncode == 0
    before = out.read_bytes()
    assert before.startswith(b"findings:\n- ")
    full = tg(*args, limit=len(before) // 2)
    assert (full.returncode, full.stderr.splitlines()[-1]) == (1, f"Error: cannot write {out}: File too large")
    assert out.read_bytes() == before and os.listdir(tmp_path) == ["findings.yaml"]


def test_a_dump_cut_short_over_an_older_one_is_refused_not_read_as_a_mix(kb, tmp_path):
    dump = tmp_path / "dump"
    assert tg(*kb, "export", "jsonl", str(dump)).returncode == 0
    largest = max(p.stat().st_size for p in dump.rglob("*.jsonl"))
    full = tg(*kb, "export", "jsonl", str(dump), limit=largest // 2)
    assert full.returncode == 1 and "Traceback" not in full.stderr
    assert full.stderr.startswith(f"Error: cannot write {dump}/"), full.stderr
    refused = tg("--db", str(tmp_path / "restored.db"), "import", "jsonl", str(dump))
    assert (refused.returncode, refused.stderr.strip()) == (1, f"Error: {dump}: not a ThemeGraph dump (no manifest.json)")
    assert tg(*kb, "export", "jsonl", str(dump)).returncode == 0
    restored = tg("--db", str(tmp_path / "restored.db"), "import", "jsonl", str(dump))
    assert restored.returncode == 0, restored.stderr
    counts = [json.loads(tg(*where, "stats", "--format", "json").stdout) for where in (kb, ["--db", str(tmp_path / "restored.db")])]
    assert counts[0] == counts[1]


def test_a_stop_during_the_write_leaves_the_earlier_file_and_no_temporary_one(tmp_path):
    from themegraph.files import replace_file

    out = tmp_path / "map.html"
    out.write_text("the earlier map", encoding="utf-8")

    def stopped_halfway(f):
        f.write(b"<html>half a map")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        replace_file(out, stopped_halfway)
    assert out.read_text(encoding="utf-8") == "the earlier map"
    assert os.listdir(tmp_path) == ["map.html"]
