"""Each review finding's evidence, computed from the graph rather than typed into the review.

What a finding draws on is what its accepted SYNTHESISES links point at: study themes, findings
and extracts.  From those links and the studies' own graph this module counts, per finding:

- ``studies``: the studies its supporting links point into (a link to a theme, finding or extract
  of a study makes that study contribute);
- ``extracts``: the distinct extracts it rests on: those it links to directly, and those that
  illustrate a theme it links to or one of that theme's subthemes;
- ``participants``: the distinct participants who spoke those extracts (anonymous quotes add none);
- ``spread``: the share of those extracts that comes from the study contributing most of them
  (1.0 = every quote from one study); None without extracts;
- ``disconfirming``: the links the reviewer marked ``disconfirms`` (contrary data);
- ``challenges``: CHALLENGES links of the study findings it draws on (where the contributing
  findings contest a theory or work; shown to the reviewer, not counted as incoherence);
- per study, the number of supporting links (its weight in the rules of ``cerqual``), its
  relevance rating and its appraisal answers.

Only ``accepted`` links count; ``proposed`` ones (from ``review suggest``) are counted apart.
The queries are flat (one label per pattern, every value a parameter, no ORDER BY), so they run
unchanged on both stores; joining and sorting happen here.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from ..errors import ThemeGraphError
from ..maps.cypher import source_order
from .terms import review_id

_FROM_FINDINGS = "MATCH (r:Review)-[:HAS_FINDING]->(f:ReviewFinding)"
_WHERE = " WHERE r.id = $review"


@dataclass
class FindingEvidence:
    """One review finding with the evidence the graph holds for it."""

    id: str
    name: str
    statement: str
    confidence: str | None
    explanation: str | None
    links: Counter = field(default_factory=Counter)  # study -> supporting accepted links
    extracts: dict[str, str] = field(default_factory=dict)  # extract id -> study
    participants: set[str] = field(default_factory=set)
    disconfirming: list[dict] = field(default_factory=list)
    challenges: list[dict] = field(default_factory=list)
    proposed: int = 0
    assessments: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # component -> (concern, why)

    @property
    def studies(self) -> list[str]:
        return sorted(self.links)

    @property
    def spread(self) -> float | None:
        """Share of the finding's extracts from the study that contributes most of them."""
        if not self.extracts:
            return None
        return round(max(Counter(self.extracts.values()).values()) / len(self.extracts), 2)

    @property
    def largest_study(self) -> str | None:
        if not self.extracts:
            return None
        counts = Counter(self.extracts.values())
        return min(counts, key=lambda s: (-counts[s], s))


@dataclass
class ReviewEvidence:
    """A review as the graph holds it: its included studies, appraisal and findings' evidence."""

    id: str
    title: str
    question: str | None
    method: str | None
    relevance: dict[str, str | None]  # study -> direct/partial/indirect
    titles: dict[str, str]  # study -> title
    appraisal: dict[str, list[dict]]  # study -> answers in question order
    findings: list[FindingEvidence]

    def answers(self, study: str) -> Counter:
        return Counter(a["answer"] for a in self.appraisal.get(study, []))


def known_reviews(store) -> list[str]:
    return sorted(r["id"].removeprefix("review/") for r in store.query("MATCH (r:Review) RETURN r.id AS id"))


def read_evidence(store, review: str) -> ReviewEvidence:
    """The evidence of every finding of ``review`` (a review's bare id, as in review.yaml)."""
    params = {"review": review_id(review)}
    head = store.query("MATCH (r:Review)" + _WHERE + " RETURN r.title AS title, r.name AS name, "
                       "r.question AS question, r.method AS method", params)
    if not head:
        known = known_reviews(store)
        raise ThemeGraphError(f"no review {review!r}; known reviews: {', '.join(known) or 'none loaded'}")
    relevance, titles = {}, {}
    for row in store.query("MATCH (r:Review)-[i:INCLUDES]->(s:Study)" + _WHERE +
                           " RETURN s.id AS study, s.name AS title, i.relevance AS relevance", params):
        relevance[row["study"]] = row["relevance"]
        titles[row["study"]] = row["title"] or row["study"]
    findings = _findings(store, params)
    evidence = ReviewEvidence(review, head[0]["title"] or head[0]["name"] or review, head[0]["question"],
                              head[0]["method"], relevance, titles, _appraisal(store, params),
                              list(findings.values()))
    _add_links(store, params, findings)
    return evidence


