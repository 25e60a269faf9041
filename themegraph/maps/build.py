"""``build_map``: read a map of one kind from a store, filter it and lay it out."""

from __future__ import annotations

from . import citations, participants, themes, theory
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


def build_map(
    store, kind: str, *, study: str | None = None, theme: str | None = None, stance: str | None = None
) -> MapData:
    """The map ``kind`` (themes, theory, citations, participants) of ``study`` (or of everything).

    ``theme`` (an id or a name) and ``stance`` restrict it as the page's filters would; an
    unknown kind, study, theme or stance is a ValueError that names the valid ones.
    """
    if kind not in BUILDERS:
        raise ValueError(f"unknown map {kind!r}; choose one of {', '.join(KINDS)}")
    heading = _study_title(store, study) if study else None
    data = BUILDERS[kind](store, study)
    if heading:
        data.title = f"{data.title} — {heading}"
    if theme or stance:
        restrict(data, theme, stance)
    return place(data)


def _study_title(store, study: str) -> str:
    rows = store.query("MATCH (s:Study) WHERE s.id = $study RETURN s.title AS title, s.name AS name", {"study": study})
    if not rows:
        known = sorted(r["id"] for r in store.query("MATCH (s:Study) RETURN s.id AS id"))
        raise ValueError(f"no study {study!r}; known studies: {', '.join(known) or 'none loaded'}")
    return rows[0]["title"] or rows[0]["name"] or study
