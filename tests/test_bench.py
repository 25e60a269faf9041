"""The benchmark's own tools: its generated inputs load as documented, and its profile summary
counts samples exactly (issue #15)."""

from __future__ import annotations

from bench import files
from bench.profile import summarise
from themegraph.loaders.refi import qdpx_batch
from themegraph.loaders.study import read_study
from themegraph.readers.references import read_references


def test_a_generated_bundle_has_the_documented_shape_and_is_the_same_every_time(tmp_path):
    """48 rows: 24 codebook placements (24 codes under 24 // 12 = 2 emerging themes and one final),
    24 extracts by max(1, 24 // 50) = 1 participant, each coded once and illustrating one theme."""
    one = files.study_bundle(tmp_path / "one", 48)
    two = files.study_bundle(tmp_path / "two", 48)
    assert all((one / f).read_bytes() == (two / f).read_bytes() for f in
               ("study.yaml", "codebook.csv", "themes.csv", "participants.csv", "extracts.csv"))
    counts = read_study(one).counts()
    assert {k: counts[k] for k in ("Code", "Theme", "Extract", "Participant", "IN_THEME", "SUBTHEME_OF", "CODED_AS",
                                   "ILLUSTRATES", "SPOKEN_BY")} == {
        "Code": 24, "Theme": 3, "Extract": 24, "Participant": 1, "IN_THEME": 24, "SUBTHEME_OF": 2, "CODED_AS": 24,
        "ILLUSTRATES": 24, "SPOKEN_BY": 24}


def test_a_changed_variant_differs_in_one_extract_only(tmp_path):
    v0 = (files.study_bundle(tmp_path / "v0", 20) / "extracts.csv").read_text().splitlines()
    v1 = (files.study_bundle(tmp_path / "v1", 20, variant=1) / "extracts.csv").read_text().splitlines()
    assert [i for i, (a, b) in enumerate(zip(v0, v1)) if a != b] == [1]
    assert v1[1].endswith("(revision 1),Results,1")


def test_the_three_reference_formats_hold_the_same_works(tmp_path):
    found = {}
    for ext, write in files.REFERENCE_WRITERS.items():
        works, problems = read_references(write(tmp_path / f"refs.{ext}", 25))
        assert problems == []
        found[ext] = sorted((w.title, w.year, tuple(a.family for a in w.authors)) for w in works)
    assert len(found["bib"]) == 25
    assert found["bib"] == found["ris"] == found["json"]


def test_a_generated_project_loads_every_selection_without_a_warning(tmp_path):
    batch, warnings = qdpx_batch(files.qdpx(tmp_path / "p.qdpx", 60), "bench")
    assert warnings == []
    counts = batch.counts()
    assert (counts["Extract"], counts["Document"], counts["Code"]) == (60, 2, 10)


def test_profile_samples_are_summed_per_function():
    raw = ("<module> (run.py:1);load (a/loader.py:10);parse (a/parser.py:5) 3\n"
           "<module> (run.py:1);load (a/loader.py:12) 1\n"
           "<module> (run.py:1);write (b/store.py:7);parse (a/parser.py:9) 2\n")
    total, inclusive, own = summarise(raw)
    assert total == 6
    assert dict(inclusive) == {"<module> (run.py)": 6, "load (loader.py)": 4, "parse (parser.py)": 5,
                               "write (store.py)": 2}
    assert dict(own) == {"parse (parser.py)": 5, "load (loader.py)": 1}
