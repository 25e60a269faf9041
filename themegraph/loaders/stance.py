"""The stance of a citing sentence, from a transparent cue-phrase lexicon, and proposed findings.

A researcher must be able to see why a sentence was read as supporting or challenging a work and
to change it: the rules are the phrases in ``themegraph/data/stance_lexicon.yaml`` (its header
explains them), not a trained model.  Proposed findings are marked ``status: unconfirmed`` until
a person checks them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from ..errors import InputError
from ..graph.ids import slug

STANCES = ("supports", "extends", "challenges")
MENTIONS = "mentions"
#: sections a finding can come from (schema: "a finding of a study, from its Discussion or Implications")
FINDING_SECTIONS = re.compile(r"discussion|implication|conclusion", re.IGNORECASE)
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'"})


@dataclass
class Lexicon:
    """Compiled cues: one alternation per stance, negators, priority and section defaults."""

    patterns: dict[str, re.Pattern]
    negated: re.Pattern
    priority: list[str]
    section_defaults: list[tuple[re.Pattern, str]]


def _cue_regex(cue: str) -> str:
    """A cue phrase as a regex body: ``*`` at most one word, ``x-`` a word prefix."""
    parts = []
    for word in cue.translate(_APOSTROPHES).lower().split():
        if word == "*":
            parts.append(r"(?:\S+\s+)?")
        elif word.endswith("-") and len(word) > 1:
            parts.append(re.escape(word[:-1]) + r"\w*\s+")
        else:
            parts.append(re.escape(word) + r"\s+")
    body = "".join(parts)
    return body[: -len(r"\s+")] if body.endswith(r"\s+") else body


def load_lexicon(path: Path | str | None = None) -> Lexicon:
    """The cue lexicon at ``path`` (default: the one shipped in ``themegraph/data``)."""
    if path is None:
        text = resources.files("themegraph").joinpath("data/stance_lexicon.yaml").read_text(encoding="utf-8")
        where = "stance_lexicon.yaml"
    else:
        where = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"{where}: cannot read the stance lexicon ({e})") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as e:
        line = getattr(getattr(e, "problem_mark", None), "line", -1) + 1
        raise InputError(f"{where}:{line}: not valid YAML ({getattr(e, 'problem', e)})") from None
    cues = data.get("cues") or {}
    unknown = set(cues) - set(STANCES)
    if unknown or not cues:
        raise InputError(f"{where}: cues must be given for {', '.join(STANCES)} only (got {sorted(cues)})")
    patterns = {
        # one word-boundary check around one alternation: a regex per cue would be 50x slower
        stance: re.compile(r"(?<![\w'])(?:" + "|".join(_cue_regex(str(c)) for c in cues[stance]) + r")(?![\w'])",
                           re.IGNORECASE)
        for stance in STANCES
        if cues.get(stance)
    }
    negators = "|".join(re.escape(str(n).translate(_APOSTROPHES)) for n in data.get("negators") or [])
    negated = re.compile(rf"(?:\b(?:{negators})\b|n't)(?:\s+\S+){{0,2}}\s+$" if negators else r"(?!)", re.IGNORECASE)
    priority = [s for s in data.get("priority") or STANCES if s in patterns]
    defaults = []
    for rule in data.get("section_defaults") or []:
        if rule.get("stance") not in STANCES:
            raise InputError(f"{where}: section_defaults stance must be one of {', '.join(STANCES)}")
        defaults.append((re.compile(str(rule["section"]), re.IGNORECASE), rule["stance"]))
    return Lexicon(patterns, negated, priority, defaults)


_default: Lexicon | None = None


def default_lexicon() -> Lexicon:
    """The shipped lexicon, compiled once."""
    global _default
    if _default is None:
        _default = load_lexicon()
    return _default


def cue_stances(sentence: str, lexicon: Lexicon | None = None) -> set[str]:
    """The stances whose cues occur in ``sentence`` (negated supports cues count as challenges)."""
    lexicon = lexicon or default_lexicon()
    text = sentence.translate(_APOSTROPHES)
    found = set()
    for stance, pattern in lexicon.patterns.items():
        for m in pattern.finditer(text):
            if stance == "supports" and lexicon.negated.search(text, max(0, m.start() - 40), m.start()):
                found.add("challenges")
            else:
                found.add(stance)
    return found


def classify(sentence: str, lexicon: Lexicon | None = None, *, section: str | None = None) -> str:
    """supports, extends, challenges or mentions.

    Cues decide; with no cue, a ``section`` matching one of the lexicon's section defaults
    (Discussion, Implications ...) gives that default -- pass a section only for sentences that
    cite a work.
    """
    lexicon = lexicon or default_lexicon()
    found = cue_stances(sentence, lexicon)
    for stance in lexicon.priority:
        if stance in found:
            return stance
    if section:
        for pattern, stance in lexicon.section_defaults:
            if pattern.search(section):
                return stance
    return MENTIONS


def _title(sentence: str, limit: int = 90) -> str:
    """The sentence shortened at a word boundary: a finding's provisional title."""
    if len(sentence) <= limit:
        return sentence.rstrip(".")
    return sentence[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " …"


def propose_findings(citations, text: str | None = None, *, lexicon: Lexicon | None = None,
                     sections: re.Pattern | None = FINDING_SECTIONS) -> list[dict]:
    """findings.yaml entries, ``status: unconfirmed``: one per citing sentence whose stance is
    not "mentions", linking the works it cites.

    Only sentences in sections matching ``sections`` are used (None: every section).  Given the
    ``text``, a sentence that has a cue but no citation of its own ("However there is an additional
    dimension, unacknowledged in the theory ...") continues the works cited by the sentence right
    before it.  Citations without a reference key are listed under ``unmatched``.
    """
    lexicon = lexicon or default_lexicon()
    by_sentence: dict[tuple[str, str | None], list] = {}
    for c in citations:
        if sections is None or (c.section and sections.search(c.section)):
            by_sentence.setdefault((c.sentence, c.section), []).append(c)
    entries = [(sentence, section, c.stance, cited) for (sentence, section), cited in by_sentence.items()
               for c in cited[:1] if c.stance != MENTIONS]
    if text is not None:
        entries += _continuations(text, citations, lexicon, sections)
        order = {s: i for i, s in enumerate(_sentence_order(text))}
        entries.sort(key=lambda e: order.get(e[0], len(order)))
    findings, used = [], set()
    for sentence, section, stance, cited in entries:
        base = slug(" ".join(sentence.split()[:6]), 50)
        fid, n = base, 2
        while fid in used:
            fid, n = f"{base}-{n}", n + 1
        used.add(fid)
        keys = list(dict.fromkeys(c.ref for c in cited if c.ref))
        unmatched = list(dict.fromkeys(c.cited_as for c in cited if not c.ref))
        finding = {
            "id": fid,
            "title": _title(sentence),
            "statement": sentence,
            "section": section,
            "themes": [],
            "status": "unconfirmed",
            "links": [{"stance": stance, "work": key, "evidence": sentence} for key in keys],
        }
        if unmatched:
            finding["unmatched"] = unmatched
        findings.append(finding)
    return findings


def _sentence_order(text: str) -> list[str]:
    """The text's sentences in order (cleaned as citations clean them)."""
    from .citations import Layout

    return [s for _, _, s in Layout(text).sentences()]


def _continuations(text, citations, lexicon, sections) -> list[tuple]:
    """Cue sentences without a citation that follow a citing sentence: they inherit its works."""
    from .citations import Layout

    layout = Layout(text)
    cited_at: dict[str, list] = {}
    for c in citations:
        cited_at.setdefault(c.sentence, []).append(c)
    out = []
    previous = None
    for start, _, sentence in layout.sentences():
        section = layout.section_at(start)
        if sentence not in cited_at and previous in cited_at and (sections is None or (section and sections.search(section))):
            stance = classify(sentence, lexicon)
            if stance != MENTIONS:
                out.append((sentence, section, stance, cited_at[previous]))
        previous = sentence
    return out
