"""The synthesis map: a review's findings, the study themes, findings and quotes they draw on,
and the studies those come from (review finding -> theme/finding/extract -> study).

Each node's panel carries its evidence: a review finding shows its statement, the reviewer's
confidence and the counts the graph gives; a theme shows its quotes (as the themes map does); an
extract shows the quote itself; a study shows its relevance rating and appraisal answers.
Disconfirming links are dashed and drawn in the 'challenges' colour; proposed (not yet
accepted) links are dashed grey.
"""

from __future__ import annotations

from collections import Counter

from ..review.terms import review_id, short_id
from .model import LegendEntry, MapData, MapEdge, MapNode
from .palette import EDGE, NEUTRAL, STANCE_COLOURS, qualitative, size_for
from .thematic import QUOTE_CHARS, TEXT_CHARS, Thematic, clip, plural

REVIEW_COLOUR = "#3b3b3b"
_COLUMN = {"ReviewFinding": 0, "Theme": 1, "Finding": 1, "Extract": 1, "Study": 2}


def build(store, study: str | None) -> MapData:
    """Every loaded review (or those that include ``study``) in one map."""
    from ..review.evidence import (
        known_reviews,  # not at import: review reads maps' helpers
    )

    reviews = known_reviews(store)
    if study:
        including = {r["id"].removeprefix("review/") for r in store.query(
            "MATCH (r:Review)-[:INCLUDES]->(s:Study) WHERE s.id = $study RETURN r.id AS id", {"study": study})}
        reviews = [r for r in reviews if r in including]
    if not reviews:
        return MapData(kind="synthesis", title="Synthesis map", layout="layered",
                       subtitle="no review loaded" + (f" includes study {study}" if study else ""))
    data = build_review(store, reviews[0])
    for review in reviews[1:]:
        more = build_review(store, review)
        seen = {n.id for n in data.nodes}
        data.nodes += [n for n in more.nodes if n.id not in seen]
        data.edges += more.edges
        data.subtitle += " | " + more.subtitle
    return data


