"""Reference files: messy real-world BibTeX, RIS and CSL-JSON, merging, and loading into a store."""

from pathlib import Path

import pytest
from conftest import EXAMPLE

from themegraph.errors import InputError
from themegraph.graph.batch import Batch
from themegraph.readers.references import read_references
from themegraph.readers.works import (
    add_works,
    merge_works,
    name_key,
    parse_name,
    short_citation,
    work_id,
)

REFS = Path(__file__).parent / "data" / "refs"


@pytest.fixture(scope="module")
def messy_works():
    """The hard-case BibTeX file, parsed once for the tests that only read it."""
    return by_key(read_references(REFS / "messy.bib")[0])


def by_key(works):
    return {w.key: w for w in works}


def families(work):
    return [a.family for a in work.authors]


# --- BibTeX ---------------------------------------------------------------------------------


def test_messy_bibtex_loads_every_readable_entry_and_reports_the_rest():
    works, problems = read_references(REFS / "messy.bib")
    keys = [w.key for w in works]
    assert keys == [
        "horvath2011",
        "sorensen1999",
        "gap1994",
        "dejong2001",
        "horvath2011-2",
        "van-paridon-2005-entry-without-key",
        "joffe2012",
        "noauthor",
    ]
    path = str(REFS / "messy.bib")
    assert problems == [
        (
            f"{path}:28: could not read this entry (Unexpected block start: `@article`. "
            "Was still looking for field-value closing `,` or `}`); entry skipped"
        ),
        f"{path}:41: key 'horvath2011' repeats the entry at line 5, for another work: loaded as 'horvath2011-2'",
        f"{path}:47: entry has no key; using 'van-paridon-2005-entry-without-key'",
        f"{path}:61: entry 'noauthor' has no author",
    ]


def test_a_repeated_key_keeps_both_works_the_first_under_the_key(messy_works):
    works = messy_works
    assert works["horvath2011"].title == "Alliance in Individual Psychotherapy"
    assert works["horvath2011"].origin.endswith("messy.bib:5")
    assert works["horvath2011-2"].title == "A second entry reusing a key"
    assert works["horvath2011-2"].origin.endswith("messy.bib:41")


def test_latex_accents_decoded_after_splitting_names(messy_works):
    works = messy_works
    assert families(works["sorensen1999"]) == ["Sørensen", "Østergaard", "Møller", "Řehůřek"]
    assert [a.id for a in works["sorensen1999"].authors] == [
        "author/sorensen-o",
        "author/ostergaard-l",
        "author/moller-k",
        "author/rehurek-r",
    ]
    assert works["sorensen1999"].title == "Naïve readers and élite coders"
    assert families(works["horvath2011"]) == ["Horvath", "Del Re", "Flückiger", "Symonds"]
    assert works["joffe2012"].authors[0].given == "Hélène"


def test_string_macros_and_concatenation_resolved(messy_works):
    works = messy_works
    assert works["sorensen1999"].venue == "Journal of Consulting and Clinical Psychology (Supplement)"
    assert works["van-paridon-2005-entry-without-key"].venue == "Sage"


def test_corporate_author_is_one_author(messy_works):
    works = messy_works
    (gap,) = works["gap1994"].authors
    assert (gap.family, gap.given, gap.id) == (
        "Group for the Advancement of Psychiatry",
        "",
        "author/group-for-the-advancement-of-psychiatry",
    )
    assert works["gap1994"].note == "unverified"


def test_particles_stay_in_the_family_name(messy_works):
    works = messy_works
    assert families(works["dejong2001"]) == ["De Jong", "Berg"]
    assert families(works["van-paridon-2005-entry-without-key"]) == ["van Paridon", "von Humboldt", "Sartre"]
    assert works["van-paridon-2005-entry-without-key"].authors[2].id == "author/sartre-jp"


def test_biblatex_date_and_journaltitle(messy_works):
    works = messy_works
    assert works["joffe2012"].year == "2012"
    assert works["joffe2012"].venue == "Qualitative Methods"


