"""Read a review bundle (docs/review-bundle.md) into one Batch, checked against the loaded studies.

A review refers to studies already in the knowledge base: their themes by name, their findings
and extracts by the ids their bundles gave them.  Every reference is resolved against the store
before anything is written, and every problem is reported as ``file:line: message`` together;
only a fully valid bundle becomes a Batch, which the store applies atomically under the source
``review:<id>`` (re-loading replaces what the review loaded before).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..graph.batch import Batch
from ..graph.ids import match_key, scoped, slug
from ..readers.tabular import Row, read_table
from ..readers.yamlfile import LINE, bundle_head, entries, line_of, scalar
from . import terms


@dataclass
class StudyIndex:
    """What the included studies hold, read once from the store: theme ids by name, and the ids
    of their findings and extracts."""

    studies: dict[str, str] = field(default_factory=dict)  # study id -> title
    themes: dict[tuple[str, str], str] = field(default_factory=dict)  # (study, match key) -> theme id
    ids: set[str] = field(default_factory=set)  # finding and extract ids

    @classmethod
    def read(cls, store, studies: list[str]) -> StudyIndex:
        index = cls()
        if not studies:
            return index
        params = {"studies": sorted(set(studies))}
        for row in store.query("MATCH (s:Study) WHERE s.id IN $studies RETURN s.id AS id, s.name AS name", params):
            index.studies[row["id"]] = row["name"] or row["id"]
        for row in store.query(
            "MATCH (t:Theme) WHERE t.study IN $studies RETURN t.study AS study, t.id AS id, t.name AS name", params
        ):
            index.themes[(row["study"], match_key(row["name"] or ""))] = row["id"]
        for kind in ("Finding", "Extract"):
            for row in store.query(f"MATCH (n:{kind}) WHERE n.study IN $studies RETURN n.id AS id", params):
                index.ids.add(row["id"])
        return index

    def target(self, study: str, kind: str, name: str) -> str | None:
        """The node id a synthesis row means: a theme by name, a finding or extract by its bundle id."""
        if kind == "theme":
            return self.themes.get((study, match_key(name)))
        id_ = scoped(study, kind, name)
        return id_ if id_ in self.ids else None


class ReviewReader:
    """Reads one review folder; ``problems`` collects every error found."""

    def __init__(self, folder: Path, store):
        self.folder = folder
        self.store = store
        self.problems: list[str] = []
        self.review = ""
        self.batch: Batch | None = None
        self.index = StudyIndex()
        self.findings: dict[str, str] = {}  # finding slug -> node id
        self.checklist: str | None = None  # review.yaml's default for appraisal.csv

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def choice(self, value, allowed: tuple[str, ...], name: str, where: str, *, required: bool = False) -> str | None:
        """``value`` normalised if it is one of ``allowed``; otherwise a problem (or None if absent)."""
        text = terms.normalise(scalar(value, name, where, self.problems))
        if not text:
            if required:
                self.problem(where, f"{name} is required (one of {', '.join(allowed)})")
            return None
        if text not in allowed:
            self.problem(where, f"{name} must be one of {', '.join(allowed)}, got {value!r}")
            return None
        return text

    # -- review.yaml ----------------------------------------------------------------------

    def read_review(self) -> None:
        data, where, review, title = bundle_head(self.folder, "review.yaml", "review", "id, title and studies",
                                                 self.problems)
        self.review = review
        self.batch = Batch(f"review:{review}", path=str(self.folder), loader="review")
        text = {k: scalar(data.get(k), k, where, self.problems) for k in ("question", "population", "setting")}
        method = self.choice(data.get("method"), terms.METHODS, "method", where, required=True)
        self.batch.node("Review", terms.review_id(review), origin="review.yaml:1", name=title or review,
                        title=title, method=method, **text)
        self.checklist = scalar(data.get("checklist"), "checklist", where, self.problems)
        self.read_studies(data)
        for entry in entries(data, "findings", "review.yaml", self.problems):
            self.read_finding(entry)
        if not self.findings:
            self.problem(where, "a review needs at least one finding")

    def read_studies(self, data: dict) -> None:
        included = entries(data, "studies", "review.yaml", self.problems)
        if not included:
            self.problem(f"review.yaml:{line_of(data)}", "studies must list the included studies")
        wanted = [scalar(e.get("study"), "study", f"review.yaml:{line_of(e)}", self.problems) for e in included]
        self.index = StudyIndex.read(self.store, [s for s in wanted if s])
        seen = set()
        for entry, study in zip(included, wanted):
            where = f"review.yaml:{line_of(entry)}"
            if not study:
                self.problem(where, "each included study needs 'study: <study id>'")
                continue
            if study in seen:
                self.problem(where, f"study {study!r} is listed twice")
                continue
            seen.add(study)
            if study not in self.index.studies:
                self.problem(where, f"study {study!r} is not loaded; load its bundle first "
                             f"(themegraph load study DIR)")
                continue
            relevance = self.choice(entry.get("relevance"), terms.RELEVANCE, "relevance", where, required=True)
            self.batch.rel("INCLUDES", ("Review", terms.review_id(self.review)), ("Study", study), origin=where,
                           relevance=relevance, note=scalar(entry.get("note"), "note", where, self.problems))

    def read_finding(self, entry: dict) -> None:
        where = f"review.yaml:{line_of(entry)}"
        own = scalar(entry.get("id"), "id", where, self.problems)
        statement = scalar(entry.get("statement"), "statement", where, self.problems)
        if not own or not statement:
            self.problem(where, "a review finding needs an id and a statement")
            return
        if slug(own) in self.findings:
            self.problem(where, f"finding id {own!r} repeats another (ids ignore case and punctuation)")
            return
        fid = terms.finding_id(self.review, own)
        self.findings[slug(own)] = fid
        confidence = self.choice(entry.get("confidence"), terms.CONFIDENCE, "confidence", where)
        self.batch.node("ReviewFinding", fid, origin=where, review=self.review,
                        name=scalar(entry.get("title"), "title", where, self.problems) or own,
                        statement=statement, confidence=confidence,
                        explanation=scalar(entry.get("explanation"), "explanation", where, self.problems))
        self.batch.rel("HAS_FINDING", ("Review", terms.review_id(self.review)), ("ReviewFinding", fid), origin=where)
        assessments = entry.get("assessments")
        if assessments is None:
            return
        if not isinstance(assessments, dict):
            self.problem(where, f"assessments must map components ({', '.join(terms.COMPONENTS)}) to a concern")
            return
        for component, judgement in assessments.items():
            if component == LINE:
                continue
            self.read_assessment(own, fid, str(component), judgement, f"review.yaml:{line_of(assessments)}")

    def read_assessment(self, own: str, fid: str, component: str, judgement, where: str) -> None:
        if isinstance(judgement, dict):
            where = f"review.yaml:{line_of(judgement)}"
        name = terms.normalise(component).replace(" ", "-").replace("_", "-")
        if name not in terms.COMPONENTS:
            self.problem(where, f"unknown CERQual component {component!r}; use {', '.join(terms.COMPONENTS)}")
            return
        if not isinstance(judgement, dict):
            self.problem(where, f"{component} needs 'concern:' and 'explanation:'")
            return
        concern = self.choice(judgement.get("concern"), terms.CONCERNS, f"{component} concern", where, required=True)
        if concern is None:
            return
        aid = terms.assessment_id(self.review, own, name)
        self.batch.node("Assessment", aid, origin=where, review=self.review, name=f"{own}: {name}", component=name,
                        concern=concern, explanation=scalar(judgement.get("explanation"), "explanation", where,
                                                            self.problems))
        self.batch.rel("HAS_ASSESSMENT", ("ReviewFinding", fid), ("Assessment", aid), origin=where)

    # -- synthesis.csv, translations.csv, appraisal.csv -----------------------------------

    def included(self, row: Row, column: str) -> str | None:
        """The study a row names in ``column``, if the review includes it (else a problem)."""
        study = row.get(column)
        if study not in self.index.studies:
            self.problem(row.origin, f"{column} {study!r} is not one of the review's included studies")
            return None
        return study

    def read_synthesis(self) -> None:
        path = self.folder / "synthesis.csv"
        if not path.exists():
            return
        seen: dict[tuple, str] = {}
        for row in read_table(path, ("finding", "study", "kind", "target")):
            fid = self.findings.get(slug(row.get("finding")))
            if fid is None:
                self.problem(row.origin, f"finding {row.get('finding')!r} is not a finding of review.yaml")
                continue
            study = self.included(row, "study")
            kind = terms.normalise(row.get("kind"))
            if kind not in terms.TARGET_KINDS:
                self.problem(row.origin, f"kind must be one of {', '.join(terms.TARGET_KINDS)}, got {row.get('kind')!r}")
                continue
            if study is None:
                continue
            target = self.index.target(study, kind, row.get("target"))
            if target is None:
                self.problem(row.origin, f"study {study!r} has no {kind} {row.get('target')!r}")
                continue
            stance = self.choice(row.get("stance") or "supports", terms.STANCES, "stance", row.origin)
            status = self.choice(row.get("status") or "accepted", terms.STATUSES, "status", row.origin)
            if stance is None or status is None:
                continue
            if (fid, target) in seen:
                self.problem(row.origin, f"repeats the link at line {seen[(fid, target)]}")
                continue
            seen[(fid, target)] = str(row.line)
            self.batch.rel("SYNTHESISES", ("ReviewFinding", fid), (terms.TARGET_KINDS[kind], target), origin=row.origin,
                           stance=stance, status=status, note=row.get("note") or None)

    def read_translations(self) -> None:
        path = self.folder / "translations.csv"
        if not path.exists():
            return
        for row in read_table(path, ("study_a", "theme_a", "study_b", "theme_b", "relation")):
            a, b = self.included(row, "study_a"), self.included(row, "study_b")
            relation = self.choice(row.get("relation"), terms.RELATIONS, "relation", row.origin, required=True)
            status = self.choice(row.get("status") or "accepted", terms.STATUSES, "status", row.origin)
            if a is None or b is None or relation is None or status is None:
                continue
            if a == b:
                self.problem(row.origin, "a translation joins themes of two different studies")
                continue
            ta, tb = self.index.target(a, "theme", row.get("theme_a")), self.index.target(b, "theme", row.get("theme_b"))
            for study, theme, found in ((a, row.get("theme_a"), ta), (b, row.get("theme_b"), tb)):
                if found is None:
                    self.problem(row.origin, f"study {study!r} has no theme {theme!r}")
            if ta and tb:
                self.batch.rel("TRANSLATES", ("Theme", ta), ("Theme", tb), origin=row.origin, relation=relation,
                               status=status, review=self.review, note=row.get("note") or None)

    def read_appraisal(self) -> None:
        path = self.folder / "appraisal.csv"
        if not path.exists():
            return
        for row in read_table(path, ("study", "question_no", "question", "answer")):
            study = self.included(row, "study")
            number = row.get("question_no")
            if not number.isdigit():
                self.problem(row.origin, f"question_no must be a whole number, got {number!r}")
                continue
            answer = self.choice(row.get("answer"), terms.ANSWERS, "answer", row.origin, required=True)
            if study is None or answer is None:
                continue
            aid = terms.appraisal_id(self.review, study, int(number))
            if aid in self.batch.nodes.get("Appraisal", {}):
                self.problem(row.origin, f"question {number} of study {study!r} is answered twice")
                continue
            self.batch.node("Appraisal", aid, origin=row.origin, review=self.review, study=study,
                            name=f"{study} Q{number}", checklist=row.get("checklist") or self.checklist,
                            question_no=int(number), question=row.get("question"), answer=answer,
                            comment=row.get("comment") or None)
            self.batch.rel("HAS_APPRAISAL", ("Review", terms.review_id(self.review)), ("Appraisal", aid),
                           origin=row.origin)
            self.batch.rel("APPRAISES", ("Appraisal", aid), ("Study", study), origin=row.origin)

    def _step(self, fn) -> None:
        try:
            fn()
        except InputError as exc:
            self.problems.extend(exc.problems)


def read_review(folder: Path, store) -> Batch:
    """The review bundle in ``folder`` as a Batch (references checked against ``store``), or an
    InputError listing every problem found."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder")
    reader = ReviewReader(folder, store)
    reader.read_review()
    for step in (reader.read_synthesis, reader.read_translations, reader.read_appraisal):
        reader._step(step)
    if reader.problems:
        raise InputError(reader.problems)
    return reader.batch
