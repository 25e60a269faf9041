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
from bisect import bisect_left
from dataclasses import dataclass

from ..readers.works import WorkRecord
from .layout import UPPER, YEARISH, Layout, clean
from .matching import ReferenceIndex
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


_UP = UPPER
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
#: a name word; a hyphen may end a PDF line inside it ("How-\nell", "Ben-\nShachar")
_WORD = rf"{_UP}(?:{_L}|['’](?={_UP})|[-‐](?:[ \t]*\n[ \t]*)?(?={_L}))*"
#: initials that tell two first authors apart (APA 7, 8.20): "A. B. Lee", "J.-P. Roy", split by a line break too
_INITIALS = rf"(?:{_UP}\.(?:[ \t]*\n?[ \t]*|[-‐]){{0,1}}){{1,3}}\s*"
_SUFFIX = r"(?:\s+(?:Jr|Sr)\b\.?)"
_NAME = rf"(?:{_INITIALS})?{_STOP_RE}{_PARTICLE}*{_WORD}{_SUFFIX}?"
#: narrative: one surname word (with particles); an acronym joined by "and" ("the UK and Bordin
#: (1979)") is running text, not a first author
_NAME_ONE = rf"(?![A-Z]{{2,4}}\s+(?:and|&)\s){_NAME}"
_NAME_TWO = rf"{_NAME}(?:\s+{_STOP_RE}{_WORD})?"  # parenthetical: "Eno Louden", "Bartolomé\nPeral" allowed too
_ET_AL = r"(?:\s*,?\s+et\.?\s*al\b\.?|\s+and\s+(?:colleagues|co-workers)\b)"


def _person_list(name: str) -> str:
    """One to many surnames: ``A``, ``A & B``, ``A, B, and C``, ``A, B, et al.``, ``A et al.``."""
    return rf"{name}(?:\s*,\s*{name})*(?:\s*,?\s*(?:&|and)\s+{name}|{_ET_AL})?"


_COMPANY = r"(?:,?\s+(?:Inc|Ltd|LLC|Corp)\b\.?)"  # "Docker Inc.", "Docker, Inc."
_CORP_TIE = r"\s+(?:(?:for|of|the|on|in)\s+)*"  # "World Health", "Group for the Advancement"
_CORP_ANY = r"\s+(?:(?:for|of|the|on|in|and|&)\s+)*"
#: a body's name: capitalised words of which at least two are tied by adjacency or a function
#: word, so "Prochaska and DiClemente" (two people) is not one
_CORP = (
    rf"(?:The\s+)?{_STOP_RE}{_WORD}(?:(?:{_CORP_ANY}{_WORD})*?{_CORP_TIE}{_WORD}(?:{_CORP_ANY}{_WORD})*{_COMPANY}?"
    rf"|{_COMPANY})(?:\s*\[[^\]\n]{{1,20}}\])?"
)
_YEAR = r"(?:(?:1[6-9]\d\d|20\d\d)(?:/(?:1[6-9]\d\d|20\d\d))?(?:[a-rt-z](?![\w]))?(?![\w])|n\.\s?d\.|in\s+press|forthcoming)"
_YEARS = rf"{_YEAR}(?:\s*,\s*(?:{_YEAR}|[a-z](?![\w.])))*"
_LOCATOR = r"(?:\s*,?\s*(?:pp?\.|paras?\.|chap\.|ch\.|sec\.|§)\s*[\dxivlc]+(?:\s*[-–—]\s*[\dxivlc]+)?|:\s*\d+(?:\s*[-–]\s*\d+)?)"
_LEAD_IN = rf"(?:(?:(?!{_PARTICLE}+{_UP})[a-z][\w.\-'’]*|See|Also|For|But|Cf\.|E\.g\.|Compare|As)[,:]?\s+)*"

