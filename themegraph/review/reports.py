"""The review's two standard tables, as rows: the Summary of Qualitative Findings (SoQF) and the
GRADE-CERQual Evidence Profile.

The SoQF has one row per review finding: the finding, the studies contributing to it, the counts
the graph gives (participants, extracts), the reviewer's confidence with its explanation, the
reviewer's concern for each component and, beside them, what the rules of ``cerqual`` propose.
The Evidence Profile has one row per finding and component: the reviewer's concern and
explanation, the proposed concern and the evidence it was proposed from.
"""

from __future__ import annotations

from . import cerqual
from .evidence import ReviewEvidence
from .terms import COMPONENTS, field_name, short_id

NOT_ASSESSED = "not assessed"

SOQF_COLUMNS = [
    "id", "finding", "studies", "participants", "extracts", "spread", "disconfirming", "confidence",
    "proposed_confidence", "explanation", *(field_name(c) for c in COMPONENTS),
]
PROFILE_COLUMNS = ["id", "finding", "component", "concern", "proposed", "explanation", "evidence"]


def soqf_rows(review: ReviewEvidence) -> list[dict]:
    rows = []
    for f in review.findings:
        proposals = cerqual.propose(f, review)
        row = {
            "id": short_id(f.id),
            "finding": f.statement,
            "studies": f.studies,
            "participants": len(f.participants),
            "extracts": len(f.extracts),
            "spread": f.spread,
            "disconfirming": len(f.disconfirming),
            "confidence": f.confidence or NOT_ASSESSED,
            "proposed_confidence": cerqual.overall({c: p.concern for c, p in proposals.items()}),
            "explanation": f.explanation,
        }
        for component in COMPONENTS:
            row[field_name(component)] = f.assessments.get(component, (NOT_ASSESSED, None))[0]
        rows.append(row)
    return rows


def profile_rows(review: ReviewEvidence) -> list[dict]:
    rows = []
    for f in review.findings:
        proposals = cerqual.propose(f, review)
        for component in COMPONENTS:
            concern, why = f.assessments.get(component, (NOT_ASSESSED, None))
            rows.append({
                "id": short_id(f.id),
                "finding": f.name,
                "component": component,
                "concern": concern,
                "proposed": proposals[component].concern,
                "explanation": why,
                "evidence": proposals[component].reason,
            })
    return rows


def soqf_table(review: ReviewEvidence) -> tuple[list[str], list[list[str]]]:
    """The SoQF as printed in a report: the four columns CERQual's template has."""
    header = ["Summary of review finding", "Studies contributing to the review finding",
              "CERQual assessment of confidence", "Explanation of CERQual assessment"]
    body = []
    for row, f in zip(soqf_rows(review), review.findings):
        studies = "; ".join(review.titles.get(s, s) for s in f.studies)
        counts = f"{len(f.studies)} studies, {row['participants']} participants quoted, {row['extracts']} extracts"
        confidence = f"{row['confidence']} (rules propose {row['proposed_confidence']})"
        body.append([f"{f.name}. {f.statement}", f"{studies} ({counts})", confidence, row["explanation"] or ""])
    return header, body


def profile_table(review: ReviewEvidence) -> tuple[list[str], list[list[str]]]:
    header = ["Review finding", "Component", "Concern (reviewer)", "Proposed", "Explanation", "Evidence"]
    body = [[r["finding"], r["component"], r["concern"], r["proposed"], r["explanation"] or "", r["evidence"]]
            for r in profile_rows(review)]
    return header, body
