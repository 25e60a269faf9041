"""Stance cues, the lexicon file, proposed findings, and recall against the example's findings.yaml."""

import shutil

import pytest
import yaml
from conftest import EXAMPLE, SHARED

from themegraph.errors import InputError
from themegraph.literature.citations import Layout, clean, extract_citations
from themegraph.literature.stance import (
    classify,
    find_cues,
    load_lexicon,
    propose_findings,
)
from themegraph.readers.references import read_references

SEED = SHARED / "seed" / "000_1beee7b64457cf5b.txt"
TARGET_SECTIONS = ("Discussion", "Clinical Implications")


@pytest.fixture(scope="module")
def seed_text():
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed_citations(seed_text):
    refs = read_references(EXAMPLE / "references.bib", strict=True)[0]
    return extract_citations(seed_text, refs)


@pytest.fixture(scope="module")
def gold_links(seed_text):
    """Every findings.yaml link whose evidence sentence lies in the Discussion or the Clinical
    Implications, with that section (found by locating the sentence in the seed text)."""
    layout = Layout(seed_text)
    sections = {sentence: layout.section_at(start) for start, _, sentence in layout.sentences()}
    findings = yaml.safe_load((EXAMPLE / "findings.yaml").read_text(encoding="utf-8"))["findings"]
    links = []
    for finding in findings:
        for link in finding["links"]:
            evidence = clean(link["evidence"])
            assert evidence in sections, f"evidence not a sentence of the seed: {evidence[:60]}"
            if sections[evidence] in TARGET_SECTIONS:
                links.append({**link, "evidence": evidence, "section": sections[evidence]})
    return links


# --- classify -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence, stance",
    [
        ("This is consistent with Bordin (1979).", "supports"),
        ("This echoes findings from research by Drapeau et al. (2005).", "supports"),
        ("There is some fit here with Bordin’s (1979) view.", "supports"),
        ("This goes somewhat against the ‘true collaboration’ described by Bordin (1979).", "challenges"),
        ("Contrary to Skeem et al. (2007), we found no dual-role strain.", "challenges"),
        ("This is not consistent with Bordin (1979).", "challenges"),
        ("This isn’t in line with Bordin (1979).", "challenges"),
        ("However there is an additional dimension, unacknowledged in the theory.", "extends"),
        ("Our account builds on Rooney (2009).", "extends"),
        ("Bordin (1979) described three components.", "mentions"),
        ("Despite these challenges, research has found alliances (Blasko & Jeglic, 2014).", "mentions"),
    ],
)
def test_cue_phrases(sentence, stance):
    assert classify(sentence) == stance


def test_priority_decides_a_mixed_sentence_without_a_position():
    assert classify("This is consistent with A (2000) but goes against B (2001).") == "challenges"


def test_nearest_cue_before_the_citation_decides_a_mixed_sentence():
    sentence = "This is consistent with A (2000) but goes against B (2001)."
    assert classify(sentence, at=sentence.index("A (2000)")) == "supports"
    assert classify(sentence, at=sentence.index("B (2001)")) == "challenges"


def test_section_default_applies_only_without_a_cue():
    sentence = "Using solution focussed approaches is one way (De Jong & Berg, 2001)."
    assert classify(sentence) == "mentions"
    assert classify(sentence, section="Clinical Implications") == "supports"
    assert classify(sentence, section="Introduction") == "mentions"
    assert classify("This differs from X (2001).", section="Discussion") == "challenges"


def test_find_cues_reports_offsets():
    assert find_cues("A fits with B and contradicts C.") == [(2, "supports"), (18, "challenges")]


# --- the lexicon file -----------------------------------------------------------------------


def test_custom_lexicon(tmp_path):
    path = tmp_path / "lexicon.yaml"
    path.write_text(
        "cues:\n  supports: [backs up]\n  challenges: [pushes * against]\nnegators: [never]\n", encoding="utf-8"
    )
    lexicon = load_lexicon(path)
    assert classify("This backs up Bordin (1979).", lexicon) == "supports"
    assert classify("This never backs up Bordin (1979).", lexicon) == "challenges"
    assert classify("This pushes hard against Bordin (1979).", lexicon) == "challenges"
    assert classify("This is consistent with Bordin (1979).", lexicon, section="Discussion") == "mentions"


