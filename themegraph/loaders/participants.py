"""Which participant a document records, by a rule the user sets (``--participant-from``).

CAQDAS projects name documents after whoever was interviewed ("P03_interview.docx") far more
often than they use the tool's cases; participant queries only work once documents know their
participant.  A rule is either a regular expression over document names (its first group, or
the whole match when it has none, is the participant) or a CSV file with ``document`` and
``participant`` columns whose other columns become the participant's attributes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..graph.ids import match_key
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
