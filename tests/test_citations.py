"""In-text citations: accuracy against gold lists, hard cases, bad input, speed, properties, paper loading."""

import dataclasses
import json
from collections import Counter
from pathlib import Path

import pytest
from conftest import EXAMPLE, SHARED
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from themegraph.errors import InputError
from themegraph.graph.batch import Batch
from themegraph.literature.citations import (
    MAX_SENTENCE,
    Layout,
    clean,
    extract_citations,
)
from themegraph.loaders.paper import cite_rows, paper_batch, reference_ids
from themegraph.readers.documents import read_text
from themegraph.readers.references import read_references
from themegraph.readers.works import WorkRecord, add_works, merge_works, name_key

DATA = Path(__file__).parent / "data"
SEED = SHARED / "seed" / "000_1beee7b64457cf5b.txt"
HARD = DATA / "citations_hard.txt"


def load_gold(name):
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def score(citations, gold):
    """Precision and recall over occurrences: an extracted citation matches a gold item with the
    same line of the year, folded first surname and year (each gold item matched once)."""
    predicted = Counter((c.line, name_key(c.authors[0]), c.year) for c in citations)
    expected = Counter((g["line"], name_key(g["authors"][0]), g["year"]) for g in gold)
    hits = sum((predicted & expected).values())
    return hits / max(sum(predicted.values()), 1), hits / max(sum(expected.values()), 1)


@pytest.fixture(scope="module")
def seed_text():
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed_refs():
    return read_references(EXAMPLE / "references.bib", strict=True)[0]


@pytest.fixture(scope="module")
def seed_citations(seed_text, seed_refs):
    return extract_citations(seed_text, seed_refs)


@pytest.fixture(scope="module")
def hard_citations():
    refs, _ = read_references(DATA / "citations_hard.bib", strict=True)
    return extract_citations(HARD.read_text(encoding="utf-8"), refs)


# --- accuracy -------------------------------------------------------------------------------


def test_seed_precision_and_recall(seed_citations):
    precision, recall = score(seed_citations, load_gold("citations_gold_seed.json"))
    assert precision >= 0.98 and recall >= 0.98, (precision, recall)


def test_seed_finds_all_49_cited_works(seed_citations):
    gold = load_gold("citations_gold_seed.json")
    assert {c.ref for c in seed_citations} == {g["ref"] for g in gold}
    assert len({c.ref for c in seed_citations}) == 49


def test_seed_references_matched_per_occurrence(seed_citations):
    gold = Counter((g["line"], g["ref"]) for g in load_gold("citations_gold_seed.json"))
    found = Counter((c.line, c.ref) for c in seed_citations)
    assert sum((gold & found).values()) / sum(gold.values()) >= 0.98


def test_seed_spans_are_the_citations_as_written(seed_text, seed_citations):
    gold = {}
    for g in load_gold("citations_gold_seed.json"):
        gold.setdefault((g["line"], g["year"], name_key(g["authors"][0])), set()).add(
            (" ".join(g["text"].split()), g.get("et_al", False))
        )
    for c in seed_citations:
        assert clean(seed_text[c.start : c.end]) == c.cited_as
        assert (c.cited_as, c.et_al) in gold[(c.line, c.year, name_key(c.authors[0]))]


def test_hard_cases_precision_and_recall(hard_citations):
    precision, recall = score(hard_citations, load_gold("citations_gold_hard.json"))
    assert precision >= 0.98 and recall >= 0.98, (precision, recall)


def test_hard_cases_details(hard_citations):
    """Authors as written, references, spans and et al. for every gold item."""
    expected = Counter(
        (g["line"], tuple(g["authors"]), g["year"], g["ref"], g["text"], g.get("et_al", False))
        for g in load_gold("citations_gold_hard.json")
    )
    found = Counter((c.line, tuple(c.authors), c.year, c.ref, c.cited_as, c.et_al) for c in hard_citations)
    assert found == expected


def test_negatives_are_not_citations(hard_citations):
    results = [c for c in hard_citations if c.section == "Results"]
    assert results == []


@pytest.mark.parametrize(
    "text",
    [
        "the map of themes (see Figure 1A) was drawn",
        "changes since the 1990s were small",
        "eleven therapists (n = 11) took part",
        "a response rate of 45% (p < .001) at 10:30",
        "in a later paper (2008) the team",
        "the DSM-5 (2013) criteria and COVID-19 (2020) rules",
        "interviews (Spring 2019) and follow-up (January 2020)",
    ],
)
def test_not_a_citation(text):
    assert extract_citations(text) == []


