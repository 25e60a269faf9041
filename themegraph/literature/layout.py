"""The shape of a paper's text: lines, headings (its sections), sentences and reference lists.

Text out of a PDF breaks lines anywhere, puts a blank line between lines, and leaves page numbers
mid-paragraph; the layout is computed once per text so that every citation can be given its
sentence, its section and its line by bisection.  Both the citation extractor and the stance
reader (for sentences that carry a cue but no citation) use it.
"""

from __future__ import annotations

import re
from bisect import bisect_right


def _char_class(predicate) -> str:
    """A regex character class of the characters below U+2000 that satisfy ``predicate``."""
    chars = [chr(c) for c in range(0x41, 0x2000) if predicate(chr(c))]
    return "[" + "".join(re.escape(c) for c in chars) + "]"


UPPER = _char_class(str.isupper)
#: something a citation needs: a year, "n.d.", "in press" or "forthcoming"
YEARISH = re.compile(r"\d{4}|n\.\s?d\.|in\s+press|forthcoming")


_ABBREVIATIONS = frozenset(
    "al e.g i.e cf p pp vs viz dr mr mrs ms prof st no vol fig figs eq ch ed eds n.d approx ca c ibid op "
    "cit jr sr inc ltd co ph.d para paras sec".split()
)
_SENTENCE_END = re.compile(r"[.!?][\"'’”)\]]*\s+(?=[\"'‘“]?" + UPPER + ")")
_TOKEN_BEFORE = re.compile(r"([\w.]+)\.?[\"'’”)\]]*$")
_HEADING_NUMBER = re.compile(r"^(?:#+\s*|\d+(?:\.\d+)*\.?\s+|[IVX]+\.\s+)")
#: a blank line, page-number lines after it, then a line that does not go on in lower case
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n(?:[ \t]*\d{1,3}[ \t]*\n|[ \t]*\n)*+[ \t]*+(?![a-z(\s])")
_REFERENCE_HEADING = re.compile(r"(?i)(?:references?|bibliography|reference list|works cited|literature cited)\s*$")
#: lines that look like headings but are not: a title page's keywords and addresses, a figure or
#: table caption, a web address (a reference list's "Retrieved from http://..."), a line that stops
#: on a word that never ends a heading ("The MIT-BIH Arrhythmia Database (MIT-Arrhythmia and")
_NOT_A_HEADING = re.compile(
    r"^(?i:key ?words|e-?mail|correspondence)\b|^(?i:fig(?:ure)?\.?|table)\s*\d|@|https?://|www\.|\bdoi\b"
    r"|\s(?:and|or|of|the|a|an|in|on|for|to|with|by)$"
)
_NOTE_LINE = re.compile(r"(?m)^\[\d{1,3}\][ \t]")
_SECTION_NUMBER = re.compile(r"\d+\.\d+(?:\.\d+)*\.?\s+\S")
_PAGE_NUMBER_LINE = re.compile(r"(?m)^[ \t]*\d{1,3}[ \t]*$")
_LINE_END_HYPHEN = re.compile(r"(?<=\w)-[ \t]*\n\s*(?=[a-z])")


def clean(text: str) -> str:
    """A slice of PDF text as one line: page-number lines dropped, hyphenated breaks and
    whitespace joined."""
    if "\n" in text:  # both repairs are about line breaks; most slices have none
        text = _PAGE_NUMBER_LINE.sub(" ", text)
        text = _LINE_END_HYPHEN.sub("-", text)
    return " ".join(text.split())


def _is_heading(line: str, previous: str | None, following: str | None, typical: float, alone: bool) -> bool:
    """A short, title-like line after a finished sentence (or another heading).

    Title case ("Results", "Clinical Implications of Mandated Therapy") is enough up to eight
    words; a longer title, or a heading in sentence case ("Two models of individual-level
    change"), must also be followed by a line that starts a sentence and, in wrapped text, be
    clearly shorter than the text's lines.  A line ``alone`` in its paragraph (where blank lines
    mark paragraphs) needs no finished sentence before it: the line before may be a heading too.
    """
    s = _HEADING_NUMBER.sub("", line.strip())
    words = s.split()
    if not words or len(words) > 14 or len(s) > 110 or not s[0].isupper():
        return False
    if s[-1] in ".,;:-‐" or YEARISH.search(s) or s.count("(") != s.count(")") or _NOT_A_HEADING.search(s):
        return False
    numbered = _SECTION_NUMBER.match(line.strip()) is not None  # "3.2.2 Thematic Analysis": after a footnote too
    if previous is not None and not alone and not numbered and previous.rstrip()[-1:] not in ('.', '!', '?', ':', '"', "'", "’", "”", ")", "]"):
        return False
    long_words = [w for w in words if len(w) >= 4]
    title_case = len(words) <= 3 or sum(w[0].isupper() for w in long_words) * 2 >= len(long_words)
    if title_case and len(words) <= 8 and len(s) <= 70:
        return True
    starts_sentence = following is not None and (following[0].isupper() or following[0] in "\"“‘'(")
    short = alone or typical < 50 or len(s) < 0.75 * typical
    return starts_sentence and short and (title_case or len(words) <= 10)


class Layout:
    """Line starts, headings and sentence boundaries of a text, computed once."""

    def __init__(self, text: str):
        self.text = text
        self.line_starts = [0]
        self.headings: list[tuple[int, str]] = []
        bounds = {0, len(text)}
        lines = text.splitlines(keepends=True)
        filled = [i for i, ln in enumerate(lines) if ln.strip()]
        lengths = sorted(len(lines[i].strip()) for i in filled)
        typical = lengths[len(lengths) // 2] if lengths else 0
        blank = len(lines) - len(filled)
        paragraph_breaks = blank < 0.3 * max(len(lines), 1)  # in double-spaced PDF text they mean nothing
        previous: str | None = None
        previous_is_heading = True
        offset = 0
        following_at = iter(filled[1:] + [None])
        for n, ln in enumerate(lines):
            stripped = ln.strip()
            if stripped:
                after = next(following_at)
            if stripped and not stripped.isdigit():
                following = lines[after].strip() if after is not None else None
                alone = paragraph_breaks and (n == 0 or not lines[n - 1].strip()) and (
                    n + 1 == len(lines) or not lines[n + 1].strip())
                heading = _is_heading(ln, None if previous_is_heading else previous, following, typical, alone)
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
        """(start, end) of each "References" section: up to the next heading, the notes that follow
        it ("[1] This approach is ...", as pandoc places footnotes) or the end.

        Its entries ("Bordin, E. S. (1979). The generalizability ...") are not citations.
        """
        spans = []
        for i, (start, title) in enumerate(self.headings):
            if _REFERENCE_HEADING.match(title):
                end = self.headings[i + 1][0] if i + 1 < len(self.headings) else len(self.text)
                note = _NOTE_LINE.search(self.text, start, end)
                spans.append((start, note.start() if note else end))
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

