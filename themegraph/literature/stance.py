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
from ..graph.schema import STANCES
from .layout import Layout

MENTIONS = "mentions"
#: sections a finding can come from (schema: "a finding of a study, from its Discussion or Implications")
FINDING_SECTIONS = re.compile(r"discussion|implication|conclusion", re.IGNORECASE)
#: an apostrophe in a cue or negator matches straight and curly ones
_ANY_APOSTROPHE = "['’‘]"


@dataclass
class Lexicon:
    """Compiled cues (one pattern, a named group per stance), negators, priority and defaults."""

    pattern: re.Pattern
    stances: tuple[str, ...]
    negated: re.Pattern
    priority: list[str]
    section_defaults: list[tuple[re.Pattern, str]]


def _cue_regex(cue: str) -> str:
    """A cue phrase as a regex body: ``*`` at most one word, ``x-`` a word prefix."""
    parts = []
    for word in cue.lower().split():
        if word == "*":
            parts.append(r"(?:\S+\s+)?")
        elif word.endswith("-") and len(word) > 1:
            parts.append(re.escape(word[:-1]).replace("'", _ANY_APOSTROPHE) + r"\w*\s+")
        else:
            parts.append(re.escape(word).replace("'", _ANY_APOSTROPHE) + r"\s+")
    return "".join(parts).removesuffix(r"\s+")


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
    if not isinstance(cues, dict) or not cues or set(cues) - set(STANCES):
        raise InputError(f"{where}: cues must be given for {', '.join(STANCES)} only (got {sorted(cues)})")
    stances = tuple(s for s in STANCES if cues.get(s))
    starred = [c for s in stances for c in cues[s] if not str(c).strip() or str(c).strip()[0] in "*-"]
    if starred:
        raise InputError(f"{where}: a cue must start with a word, got {starred[0]!r}")
    # one pattern for every cue: the text is scanned once, not once per cue or per stance
    groups = "|".join(f"(?P<{s}>" + "|".join(_cue_regex(str(c)) for c in cues[s]) + ")" for s in stances)
    # word-start check first: it rejects most positions before any of the alternatives is tried
    firsts = "".join(sorted({re.escape(str(c).strip()[0].lower()) for s in stances for c in cues[s]}))
    pattern = re.compile(rf"(?<![\w'’])(?=[{firsts}])(?:{groups})(?![\w'’])", re.IGNORECASE)
    negators = "|".join(re.escape(str(n)).replace("'", _ANY_APOSTROPHE) for n in data.get("negators") or [])
    negated = re.compile(
        rf"(?:\b(?:{negators})\b|n{_ANY_APOSTROPHE}t)(?:\s+\S+){{0,2}}\s+$" if negators else r"(?!)", re.IGNORECASE
    )
    priority = [s for s in data.get("priority") or STANCES if s in stances]
    defaults = []
    for rule in data.get("section_defaults") or []:
        if rule.get("stance") not in STANCES:
            raise InputError(f"{where}: section_defaults stance must be one of {', '.join(STANCES)}")
        defaults.append((re.compile(str(rule["section"]), re.IGNORECASE), rule["stance"]))
    return Lexicon(pattern, stances, negated, priority, defaults)


_default: Lexicon | None = None


def default_lexicon() -> Lexicon:
    """The shipped lexicon, compiled once."""
    global _default
    if _default is None:
        _default = load_lexicon()
    return _default


def find_cues(sentence: str, lexicon: Lexicon | None = None, start: int = 0,
              end: int | None = None) -> list[tuple[int, str]]:
    """Every cue in ``sentence[start:end]`` as (offset, stance), in order; a negated supports cue
    is a challenges cue."""
    lexicon = lexicon or default_lexicon()
    found = []
    for m in lexicon.pattern.finditer(sentence, start, len(sentence) if end is None else end):
        start = m.start()
        stance = m.lastgroup
        if stance == "supports" and lexicon.negated.search(sentence, max(0, start - 40), start):
            stance = "challenges"
        found.append((start, stance))
    return found


def classify(sentence: str, lexicon: Lexicon | None = None, *, section: str | None = None,
             at: int | None = None) -> str:
    """supports, extends, challenges or mentions.

    Cues decide.  When cues of different stances share the sentence and ``at`` (the citation's
    offset in the sentence) is given, the nearest cue before the citation decides ("consistent
    with A (2000) but contrary to B (2001)"); otherwise the lexicon's priority does.  With no
    cue, a ``section`` matching one of the lexicon's section defaults (Discussion,
    Implications ...) gives that default: pass a section only for sentences that cite a work.
    """
    lexicon = lexicon or default_lexicon()
    return decide(find_cues(sentence, lexicon), lexicon, section=section, at=at)


def decide(found: list[tuple[int, str]], lexicon: Lexicon, *, section: str | None = None,
           at: int | None = None) -> str:
    """:func:`classify` on cues already found, so a sentence citing many works is scanned once."""
    stances = {stance for _, stance in found}
    if len(stances) > 1 and at is not None:
        before = [stance for offset, stance in found if offset <= at]
        return before[-1] if before else found[0][1]
    for stance in lexicon.priority:
        if stance in stances:
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
    entries = [(sentence, section, [(c, c.stance) for c in cited])
               for (sentence, section), cited in by_sentence.items()
               if any(c.stance != MENTIONS for c in cited)]
    if text is not None:
        layout = Layout(text)
        sentences = [(sentence, layout.section_at(start)) for start, _, sentence in layout.sentences()]
        entries += _continuations(sentences, citations, lexicon, sections)
        order = {sentence: i for i, (sentence, _) in enumerate(sentences)}
        entries.sort(key=lambda e: order.get(e[0], len(order)))
    findings, used = [], set()
    for sentence, section, stanced in entries:
        base = slug(" ".join(sentence.split()[:6]), 50)
        fid, n = base, 2
        while fid in used:
            fid, n = f"{base}-{n}", n + 1
        used.add(fid)
        links = dict.fromkeys((stance, c.ref) for c, stance in stanced if c.ref and stance != MENTIONS)
        unmatched = list(dict.fromkeys(c.cited_as for c, stance in stanced if not c.ref and stance != MENTIONS))
        finding = {
            "id": fid,
            "title": _title(sentence),
            "statement": sentence,
            "section": section,
            "themes": [],
            "status": "unconfirmed",
            "links": [{"stance": stance, "work": key, "evidence": sentence} for stance, key in links],
        }
        if unmatched:
            finding["unmatched"] = unmatched
        findings.append(finding)
    return findings


def _continuations(sentences: list[tuple[str, str | None]], citations, lexicon: Lexicon,
                   sections: re.Pattern | None) -> list[tuple]:
    """Cue sentences without a citation that follow a citing sentence: they inherit its works."""
    cited_in: dict[str, list] = {}
    for c in citations:
        cited_in.setdefault(c.sentence, []).append(c)
    out = []
    previous = None
    for sentence, section in sentences:
        wanted = sections is None or (section and sections.search(section))
        if wanted and sentence not in cited_in and previous in cited_in:
            stance = classify(sentence, lexicon)
            if stance != MENTIONS:
                out.append((sentence, section, [(c, stance) for c in cited_in[previous]]))
        previous = sentence
    return out
