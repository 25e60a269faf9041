"""Source texts and selection positions: decoding a text source, and the ways tools count.

The standard counts Unicode code points of the text file as it is; real tools count UTF-16 code
units, a CRLF as one, or the byte-order mark.  Each :class:`Scheme` is one such convention, and
:func:`choose_scheme` picks the one under which a document's selections fit its text best.
"""

from __future__ import annotations

import codecs
import re
from bisect import bisect_left
from dataclasses import dataclass, field
from itertools import product

from ...errors import InputError

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


@dataclass
class SourceText:
    """A text source as stored: byte-order mark dropped, line endings made LF.

    ``crlf`` and ``astral`` hold the indexes (in ``text``) of line breaks that were CRLF and of
    characters outside the Basic Multilingual Plane: where counting conventions differ.
    """

    text: str
    bom: bool = False
    crlf: list[int] = field(default_factory=list)
    astral: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def decode_text(raw: bytes, where: str = "source") -> SourceText:
    """Decode a source file (UTF-8 by the standard; UTF-16 and Windows-1252 tolerated).

    Not ``readers.documents.decode_text``, on purpose: a CAQDAS tool counted its positions in the
    file as it was, so this keeps what the export needs to count them the same way again (BOM,
    line ends, characters outside the BMP) and reads a Windows-1252 file rather than refusing it.

    Bytes that are not UTF-8 are read as Windows-1252, which decodes any byte; a file with a
    UTF-16 byte-order mark but bytes that are not UTF-16 (odd length, lone surrogate) has no such
    fallback and is an InputError naming ``where`` (the archive and member) and the byte offset.
    """
    notes, bom = [], False
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            original, bom = raw.decode("utf-16"), True
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{where}: starts with a UTF-16 byte-order mark but is not UTF-16 text: {exc.reason} at byte "
                f"offset {exc.start}; save it as UTF-8"
            ) from None
        notes.append("is UTF-16, not UTF-8")
    else:
        if raw.startswith(codecs.BOM_UTF8):
            raw, bom = raw[3:], True
            notes.append("starts with a byte-order mark")
        try:
            original = raw.decode("utf-8")
        except UnicodeDecodeError:
            original = raw.decode("cp1252", errors="replace")
            notes.append("is not UTF-8; read as Windows-1252")
    parts, crlf, last, removed = [], [], 0, 0
    for m in re.finditer(r"\r\n?", original):
        parts += [original[last : m.start()], "\n"]
        if m.group() == "\r\n":
            crlf.append(m.start() - removed)
            removed += 1
        last = m.end()
    parts.append(original[last:])
    text = "".join(parts)
    if crlf:
        notes.append("has CRLF line endings")
    return SourceText(text, bom, crlf, [m.start() for m in _ASTRAL.finditer(text)], notes)


class Scheme:
    """One way a tool may have counted positions, mapping them to indexes of the stored text.

    The standard counts Unicode code points of the file as it is (a CRLF is two).  Tools also
    count UTF-16 code units (an emoji is two), a line break as one, or the byte-order mark as
    position 0.  ``widths`` are the extra positions each such character takes.
    """

    def __init__(self, deviations: tuple[str, ...], events: list[tuple[int, int]], offset: int, length: int):
        self.deviations = deviations
        self.offset = offset
        self.length = length
        self.starts, self.widths, self.cum, self.indexes = [], [], [0], []
        for index, width in sorted(events):
            self.starts.append(offset + index + self.cum[-1])
            self.widths.append(width)
            self.cum.append(self.cum[-1] + width)
            self.indexes.append(index)

    def index(self, position: int) -> int | None:
        """Text index of a position; None if it splits a character or lies outside the text."""
        k = bisect_left(self.starts, position)
        if k and position < self.starts[k - 1] + 1 + self.widths[k - 1]:
            return None
        index = position - self.offset - self.cum[k]
        return index if 0 <= index <= self.length else None

    def position(self, index: int) -> int:
        """The position this convention gives text index ``index`` (the inverse of :meth:`index`)."""
        return self.offset + index + self.cum[bisect_left(self.indexes, index)]


DEVIATIONS = {
    "utf16": "count UTF-16 code units instead of characters (as NVivo does)",
    "crlf": "count each CRLF line break as one character",
    "bom": "count the byte-order mark as a character",
}


def scheme_named(source: SourceText, deviations: str | None) -> Scheme:
    """The convention a document's selections were found to follow (``Document.positions``: its
    deviations from the standard, space-separated), for writing positions the same way again."""
    wanted = tuple(sorted((deviations or "").split()))
    found = schemes(source)
    return next((s for s in found if tuple(sorted(s.deviations)) == wanted), found[0])


def schemes(source: SourceText) -> list[Scheme]:
    """The counting conventions that could differ for this text, the standard's first."""
    options = [("utf16", bool(source.astral)), ("crlf", bool(source.crlf)), ("bom", source.bom)]
    names = [name for name, present in options if present]
    out = []
    for flags in product((False, True), repeat=len(names)):
        chosen = tuple(n for n, on in zip(names, flags) if on)
        events = [(i, 1) for i in source.astral] if "utf16" in chosen else []
        if "crlf" not in chosen:
            events += [(i, 1) for i in source.crlf]
        out.append(Scheme(chosen, events, 1 if "bom" in chosen else 0, len(source.text)))
    return sorted(out, key=lambda s: len(s.deviations))


def _mid_word(text: str, i: int) -> bool:
    return 0 < i < len(text) and text[i - 1].isalnum() and text[i].isalnum()


def _misfit(text: str, scheme: Scheme, start: int, end: int) -> bool:
    """A selection that does not fit the text under ``scheme``: split, outside, or mid-word."""
    s, e = scheme.index(start), scheme.index(end)
    return s is None or e is None or s > e or _mid_word(text, s) or _mid_word(text, e)


def choose_scheme(source: SourceText, selections: list[tuple[int, int]]) -> tuple[Scheme, int]:
    """The counting convention under which the fewest selections misfit (the standard on ties)."""
    best, best_bad = None, None
    for scheme in schemes(source):
        bad = sum(_misfit(source.text, scheme, s, e) for s, e in selections)
        if best_bad is None or bad < best_bad:
            best, best_bad = scheme, bad
    return best, best_bad

