"""In-text author-year citations (APA, Harvard) found in a paper's plain text.

The extractor is built for text that came out of a PDF: lines broken anywhere, a blank line
between lines, page numbers in the middle of paragraphs, curly and straight apostrophes.  It
works in two linear passes over precompiled patterns:

* every parenthesis (or bracket) that holds a year is read item by item -- ``(see Bordin, 1979,
  p. 253; Horvath & Luborsky, 1993)`` -- with any lower-case lead-in (``see``, ``e.g.,``, ``as
  reviewed by``) skipped and trailing words (``for more details``) ignored;
* a parenthesis that *starts* with a year is a narrative citation, and the authors are read
  backwards from just before it: ``Blasko & Jeglic's (2016)``, ``Drapeau et al. (2005)``.

Each citation carries its sentence (line breaks joined, page numbers dropped), the nearest
preceding heading as its section, a stance from the cue lexicon (:mod:`.stance`) and, when a
reference list is given, the key of the reference it cites.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass

from ..readers.references import WorkRecord, name_key
from .stance import Lexicon, decide, default_lexicon, find_cues


@dataclass
class Citation:
    """One cited work at one place in the text (``Bordin, 1979, 1994`` is two citations)."""

    authors: list[str]
    year: str
    start: int
    end: int
    sentence: str
    section: str | None
    stance: str = "mentions"
    ref: str | None = None
    et_al: bool = False
    #: offset of this citation's year in the text (a group like "Bordin, 1979, 1994" shares its span)
    year_start: int = 0
    #: 1-based line of the year, for "file:line" origins
    line: int = 0
    #: the citation as written, whitespace collapsed
    cited_as: str = ""
    #: True for "Bordin (1979)", False for "(Bordin, 1979)"
    narrative: bool = False


# --- patterns -------------------------------------------------------------------------------


def _char_class(predicate) -> str:
    """A regex character class of the characters below U+2000 that satisfy ``predicate``."""
    chars = [chr(c) for c in range(0x41, 0x2000) if predicate(chr(c))]
    return "[" + "".join(re.escape(c) for c in chars) + "]"


_UP = _char_class(str.isupper)
_L = r"[^\W\d_]"
#: capitalised words that start sentences or label things, never surnames in a citation
_STOP = (
    "The This That These Those Its It A An And Or Of In On At By For From To As With Within Without "
    "See Also But Compare However Similarly Indeed Thus Therefore Furthermore Moreover Although Though "
    "Whereas While When Where Which Who What Why How Both Each Other Others Some Many Most Several Such "
    "Later Earlier First Second Third Finally Recently Notably Specifically Likewise Conversely "
    "Consequently Hence Accordingly Additionally Importantly Interestingly Again Then Here There Yet "
    "Instead Overall Historically Theoretically Since Until Before After During Between Around About Up "
    "We Our They Their He She His Her I My You Your Table Tables Figure Figures Fig Appendix Chapter "
    "Section Study Studies Experiment Phase Wave Time Session Version Vol Volume No Issue Act Part Page "
    "Research Evidence Data Results Findings "
    "January February March April May June July August September October November December "
    "Spring Summer Autumn Winter Ibid"
).split()
_STOP_RE = "(?!(?:" + "|".join(_STOP) + r")(?![\w'’\-]))"
_PARTICLE = r"(?:(?:[Dd]e|[Dd]el|[Dd]ella|[Dd]er|[Dd]en|[Dd]i|[Dd]u|[Dd]a|[Dd]os|[Vv]an|[Vv]on|[Ll]e|[Ll]a|[Tt]en|[Tt]er)\s+)"
_WORD = rf"{_UP}(?:{_L}|['’](?={_UP})|[-‐](?={_L}))*"
_NAME = rf"{_STOP_RE}{_PARTICLE}*{_WORD}"
#: narrative: one surname word (with particles); an acronym joined by "and" ("the UK and Bordin
#: (1979)") is running text, not a first author
_NAME_ONE = rf"(?![A-Z]{{2,4}}\s+(?:and|&)\s){_NAME}"
_NAME_TWO = rf"{_NAME}(?:[ \t]+{_STOP_RE}{_WORD})?"  # parenthetical: "Eno Louden" allowed too
_ET_AL = r"(?:\s*,?\s+et\.?\s*al\b\.?|\s+and\s+(?:colleagues|co-workers)\b)"


def _person_list(name: str) -> str:
    """One to many surnames: ``A``, ``A & B``, ``A, B, and C``, ``A, B, et al.``, ``A et al.``."""
    return rf"{name}(?:\s*,\s*{name})*(?:\s*,?\s*(?:&|and)\s+{name}|{_ET_AL})?"


_CORP_TIE = r"\s+(?:(?:for|of|the|on|in)\s+)*"  # "World Health", "Group for the Advancement"
_CORP_ANY = r"\s+(?:(?:for|of|the|on|in|and|&)\s+)*"
#: a body's name: capitalised words of which at least two are tied by adjacency or a function
#: word, so "Prochaska and DiClemente" (two people) is not one
_CORP = (
    rf"{_STOP_RE}{_WORD}(?:{_CORP_ANY}{_WORD})*?{_CORP_TIE}{_WORD}(?:{_CORP_ANY}{_WORD})*"
    r"(?:\s*\[[^\]\n]{1,20}\])?"
)
_YEAR = r"(?:(?:1[6-9]\d\d|20\d\d)(?:/(?:1[6-9]\d\d|20\d\d))?(?:[a-rt-z](?![\w]))?(?![\w])|n\.\s?d\.|in\s+press|forthcoming)"
_YEARS = rf"{_YEAR}(?:\s*,\s*(?:{_YEAR}|[a-z](?![\w.])))*"
_LOCATOR = r"(?:\s*,?\s*(?:pp?\.|paras?\.|chap\.|ch\.|sec\.|§)\s*[\dxivlc]+(?:\s*[-–—]\s*[\dxivlc]+)?|:\s*\d+(?:\s*[-–]\s*\d+)?)"
_LEAD_IN = rf"(?:(?:(?!{_PARTICLE}+{_UP})[a-z][\w.\-'’]*|See|Also|For|But|Cf\.|E\.g\.|Compare|As)[,:]?\s+)*"

#: one item of a parenthesis: lead-in, authors, years, locator
ITEM = re.compile(
    rf"\s*(?:{_LEAD_IN})(?P<authors>(?P<persons>{_person_list(_NAME_TWO)})|(?P<corp>{_CORP}))"
    rf"(?:\s*,\s*|\s+)(?P<years>{_YEARS})(?P<loc>{_LOCATOR})?"
)
#: a parenthesis that starts with years: the narrative "(1979, p. 253)"
NARRATIVE_YEARS = re.compile(rf"\s*(?P<years>{_YEARS})(?P<loc>{_LOCATOR})?\s*(?:$|[;,])")
#: the authors right before a narrative year parenthesis
NARRATIVE_AUTHORS = re.compile(
    rf"(?<![\w'’\-])(?:(?P<persons>{_person_list(_NAME_ONE)})|\b[Tt]he\s+(?P<corp>{_CORP}))"
    rf"(?P<poss>['’]s?(?![\w]))?\s*\Z"
)
#: parentheses, and square brackets (which may sit inside parentheses, so they get a pass of their own)
GROUPS = (re.compile(r"\(([^()]{1,800})\)"), re.compile(r"\[([^\[\]]{1,800})\]"))
YEARISH = re.compile(r"\d{4}|n\.\s?d\.|in\s+press|forthcoming")
YEAR = re.compile(_YEAR)
_SPLIT_NAMES = re.compile(r"\s*(?:,\s*(?:&|and)\s+|,|&|\band\b)\s*")
_ET_AL_RE = re.compile(_ET_AL + r"\s*$")
_ABBREVIATION = re.compile(r"\s*\[[^\]]*\]")
_SEPARATOR = re.compile(r"\s*[;,]\s*")
#: how far back the authors of a narrative citation may start
_NARRATIVE_WINDOW = 300


# --- layout: lines, headings, sentences -----------------------------------------------------

_ABBREVIATIONS = frozenset(
    "al e.g i.e cf p pp vs viz dr mr mrs ms prof st no vol fig figs eq ch ed eds n.d approx ca c ibid op "
    "cit jr sr inc ltd co ph.d para paras sec".split()
)
_SENTENCE_END = re.compile(r"[.!?][\"'’”)\]]*\s+(?=[\"'‘“]?" + _UP + ")")
_TOKEN_BEFORE = re.compile(r"([\w.]+)\.?[\"'’”)\]]*$")
_HEADING_NUMBER = re.compile(r"^(?:#+\s*|\d+(?:\.\d+)*\.?\s+|[IVX]+\.\s+)")
#: a blank line, page-number lines after it, then a line that does not go on in lower case
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n(?:[ \t]*\d{1,3}[ \t]*\n|[ \t]*\n)*+[ \t]*+(?![a-z(\s])")
_REFERENCE_HEADING = re.compile(r"(?i)(?:references?|bibliography|reference list|works cited|literature cited)\s*$")
_PAGE_NUMBER_LINE = re.compile(r"(?m)^[ \t]*\d{1,3}[ \t]*$")
_LINE_END_HYPHEN = re.compile(r"(?<=\w)-[ \t]*\n\s*(?=[a-z])")


def clean(text: str) -> str:
    """A slice of PDF text as one line: page-number lines dropped, hyphenated breaks and
    whitespace joined."""
    if "\n" in text:  # both repairs are about line breaks; most slices have none
        text = _PAGE_NUMBER_LINE.sub(" ", text)
        text = _LINE_END_HYPHEN.sub("-", text)
    return " ".join(text.split())


def _is_heading(line: str, previous: str | None) -> bool:
    """A short, title-like line after a finished sentence (or another heading)."""
    s = _HEADING_NUMBER.sub("", line.strip())
    words = s.split()
    if not words or len(words) > 8 or len(s) > 70 or not s[0].isupper():
        return False
    if s[-1] in ".,;:" or YEARISH.search(s):
        return False
    if previous is not None and previous.rstrip()[-1:] not in ('.', '!', '?', ':', '"', "'", "’", "”", ")", "]"):
        return False
    long_words = [w for w in words if len(w) >= 4]
    return len(words) <= 3 or sum(w[0].isupper() for w in long_words) * 2 >= len(long_words)


class Layout:
    """Line starts, headings and sentence boundaries of a text, computed once."""

    def __init__(self, text: str):
        self.text = text
        self.line_starts = [0]
        self.headings: list[tuple[int, str]] = []
        bounds = {0, len(text)}
        lines = text.splitlines(keepends=True)
        blank = sum(1 for ln in lines if not ln.strip())
        paragraph_breaks = blank < 0.3 * max(len(lines), 1)  # in double-spaced PDF text they mean nothing
        previous: str | None = None
        previous_is_heading = True
        offset = 0
        for ln in lines:
            stripped = ln.strip()
            if stripped and not stripped.isdigit():
                heading = _is_heading(ln, None if previous_is_heading else previous)
                if heading:
                    self.headings.append((offset, _HEADING_NUMBER.sub("", stripped)))
                    bounds.update((offset, offset + len(ln)))
                previous, previous_is_heading = stripped, heading
            offset += len(ln)
            self.line_starts.append(offset)
        if paragraph_breaks:
            bounds.update(m.end() for m in _PARAGRAPH_BREAK.finditer(text))
        for m in _SENTENCE_END.finditer(text):
            before = _TOKEN_BEFORE.search(text, max(0, m.start() - 12), m.start() + 1)
            token = before.group(1).lower().rstrip(".") if before else ""
            if token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
                continue
            bounds.add(m.end())
        self.bounds = sorted(bounds)
        self.heading_starts = [h[0] for h in self.headings]

    def reference_lists(self) -> list[tuple[int, int]]:
        """(start, end) of each "References" section: up to the next heading or the end.

        Its entries ("Bordin, E. S. (1979). The generalizability ...") are not citations.
        """
        spans = []
        for i, (start, title) in enumerate(self.headings):
            if _REFERENCE_HEADING.match(title):
                end = self.headings[i + 1][0] if i + 1 < len(self.headings) else len(self.text)
                spans.append((start, end))
        return spans

    def line_of(self, pos: int) -> int:
        """1-based line number of offset ``pos``."""
        return bisect_right(self.line_starts, pos)

    def section_at(self, pos: int) -> str | None:
        """The nearest heading before ``pos``."""
        i = bisect_right(self.heading_starts, pos) - 1
        return self.headings[i][1] if i >= 0 else None

    def sentence_at(self, pos: int) -> tuple[int, int]:
        """Start and end offsets of the sentence that holds ``pos``."""
        i = bisect_right(self.bounds, pos)
        return self.bounds[i - 1], self.bounds[i] if i < len(self.bounds) else len(self.text)

    def sentences(self):
        """Every sentence as (start, end, cleaned text), headings excluded."""
        headings = set(self.heading_starts)
        for a, b in zip(self.bounds, self.bounds[1:]):
            sentence = clean(self.text[a:b])
            if sentence and a not in headings:
                yield a, b, sentence


# --- matching to references -----------------------------------------------------------------


def _base_years(year: str) -> set[str]:
    """"2006a" -> {"2006"}, "1912/1958" -> {"1912", "1958"}: years a reference may give."""
    return {m.group(0)[:4] for m in re.finditer(r"\d{4}", year)} or {year.lower()}


class ReferenceIndex:
    """Look up the reference an in-text citation points to: first surname + year (+ suffix),
    then the second author or the number of authors when that is ambiguous."""

    def __init__(self, references: list[WorkRecord]):
        self.exact: dict[str, list[WorkRecord]] = defaultdict(list)
        self.loose: dict[str, list[WorkRecord]] = defaultdict(list)
        for work in references:
            if not work.authors:
                continue
            family = work.authors[0].family
            self.exact[name_key(family)].append(work)
            parts = [p for p in re.split(r"[\s\-‐]+", family) if len(p) > 2]
            for part in parts[1:]:
                self.loose[name_key(part)].append(work)
            if len(family.split()) > 2:  # a corporate author's acronym: "APA"
                self.loose[name_key("".join(w[0] for w in family.split() if w[0].isupper()))].append(work)

    def match(self, authors: list[str], year: str, et_al: bool) -> str | None:
        """The key of the one reference that fits, or None (no fit, or an unresolved tie)."""
        first = name_key(authors[0])
        candidates = self.exact.get(first) or self.loose.get(first) or []
        same = [w for w in candidates if (w.year or "").lower() == year.lower()]
        if not same:
            years = _base_years(year)
            same = [w for w in candidates if w.year and _base_years(w.year) & years]
        if len(same) > 1 and len(authors) > 1:
            second = name_key(authors[1])
            narrowed = [w for w in same if len(w.authors) > 1 and name_key(w.authors[1].family) == second]
            same = narrowed or same
        if len(same) > 1:
            wanted = (lambda n: n >= 3) if et_al else (lambda n: n == len(authors))
            same = [w for w in same if wanted(len(w.authors))] or same
        return same[0].key if len(same) == 1 else None


# --- extraction -----------------------------------------------------------------------------


#: a "sentence" longer than this is a layout the splitter did not understand (a table, a list
#: without full stops): it is cut into pieces of about this size and a citation keeps its piece
MAX_SENTENCE = 1200


def _bounded(text: str, start: int, end: int, at: int) -> tuple[int, int]:
    """The sentence bounds, or the piece of an over-long sentence that holds offset ``at``.

    Pieces are fixed by the sentence, not by the citation, so the citations of one piece share
    one cleaned text and one cue scan.
    """
    if end - start <= MAX_SENTENCE:
        return start, end
    lo = start + (at - start) // MAX_SENTENCE * MAX_SENTENCE
    hi = min(end, lo + MAX_SENTENCE)
    if lo > start:  # start and end at spaces, not inside words
        space = text.find(" ", lo, min(lo + 100, at))
        lo = space + 1 if space >= 0 else lo
    if hi < end:
        space = text.rfind(" ", max(hi - 100, at + 1), hi)
        hi = space if space >= 0 else hi
    return lo, hi


@dataclass
class _Raw:
    """A citation found, before sentence, section, stance and reference are attached."""

    authors: list[str]
    et_al: bool
    years: list[tuple[str, int]]
    start: int
    end: int
    narrative: bool


def _split_authors(match: re.Match) -> tuple[list[str], bool]:
    """Surnames as written and whether the list ends in "et al." (or "and colleagues")."""
    if match.group("corp"):
        name = _ABBREVIATION.sub("", match.group("corp"))  # "American Psychiatric Association [APA]"
        return [" ".join(name.split())], False
    persons = match.group("persons")
    et_al = _ET_AL_RE.search(persons)
    if et_al:
        persons = persons[: et_al.start()]
    names = [" ".join(n.split()) for n in _SPLIT_NAMES.split(persons) if n.strip()]
    return names, bool(et_al)


def _years(text: str, start: int, end: int) -> list[tuple[str, int]]:
    """Each year in ``text[start:end]`` with its offset; a bare "b" after "2006a" is "2006b"."""
    out: list[tuple[str, int]] = []
    pos = start
    while pos < end:
        m = YEAR.match(text, pos, end)
        if m:
            out.append((" ".join(m.group(0).split()), m.start()))
            pos = m.end()
        elif text[pos].isalpha() and out and out[-1][0][:4].isdigit():
            out.append((out[-1][0][:4] + text[pos], pos))
            pos += 1
        else:
            pos += 1
    return out


def _parenthesis(text: str, open_at: int, body_start: int, body_end: int) -> list[_Raw]:
    """Every citation in one parenthesis: items separated by ";" or ","."""
    found: list[_Raw] = []
    narrative = NARRATIVE_YEARS.match(text, body_start, body_end)
    pos = body_start
    if narrative:
        window_start = max(0, open_at - _NARRATIVE_WINDOW)
        authors = NARRATIVE_AUTHORS.search(text, window_start, open_at)
        years_end = narrative.end("loc") if narrative.group("loc") else narrative.end("years")
        if authors:
            names, et_al = _split_authors(authors)
            close = body_end + 1 if text[years_end:body_end].strip() == "" else years_end
            found.append(_Raw(names, et_al, _years(text, narrative.start("years"), narrative.end("years")),
                              authors.start("persons") if authors.group("persons") else authors.start("corp"),
                              close, True))
        pos = years_end
    while pos < body_end:
        m = ITEM.match(text, pos, body_end)
        if m:
            names, et_al = _split_authors(m)
            end = m.end("loc") if m.group("loc") else m.end("years")
            found.append(_Raw(names, et_al, _years(text, m.start("years"), m.end("years")), m.start("authors"), end,
                              False))
            pos = m.end()
            sep = _SEPARATOR.match(text, pos, body_end)
            if sep:
                pos = sep.end()
                continue
        next_item = text.find(";", pos, body_end)
        if next_item < 0:
            break
        pos = next_item + 1
    return found


def _raw_citations(text: str) -> list[_Raw]:
    """All citations of the text (parentheses first, then brackets), each year position once."""
    found: list[_Raw] = []
    seen: set[int] = set()
    for pattern in GROUPS:
        for group in pattern.finditer(text):
            if not YEARISH.search(text, group.start(1), group.end(1)):
                continue
            for raw in _parenthesis(text, group.start(), group.start(1), group.end(1)):
                raw.years = [(y, at) for y, at in raw.years if at not in seen]
                seen.update(at for _, at in raw.years)
                if raw.years:
                    found.append(raw)
    return found


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching (start, end) spans joined, in order."""
    merged: list[list[int]] = []
    for lo, hi in sorted(set(spans)):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [(lo, hi) for lo, hi in merged]