def test_sentence_openers_are_not_authors():
    (c,) = extract_citations("Similarly, Horvath & Luborsky (1993) describe a willing client.")
    assert c.authors == ["Horvath", "Luborsky"]
    (c,) = extract_citations("However, Bordin (1979) says little.")
    assert c.authors == ["Bordin"]


def test_reference_picks_by_second_author_and_author_count(hard_citations):
    refs = {c.cited_as: c.ref for c in hard_citations if c.authors[0] == "Smith" and c.year == "2010"}
    assert refs == {"Smith & Jones, 2010": "smith2010a", "Smith & Brown, 2010": "smith2010b",
                    "Smith et al., 2010": "smith2010c"}


def test_without_references_nothing_is_matched():
    (c,) = extract_citations("As argued before (Bordin, 1979).")
    assert c.ref is None and c.authors == ["Bordin"] and c.year == "1979"


def test_unresolved_tie_is_left_unmatched():
    works = {w.key: w for w in read_references(DATA / "citations_hard.bib")[0]}
    twin = dataclasses.replace(works["blasko2016"], key="blasko2016-copy", keys=["blasko2016-copy"])
    (c,) = extract_citations("As found (Blasko & Jeglic, 2016).", [works["blasko2016"], twin])
    assert c.ref is None


def test_reference_list_entries_are_not_citations():
    text = (
        "Introduction\n\nAs Bordin (1979) argued (Horvath & Luborsky, 1993).\n\nReferences\n\n"
        "Group for the Advancement of Psychiatry (1994). Forced into treatment.\n"
        "Horvath, A. O., & Luborsky, L. (1993). The role of the alliance (Smith, 1990 reprint).\n\n"
        "Appendix A\n\nA late citation (Cosyns, 1999).\n"
    )
    found = [(c.authors[0], c.section) for c in extract_citations(text)]
    assert found == [("Bordin", "Introduction"), ("Horvath", "Introduction"), ("Cosyns", "Appendix A")]


# --- layout: sentences and sections ---------------------------------------------------------


def test_seed_headings_and_sections(seed_text, seed_citations):
    headings = [h for _, h in Layout(seed_text).headings]
    assert headings[:11] == ["Introduction", "Method", "Design", "Participants", "Procedure", "Data Analysis",
                             "Results", "Discussion", "Clinical Implications", "Limitations", "Further research"]
    sections = {c.ref: c.section for c in seed_citations}
    assert sections["prochaska1982"] == "Clinical Implications"
    assert sections["drapeau2005"] == "Discussion"
    assert sections["braun2006"] == "Data Analysis"


def test_sentence_joins_pdf_lines_across_a_page_number(seed_citations):
    (c,) = [c for c in seed_citations if c.ref == "williams2007"]
    assert c.sentence == (
        "Again this is something which may happen in any therapy setting, in order for therapists to be able to "
        "connect with their client (Williams & Day, 2007), but it seems that the extent to which it occurs with sex "
        "offenders in ‘mandatory’ therapy is greater, perhaps because of the client having perpetrated harm on others."
    )
    hard = extract_citations(HARD.read_text(encoding="utf-8"))
    (colleagues,) = [c for c in hard if c.cited_as == "Horvath and colleagues (2011)"]
    assert " show in their review " in colleagues.sentence and " 14 " not in colleagues.sentence


def test_abbreviations_do_not_end_sentences():
    text = "It was noted (e.g., Tatman & Love, 2010; cf. Polaschek & Ross, 2010). Next one."
    sentences = {c.sentence for c in extract_citations(text)}
    assert sentences == {"It was noted (e.g., Tatman & Love, 2010; cf. Polaschek & Ross, 2010)."}


# --- documents ------------------------------------------------------------------------------