def _findings(store, params: dict) -> dict[str, FindingEvidence]:
    rows = store.query(_FROM_FINDINGS + _WHERE + " RETURN f.id AS id, f.name AS name, f.statement AS statement, "
                       "f.confidence AS confidence, f.explanation AS explanation, f.origin AS origin", params)
    findings = {r["id"]: FindingEvidence(r["id"], r["name"] or r["id"], r["statement"] or "", r["confidence"],
                                         r["explanation"]) for r in sorted(rows, key=source_order)}
    for row in store.query(_FROM_FINDINGS + "-[:HAS_ASSESSMENT]->(a:Assessment)" + _WHERE +
                           " RETURN f.id AS finding, a.component AS component, a.concern AS concern, "
                           "a.explanation AS explanation", params):
        findings[row["finding"]].assessments[row["component"]] = (row["concern"], row["explanation"])
    return findings


def _appraisal(store, params: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    rows = store.query("MATCH (r:Review)-[:HAS_APPRAISAL]->(a:Appraisal)" + _WHERE +
                       " RETURN a.study AS study, a.question_no AS question_no, a.question AS question, "
                       "a.answer AS answer, a.comment AS comment, a.checklist AS checklist", params)
    for row in sorted(rows, key=lambda r: (r["study"], r["question_no"])):
        out[row["study"]].append(row)
    return dict(out)


def _add_links(store, params: dict, findings: dict[str, FindingEvidence]) -> None:
    links = store.query(_FROM_FINDINGS + "-[s:SYNTHESISES]->(x)" + _WHERE +
                        " RETURN f.id AS finding, x.kind AS kind, x.id AS id, x.study AS study, x.name AS name, "
                        "s.stance AS stance, s.status AS status", params)
    for link in sorted(links, key=lambda r: (r["finding"], r["kind"], r["id"])):
        finding = findings[link["finding"]]
        if link["status"] != "accepted":
            finding.proposed += 1
        elif link["stance"] == "disconfirms":
            finding.disconfirming.append({k: link[k] for k in ("kind", "id", "study", "name")})
        else:
            finding.links[link["study"]] += 1
            if link["kind"] == "Extract":
                finding.extracts[link["id"]] = link["study"]
    for path in ("(t:Theme)<-[:ILLUSTRATES]-(e:Extract)", "(t:Theme)<-[:SUBTHEME_OF]-(:Theme)<-[:ILLUSTRATES]-(e:Extract)"):
        for row in store.query(_FROM_FINDINGS + "-[s:SYNTHESISES]->" + path + _WHERE +
                               " AND s.status = 'accepted' AND s.stance = 'supports'"
                               " RETURN f.id AS finding, e.id AS extract, e.study AS study", params):
            findings[row["finding"]].extracts[row["extract"]] = row["study"]
    speakers = defaultdict(set)
    for row in store.query("MATCH (r:Review)-[:INCLUDES]->(:Study)<-[:IN_STUDY]-(e:Extract)-[:SPOKEN_BY]->(p:Participant)"
                           + _WHERE + " RETURN e.id AS extract, p.id AS participant", params):
        speakers[row["extract"]].add(row["participant"])
    for finding in findings.values():
        finding.participants = set().union(*(speakers[e] for e in finding.extracts)) if finding.extracts else set()
    rows = store.query(_FROM_FINDINGS + "-[s:SYNTHESISES]->(x:Finding)-[c:CHALLENGES]->(t)" + _WHERE +
                       " AND s.status = 'accepted' RETURN f.id AS finding, x.study AS study, x.name AS study_finding, "
                       "t.name AS target, c.evidence AS evidence", params)
    for row in sorted(rows, key=lambda r: (r["finding"], r["study"], r["study_finding"], r["target"])):
        findings[row["finding"]].challenges.append({k: row[k] for k in ("study", "study_finding", "target", "evidence")})