def extract_citations(
    text: str, references: list[WorkRecord] | None = None, *, lexicon: Lexicon | None = None
) -> list[Citation]:
    """Every author-year citation in ``text``, in order of its year's position.

    ``references`` (from :func:`~.references.read_references`) lets each citation name the key
    of the work it cites; ``lexicon`` overrides the stance cue lexicon.
    """
    lexicon = lexicon or default_lexicon()
    layout = Layout(text)
    index = ReferenceIndex(references) if references else None
    excluded = layout.reference_lists()
    raws = [r for r in _raw_citations(text) if not any(lo <= r.start < hi for lo, hi in excluded)]
    spans = [_bounded(text, *layout.sentence_at(raw.start), raw.start) for raw in raws]
    cues = []
    for lo, hi in _merge(spans):  # each citing stretch of text scanned for cues once
        cues += find_cues(text, lexicon, lo, hi)
    cue_at = [offset for offset, _ in cues]
    sentences: dict[tuple[int, int], str] = {}
    out: list[Citation] = []
    for raw, bounds in zip(raws, spans):
        if bounds not in sentences:
            sentences[bounds] = clean(text[bounds[0] : bounds[1]])
        sentence = sentences[bounds]
        section = layout.section_at(raw.start)
        in_sentence = cues[bisect_left(cue_at, bounds[0]) : bisect_left(cue_at, bounds[1])]
        stance = decide(in_sentence, lexicon, section=section, at=raw.start)
        cited_as = clean(text[raw.start : raw.end])
        authors = raw.authors
        for year, at in raw.years:
            ref = None
            if index is not None:
                ref = index.match(authors, year, raw.et_al)
                if ref is None and len(authors) > 1:  # a sentence opener taken for a first author
                    ref = index.match(authors[1:], year, raw.et_al)
                    if ref is not None:
                        authors = authors[1:]
            out.append(
                Citation(
                    authors=list(authors),
                    year=year,
                    start=raw.start,
                    end=raw.end,
                    sentence=sentence,
                    section=section,
                    stance=stance,
                    ref=ref,
                    et_al=raw.et_al,
                    year_start=at,
                    line=layout.line_of(at),
                    cited_as=cited_as,
                    narrative=raw.narrative,
                )
            )
    out.sort(key=lambda c: c.year_start)
    return out