def _pdf_with_text(path: Path, line: str) -> None:
    """A one-page PDF whose text layer holds ``line`` (pypdf has no text API: build the stream)."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=612, height=792)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    stream = DecodedStreamObject()
    stream.set_data(f"BT /F1 12 Tf 72 720 Td ({line}) Tj ET".encode("latin-1"))
    page[NameObject("/Contents")] = writer._add_object(stream)
    with path.open("wb") as f:
        writer.write(f)


def test_pdf_text_layer_is_read(tmp_path):
    pdf = tmp_path / "paper.pdf"
    _pdf_with_text(pdf, "As Bordin \\(1979\\) argued.")
    (c,) = extract_citations(read_text(pdf))
    assert (c.authors, c.year, c.narrative) == (["Bordin"], "1979", True)


def test_pdf_without_text_layer_needs_ocr(tmp_path):
    from pypdf import PdfWriter

    pdf = tmp_path / "scan.pdf"
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    with pdf.open("wb") as f:
        writer.write(f)
    with pytest.raises(InputError, match="needs OCR"):
        read_text(pdf)


def test_docx_paragraphs_and_headings(tmp_path):
    import docx

    document = docx.Document()
    document.add_heading("Discussion", level=1)
    document.add_paragraph("This is consistent with Bordin (1979). It differs from others (Cosyns, 1999).")
    path = tmp_path / "paper.docx"
    document.save(str(path))
    cites = extract_citations(read_text(path))
    assert [(c.authors[0], c.section, c.stance) for c in cites] == [
        ("Bordin", "Discussion", "supports"),
        ("Cosyns", "Discussion", "challenges"),
    ]


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("empty.txt", b"", "empty"),
        ("blank.md", b"  \n\n ", "empty"),
        ("binary.txt", b"\x00\x01\x02PK\x03\x04", "binary"),
        ("latin1.txt", "line one\nBordin (1979) was r\xe9vis\xe9".encode("latin-1"), r"latin1.txt:2: .*byte 0xE9 at byte offset 28"),
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "not a readable PDF"),
        ("broken.docx", b"not a zip file", "not a readable .docx"),
        ("renamed.txt", b"%PDF-1.4\n...", "PDF file, not text"),
    ],
)
def test_bad_documents_raise(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError, match=message):
        read_text(path)


def test_bom_and_utf16_text_are_read(tmp_path):
    bom = tmp_path / "bom.txt"
    bom.write_bytes("\ufeffAs Bordin (1979) said.".encode("utf-8"))
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes("As Bordin (1979) said.".encode("utf-16"))
    assert read_text(bom) == read_text(utf16) == "As Bordin (1979) said."


# --- speed and robustness -------------------------------------------------------------------


def test_a_hundred_pages_find_every_repeated_citation(seed_text, seed_refs):
    # speed is measured by bench/bench_citations.py (--dense too), never by a timed unit test
    copies = 300_000 // len(seed_text) + 1
    citations = extract_citations(seed_text * copies, seed_refs)
    assert len(citations) == 91 * copies


def test_dense_citations_without_full_stops_are_each_found_with_bounded_sentences():
    text = "(Bordin, 1979)\n" * 20_000  # 300k characters, one endless "sentence"
    citations = extract_citations(text)
    assert len(citations) == 20_000
    assert max(len(c.sentence) for c in citations) <= MAX_SENTENCE


FRAGMENTS = ["(", ")", "[", "]", ";", ",", " ", "\n", "\n\n", "Bordin", "O’Hare", "De Jong", "et al.", "&", "and",
             "1979", "2006a", "n.d.", "in press", "’s", "'s", "p. 253", "see ", "e.g., ", ". ", "Discussion\n", "-",
             "Řehůřek", "Group for the Advancement of Psychiatry", "14\n", "(1990–2000)", "b"]


@settings(max_examples=300, deadline=1000, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=400), st.lists(st.sampled_from(FRAGMENTS), max_size=120).map("".join)))
def test_never_raises_and_spans_lie_inside_the_text(text):
    for c in extract_citations(text):
        assert 0 <= c.start < c.end <= len(text)
        assert c.start <= c.year_start < len(text)
        assert c.authors and c.year
        assert len(c.sentence) <= MAX_SENTENCE


# --- into the graph -------------------------------------------------------------------------


def _study_and_refs(store, refs):
    base = Batch("study:mandatory-therapy", loader="study")
    base.node("Study", "mandatory-therapy", name="Mandatory therapy")
    add_works(base, merge_works(refs))
    store.apply(base)


def test_paper_batch_cites_every_occurrence(store, seed_refs):
    _study_and_refs(store, seed_refs)
    batch = paper_batch(SEED, "mandatory-therapy", seed_refs)
    assert batch.source == "paper:mandatory-therapy" and batch.loader == "paper"
    assert "Study" not in batch.nodes and "Work" not in batch.nodes
    store.apply(batch)
    assert store.counts()["relationships"]["CITES"] == 91
    row = store.query(
        "MATCH (:Study {id: 'mandatory-therapy'})-[r:CITES]->(w:Work {key: 'prochaska1982'}) "
        "RETURN r.section AS section, r.stance AS stance, r.cited_as AS cited_as, r.origin AS origin, "
        "r.char_start AS a, r.char_end AS b"
    )
    assert row == [{"section": "Clinical Implications", "stance": "supports",
                    "cited_as": "Prochaska and DiClemente (1982)", "origin": f"{SEED}:899",
                    "a": row[0]["a"], "b": row[0]["b"]}]
    assert clean(SEED.read_text(encoding="utf-8")[row[0]["a"] : row[0]["b"]]) == "Prochaska and DiClemente (1982)"


def test_unmatched_citations_still_create_their_work(store, seed_refs):
    without = [w for w in seed_refs if w.key != "langevin2006"]
    _study_and_refs(store, without)
    batch = paper_batch(SEED, "mandatory-therapy", without)
    assert list(batch.nodes["Work"]) == ["work/langevin-2006"]
    store.apply(batch)
    rows = store.query("MATCH (:Study)-[r:CITES]->(w:Work {unmatched: true}) RETURN w.name AS name, count(r) AS n")
    assert rows == [{"name": "Langevin (2006)", "n": 3}]


def test_paper_needs_its_study_loaded_first(store, seed_refs):
    from themegraph.errors import StoreError

    with pytest.raises(StoreError, match="mandatory-therapy"):
        store.apply(paper_batch(SEED, "mandatory-therapy", None))


def test_reference_ids_agree_with_loading_the_references(seed_refs):
    batch = Batch("refs")
    assert reference_ids(seed_refs) == add_works(batch, merge_works(seed_refs))


def test_cite_rows(seed_citations):
    rows = cite_rows(seed_citations)
    assert len(rows) == 91
    assert set(rows[0]) == {"authors", "year", "cited_as", "line", "start", "end", "sentence", "section", "stance", "ref", "et_al"}
    assert rows[0]["authors"] == ["Bordin"] and rows[0]["ref"] == "bordin1979" and rows[0]["line"] == 7
    json.dumps(rows)  # JSON-ready


# --- classes seen in real manuscripts (issue #18; examples made up, accuracy is in test_citation_corpus)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("fitted in brms (Version 2.14.4; Bürkner, 2017).", [(["Bürkner"], "2017")]),
        ("with R (3.4.2, R Core Team, 2017) and TOSTER (0.9.3, Okafor, 2012).",
         [(["R Core Team"], "2017"), (["Okafor"], "2012")]),
        ("Stan (Version 2.26; Stan Development Team, 2021) was used.", [(["Stan Development Team"], "2021")]),
        ("as shown (A. B. Lee, Park, & Kim, 2018) and (C. D. Lee & Ng, 2016).",
         [(["Lee", "Park", "Kim"], "2018"), (["Lee", "Ng"], "2016")]),
        ("Later, J. K. Moreau and Patel (2011) disagreed.", [(["Moreau", "Patel"], "2011")]),
        ("as reported (R. V.\nLenth, 2015).", [(["Lenth"], "2015")]),
        ("as Okafor, Lindqvist, Ruiz, and Berg (2013) found.", [(["Okafor", "Lindqvist", "Ruiz", "Berg"], "2013")]),
        ("the ratio (e.g., the SD1/SD2 index, Brennan et al., 2001) was", [(["Brennan"], "2001")]),
        ("projects (see Section 4 in Marwick et al., 2018) use", [(["Marwick"], "2018")]),
        ("images (Docker Inc., 2019) and (Docker, Inc., 2019)", [(["Docker Inc."], "2019"), (["Docker, Inc."], "2019")]),
        ("heart rate (How-\nell & Porr, 2018; Lüdecke, Ben-\nShachar, et al., 2021)",
         [(["Howell", "Porr"], "2018"), (["Lüdecke", "Ben-Shachar"], "2021")]),
        ("(Bigger Jr et al., 1989)", [(["Bigger"], "1989")]),
        ("(World Health Organization [WHO], 2020) and later (WHO, 2021)",
         [(["World Health Organization"], "2020"), (["World Health Organization"], "2021")]),
        ("(The Turing Way Community et al., 2019)", [(["The Turing Way Community"], "2019")]),
        ("as Freud (1900/1953) and Bordin's (1979) work (see also Smith, in press; Jones, n.d.)",
         [(["Freud"], "1900/1953"), (["Bordin"], "1979"), (["Smith"], "in press"), (["Jones"], "n.d.")]),
        ("(Tormos, Rudnev, and Bartolomé\nPeral 2023)", [(["Tormos", "Rudnev", "Bartolomé Peral"], "2023")]),
    ],
)
def test_forms_from_real_manuscripts(text, expected):
    assert [(c.authors, c.year) for c in extract_citations(text)] == expected


def _work(key, year, families, title="A title"):
    from themegraph.readers.works import person

    return WorkRecord(key=key, id=key, title=title, year=year, authors=[person(f) for f in families], venue=None,
                      doi=None, type=None, note=None, origin="test")


def test_references_matched_as_apa_renders_them():
    refs = [
        _work("smith-b", "2017", ["Smith"], "Zebras in the wild"),
        _work("smith-a", "2017", ["Smith"], "The apes of the city"),
        _work("org-nd", None, ["World Health Organization"]),
        _work("paridon", "2021", ["van Paridon", "Thompson"]),
        _work("ons-phe", "2020", ["Office for National Statistics", "Public Health England"]),
        _work("samhsa", "2019", ["Substance Abuse & Mental Health Services Administration"]),
        _work("stan", "2019", ["stan team"]),
        _work("bechky", "2003", ["Bechky"]),
    ]
    text = ("One (Smith, 2017a) and two (Smith, 2017b); undated (World Health Organization, n.d.) and (WHO, n.d.); "
            "Paridon and Thompson (2021); (Office for National Statistics & Public Health England, 2020); "
            "(Substance Abuse & Mental Health Services Administration, 2019); (the stan team, 2019); Beckhy (2003).")
    found = {(tuple(c.authors), c.year): c.ref for c in extract_citations(text, refs)}
    assert found == {
        (("Smith",), "2017a"): "smith-a",  # a, b in order of title, "The" ignored
        (("Smith",), "2017b"): "smith-b",
        (("World Health Organization",), "n.d."): "org-nd",
        (("WHO",), "n.d."): "org-nd",
        (("Paridon", "Thompson"), "2021"): "paridon",
        (("Office for National Statistics", "Public Health England"), "2020"): "ons-phe",  # two bodies: the entry says so
        (("Substance Abuse & Mental Health Services Administration",), "2019"): "samhsa",  # one body with "&"
        (("stan team",), "2019"): "stan",
        (("Beckhy",), "2003"): "bechky",  # misspelt, one entry of that year fits
    }


def test_pdf_line_numbers_running_heads_and_ligatures_are_not_text():
    from themegraph.readers.documents import _tidy_pages

    pages = [f"RUNNING HEAD {n}\n" + "\n".join(f"text of the eﬀect line{n * 10 + i}" for i in range(8)) for n in range(4)]
    tidy = _tidy_pages(pages)
    assert all("RUNNING HEAD" not in page for page in tidy)
    assert tidy[1].splitlines()[0] == "text of the effect line"
    assert _tidy_pages(["a year that ends a line 2019\nand one more line\n"]) == ["a year that ends a line 2019\nand one more line"]


def test_a_citation_over_a_pdf_page_break():
    from themegraph.readers.documents import _tidy_pages

    pages = ["as argued before (Smith,\n14", "15\nJones, 2001; Lee &\nKim, 2003) and more."]
    text = "\n\n".join(_tidy_pages(pages))
    assert [(c.authors, c.year) for c in extract_citations(text)] == [(["Smith", "Jones"], "2001"),
                                                                       (["Lee", "Kim"], "2003")]


class _YearReads(WorkRecord):
    """A reference that counts how often its year is read: a citation compared with every
    namesake's year shows up as citations x namesakes reads."""

    reads = 0

    @property
    def year(self):
        _YearReads.reads += 1
        return self._year

    @year.setter
    def year(self, value):
        self._year = value


def _year_reads(n: int) -> int:
    """Year reads while matching 2n citations (n exact, n misspelt) to n works whose first author
    shares one surname (each of its own year)."""
    from themegraph.readers.works import person

    refs = [_YearReads(key=f"garcia{i}", id=f"garcia{i}", title=f"Work {i}", year=str(1700 + i),
                       authors=[person("García", f"Ana{i}")], venue=None, doi=None, type=None, note=None,
                       origin="test") for i in range(n)]
    text = " ".join(f"Shown (Garcia, {1700 + i}) and (Garciaa, {1700 + i})." for i in range(n))
    _YearReads.reads = 0
    citations = extract_citations(text, refs)
    assert [c.ref for c in citations] == [f"garcia{i}" for i in range(n) for _ in range(2)]
    return _YearReads.reads


def test_matching_a_citation_looks_its_year_up_instead_of_scanning_namesakes():
    # an operation count, not a timing: doubling citations and namesakes doubles the year reads
    # (reading each reference's year a few times to index it); a scan of the namesakes per
    # citation would quadruple them
    small, large = _year_reads(150), _year_reads(300)
    assert large <= 2.2 * small, (small, large)
