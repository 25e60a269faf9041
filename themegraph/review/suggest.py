"""Suggested correspondences for a review, ranked by how similar their texts are.

Two kinds are proposed: TRANSLATES links between themes of different included studies (the
"translation" step of meta-ethnography), and SYNTHESISES links from each review finding to the
themes and findings of the included studies it might draw on.  Themes are translated by their
names, the concepts a translation compares (on the worked example names alone ranked the
hand-made translations far better than names with descriptions and quotes: docs/review-bundle.md).
For SYNTHESISES a review finding's title and statement are compared with a theme's name,
description, title quote and extracts, and with a study finding's title and statement.

``lexical`` ranks by TF-IDF cosine similarity over word stems (no dependency);
``semantic`` by the cosine of sentence embeddings from the MiniLM model that the optional extra
``themegraph[semantic]`` installs (see ``embedding``).  Nothing is accepted automatically:
``--save`` stores suggestions with ``status: proposed`` under the source ``suggest:<review>``, and
the reviewer accepts one by copying its row into the bundle's translations.csv or synthesis.csv.
``measure`` scores a ranking against the links the reviewer accepted (precision at 5, recall at 10).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from ..graph.batch import Batch
from ..graph.ids import fold
from .terms import review_id, short_id

SUGGEST_COLUMNS = ["kind", "finding", "study_a", "theme_a", "study", "target_kind", "target", "score", "method"]

_WORD = re.compile(r"[a-z]+")
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been being between both
    but by can could did do does doing down during each even few for from further had has have having he her
    here hers him his how i if in into is it its itself just me more most my no nor not of off on once only or
    other our ours out over own same she should so some such than that the their theirs them then there these
    they this those through to too under until up very was we were what when where which while who whom why
    will with would you your yours one ones us get got really like""".split()
)
_SUFFIXES = ("ations", "ation", "ments", "ment", "ness", "ings", "ing", "ies", "ied", "ed", "es", "ly", "s")


def stems(text: str) -> list[str]:
    """Lower-cased words without stopwords, each cut to a crude stem (enough to match 'trust'/'trusting')."""
    out = []
    for word in _WORD.findall(fold(text).replace("'", "").replace("’", "")):
        if word in STOPWORDS or len(word) < 3:
            continue
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                word = word[: -len(suffix)]
                break
        out.append(word)
    return out


