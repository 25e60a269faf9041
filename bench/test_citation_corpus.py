"""Citation accuracy on real manuscripts nobody here wrote (tests/data/citations/manifest.yaml).

The gold lists are committed; the manuscripts are not (fetched repositories' texts stay out of
the repository; the manifest says where each one is), so these tests live beside the benchmark,
outside ``make test``, and ``make accuracy`` runs them where the corpus directory exists
(THEMEGRAPH_CITATION_CORPUS, default /work/citations-corpus).  The bars are those of issue #18.
"""

import pytest

from bench.citation_accuracy import DEFAULT_CORPUS, manuscripts, run

pytestmark = pytest.mark.skipif(not DEFAULT_CORPUS.is_dir(), reason=f"citation corpus not at {DEFAULT_CORPUS}")


@pytest.fixture(scope="module")
def scores():
    found, missing = run(DEFAULT_CORPUS)
    assert missing == []
    return found


def pooled(scores, hits, total):
    return sum(hits(s) for s in scores) / sum(total(s) for s in scores)


def test_the_corpus_is_what_the_issue_asks_for(scores):
    entries = manuscripts()
    assert len(entries) == 10
    assert sum("qualitative" in e["design"] for e in entries) == 3
    assert sum(s.kind == "pdf" for s in scores) == 5 and sum(s.kind == "docx" for s in scores) == 3
    assert len(scores) == 17


def test_distinct_works_per_manuscript(scores):
    for s in scores:
        assert s.works_precision >= 0.97 and s.works_recall >= 0.97, (s.id, s.kind, s.missed, s.spurious)
    assert pooled(scores, lambda s: s.works_recall * s.gold_works, lambda s: s.gold_works) >= 0.99


def test_occurrences(scores):
    for s in scores:
        assert s.occurrences_recall >= 0.95, (s.id, s.kind)
    assert pooled(scores, lambda s: s.occurrences_recall * s.gold_occurrences, lambda s: s.gold_occurrences) >= 0.98


def test_reference_keys(scores):
    """Pooled >= 0.99; per rendering >= 0.965 (devops-agile's DOCX, from another version of the
    source, cites one work fewer times: 57/59)."""
    assert pooled(scores, lambda s: s.key_match * s.gold_occurrences, lambda s: s.gold_occurrences) >= 0.99
    low = {(s.id, s.kind): f"{s.key_match * s.gold_occurrences:.0f}/{s.gold_occurrences}"
           for s in scores if s.key_match < 0.965}
    assert low == {}


def test_sections_from_real_headings(scores):
    """How often a citation's section is the heading above it in the source (see docs/accuracy.md)."""
    text = [s for s in scores if s.kind == "txt"]
    assert pooled(text, lambda s: s.sections_right * s.gold_occurrences, lambda s: s.gold_occurrences) >= 0.9
    assert pooled(scores, lambda s: s.sections_right * s.gold_occurrences, lambda s: s.gold_occurrences) >= 0.8
