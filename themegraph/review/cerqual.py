"""GRADE-CERQual concerns proposed from a finding's evidence, by rules written down here.

The reviewer's judgement is what the review stores; these proposals are shown beside it so a
reader sees where the judgement departs from what the evidence alone suggests.  Each rule states
its inputs in its reason, and docs/review-bundle.md lists the thresholds.

- **Methodological limitations** weigh each contributing study by its supporting links.  A study's
  appraisal is *major* with two or more "no" answers or four or more "no"/"can't tell", *minor*
  with any, *none* without; a study never appraised counts as major.  Serious when more than half
  of the weight is major, moderate when any is, minor when any study is minor.
- **Coherence**: the share of disconfirming links among all the finding's accepted links: none at
  0, minor up to 0.2, moderate up to 0.4, serious above.
- **Adequacy**: serious with one study and at most two extracts; moderate with one study or at
  most five extracts; minor with two studies or when one study gives more than three quarters
  of the extracts; none otherwise.
- **Relevance** weighs studies as above by their rating: serious when more than half of the
  weight is indirect; moderate when any is indirect or more than half partial; minor when any is
  partial; none otherwise.
- **Overall**: start at high; each serious concern downgrades twice, each moderate once, and two
  or more minor concerns together once more.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..maps.thematic import plural
from .evidence import FindingEvidence, ReviewEvidence
from .terms import COMPONENTS, CONFIDENCE


@dataclass(frozen=True)
class Proposal:
    concern: str
    reason: str


def study_limitations(answers) -> str:
    """A study's limitation level from its appraisal answers (a Counter of yes/no/can't tell)."""
    if not sum(answers.values()):
        return "unappraised"
    no, unclear = answers["no"], answers["can't tell"]
    if no >= 2 or no + unclear >= 4:
        return "major"
    return "minor" if no + unclear else "none"


def _share(finding: FindingEvidence, chosen: set[str]) -> float:
    total = sum(finding.links.values())
    return sum(n for s, n in finding.links.items() if s in chosen) / total if total else 0.0


def methodological_limitations(finding: FindingEvidence, review: ReviewEvidence) -> Proposal:
    levels = {s: study_limitations(review.answers(s)) for s in finding.studies}
    heavy = _share(finding, {s for s, lv in levels.items() if lv in ("major", "unappraised")})
    light = _share(finding, {s for s, lv in levels.items() if lv == "minor"})
    reason = "; ".join(f"{s}: {lv}" for s, lv in sorted(levels.items())) or "no contributing study"
    reason += f" (share of links from studies with major or unknown limitations {heavy:.2f})"
    if not levels or heavy > 0.5:
        return Proposal("serious", reason)
    if heavy > 0:
        return Proposal("moderate", reason)
    return Proposal("minor" if light > 0 else "none", reason)


def coherence(finding: FindingEvidence) -> Proposal:
    against = len(finding.disconfirming)
    ratio = against / (against + sum(finding.links.values())) if against else 0.0
    reason = f"{against} disconfirming of {against + sum(finding.links.values())} links ({ratio:.2f})"
    if finding.challenges:
        reason += f"; {len(finding.challenges)} CHALLENGES link(s) of contributing findings, for the reviewer to weigh"
    for limit, concern in ((0.0, "none"), (0.2, "minor"), (0.4, "moderate")):
        if ratio <= limit:
            return Proposal(concern, reason)
    return Proposal("serious", reason)


def adequacy(finding: FindingEvidence) -> Proposal:
    studies, extracts, spread = len(finding.studies), len(finding.extracts), finding.spread
    reason = ", ".join(plural(n, w) for n, w in ((studies, "study"), (extracts, "extract"),
                                                  (len(finding.participants), "participant")))
    if spread is not None:
        reason += f", largest study gives {spread:.2f} of the extracts"
    if studies <= 1 and extracts <= 2:
        return Proposal("serious", reason)
    if studies <= 1 or extracts <= 5:
        return Proposal("moderate", reason)
    if studies == 2 or (spread or 0) > 0.75:
        return Proposal("minor", reason)
    return Proposal("none", reason)


def relevance(finding: FindingEvidence, review: ReviewEvidence) -> Proposal:
    ratings = {s: review.relevance.get(s) or "unrated" for s in finding.studies}
    indirect = _share(finding, {s for s, r in ratings.items() if r in ("indirect", "unrated")})
    partial = _share(finding, {s for s, r in ratings.items() if r == "partial"})
    reason = "; ".join(f"{s}: {r}" for s, r in sorted(ratings.items())) or "no contributing study"
    if indirect > 0.5:
        return Proposal("serious", reason)
    if indirect > 0 or partial > 0.5:
        return Proposal("moderate", reason)
    return Proposal("minor" if partial > 0 else "none", reason)


def propose(finding: FindingEvidence, review: ReviewEvidence) -> dict[str, Proposal]:
    """The proposed concern for each component, in COMPONENTS order."""
    return {
        "methodological-limitations": methodological_limitations(finding, review),
        "coherence": coherence(finding),
        "adequacy": adequacy(finding),
        "relevance": relevance(finding, review),
    }


def overall(concerns: dict[str, str]) -> str:
    """Confidence from component concerns: start high, downgrade by the rule above."""
    down = sum({"serious": 2, "moderate": 1}.get(concerns.get(c) or "none", 0) for c in COMPONENTS)
    if sum(1 for c in COMPONENTS if concerns.get(c) == "minor") >= 2:
        down += 1
    return CONFIDENCE[min(down, len(CONFIDENCE) - 1)]

