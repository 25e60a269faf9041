"""Parity: the same data in both stores gives the same answer to every named query.

This is the guarantee that lets a researcher start on the embedded store and move to Neo4j (or
back) without their questions changing meaning.
"""

import pytest
from conftest import EXAMPLE, neo4j_uri, wipe_neo4j
from minigraph import literature_batch, study_batch

from themegraph.graph.open import open_store
from themegraph.loaders.study import read_study
from themegraph.queries import catalog

pytestmark = pytest.mark.neo4j

# parameters that make each query return something on the example (defaults are tried too)
EXAMPLE_PARAMS = {
    "theory-links": [{"theory": "Bordin"}, {"stance": "extends"}],
    "evidence-chain": [{"node": "forced-dynamic"}, {"node": "Transparency"}],
    "construct-coverage": [{"theory": "stages of change"}],
    "extends-theory": [{"theory": "Bordin"}],
    "participant-theme": [{"level": "emerging"}],
    "theme-prevalence": [{"level": "final"}],
    "quote-search": [{"words": "trust"}, {"words": "the client"}],
    "path": [{"from": "PB", "to": "Goals"}, {"from": "E01", "to": "Bordin (1979)"}],
    "citation-context": [{"work": "bordin1979"}],
    "co-citation": [{"scope": "study"}],
}


def both_stores(tmp_path, *batches):
    """Load the same batches into a fresh embedded store and a wiped Neo4j."""
    uri = neo4j_uri()
    lb = open_store(db=str(tmp_path / "parity.db"))
    neo = open_store(neo4j=uri)
    wipe_neo4j(neo)
    for batch in batches:
        lb.apply(batch)
        neo.apply(batch)
    return lb, neo


def compare_all(lb, neo, extra_params) -> set[str]:
    """Run every named query (and the extra parameter sets) on both stores, asserting equal rows;
    the names of the queries that answered something, so a test can tell agreement from silence."""
    answered = set()
    for name in sorted(catalog.catalog()):
        for params in [{}] + extra_params.get(name, []):
            left = catalog.run(lb, name, params)
            right = catalog.run(neo, name, params)
            assert left == right, f"{name} {params}: the stores differ"
            if left:
                answered.add(name)
    return answered


#: Queries the example (one study, no review, one codebook version) has nothing for.
SILENT_ON_THE_EXAMPLE = {
    "bibliographic-coupling", "codebook-changes", "cross-study", "review-contradictions", "review-findings",
    "review-matrix", "review-silent-studies", "review-single-study",
}


def test_every_query_gives_identical_rows_on_the_example(tmp_path):
    lb, neo = both_stores(tmp_path, read_study(EXAMPLE))
    try:
        assert lb.counts() == neo.counts()
        assert compare_all(lb, neo, EXAMPLE_PARAMS) == set(catalog.catalog()) - SILENT_ON_THE_EXAMPLE
    finally:
        lb.close()
        neo.close()


def test_every_query_gives_identical_rows_on_a_multi_study_graph(tmp_path):
    batches = [literature_batch()] + [study_batch(f"s{i}", codes=3 + i) for i in range(4)]
    lb, neo = both_stores(tmp_path, *batches)
    try:
        assert lb.counts() == neo.counts()
        compare_all(lb, neo, {"cross-study": [{"theory": "bonds"}], "bibliographic-coupling": [{"top": 3}]})
        coupling = catalog.run(lb, "bibliographic-coupling", {})
        assert len(coupling) == 6  # every pair of the four studies shares Bordin (1979)
    finally:
        lb.close()
        neo.close()