def test_doi_prefix_removed(messy_works):
    works = messy_works
    assert works["horvath2011"].doi == "10.1037/A0022186"


def test_strict_raises_with_every_problem():
    with pytest.raises(InputError) as e:
        read_references(REFS / "messy.bib", strict=True)
    assert len(e.value.problems) == 4


def test_example_bibliography_reads_clean():
    works, problems = read_references(EXAMPLE / "references.bib", strict=True)
    assert problems == []
    assert len(works) == 49
    works = by_key(works)
    assert families(works["skeem2007"]) == ["Skeem", "Eno Louden", "Polaschek", "Camp"]
    assert families(works["gap1994"]) == ["Group for the Advancement of Psychiatry"]
    assert works["horvath1996"].note == "unverified"
    assert works["drapeau2005"].authors[1].family == "Körner"


# --- RIS and CSL-JSON -----------------------------------------------------------------------


def test_ris_with_bom_keeps_every_record():
    works, problems = read_references(REFS / "bom.ris")
    assert works[0].key == "bordin1979"
    assert works[0].year == "1979" and works[0].doi == "10.1037/h0085885"
    assert works[0].type == "article"
    assert families(works[1]) == ["Group for the Advancement of Psychiatry"]
    assert works[1].year == "1994" and works[1].note == "unverified"
    assert families(works[2]) == ["Horvath", "Luborsky"]
    path = str(REFS / "bom.ris")
    assert problems == [
        f"{path}:17: record has no closing 'ER  -' line; read up to the next record",
        f"{path}:17: 1 line(s) are not 'XX  - value' tags and were ignored: 'this line is not a tag'",
        f"{path}:24: key 'bordin1979' repeats the entry at line 1, for another work: loaded as 'bordin1979-2'",
    ]
    assert [w.key for w in works] == [
        "bordin1979", "group-for-the-advancement-of-psychiatry-1994-forced-treatment",
        "horvath-1993-role-therapeutic-alliance", "bordin1979-2",
    ]


#: Shaped like an EndNote export of Embase records: ``KW  -`` and then one keyword per line.
ENDNOTE_RIS = """TY  - JOUR
AU  - Okafor, C.
AU  - Lindqvist, M.
DB  - Embase
KW  - article
adolescent
mandated treatment
therapeutic alliance
PY  - 2021
T2  - Journal of Offender Rehabilitation
TI  - Working alliance under a court order
ID  - 11
ER  - 

TY  - JOUR
AU  - Ruiz, P.
KW  - human
prison
N1  - L2030246463
2024-06-24
PY  - 2019
TI  - Coerced care and its limits
ID  - 12
ER  - 
"""


def test_ris_keyword_continuation_lines_are_keywords(tmp_path):
    path = tmp_path / "endnote.ris"
    path.write_text(ENDNOTE_RIS, encoding="utf-8")
    works, problems = read_references(path)
    assert [(w.key, families(w), w.year, w.title) for w in works] == [
        ("11", ["Okafor", "Lindqvist"], "2021", "Working alliance under a court order"),
        ("12", ["Ruiz"], "2019", "Coerced care and its limits"),
    ]
    # the keywords' lines are not "not a tag"; a note's second line still is (it is left out)
    assert problems == [f"{path}:15: 1 line(s) are not 'XX  - value' tags and were ignored: '2024-06-24'"]
    assert works[1].note == "L2030246463"


def test_csl_json_items():
    works, problems = read_references(REFS / "refs.json")
    works = by_key(works)
    assert works["bordin1979"].year == "1979" and works["bordin1979"].type == "article"
    vp = works["vanparidon2006a"]
    assert vp.year == "2006a"
    assert families(vp) == ["van Paridon", "World Health Organization"]
    assert vp.authors[1].id == "author/world-health-organization"
    assert works["rooney-in-press-no-id-here"].year == "in press"
    assert [p.split(": ", 1)[1] for p in problems] == [
        "item has no id; using 'rooney-in-press-no-id-here'",
        "not a JSON object; record skipped",
    ]
    assert problems[0].startswith(f"{REFS / 'refs.json'}:record 3")


