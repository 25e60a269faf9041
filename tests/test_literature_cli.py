"""Literature commands as a user types them, on both stores: refs, paper citations, cite."""

import json
import subprocess
import sys

import pytest
from conftest import EXAMPLE, ROOT, SHARED, shared_missing

SEED = SHARED / "seed" / "000_1beee7b64457cf5b.txt"
REFS = ROOT / "tests" / "data" / "refs"


def tg(*args):
    return subprocess.run([sys.executable, "-m", "themegraph", *args], capture_output=True, text=True, timeout=300)


def stats(store_args):
    return json.loads(tg(*store_args, "stats", "--format", "json").stdout)


def test_load_refs_merges_the_same_work_across_formats_and_is_idempotent(store_args):
    first = tg(*store_args, "load", "refs", str(REFS / "bom.ris"), str(REFS / "refs.json"))
    assert first.returncode == 0, first.stderr
    counts = stats(store_args)
    # Bordin (1979) is in both files (DOI case differs): one Work
    assert tg(*store_args, "cypher", "MATCH (w:Work) WHERE w.doi IS NOT NULL AND toLower(w.doi) = '10.1037/h0085885' "
              "RETURN count(w) AS n", "-f", "json").stdout.count('"n": 1') == 1
    again = tg(*store_args, "load", "refs", str(REFS / "bom.ris"), str(REFS / "refs.json"))
    assert again.returncode == 0 and "unchanged" in again.stderr
    assert stats(store_args) == counts
    # the same work loaded later from another file keeps its node
    tg(*store_args, "load", "refs", str(EXAMPLE / "references.bib"))
    bordin = tg(*store_args, "cypher", "MATCH (w:Work) WHERE w.title STARTS WITH 'The generalizability' "
                "RETURN count(w) AS n", "-f", "json")
    assert json.loads(bordin.stdout) == [{"n": 1}]


def test_strict_makes_a_bad_record_fatal(store_args):
    lenient = tg(*store_args, "load", "refs", str(REFS / "refs.json"))
    assert lenient.returncode == 0 and "Warning" in lenient.stderr
    strict = tg(*store_args, "load", "refs", str(REFS / "refs.json"), "--strict", "--force")
    assert strict.returncode == 1 and strict.stderr.startswith("Error: ") and "refs.json" in strict.stderr


def test_ris_keyword_lines_without_a_tag_load_without_a_warning(store_args, tmp_path):
    """An EndNote export writes ``KW  - first`` and then one keyword per line: they are keywords, so
    even --strict (any problem is fatal) loads the file, and no warning repeats for every record."""
    from test_references import ENDNOTE_RIS

    ris = tmp_path / "endnote.ris"
    ris.write_text(ENDNOTE_RIS.split("\n\nTY  - ")[0] + "\n", encoding="utf-8")  # the first record only
    loaded = tg(*store_args, "load", "refs", str(ris), "--strict")
    assert loaded.returncode == 0, loaded.stderr
    assert "Warning" not in loaded.stderr
    assert stats(store_args)["nodes"]["Work"] == 1


@pytest.mark.skipif(shared_missing(), reason="the seed paper is in ../shared")
def test_cite_and_load_paper(store_args, tmp_path):
    out = tg("cite", str(SEED), "--refs", str(EXAMPLE / "references.bib"), "--format", "json",
             "--propose-findings", str(tmp_path / "proposed.yaml"))
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert len(rows) == 91 and len({r["ref"] for r in rows}) == 49
    assert {"authors", "year", "start", "end", "sentence", "section", "stance", "ref"} <= set(rows[0])
    assert (tmp_path / "proposed.yaml").read_text().count("status: unconfirmed") > 0
    # a bundle without citations.csv, then the paper's citations from the paper itself
    bundle = tmp_path / "bundle"
    import shutil

    shutil.copytree(EXAMPLE, bundle)
    (bundle / "citations.csv").unlink()
    assert tg(*store_args, "load", "study", str(bundle)).returncode == 0
    loaded = tg(*store_args, "load", "paper", str(SEED), "--study", "mandatory-therapy",
                "--refs", str(bundle / "references.bib"))
    assert loaded.returncode == 0, loaded.stderr
    assert stats(store_args)["relationships"]["CITES"] == 91
    assert stats(store_args)["nodes"]["Work"] == 49  # every citation matched a reference
    missing = tg(*store_args, "load", "paper", str(SEED), "--study", "no-such-study", "--force")
    assert missing.returncode == 1 and "no-such-study" in missing.stderr


@pytest.mark.skipif(shared_missing(), reason="the seed paper is in ../shared")
def test_load_paper_without_refs_uses_the_stored_references_or_says_what_to_run(store_args, tmp_path):
    bundle = tmp_path / "bundle"
    import shutil

    shutil.copytree(EXAMPLE, bundle)
    (bundle / "citations.csv").unlink()
    first = tg(*store_args, "load", "paper", str(SEED), "--study", "mandatory-therapy")
    assert first.returncode == 1
    assert first.stderr == (
        f"Error: {SEED}: no references are loaded to match its citations to; run `themegraph load refs "
        "REFERENCES.bib` (or `themegraph load study BUNDLE` with its references.bib) first, or give the "
        "paper's reference file with --refs\n"
    )
    assert tg(*store_args, "load", "study", str(bundle)).returncode == 0
    works = stats(store_args)["nodes"]["Work"]
    loaded = tg(*store_args, "load", "paper", str(SEED), "--study", "mandatory-therapy")
    assert loaded.returncode == 0, loaded.stderr
    assert stats(store_args)["relationships"]["CITES"] == 91
    assert stats(store_args)["nodes"]["Work"] == works == 49  # no "unmatched" duplicate of a stored work


@pytest.mark.skipif(shared_missing(), reason="the seed paper is in ../shared")
def test_cite_reads_a_docx_paper(tmp_path):
    """The seed typed into Word, one paragraph per line: the same 91 citations of 49 works."""
    import docx

    document = docx.Document()
    for line in SEED.read_text(encoding="utf-8").splitlines():
        if line.strip():
            document.add_paragraph(line.strip())
    paper = tmp_path / "seed.docx"
    document.save(str(paper))
    out = tg("cite", str(paper), "--refs", str(EXAMPLE / "references.bib"), "--format", "json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert len(rows) == 91 and len({r["ref"] for r in rows}) == 49
