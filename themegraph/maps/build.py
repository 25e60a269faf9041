"""``build_map``: read a map of one kind from a store, filter it and lay it out."""

from __future__ import annotations

from . import citations, participants, synthesis, themes, theory
from .filters import restrict
from .layout import place
from .model import MapData

BUILDERS = {
    "themes": themes.build,
    "theory": theory.build,
    "citations": citations.build,
    "participants": participants.build,
}
KINDS = tuple(BUILDERS)
#: Maps across the studies of a review (``themegraph review map``); not part of a study's maps.
REVIEW_BUILDERS = {"synthesis": synthesis.build}


def build_map(
    store, kind: str, *, study: str | None = None, theme: str | None = None, stance: str | None = None
) -> MapData:
    """The map ``kind`` (themes, theory, citations, participants) of ``study`` (or of everything).

    ``theme`` (an id or a name) and ``stance`` restrict it as the page's filters would; an
    unknown kind, study, theme or stance is a ValueError that names the valid ones.
    """
    builder = BUILDERS.get(kind) or REVIEW_BUILDERS.get(kind)
    if builder is None:
        raise ValueError(f"unknown map {kind!r}; choose one of {', '.join((*KINDS, *REVIEW_BUILDERS))}")
    heading = _study_title(store, study) if study else None
    data = builder(store, study)
    if heading:
        data.title = f"{data.title} — {heading}"
    if theme or stance:
        restrict(data, theme, stance)
    return place(data)


#: What each map draws, as (what it is called, a query counting it in ``$study`` or everywhere):
#: an empty map names the first of these the knowledge base lacks.
NEEDS = {
    "themes": [("themes or codes", "MATCH (n:Theme) {where} RETURN count(n) AS n UNION ALL MATCH (n:Code) {where} RETURN count(n) AS n")],
    "theory": [("findings", "MATCH (n:Finding) {where} RETURN count(n) AS n")],
    "citations": [("citations (CITES: load the study's paper with `themegraph load paper`)",
                   "MATCH (s:Study)-[c:CITES]->(:Work) {where_study} RETURN count(c) AS n")],
    "participants": [
        ("participants", "MATCH (n:Participant) {where} RETURN count(n) AS n"),
        ("extracts with a speaker (SPOKEN_BY)", "MATCH (n:Extract)-[r:SPOKEN_BY]->(:Participant) {where} RETURN count(r) AS n"),
        ("extracts that illustrate a theme or carry a code",
         "MATCH (n:Extract)-[r:ILLUSTRATES]->(:Theme) {where} RETURN count(r) AS n "
         "UNION ALL MATCH (n:Extract)-[r:CODED_AS]->(:Code) {where} RETURN count(r) AS n"),
    ],
}


def why_empty(store, kind: str, study: str | None) -> str:
    """Why the ``kind`` map (of ``study``) has nothing to draw, in one sentence."""
    where, params = ("WHERE n.study = $study", {"study": study}) if study else ("", {})
    where_study = "WHERE s.id = $study" if study else ""
    scope = f"study {study!r}" if study else "the knowledge base"
    for what, cypher in NEEDS.get(kind, []):
        rows = store.query(cypher.format(where=where, where_study=where_study), params)
        if not sum(r["n"] for r in rows):
            return f"the {kind} map is empty: {scope} has no {what}"
    return f"the {kind} map is empty: nothing in {scope} passes its filters"


def _study_title(store, study: str) -> str:
    rows = store.query("MATCH (s:Study) WHERE s.id = $study RETURN s.title AS title, s.name AS name", {"study": study})
    if not rows:
        known = sorted(r["id"] for r in store.query("MATCH (s:Study) RETURN s.id AS id"))
        raise ValueError(f"no study {study!r}; known studies: {', '.join(known) or 'none loaded'}")
    return rows[0]["title"] or rows[0]["name"] or study