#: one item of a parenthesis: lead-in, authors, years, locator
ITEM = re.compile(
    rf"\s*(?:{_LEAD_IN})(?P<authors>(?P<persons>{_person_list(_NAME_TWO)})|(?P<corp>{_CORP})(?P<corp_et_al>{_ET_AL})?)"
    rf"(?:\s*,\s*|\s+)(?P<years>{_YEARS})(?P<loc>{_LOCATOR})?"
)
#: an item's citation at its end, after words that are not names: "see Section 4 in Marwick et al.,
#: 2018", "3.4.2, R Core Team, 2017", "e.g., the ratio SD1/SD2, Brennan et al., 2001"
ITEM_TAIL = re.compile(
    rf"(?<![\w'’\-])(?P<authors>(?P<persons>{_person_list(_NAME_TWO)})|(?P<corp>{_CORP})(?P<corp_et_al>{_ET_AL})?)"
    rf"(?:\s*,\s*|\s+)(?P<years>{_YEARS})(?P<loc>{_LOCATOR})?\s*$"
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
YEAR = re.compile(_YEAR)
_SPLIT_NAMES = re.compile(r"\s*(?:,\s*(?:&|and)\s+|,|&|\band\b)\s*")
_ET_AL_RE = re.compile(_ET_AL + r"\s*$")
_ABBREVIATION = re.compile(r"\s*\[([^\]]*)\]")
_LEADING_INITIALS = re.compile(rf"^{_INITIALS}")
_NAME_SUFFIX = re.compile(rf"{_SUFFIX}$")
_SEPARATOR = re.compile(r"\s*[;,]\s*")
#: how far back the authors of a narrative citation may start
_NARRATIVE_WINDOW = 300


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


_HYPHENATED = re.compile(r"[-‐][ \t]*\n\s*(?=[a-z])")
_BROKEN_HYPHEN = re.compile(r"([-‐])[ \t]*\n\s*")


def _unbroken(name: str) -> str:
    """A name as one line: a line-end hyphen before a lower-case letter was the typesetter's
    ("How-\nell" -> "Howell"), before a capital it is the name's ("Ben-\nShachar")."""
    if "\n" in name:
        name = _BROKEN_HYPHEN.sub(r"\1", _HYPHENATED.sub("", name))
    return " ".join(name.split())


def _split_authors(match: re.Match, abbreviations: dict[str, str]) -> tuple[list[str], bool]:
    """Surnames as written (initials and "Jr" dropped) and whether the list ends in "et al." (or
    "and colleagues").  A body named with its abbreviation ("World Health Organization [WHO]") adds
    it to ``abbreviations``, so that a later "(WHO, 2021)" names the same body."""
    if match.group("corp"):
        corp = match.group("corp")
        name = _unbroken(_ABBREVIATION.sub("", corp))
        short = _ABBREVIATION.search(corp)
        if short:
            abbreviations[" ".join(short.group(1).split())] = name
        return [name], bool(match.groupdict().get("corp_et_al"))
    persons = match.group("persons")
    et_al = _ET_AL_RE.search(persons)
    if et_al:
        persons = persons[: et_al.start()]
    names = [_unbroken(n) for n in _SPLIT_NAMES.split(persons) if n.strip()]
    if "." in persons or "Jr" in persons or "Sr" in persons:  # initials, "Jr": rare, so checked only then
        names = [_NAME_SUFFIX.sub("", _LEADING_INITIALS.sub("", n)) for n in names]
    if len(names) == 1 and names[0] in abbreviations:
        names = [abbreviations[names[0]]]
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


def _parenthesis(text: str, open_at: int, body_start: int, body_end: int, index: ReferenceIndex | None,
                 abbreviations: dict[str, str]) -> list[_Raw]:
    """Every citation in one parenthesis: items separated by ";" or ","."""
    found: list[_Raw] = []
    narrative = NARRATIVE_YEARS.match(text, body_start, body_end)
    pos = body_start
    if narrative:
        window_start = max(0, open_at - _NARRATIVE_WINDOW)
        authors = NARRATIVE_AUTHORS.search(text, window_start, open_at)
        years_end = narrative.end("loc") if narrative.group("loc") else narrative.end("years")
        if authors:
            names, et_al = _split_authors(authors, abbreviations)
            start = authors.start("persons") if authors.group("persons") else authors.start("corp")
            if index is not None and len(names) == 1 and not et_al:
                start, names = _widen_to_body(text, window_start, start, names, index)
            close = body_end + 1 if text[years_end:body_end].strip() == "" else years_end
            found.append(_Raw(names, et_al, _years(text, narrative.start("years"), narrative.end("years")),
                              start, close, True))
        pos = years_end
    while pos < body_end:
        m = ITEM.match(text, pos, body_end)
        if not m:
            item_end = text.find(";", pos, body_end)
            m = ITEM_TAIL.search(text, pos, body_end if item_end < 0 else item_end)
        if m:
            names, et_al = _split_authors(m, abbreviations)
            end = m.end("loc") if m.group("loc") else m.end("years")
            found.append(_Raw(names, et_al, _years(text, m.start("years"), m.end("years")), m.start("authors"), end,
                              False))
            pos = m.end()
            sep = _SEPARATOR.match(text, pos, body_end)
            if sep:
                pos = sep.end()
                continue
        elif index is not None:
            body = _lowercase_body(text, pos, body_end, index)
            if body is not None:
                found.append(body)
                pos = body.end
                continue
        next_item = text.find(";", pos, body_end)
        if next_item < 0:
            break
        pos = next_item + 1
    return found


#: an item whose author is a body written in lower case: "(the stan team, 2019)"; only taken when
#: the reference list knows the body
_LOWER_BODY = re.compile(rf"\s*(?P<words>[a-z][\w'’\-]*(?:\s+[a-z][\w'’\-]*){{0,7}})\s*,\s*(?P<years>{_YEARS})")
_WORD_BEFORE = re.compile(r"(?:(?:for|of|the|on|in|and|&)\s+)*[A-Z][\w'’\-]*\s+\Z")


def _lowercase_body(text: str, pos: int, end: int, index: ReferenceIndex) -> _Raw | None:
    """A lower-case body's citation at ``pos`` if the reference list has that body as an author."""
    m = _LOWER_BODY.match(text, pos, end)
    if not m:
        return None
    words = m.group("words").split()
    for i in range(len(words)):  # "see the stan team": the lead-in is not part of the name
        name = " ".join(words[i:])
        if index.knows(name):
            return _Raw([name], False, _years(text, m.start("years"), m.end("years")),
                        m.start("words") + m.group("words").index(words[i]), m.end("years"), False)
    return None


def _widen_to_body(text: str, window_start: int, start: int, names: list[str], index: ReferenceIndex):
    """A narrative author widened backwards to a body the reference list knows:
    "Deutsche Forschungsgemeinschaft (2019)", "Stan Development Team (2021)"."""
    best = (start, names)
    at = start
    for _ in range(6):
        before = _WORD_BEFORE.search(text, window_start, at)
        if not before:
            break
        at = before.start()
        name = " ".join(text[at:start].split() + names[0].split())
        if index.knows(name):
            best = (at, [name])
    return best


def _raw_citations(text: str, index: ReferenceIndex | None) -> list[_Raw]:
    """All citations of the text (parentheses first, then brackets), each year position once.

    Each kind of group is read twice: innermost groups first, then, with those blanked out, the
    groups around them ("(see also ... a footnote's (Lenth, 2007) set into the text ..., see Meehl,
    1978)" in PDF text; "(as argued (Bordin, 1979) and later, Horvath, 1994)").
    """
    found: list[_Raw] = []
    seen: set[int] = set()
    abbreviations: dict[str, str] = {}
    for pattern in GROUPS:
        current = text
        for _ in range(2):
            for group in pattern.finditer(current):
                if not YEARISH.search(current, group.start(1), group.end(1)):
                    continue
                for raw in _parenthesis(current, group.start(), group.start(1), group.end(1), index, abbreviations):
                    raw.years = [(y, at) for y, at in raw.years if at not in seen]
                    seen.update(at for _, at in raw.years)
                    if raw.years:
                        found.append(raw)
            current = pattern.sub(lambda m: " " * len(m.group(0)), current)
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
    excluded = layout.reference_lists()
    listed = " ".join(text[lo:hi] for lo, hi in excluded)
    index = ReferenceIndex(references, listed) if references else None
    raws = [r for r in _raw_citations(text, index) if not any(lo <= r.start < hi for lo, hi in excluded)]
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
                ref, authors = index.match(authors, year, raw.et_al)
                if ref is None and len(authors) > 1:  # a sentence opener taken for a first author
                    ref, rest = index.match(authors[1:], year, raw.et_al)
                    if ref is not None:
                        authors = rest
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
