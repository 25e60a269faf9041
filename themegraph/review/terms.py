"""The fixed vocabularies of a review: GRADE-CERQual components, concerns and confidence levels,
synthesis methods, relevance ratings and appraisal answers, and the ids review nodes get.

Kept in one place so the bundle reader validates against the same words the rules and reports use.
"""

from __future__ import annotations

from ..graph.ids import slug

METHODS = ("thematic-synthesis", "meta-ethnography", "framework")

#: GRADE-CERQual's four components, in the order the Evidence Profile shows them.
COMPONENTS = ("methodological-limitations", "coherence", "adequacy", "relevance")
#: Concerns about a component, from none to serious (an index is a severity).
CONCERNS = ("none", "minor", "moderate", "serious")
#: Confidence in a review finding, from high to very low (an index is a downgrade count).
CONFIDENCE = ("high", "moderate", "low", "very low")

RELEVANCE = ("direct", "partial", "indirect")
STANCES = ("supports", "disconfirms")
STATUSES = ("accepted", "proposed")
RELATIONS = ("reciprocal", "refutational", "line-of-argument")
ANSWERS = ("yes", "no", "can't tell")
TARGET_KINDS = {"theme": "Theme", "finding": "Finding", "extract": "Extract"}


def review_id(review: str) -> str:
    return f"review/{review}"


def finding_id(review: str, finding: str) -> str:
    return f"review/{review}/finding/{slug(finding)}"


def assessment_id(review: str, finding: str, component: str) -> str:
    return f"{finding_id(review, finding)}/{component}"


def appraisal_id(review: str, study: str, number: int) -> str:
    return f"review/{review}/appraisal/{study}/{number}"


def short_id(node_id: str) -> str:
    """``review/r/finding/x`` -> ``x``: the id the review bundle gave a finding."""
    return node_id.rpartition("/")[2]


def field_name(component: str) -> str:
    """A component as a JSON/CSV field name: ``methodological-limitations`` -> ``methodological_limitations``."""
    return component.replace("-", "_")


def normalise(value: str | None) -> str:
    """Lower-case with runs of whitespace collapsed and typographic apostrophes made plain."""
    return " ".join((value or "").replace("’", "'").split()).lower()