# --- unreadable files -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, message",
    [
        ("empty.bib", "no BibTeX entries could be read"),
        ("latin1.bib", "latin1.bib:2: not UTF-8 text: byte 0xFC at byte offset 25"),
        ("binary.bib", "binary file"),
        ("bad.json", "bad.json:3: not valid JSON"),
        ("notes.txt", "not a reference file"),
    ],
)
def test_unreadable_files_raise(name, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        read_references(REFS / name)


def test_zero_byte_file_raises(tmp_path):
    empty = tmp_path / "nothing.bib"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_references(empty)


def test_content_wins_over_extension(tmp_path):
    ris = tmp_path / "export.bib"
    ris.write_text("TY  - JOUR\nAU  - Zetzel, E. R.\nTI  - Current concepts\nPY  - 1956\nER  - \n")
    (work,), problems = read_references(ris)
    assert families(work) == ["Zetzel"] and work.year == "1956" and problems == []


# --- names, ids and merging -----------------------------------------------------------------


def test_parse_name_forms():
    assert parse_name("Bordin, Edward S.").id == "author/bordin-es"
    assert parse_name("Edward S. Bordin").family == "Bordin"
    assert parse_name("Peter De Jong").family == "De Jong"
    assert parse_name("World Health Organization").given == ""
    assert parse_name("  ") is None


def test_name_key_folds_apostrophes_hyphens_and_diacritics():
    assert name_key("O’Hare") == name_key("O'Hare") == "ohare"
    assert name_key("Flückiger") == "fluckiger"
    assert name_key("De Jong") == name_key("de Jong") == "dejong"


def test_work_id_is_deterministic_and_skips_stopwords():
    assert work_id("Bordin", "1979", "The generalizability of the psychoanalytic concept") == (
        "work/bordin-1979-generalizability-psychoanalytic-concept"
    )
    assert work_id("Flückiger", "2006a", None) == "work/fluckiger-2006a"
    assert work_id(None, None, "On Being") == "work/anonymous-nd-being"


def test_short_citation_forms():
    assert short_citation(["Bordin"], "1979") == "Bordin (1979)"
    assert short_citation(["Horvath", "Luborsky"], "1993") == "Horvath & Luborsky (1993)"
    assert short_citation(["Skeem", "Eno Louden", "Polaschek"], "2007") == "Skeem et al. (2007)"


def test_merge_by_doi_or_similar_title_keeps_richest_fields_and_all_keys():
    works, _ = read_references(REFS / "variants.bib")
    merged = merge_works(works)
    assert [w.keys for w in merged] == [
        ["bordin1979", "Bordin_1979_gen"],
        ["bordin1994"],
        ["yardley2000"],
        ["yardley2000b"],  # same title, different DOI: two works
    ]
    bordin = merged[0]
    assert bordin.key == "bordin1979"
    assert bordin.doi == "10.1037/h0085885"
    assert bordin.venue == "Psychotherapy: Theory, Research and Practice"
    assert bordin.note == "merged from a second export"


def test_merge_across_files_by_case_insensitive_doi():
    bib = by_key(read_references(REFS / "variants.bib")[0])["Bordin_1979_gen"]
    csl = by_key(read_references(REFS / "refs.json")[0])["bordin1979"]
    (merged,) = merge_works([bib, csl])
    assert merged.keys == ["Bordin_1979_gen", "bordin1979"]


# --- into the graph -------------------------------------------------------------------------


def test_add_works_builds_work_and_author_nodes():
    works, _ = read_references(REFS / "messy.bib")
    batch = Batch("refs:messy")
    ids = add_works(batch, merge_works(works))
    assert ids["horvath2011"] == "work/horvath-2011-alliance-individual-psychotherapy"
    work = batch.nodes["Work"][ids["horvath2011"]]
    assert work["name"] == "Horvath et al. (2011)"
    assert work["authors"] == ["Horvath, Adam O.", "Del Re, A. C.", "Flückiger, Christoph", "Symonds, Dianne"]
    assert batch.nodes["Work"][ids["dejong2001"]]["name"] == "De Jong & Berg (2001)"
    assert batch.nodes["Author"]["author/fluckiger-c"]["family"] == "Flückiger"
    positions = {(r["dst"], r["position"]) for r in batch.rels[("AUTHORED_BY", "Work", "Author")]
                 if r["src"] == ids["horvath2011"]}
    assert positions == {("author/horvath-ao", 1), ("author/del-re-ac", 2), ("author/fluckiger-c", 3),
                         ("author/symonds-d", 4)}
    assert not batch.dangling()


def test_add_works_keeps_colliding_ids_apart():
    works, _ = read_references(REFS / "variants.bib")
    yardleys = [w for w in works if w.key.startswith("yardley")]
    ids = add_works(Batch("refs:x"), yardleys)
    assert ids == {
        "yardley2000": "work/yardley-2000-dilemmas-qualitative-health",
        "yardley2000b": "work/yardley-2000-dilemmas-qualitative-health-2",
    }


def test_example_bibliography_loads_into_the_store(store):
    works, _ = read_references(EXAMPLE / "references.bib", strict=True)
    batch = Batch("refs:mandatory-therapy", loader="refs")
    ids = add_works(batch, merge_works(works))
    assert len(set(ids.values())) == 49
    store.apply(batch)
    rows = store.query(
        "MATCH (w:Work)-[r:AUTHORED_BY]->(a:Author) WHERE w.key = $key RETURN a.family AS f, r.position AS p "
        "ORDER BY p",
        {"key": "horvath2011"},
    )
    assert [r["f"] for r in rows] == ["Horvath", "Del Re", "Flückiger", "Symonds"]
    assert store.query("MATCH (w:Work {key: 'gap1994'}) RETURN w.name AS n") == [
        {"n": "Group for the Advancement of Psychiatry (1994)"}
    ]


def test_an_issuing_body_and_biblatex_extended_names_are_authors(tmp_path):
    bib = tmp_path / "bodies.bib"
    bib.write_text(
        "@report{un2021,\n  institution = {United Nations},\n  title = {World report},\n  year = {2021}\n}\n"
        "@article{vd2020,\n  author = {family=Dongen, given=Jan, prefix=van and Smith, John},\n"
        "  title = {Extended names},\n  year = {2020}\n}\n"
    )
    works, problems = read_references(bib)
    assert problems == []
    assert [[a.display for a in w.authors] for w in works] == [["United Nations"], ["van Dongen, Jan", "Smith, John"]]
    assert [w.id for w in works] == ["work/united-nations-2021-world-report", "work/van-dongen-2020-extended-names"]


def test_reading_merging_and_building_works_never_run_the_cyclic_collector(tmp_path):
    """The cyclic collector re-scans every object still alive; with it running, merging 28,000
    records cost 3.7x merging 14,000 and building their works 4.3x.  Each step pauses it
    (``collector_paused``): counted, not timed, it never scans older objects during one."""
    import gc

    from bench.files import REFERENCE_WRITERS

    path = REFERENCE_WRITERS["bib"](tmp_path / "many.bib", 2_000)
    works = read_references(path)[0]
    runs = []

    def count(phase, info):
        if phase == "start" and info["generation"] > 0:  # the young generation alone is cheap
            runs.append(info["generation"])

    steps = {"read": lambda: read_references(path), "merge": lambda: merge_works(works),
             "build": lambda: add_works(Batch("refs:many"), works)}
    gc.callbacks.append(count)
    try:
        for name, step in steps.items():
            gc.collect()
            runs.clear()
            step()
            assert runs == [], name
    finally:
        gc.callbacks.remove(count)