def tfidf_vectors(texts: dict[str, str]) -> dict[str, dict[str, float]]:
    """A unit-length TF-IDF vector per text (smoothed idf over these texts)."""
    counts = {k: Counter(stems(t)) for k, t in texts.items()}
    df = Counter(w for c in counts.values() for w in c)
    n = len(counts)
    vectors = {}
    for key, c in counts.items():
        v = {w: (1 + math.log(f)) * (math.log((1 + n) / (1 + df[w])) + 1) for w, f in c.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vectors[key] = {w: x / norm for w, x in v.items()}
    return vectors


def lexical_similarity(texts: dict[str, str]):
    vectors = tfidf_vectors(texts)

    def sim(a: str, b: str) -> float:
        va, vb = vectors[a], vectors[b]
        if len(va) > len(vb):
            va, vb = vb, va
        return sum(x * vb.get(w, 0.0) for w, x in va.items())

    return sim


def semantic_similarity(texts: dict[str, str]):
    from .embedding import encode

    keys = list(texts)
    matrix = encode([texts[k] for k in keys])
    index = {k: i for i, k in enumerate(keys)}
    return lambda a, b: float(matrix[index[a]] @ matrix[index[b]])


@dataclass(frozen=True)
class Item:
    """A node that can be suggested: its id, kind, study (None for a review finding) and label."""

    id: str
    kind: str
    study: str | None
    label: str


@dataclass
class Corpus:
    """The review's findings and its included studies' themes and findings, with their texts."""

    findings: list[Item]
    targets: list[Item]  # themes and study findings
    texts: dict[str, str]
    labels: dict[str, str]  # theme id -> name
    translated: set[frozenset]  # theme pairs already linked (any status)
    synthesised: set[tuple[str, str]]  # (review finding, target) already linked
    accepted_pairs: set[frozenset]
    accepted_links: set[tuple[str, str]]

    @classmethod
    def read(cls, store, review: str) -> Corpus:
        params = {"review": review_id(review)}
        from .evidence import (
            read_evidence,  # raises a clear error for an unknown review
        )

        read_evidence(store, review)
        findings = store.query("MATCH (r:Review)-[:HAS_FINDING]->(f:ReviewFinding) WHERE r.id = $review "
                               "RETURN f.id AS id, f.name AS name, f.statement AS text", params)
        themes = store.query("MATCH (r:Review)-[:INCLUDES]->(:Study)<-[:IN_STUDY]-(t:Theme) WHERE r.id = $review "
                             "RETURN t.id AS id, t.study AS study, t.name AS name, t.description AS description, "
                             "t.title_quote AS quote", params)
        quotes = Counter()
        extra: dict[str, list[str]] = {}
        for row in store.query("MATCH (r:Review)-[:INCLUDES]->(:Study)<-[:IN_STUDY]-(t:Theme)<-[:ILLUSTRATES]-(e:Extract) "
                               "WHERE r.id = $review RETURN t.id AS theme, e.id AS extract, e.text AS text", params):
            extra.setdefault(row["theme"], []).append(row["text"] or "")
            quotes[row["theme"]] += 1
        study_findings = store.query("MATCH (r:Review)-[:INCLUDES]->(:Study)<-[:IN_STUDY]-(f:Finding) WHERE r.id = $review "
                                     "RETURN f.id AS id, f.study AS study, f.name AS name, f.statement AS text", params)
        texts = {}
        items = [Item(f["id"], "ReviewFinding", None, short_id(f["id"])) for f in sorted(findings, key=lambda r: r["id"])]
        for f in findings:
            texts[f["id"]] = f"{f['name']}. {f['text'] or ''}"
        targets = []
        for t in sorted(themes, key=lambda r: r["id"]):
            targets.append(Item(t["id"], "Theme", t["study"], t["name"]))
            texts[t["id"]] = " ".join([t["name"], t["name"], t["description"] or "", t["quote"] or "",
                                       *sorted(extra.get(t["id"], []))])
        for f in sorted(study_findings, key=lambda r: r["id"]):
            targets.append(Item(f["id"], "Finding", f["study"], short_id(f["id"])))
            texts[f["id"]] = f"{f['name']}. {f['text'] or ''}"
        links = store.query("MATCH (r:Review)-[:HAS_FINDING]->(f:ReviewFinding)-[s:SYNTHESISES]->(x) WHERE r.id = $review "
                            "RETURN f.id AS f, x.id AS x, s.status AS status", params)
        pairs = store.query("MATCH (r:Review)-[:INCLUDES]->(:Study)<-[:IN_STUDY]-(a:Theme)-[l:TRANSLATES]->(b:Theme) "
                            "WHERE r.id = $review AND l.review = $bare RETURN a.id AS a, b.id AS b, l.status AS status",
                            {**params, "bare": review})
        labels = {t["id"]: t["name"] for t in themes}
        return cls(items, targets, texts, labels,
                   {frozenset((p["a"], p["b"])) for p in pairs}, {(l["f"], l["x"]) for l in links},
                   {frozenset((p["a"], p["b"])) for p in pairs if p["status"] == "accepted"},
                   {(l["f"], l["x"]) for l in links if l["status"] == "accepted"})


@dataclass(frozen=True)
class Suggestion:
    kind: str  # translates or synthesises
    source: Item
    target: Item
    score: float
    method: str

    def row(self) -> dict:
        theme_a = self.source.label if self.kind == "translates" else None
        return {
            "kind": self.kind,
            "finding": self.source.label if self.kind == "synthesises" else None,
            "study_a": self.source.study, "theme_a": theme_a,
            "study": self.target.study, "target_kind": self.target.kind.lower(), "target": self.target.label,
            "score": round(self.score, 3), "method": self.method,
        }


def rank(corpus: Corpus, method: str, *, keep_linked: bool = False) -> tuple[list[Suggestion], dict[str, list[Suggestion]]]:
    """Every cross-study theme pair, and every target per review finding, best first.

    Pairs and links already in the graph (accepted or proposed) are left out unless ``keep_linked``
    (``measure`` keeps them, to score the ranking against them)."""
    similarity = semantic_similarity if method == "semantic" else lexical_similarity
    by_name, sim = similarity(corpus.labels), similarity(corpus.texts)
    themes = [t for t in corpus.targets if t.kind == "Theme"]
    pairs = []
    for i, a in enumerate(themes):
        for b in themes[i + 1:]:
            if a.study != b.study and (keep_linked or frozenset((a.id, b.id)) not in corpus.translated):
                pairs.append(Suggestion("translates", a, b, by_name(a.id, b.id), method))
    pairs.sort(key=lambda s: (-s.score, s.source.id, s.target.id))
    per_finding = {}
    for f in corpus.findings:
        options = [Suggestion("synthesises", f, t, sim(f.id, t.id), method) for t in corpus.targets
                   if keep_linked or (f.id, t.id) not in corpus.synthesised]
        per_finding[f.id] = sorted(options, key=lambda s: (-s.score, s.target.id))
    return pairs, per_finding


def suggestions(store, review: str, method: str = "lexical", top: int = 10) -> list[Suggestion]:
    """The ``top`` best new TRANSLATES pairs, then the ``top`` best new links of each review finding."""
    pairs, per_finding = rank(Corpus.read(store, review), method)
    return pairs[:top] + [s for f in per_finding.values() for s in f[:top]]


def suggestion_batch(review: str, found: list[Suggestion]) -> Batch:
    """Suggestions as proposed links under the source ``suggest:<review>`` (re-saving replaces them)."""
    batch = Batch(f"suggest:{review}", loader="suggest")
    for s in found:
        origin = f"review suggest --method {s.method}"
        if s.kind == "translates":
            batch.rel("TRANSLATES", ("Theme", s.source.id), ("Theme", s.target.id), origin=origin, status="proposed",
                      score=round(s.score, 4), review=review)
        else:
            batch.rel("SYNTHESISES", ("ReviewFinding", s.source.id), (s.target.kind, s.target.id), origin=origin,
                      status="proposed", score=round(s.score, 4), stance="supports")
    return batch


def measure(store, review: str, method: str = "lexical") -> dict:
    """How well the ranking finds the links the reviewer accepted: precision at 5 and recall at 10
    of the TRANSLATES pairs, and the same averaged over the review findings' SYNTHESISES links
    (to themes and study findings; findings with no such accepted link are left out)."""
    corpus = Corpus.read(store, review)
    pairs, per_finding = rank(corpus, method, keep_linked=True)
    hits = [frozenset((s.source.id, s.target.id)) in corpus.accepted_pairs for s in pairs]
    out = {"method": method, "translations": len(corpus.accepted_pairs),
           "translates_p_at_5": _precision(hits, 5), "translates_r_at_10": _recall(hits, 10, len(corpus.accepted_pairs))}
    scores = []
    for f, ranked in per_finding.items():
        gold = {x for g, x in corpus.accepted_links if g == f and x in {t.id for t in corpus.targets}}
        if gold:
            found = [s.target.id in gold for s in ranked]
            scores.append((_precision(found, 5), _recall(found, 10, len(gold))))
    out["findings_measured"] = len(scores)
    out["synthesises_p_at_5"] = round(sum(p for p, _ in scores) / len(scores), 3) if scores else None
    out["synthesises_r_at_10"] = round(sum(r for _, r in scores) / len(scores), 3) if scores else None
    return out


def _precision(hits: list[bool], k: int) -> float:
    return round(sum(hits[:k]) / k, 3)


def _recall(hits: list[bool], k: int, total: int) -> float | None:
    return round(sum(hits[:k]) / total, 3) if total else None