@pytest.mark.parametrize(
    "content, message",
    [
        ("cues: [unclosed\n", r"lexicon.yaml:2: not valid YAML"),
        ("cues:\n  agrees: [x]\n", "cues must be given for"),
        ("cues:\n  supports: [x]\nsection_defaults:\n  - {section: discussion, stance: loves}\n", "section_defaults"),
    ],
)
def test_bad_lexicon(tmp_path, content, message):
    path = tmp_path / "lexicon.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_lexicon(path)


def test_shipped_lexicon_has_every_stance():
    lexicon = load_lexicon()
    assert lexicon.stances == ("supports", "extends", "challenges")
    assert lexicon.priority == ["challenges", "extends", "supports"]


# --- proposed findings ----------------------------------------------------------------------


def test_proposed_findings_are_unconfirmed_and_from_discussion_sections(seed_citations, seed_text):
    findings = propose_findings(seed_citations, seed_text)
    assert findings and all(f["status"] == "unconfirmed" for f in findings)
    assert {f["section"] for f in findings} == set(TARGET_SECTIONS)
    assert len({f["id"] for f in findings}) == len(findings)
    for f in findings:
        assert f["links"] and all(link["evidence"] == f["statement"] for link in f["links"])


def test_cue_sentence_without_citation_continues_the_previous_one(seed_citations, seed_text):
    opening = "However there is an additional dimension"
    (extends,) = [f for f in propose_findings(seed_citations, seed_text) if f["statement"].startswith(opening)]
    assert [(link["stance"], link["work"]) for link in extends["links"]] == [("extends", "bordin1979")]
    assert not [f for f in propose_findings(seed_citations) if f["statement"].startswith(opening)]


def test_unmatched_citations_are_listed():
    text = "Discussion\n\nThis is consistent with Nobody (2001) and Bordin (1979).\n"
    refs = read_references(EXAMPLE / "references.bib")[0]
    (finding,) = propose_findings(extract_citations(text, refs))
    assert finding["links"] == [{"stance": "supports", "work": "bordin1979", "evidence": finding["statement"]}]
    assert finding["unmatched"] == ["Nobody (2001)"]


def test_proposed_findings_load_in_a_study_bundle(seed_citations, seed_text, tmp_path):
    from themegraph.loaders.study import read_study

    bundle = tmp_path / "bundle"
    shutil.copytree(EXAMPLE, bundle)
    proposed = propose_findings(seed_citations, seed_text)
    (bundle / "findings.yaml").write_text(yaml.safe_dump({"findings": proposed}, allow_unicode=True), encoding="utf-8")
    batch = read_study(bundle)
    assert len(batch.nodes["Finding"]) == len(proposed)
    statuses = {row["status"] for row in batch.nodes["Finding"].values()}
    assert statuses == {"unconfirmed"}


# --- recall against findings.yaml (docs/accuracy.md defines the counts) ----------------------


def test_work_links_recovered_by_proposed_findings(seed_citations, seed_text, gold_links):
    """Recall over findings.yaml links to works (the only targets a citation can name) and
    precision of the proposed links against them."""
    proposed = {
        (link["work"], link["stance"], link["evidence"])
        for f in propose_findings(seed_citations, seed_text)
        for link in f["links"]
    }
    gold = {(link["work"], link["stance"], link["evidence"]) for link in gold_links if "work" in link}
    assert len(gold) == 15
    recall = len(gold & proposed) / len(gold)
    precision = len(gold & proposed) / len(proposed)
    assert recall >= 0.8 and precision >= 0.8, (recall, precision)


def test_sentence_stance_over_all_links(seed_citations, gold_links):
    """Every link (work, theory or construct): its evidence sentence classified as a sentence
    (the section default applies to sentences that cite a work).  A weaker bar: links to theories
    and constructs often rest on sentences with no cue at all."""
    citing = {c.sentence for c in seed_citations}
    hits = sum(
        classify(link["evidence"], section=link["section"] if link["evidence"] in citing else None) == link["stance"]
        for link in gold_links
    )
    assert len(gold_links) == 33
    assert hits / len(gold_links) >= 0.75, hits
