"""Qualitative evidence synthesis on both stores: the worked review of four studies.

Expected counts come from the bundles' source files, counted by hand: e.g. the first finding
draws on the seed's themes 'Dealing with power and role' (extracts E08-E13, spoken by PC, PG, PH,
PH, PI, PF) and 'Managing Risk' (E14-E17: PA, PH, PJ, PF) and on E01 (unattributed): 11 extracts,
7 participants, all from the seed study.  One test recomputes every SoQF count with its own Cypher.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict

import pytest
from conftest import ROOT

from themegraph.errors import InputError
from themegraph.loaders.study import read_study
from themegraph.review.bundle import read_review
from themegraph.review.evidence import read_evidence
from themegraph.review.reports import profile_rows, soqf_rows

EXAMPLES = ROOT / "examples"
STUDIES = ("mandatory-therapy", "merkt-2021-patients", "merkt-2021-professionals", "zielinski-2021-share")
REVIEW = EXAMPLES / "alliance-review"
RID = "alliance-mandated"

#: finding -> (studies, extracts, participants, spread, disconfirming), counted from the bundles
HAND_COUNTS = {
    "dual-role-strains-alliance": (["mandatory-therapy", "merkt-2021-patients", "merkt-2021-professionals"], 11, 7, 1.0, 1),
    "transparency-and-clear-roles": (["mandatory-therapy", "merkt-2021-patients", "merkt-2021-professionals"], 4, 3, 1.0, 0),
    "choice-within-the-frame": (["mandatory-therapy", "merkt-2021-patients"], 5, 4, 1.0, 1),
    # Goals as motivation E30-E33 (PA, PF, PG, PB) + Positive anticipation T2-12, T2-13 (anonymous)
    "goals-and-benefits-motivate": (list(STUDIES), 6, 4, 0.67, 0),
    # E43 (PH), E45 (PI), E46 (PC) + Interpersonal concerns T2-04..06 + Group environment T2-14, T2-15
    "trust-against-fear-of-disclosure": (["mandatory-therapy", "zielinski-2021-share"], 8, 3, 0.62, 0),
    "surface-engagement": (["mandatory-therapy"], 2, 2, 1.0, 0),  # Ambivalence: E03 (PE), E04 (PD)
}


def load_all(store, review=REVIEW):
    for study in STUDIES:
        store.apply(read_study(EXAMPLES / study))
    store.apply(read_review(review, store))


def test_soqf_gives_the_hand_counted_evidence_and_the_reviewers_judgements(store):
    load_all(store)
    rows = {r["id"]: r for r in soqf_rows(read_evidence(store, RID))}
    assert list(rows) == list(HAND_COUNTS)  # review.yaml's order
    for finding, (studies, extracts, participants, spread, disconfirming) in HAND_COUNTS.items():
        row = rows[finding]
        assert (row["studies"], row["extracts"], row["participants"], row["spread"], row["disconfirming"]) == (
            studies, extracts, participants, spread, disconfirming), finding
    first = rows["dual-role-strains-alliance"]
    assert first["confidence"] == "moderate" and first["proposed_confidence"] == "low"
    assert (first["methodological_limitations"], first["coherence"], first["adequacy"], first["relevance"]) == (
        "minor", "minor", "minor", "none")
    assert rows["surface-engagement"]["adequacy"] == "serious"
    # the rules: one study with two extracts is serious for adequacy, downgrading twice
    assert rows["surface-engagement"]["proposed_confidence"] == "low"
    from themegraph.graph.check import run_checks

    assert [r["check"] for r in run_checks(store) if r["status"] == "FAIL"] == []  # review nodes pass `check`


def test_every_soqf_count_recomputed_with_independent_cypher(store):
    load_all(store)
    rows = {r["id"]: r for r in soqf_rows(read_evidence(store, RID))}
    where = "WHERE r.id = 'review/alliance-mandated' AND s.status = 'accepted' AND s.stance = 'supports'"
    head = "MATCH (r:Review)-[:HAS_FINDING]->(f:ReviewFinding)-[s:SYNTHESISES]->"
    studies = defaultdict(set)
    for row in store.query(f"{head}(x) {where} RETURN f.id AS f, x.study AS study"):
        studies[row["f"].rpartition("/")[2]].add(row["study"])
    extracts = defaultdict(dict)
    for pattern in ("(e:Extract)", "(:Theme)<-[:ILLUSTRATES]-(e:Extract)",
                    "(:Theme)<-[:SUBTHEME_OF]-(:Theme)<-[:ILLUSTRATES]-(e:Extract)"):
        for row in store.query(f"{head}{pattern} {where} RETURN f.id AS f, e.id AS e, e.study AS study"):
            extracts[row["f"].rpartition("/")[2]][row["e"]] = row["study"]
    speakers = defaultdict(set)
    for row in store.query("MATCH (e:Extract)-[:SPOKEN_BY]->(p:Participant) RETURN e.id AS e, p.id AS p"):
        speakers[row["e"]].add(row["p"])
    against = Counter(r["f"].rpartition("/")[2] for r in store.query(
        f"{head}(x) WHERE s.status = 'accepted' AND s.stance = 'disconfirms' RETURN f.id AS f"))
    for finding, row in rows.items():
        quoted = extracts[finding]
        assert row["studies"] == sorted(studies[finding]), finding
        assert row["extracts"] == len(quoted), finding
        assert row["participants"] == len(set().union(*(speakers[e] for e in quoted))), finding
        assert row["spread"] == round(max(Counter(quoted.values()).values()) / len(quoted), 2), finding
        assert row["disconfirming"] == against[finding], finding


def test_evidence_profile_shows_judgement_beside_proposal(store):
    load_all(store)
    rows = profile_rows(read_evidence(store, RID))
    assert len(rows) == 6 * 4
    ml = next(r for r in rows if r["id"] == "transparency-and-clear-roles" and r["component"] == "methodological-limitations")
    # two of its three studies answered four "can't tell" (abstract only): major limitations; synthesis.csv
    # gives the finding 7 supporting links, 2 into the seed study and 2 + 3 into those two: 5/7 = 0.71
    assert (ml["concern"], ml["proposed"]) == ("minor", "serious")
    assert "merkt-2021-patients: major" in ml["evidence"] and "0.71" in ml["evidence"]
    coherence = next(r for r in rows if r["id"] == "dual-role-strains-alliance" and r["component"] == "coherence")
    assert coherence["evidence"].startswith("1 disconfirming of 8 links (0.12); 4 CHALLENGES")


def _copy_bundle(tmp_path, edit=None):
    folder = tmp_path / "review"
    folder.mkdir()
    for path in REVIEW.iterdir():
        (folder / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    if edit:
        edit(folder)
    return folder


def test_a_broken_review_bundle_names_every_problem_and_writes_nothing(store, tmp_path):
    for study in STUDIES:
        store.apply(read_study(EXAMPLES / study))

    def break_it(folder):
        yaml_text = (folder / "review.yaml").read_text(encoding="utf-8")
        yaml_text = yaml_text.replace("  - study: zielinski-2021-share\n    relevance: partial",
                                      "  - study: no-such-study\n    relevance: sideways")
        yaml_text = yaml_text.replace("concern: serious", "concern: grave", 1)
        (folder / "review.yaml").write_text(yaml_text, encoding="utf-8")
        with (folder / "synthesis.csv").open("a", encoding="utf-8") as fh:
            fh.write("surface-engagement,mandatory-therapy,theme,No such theme,supports,accepted,\n")
            fh.write("no-such-finding,mandatory-therapy,extract,E01,,,\n")

    with pytest.raises(InputError) as caught:
        read_review(_copy_bundle(tmp_path, break_it), store)
    problems = caught.value.problems
    assert any(p.startswith("review.yaml:") and "'no-such-study' is not loaded" in p for p in problems)
    assert any("surface-engagement" not in p and "adequacy concern must be one of none, minor, moderate, serious"
               in p for p in problems)
    # synthesis.csv has a header and 32 links (lines 2-33): the two appended rows are lines 34 and 35
    assert "synthesis.csv:34: study 'mandatory-therapy' has no theme 'No such theme'" in problems
    assert "synthesis.csv:35: finding 'no-such-finding' is not a finding of review.yaml" in problems
    assert any(p.startswith("synthesis.csv:") and "'zielinski-2021-share' is not one of the review's included" in p
               for p in problems)
    assert store.query("MATCH (r:Review) RETURN count(r) AS n") == [{"n": 0}]


def test_named_queries_on_the_worked_review(store, tmp_path):
    from themegraph.queries import catalog

    def silence_zielinski(folder):
        lines = (folder / "synthesis.csv").read_text(encoding="utf-8").splitlines(keepends=True)
        (folder / "synthesis.csv").write_text("".join(l for l in lines if ",zielinski-2021-share," not in l),
                                              encoding="utf-8")
        (folder / "translations.csv").write_text(
            "".join(l for l in (folder / "translations.csv").read_text(encoding="utf-8").splitlines(keepends=True)
                    if "zielinski" not in l), encoding="utf-8")

    load_all(store, _copy_bundle(tmp_path, silence_zielinski))
    single = catalog.run(store, "review-single-study", {"review": RID})
    assert [(r["finding"], r["study"]) for r in single] == [  # the second lost its prison-survey themes here
        ("Surface engagement and private dissent", "mandatory-therapy"),
        ("Trust is built against the fear of disclosure", "mandatory-therapy")]
    silent = catalog.run(store, "review-silent-studies", {"review": RID})
    assert [(r["study"], r["relevance"]) for r in silent] == [("zielinski-2021-share", "partial")]
    against = catalog.run(store, "review-contradictions", {"review": RID})
    assert sorted((r["kind"], r["evidence"]) for r in against if r["kind"] == "disconfirms") == [
        ("disconfirms", "E07 (PD)"),
        ("disconfirms", "Some therapist characteristics and activities attenuate the double role's harm to the alliance")]
    assert {r["detail"] for r in against if r["kind"] == "challenges"} >= {"Bordin (1979)", "Goals"}
    matrix = {(r["finding"], r["study"]): r for r in catalog.run(store, "review-matrix", {"review": RID})}
    cell = matrix[("The dual role strains the alliance", "mandatory-therapy")]
    assert (cell["themes"], cell["findings"], cell["extracts"], cell["disconfirming"]) == (2, 1, 1, 0)


def test_suggestions_are_proposed_until_accepted_and_measured_against_the_hand_made_links(store):
    from themegraph.review.suggest import measure, suggestion_batch, suggestions

    load_all(store)
    found = suggestions(store, RID, "lexical", 3)
    assert [s.kind for s in found[:3]] == ["translates"] * 3 and len(found) == 3 + 6 * 3
    with open(REVIEW / "translations.csv", encoding="utf-8") as fh:
        accepted = {frozenset(((r["study_a"], r["theme_a"]), (r["study_b"], r["theme_b"]))) for r in csv.DictReader(fh)}
    new = [frozenset(((s.source.study, s.source.label), (s.target.study, s.target.label))) for s in found[:3]]
    assert not set(new) & accepted  # already accepted pairs are not proposed again
    store.apply(suggestion_batch(RID, found))
    proposed = store.query("MATCH (:Theme)-[t:TRANSLATES]->(:Theme) WHERE t.status = 'proposed' RETURN count(t) AS n")
    assert proposed == [{"n": 3}]
    evidence = {f.id.rpartition("/")[2]: f for f in read_evidence(store, RID).findings}
    assert evidence["surface-engagement"].proposed == 3 and len(evidence["surface-engagement"].extracts) == 2
    scores = measure(store, RID, "lexical")  # proposals do not count as the reviewer's links
    # the counts follow from the files: 14 rows in translations.csv, 6 findings in review.yaml (each with accepted
    # links to themes or study findings); the scores are the measurement docs/review-bundle.md reports
    assert scores == {"method": "lexical", "translations": 14, "translates_p_at_5": 1.0, "translates_r_at_10": 0.429,
                      "findings_measured": 6, "synthesises_p_at_5": 0.6, "synthesises_r_at_10": 0.82}


def test_synthesis_map_shows_findings_what_they_draw_on_and_studies(store):
    from themegraph.maps import build_map
    from themegraph.maps.html import render

    load_all(store)
    data = build_map(store, "synthesis")
    with open(REVIEW / "synthesis.csv", encoding="utf-8") as fh:
        targets = {(r["study"], r["kind"], r["target"]) for r in csv.DictReader(fh)}
    kinds = Counter(n.kind for n in data.nodes)
    assert kinds["ReviewFinding"] == 6 and kinds["Study"] == 4
    assert kinds["Theme"] + kinds["Finding"] + kinds["Extract"] == len(targets)
    transparency = next(n for n in data.nodes if n.kind == "Theme" and n.label == "Transparency")
    quotes = [text for role, text in transparency.tip if role == "q"]
    # three of E20-E23, different speakers first (PE, PB, PJ), as every map's theme panel shows them
    assert len(quotes) == 3 and quotes[0].startswith("“part of making things so explicit")
    dashed = [e for e in data.edges if e.kind == "SYNTHESISES" and e.dashed]
    assert len(dashed) == 2  # the two disconfirming links
    assert "<script>" not in render(data).split("</script>", 2)[1]
    assert build_map(store, "synthesis", study="mandatory-therapy").nodes


def test_cli_loads_a_review_and_writes_every_report_format(store_args, store_factory, tmp_path):
    import json
    import subprocess
    import sys

    from docx import Document

    with store_factory() as s:
        for study in STUDIES:
            s.apply(read_study(EXAMPLES / study))

    def tg(*args):
        return subprocess.run([sys.executable, "-m", "themegraph", *store_args, *args], capture_output=True, check=False,
                              text=True, timeout=300)

    missing = tg("load", "review", str(tmp_path))
    assert missing.returncode == 1 and missing.stderr.startswith("Error: ") and "Traceback" not in missing.stderr
    dry = tg("load", "review", str(REVIEW), "--dry-run")
    assert dry.returncode == 0 and "nothing written (--dry-run)" in dry.stderr, dry.stderr
    loaded = tg("load", "review", str(REVIEW))
    assert loaded.returncode == 0 and "24 Assessment" in loaded.stderr, loaded.stderr
    soqf = json.loads(tg("review", "soqf", "--review", RID, "-f", "json").stdout)
    assert {"finding", "studies", "participants", "extracts", "confidence", "methodological_limitations",
            "coherence", "adequacy", "relevance"} <= set(soqf[0])
    assert [r["extracts"] for r in soqf] == [v[1] for v in HAND_COUNTS.values()]
    assert tg("review", "soqf", "--review", RID, "-f", "csv").stdout.splitlines()[0].startswith("id,finding,studies")
    docx_path = tmp_path / "soqf.docx"
    assert tg("review", "soqf", "--review", RID, "-f", "docx", "--out", str(docx_path)).returncode == 0
    table = Document(str(docx_path)).tables[0]
    assert len(table.rows) == 7 and table.rows[0].cells[0].text == "Summary of review finding"
    assert table.rows[6].cells[2].text == "low (rules propose low)"
    no_out = tg("review", "profile", "--review", RID, "-f", "docx")
    assert no_out.returncode == 1 and "--out" in no_out.stderr
    profile = tg("review", "profile", "--review", RID, "-f", "markdown").stdout
    assert len(profile.splitlines()) == 2 + 24  # header, rule, one row per finding and component
    page = tmp_path / "synthesis.html"
    assert tg("review", "map", "--review", RID, "--out", str(page)).returncode == 0
    assert "Synthesis map: The therapeutic alliance when therapy is mandated" in page.read_text(encoding="utf-8")
    saved = tg("review", "suggest", "--review", RID, "--top", "2", "--save", "-f", "json")
    assert saved.returncode == 0 and "suggest:alliance-mandated: wrote 12 SYNTHESISES" in saved.stderr, saved.stderr
    assert [r["kind"] for r in json.loads(saved.stdout)] == ["translates"] * 2 + ["synthesises"] * 12
    unknown = tg("review", "soqf", "--review", "nope")
    assert unknown.returncode == 1 and "known reviews: alliance-mandated" in unknown.stderr