def build_review(store, review: str) -> MapData:
    """Review findings (left), what they draw on (middle), studies (right)."""
    from ..review.evidence import read_evidence

    evidence = read_evidence(store, review)
    thematic = {s: Thematic.read(store, s) for s in evidence.relevance}
    links = store.query(
        "MATCH (r:Review)-[:HAS_FINDING]->(f:ReviewFinding)-[s:SYNTHESISES]->(x) WHERE r.id = $review "
        "RETURN f.id AS finding, x.kind AS kind, x.id AS id, x.study AS study, x.name AS name, "
        "s.stance AS stance, s.status AS status, s.note AS note",
        {"review": review_id(review)},
    )
    texts = {r["id"]: r for r in store.query(
        "MATCH (r:Review)-[:INCLUDES]->(:Study)<-[:IN_STUDY]-(n:Finding) WHERE r.id = $review "
        "RETURN n.id AS id, n.statement AS text", {"review": review_id(review)})}
    data = MapData(kind="synthesis", title=f"Synthesis map: {evidence.title}", layout="layered")
    colours = {s: qualitative(i) for i, s in enumerate(sorted(evidence.relevance))}
    for f in evidence.findings:
        tip = [("h", f.name), ("p", clip(f.statement, TEXT_CHARS)),
               ("m", f"confidence: {f.confidence or 'not assessed'}"),
               ("m", " · ".join([plural(len(f.studies), "study"), plural(len(f.extracts), "extract"),
                                 plural(len(f.participants), "participant")]))]
        if f.explanation:
            tip.append(("p", clip(f.explanation, TEXT_CHARS)))
        for study in f.studies:
            tip += thematic[study].quotes([e for e, s in f.extracts.items() if s == study], 1)
        data.nodes.append(MapNode(id=f"ReviewFinding:{f.id}", label=f.name, kind="ReviewFinding", color=REVIEW_COLOUR,
                                  size=size_for(len(f.extracts), base=14, step=3.0), shape="square", font_size=16,
                                  tip=tip, column=0))
    drawn: set[str] = set()
    for link in sorted(links, key=lambda r: (r["finding"], r["kind"], r["id"])):
        node_id = f"{link['kind']}:{link['id']}"
        if node_id not in drawn:
            drawn.add(node_id)
            data.nodes.append(_target(link, thematic[link["study"]], texts, colours[link["study"]]))
        proposed = link["status"] != "accepted"
        colour = NEUTRAL if proposed else STANCE_COLOURS["challenges" if link["stance"] == "disconfirms" else "supports"]
        tip = [("h", f"{short_id(link['finding'])} {link['stance']} ({link['status']})")]
        if link["note"]:
            tip.append(("p", clip(link["note"], TEXT_CHARS)))
        data.edges.append(MapEdge(f"ReviewFinding:{link['finding']}", node_id, "SYNTHESISES", colour, width=2.0,
                                  tip=tip, dashed=proposed or link["stance"] == "disconfirms", arrow=True))
    used = Counter(link["study"] for link in links)
    for study in sorted(evidence.relevance):
        answers = evidence.answers(study)
        tip = [("h", evidence.titles[study]), ("m", f"relevance: {evidence.relevance[study] or 'not rated'}")]
        if answers:
            tip.append(("m", "appraisal: " + ", ".join(f"{n} {a}" for a, n in sorted(answers.items()))))
        tip += [("p", f"Q{a['question_no']} {a['answer']}: {clip(a['comment'], 160)}")
                for a in evidence.appraisal.get(study, []) if a["answer"] != "yes" and a["comment"]]
        data.nodes.append(MapNode(id=f"Study:{study}", label=study, kind="Study", color=colours[study],
                                  size=size_for(used[study], base=12, step=2.5), shape="diamond", tip=tip, column=2))
    for node_id in sorted(drawn):
        _, _, id_ = node_id.partition(":")
        study = next(link["study"] for link in links if link["id"] == id_)
        data.edges.append(MapEdge(node_id, f"Study:{study}", "IN_STUDY", EDGE, width=1.0))
    data.legend = [LegendEntry("Nodes", "review finding", REVIEW_COLOUR, "square"),
                   LegendEntry("Nodes", "study theme, finding (triangle) or quote (star)", NEUTRAL),
                   LegendEntry("Nodes", "study (colour per study)", NEUTRAL, "diamond"),
                   LegendEntry("Links", "supports", STANCE_COLOURS["supports"], "line"),
                   LegendEntry("Links", "disconfirms", STANCE_COLOURS["challenges"], "dashed"),
                   LegendEntry("Links", "proposed, not yet accepted", NEUTRAL, "dashed")]
    data.subtitle = " · ".join([plural(len(evidence.findings), "review finding"),
                                plural(len(evidence.relevance), "study"), plural(len(links), "link")])
    data.note = "Review finding size: number of extracts it rests on."
    return data


def _target(link: dict, thematic: Thematic, texts: dict, colour: str) -> MapNode:
    """A theme, study finding or extract that a review finding draws on, with its evidence panel."""
    kind, id_ = link["kind"], link["id"]
    if kind == "Theme" and id_ in thematic.themes:
        tip = thematic.theme_tip(id_)
        count = len(thematic.theme_extracts.get(id_, []))
        shape = "dot"
    elif kind == "Extract" and id_ in thematic.extracts:
        extract = thematic.extracts[id_]
        tip = [("h", link["name"] or id_), ("q", f"“{clip(extract.text, QUOTE_CHARS)}”")]
        if extract.speaker_name:
            tip.append(("a", f"— {extract.speaker_name}"))
        count, shape = 1, "star"
    else:
        tip = [("h", link["name"] or id_), ("m", "study finding")]
        if texts.get(id_, {}).get("text"):
            tip.append(("p", clip(texts[id_]["text"], TEXT_CHARS)))
        count, shape = 0, "triangle"
    tip.append(("m", f"study: {link['study']}"))
    return MapNode(id=f"{kind}:{id_}", label=clip(link["name"] or id_, 60), kind=kind, color=colour,
                   size=size_for(count, base=10, step=2.5), shape=shape, tip=tip, column=_COLUMN[kind])
