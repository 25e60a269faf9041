"""The store contract, one body for both stores: atomic, idempotent, replace-by-source."""

import pytest
from minigraph import literature_batch, study_batch

from themegraph.errors import StoreError
from themegraph.graph.batch import Batch, BatchError
from themegraph.graph.schema import NODES, RELS


def test_counts_list_every_declared_kind_with_zeros(store):
    counts = store.counts()
    assert set(counts["nodes"]) == {k.name for k in NODES}
    assert set(counts["relationships"]) == {r.name for r in RELS}
    assert all(v == 0 for v in counts["nodes"].values())


def test_loading_the_same_batch_twice_changes_no_count(store):
    store.apply(literature_batch())
    store.apply(study_batch())
    first = store.counts()
    assert first["nodes"]["Code"] == 4 and first["relationships"]["IN_THEME"] == 4
    assert store.apply(study_batch()).skipped
    assert store.counts() == first
    store.apply(study_batch(), force=True)  # a forced rewrite replaces, never duplicates
    assert store.counts() == first


def test_failing_batch_leaves_store_exactly_as_it_was(store):
    store.apply(literature_batch())
    store.apply(study_batch())
    before = store.counts()
    bad = study_batch("s2")
    bad.rel("CODED_AS", ("Extract", "s2/extract/e0"), ("Code", "s2/code/missing"))
    with pytest.raises(StoreError, match="s2/code/missing"):
        store.apply(bad)
    assert store.counts() == before
    assert store.query("MATCH (s:Study) RETURN s.id AS id") == [{"id": "s1"}]


def test_reloading_an_edited_source_replaces_what_it_contributed(store):
    store.apply(literature_batch())
    store.apply(study_batch(codes=4))
    report = store.apply(study_batch(codes=2))
    assert report.removed_nodes == 4  # two codes and their two extracts
    codes = store.query("MATCH (c:Code) RETURN c.id AS id ORDER BY id")
    assert [r["id"] for r in codes] == ["s1/code/c0", "s1/code/c1"]
    assert store.counts()["relationships"]["IN_THEME"] == 2


def test_shared_node_cited_by_another_source_stays_when_its_source_drops_it(store):
    store.apply(literature_batch())
    store.apply(study_batch())
    store.drop_source("refs:lit")
    # the work and construct are still linked from study s1, so they stay; the unlinked ones go
    assert store.query("MATCH (w:Work) RETURN w.id AS id") == [{"id": "work/bordin-1979"}]
    constructs = store.query("MATCH (c:Construct) RETURN c.id AS id")
    assert constructs == [{"id": "theory/working-alliance/bonds"}]
    assert store.counts()["nodes"]["Author"] == 0


def test_two_studies_share_works_and_keep_their_own_nodes(store):
    store.apply(literature_batch())
    store.apply(study_batch("s1"))
    store.apply(study_batch("s2", codes=3))
    rows = store.query(
        "MATCH (s:Study)-[c:CITES]->(w:Work) RETURN s.id AS study, w.id AS work ORDER BY study"
    )
    assert rows == [{"study": "s1", "work": "work/bordin-1979"}, {"study": "s2", "work": "work/bordin-1979"}]
    store.drop_source("study:s1")
    assert [r["id"] for r in store.query("MATCH (s:Study) RETURN s.id AS id")] == ["s2"]
    assert store.counts()["nodes"]["Code"] == 3


def test_provenance_is_recorded_on_nodes_and_relations(store):
    store.apply(literature_batch())
    store.apply(study_batch())
    row = store.query(
        "MATCH (c:Code)-[r:IN_THEME]->(t:Theme) WHERE c.id = $id "
        "RETURN c.origin AS origin, c.sources AS sources, c.loaded_at AS at, r.sources AS rsources, r.origin AS rorigin",
        {"id": "s1/code/c1"},
    )[0]
    assert row["origin"] == "codebook.csv:3" and row["rorigin"] == "codebook.csv:3"
    assert row["sources"] == ["study:s1"] and row["rsources"] == ["study:s1"]
    assert row["at"].startswith("20")
    sources = store.sources()
    assert {s["source"] for s in sources} == {"refs:lit", "study:s1"}


def test_query_values_are_parameters_not_code(store):
    store.apply(literature_batch())
    store.apply(study_batch())
    evil = "x'}) DETACH DELETE n //"
    assert store.query("MATCH (c:Code) WHERE c.name = $name RETURN c.id AS id", {"name": evil}) == []
    assert store.counts()["nodes"]["Code"] == 4


def test_query_returns_nodes_as_property_dicts_and_dataframes(store):
    store.apply(literature_batch())
    (row,) = store.query("MATCH (w:Work) RETURN w")
    assert row["w"]["title"].startswith("The generalizability") and row["w"]["_label"] == "Work"
    df = store.query_df("MATCH (c:Construct) RETURN c.name AS name ORDER BY name")
    assert list(df["name"]) == ["Bonds", "Goals", "Tasks"]
    empty = store.query_df("MATCH (c:Construct) WHERE c.name = 'none' RETURN c.name AS name")
    assert list(empty.columns) == ["name"] and len(empty) == 0


def test_batch_rejects_what_the_schema_does_not_declare():
    b = Batch("x")
    with pytest.raises(ValueError, match="unknown node kind"):
        b.node("Nope", "n1")
    with pytest.raises(BatchError, match="unknown property"):
        b.node("Code", "c1", colour_of_sky="blue")
    with pytest.raises(BatchError, match="cannot join"):
        b.rel("IN_THEME", ("Theme", "t"), ("Code", "c"))
    with pytest.raises(BatchError, match="integer"):
        b.node("Study", "s", year="1979")
