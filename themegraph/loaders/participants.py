"""Which participant a document records, by a rule the user sets (``--participant-from``).

CAQDAS projects name documents after whoever was interviewed ("P03_interview.docx") far more
often than they use the tool's cases; participant queries only work once documents know their
participant.  A rule is either a regular expression over document names (its first group, or
the whole match when it has none, is the participant) or a CSV file with ``document`` and
``participant`` columns whose other columns become the participant's attributes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..graph.batch import Batch
from ..graph.ids import match_key, scoped
from ..readers.tabular import read_table


@dataclass
class ParticipantRule:
    """A pattern, or a table from document names to participants (with their attributes)."""

    pattern: re.Pattern | None = None
    table: dict[str, str] = field(default_factory=dict)  # match key of a document name -> participant
    attributes: dict[str, dict] = field(default_factory=dict)  # match key of a participant -> attributes
    where: str = "--participant-from"

    def participant_of(self, document: str) -> str | None:
        if self.pattern is None:
            return self.table.get(match_key(document)) or self.table.get(match_key(Path(document).stem))
        m = self.pattern.search(document)
        if not m:
            return None
        found = next((g for g in m.groups() if g), None) if m.groups() else m.group(0)
        return found.strip() if found and found.strip() else None

    def describe(self) -> str:
        return f"the pattern '{self.pattern.pattern}'" if self.pattern else f"the table {self.where}"


def participant_rule(value: str | None) -> ParticipantRule | None:
    """The rule ``--participant-from`` names: a .csv/.xlsx file, else a regular expression."""
    if not value:
        return None
    path = Path(value)
    if path.suffix.lower() in (".csv", ".xlsx") or path.is_file():
        if not path.is_file():
            raise InputError(f"{value}: no such participant table (--participant-from takes a regex or a CSV file)")
        rule = ParticipantRule(where=path.name)
        for row in read_table(path, ("document", "participant")):
            doc, who = row.get("document"), row.get("participant")
            if not doc or not who:
                raise InputError(f"{row.origin}: a row needs a document and a participant")
            known = rule.table.setdefault(match_key(doc), who)
            if match_key(known) != match_key(who):
                raise InputError(f"{row.origin}: document {doc!r} is already given to participant {known!r}")
            attrs = {k: v.strip() for k, v in row.values.items()
                     if k not in ("document", "participant") and v and v.strip()}
            if attrs:
                rule.attributes.setdefault(match_key(who), {}).update(attrs)
        return rule
    try:
        pattern = re.compile(value)
    except re.error as exc:
        raise InputError(f"--participant-from: {value!r} is not a regular expression ({exc}) nor a CSV file") from None
    return ParticipantRule(pattern=pattern)


def add_participants(batch: Batch, study: str, rule: ParticipantRule | None) -> list[str]:
    """Participants, by ``rule``, of the documents in ``batch`` that have none yet: each such
    document is DOCUMENT_OF its participant and its extracts are SPOKEN_BY them.  Works on any
    loader's batch (REFI-QDA, Taguette, QualCoder, segments).  Returns warnings."""
    if rule is None:
        return []
    rels = batch.rels
    owned = {r["src"] for r in rels.get(("DOCUMENT_OF", "Document", "Participant"), [])}
    spoken = {r["src"] for r in rels.get(("SPOKEN_BY", "Extract", "Participant"), [])}
    extracts: dict[str, list[str]] = {}
    for r in rels.get(("IN_DOCUMENT", "Extract", "Document"), []):
        extracts.setdefault(r["dst"], []).append(r["src"])
    people = batch.nodes.get("Participant", {})
    by_name = {match_key(row.get("name") or id_): id_ for id_, row in people.items()}
    unmatched = []
    for doc_id, row in list(batch.nodes.get("Document", {}).items()):
        if doc_id in owned:
            continue
        name = row.get("name") or doc_id
        who = rule.participant_of(name)
        if who is None:
            unmatched.append(name)
            continue
        pid = by_name.get(match_key(who))
        if pid is None:
            pid, n = scoped(study, "participant", who), 2
            while pid in people:
                pid, n = f"{scoped(study, 'participant', who)}-{n}", n + 1
            attrs = rule.attributes.get(match_key(who))
            batch.node("Participant", pid, origin=rule.where, study=study, name=who,
                       attributes=json.dumps(attrs, ensure_ascii=False, sort_keys=True) if attrs else None)
            batch.rel("IN_STUDY", ("Participant", pid), ("Study", study), origin=rule.where)
            by_name[match_key(who)] = pid
        batch.rel("DOCUMENT_OF", ("Document", doc_id), ("Participant", pid), origin=rule.where)
        for extract in extracts.get(doc_id, []):
            if extract not in spoken:
                batch.rel("SPOKEN_BY", ("Extract", extract), ("Participant", pid), origin=rule.where)
    if not unmatched:
        return []
    shown = ", ".join(repr(n) for n in unmatched[:3])
    more = f" and {len(unmatched) - 3} more" if len(unmatched) > 3 else ""
    return [f"{len(unmatched)} documents match no participant by {rule.describe()}: {shown}{more}"]
