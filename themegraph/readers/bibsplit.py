"""The plain entries of a BibTeX file, split by regular expressions as bibtexparser would split them.

bibtexparser 2 splits a file mark by mark in Python: four fifths of reading a 14,000-entry export
and more than a third of loading it.  Most entries of real exports are *plain*: ``@type{key,``
then ``name = value`` fields, values in balanced braces or double quotes (or bare numbers and
macro names), no second ``@``.  For a plain entry bibtexparser's splitter gives a result fixed by
a few rules, which :func:`split_plain` applies at the speed of the regular-expression engine:

- a block ends at its closing brace, and nothing follows it before the next line that starts
  with ``@`` (the line where bibtexparser recovers from any broken block);
- the entry type is the word after ``@``, lower-cased; the key is the text before the first
  comma, stripped;
- fields are separated by commas outside braces and quotes (braces inside quotes are text);
  a field's name is the text before its first ``=``, its value the text after it, both stripped;
- a line counts when its newline does not follow a backslash (bibtexparser's marks skip escaped
  characters, newlines included).

Everything else (``@string``, ``@comment``, ``@preamble``, entries with ``@`` or deep braces
in a value, parentheses, a key that may be used twice, a name given twice) stays in the
*rest*: the file with the plain entries blanked out and their newlines kept, so that bibtexparser
reads the rest with the file's own line numbers.  A plain entry that follows a block left in
the rest stays in the rest too: a broken block stops where the next block starts, and its
``@`` must be there for it to stop at the same place, with the same message.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import NamedTuple


class PlainEntry(NamedTuple):
    """One plain entry: where it starts (0-based, as bibtexparser counts lines) and its parts."""

    start_line: int
    entry_type: str
    key: str
    fields: list[tuple[str, str]]  # (name, value) in file order, values as written (braces kept)


#: Where bibtexparser starts over after a broken block: a block start (``@type{`` or ``@type(``)
#: that begins a line.
_LINE_START_AT = re.compile(r"^[^\S\n]*@\w*[ \t]*[{(]", re.MULTILINE)
#: What makes a block other than plain: an escaped backslash before a mark (whether that mark
#: counts depends on more than one character), and ``{"}`` (a quote that does not end a quoted
#: value, to bibtexparser).
_NOT_PLAIN = re.compile(r'\\\\[{}",=\n]|\{"\}')


def _braced(depth: int) -> str:
    """A group in balanced braces, nested up to ``depth`` levels (a backslash escapes any character)."""
    inner = r"(?:[^{}\\]++|\\[\s\S])"
    group = r"\{" + inner + r"*+\}"
    for _ in range(depth - 1):
        group = r"\{(?:" + inner + "|" + group + r")*+\}"
    return group


_GROUP = _braced(5)
#: A value in double quotes: braces in it are text, to bibtexparser (and need not balance).
_QUOTED = r'"(?:[^"\\]++|\\[\s\S])*+"'
#: ``@type{key,`` then a body of balanced braces and quoted values up to the entry's closing
#: brace, then blank space.
_ENTRY = re.compile(
    r"[^\S\n]*@(\w+)[ \t]*\{([^{}\",=@\\]*),((?:[^{}\"\\]++|\\[\s\S]|" + _GROUP + "|" + _QUOTED + r")*+)\}\s*",
    re.ASCII,
)
#: A field: its name (up to the first "=") and its value (up to a comma outside braces and quotes).
#: (The name ends in a character that is not blank space, so no run of spaces is tried both
#: ways: a name followed by 100,000 spaces and no "=" fails in one pass.)
_FIELD = (r'\s*+([^\s{}",=@\\](?:[^{}",=@\\]*[^\s{}",=@\\])?)\s*+=((?:[^{},"\\]++|\\[\s\S]|' + _GROUP + "|"
          + _QUOTED + ")*+)")
_FIELDS = re.compile(_FIELD, re.ASCII)
#: A body that is fields separated by commas, perhaps one after the last.
#: (Possessive throughout: a body that is not plain fails in one pass, without backtracking.)
_BODY = re.compile("(?>" + _FIELD + ",)*+(?>" + _FIELD + r")?+\s*+", re.ASCII)
#: A block start anywhere (bibtexparser starts a block at any "@type{" outside one) and the key
#: it would read there.
_ANY_HEAD = re.compile(r"@\w*[ \t]*[{(]([^{}\",=@\\]*)[,})]")
#: The block types bibtexparser reads otherwise (by prefix: ``@commentary{`` is a comment to it).
_SPECIAL = ("comment", "preamble", "string")


def split_plain(text: str) -> tuple[list[PlainEntry], str]:
    """The plain entries of ``text`` and the rest for bibtexparser (plain entries blanked to their
    newlines)."""
    starts = [m.start() for m in _LINE_START_AT.finditer(text)]
    if not starts:
        return [], text
    bounds = list(zip(starts, starts[1:] + [len(text)]))
    entries = [_plain_entry(text, a, b) for a, b in bounds]
    # bibtexparser reads a repeat of a key otherwise than its first use: every entry whose key
    # may be used twice (counted over every block start, as bibtexparser may find one) stays
    keys = Counter(m.group(1).strip() for m in _ANY_HEAD.finditer(text))
    plain, rest, kept_to, line, counted_to = [], [], 0, 0, 0
    after_plain = "@" not in text[: starts[0]]  # no block can start in the text before the first
    for (a, b), entry in zip(bounds, entries):
        if entry is None or not after_plain or keys[entry.key] > 1:
            # kept for bibtexparser; so is a plain entry after a block it reads, which must
            # still find that entry's "@" where a broken block before it stops
            after_plain = entry is not None
            continue
        line += _lines(text, counted_to, a)
        counted_to = a
        plain.append(entry._replace(start_line=line))
        rest.append(text[kept_to:a])
        rest.append("\n" * _lines(text, a, b))
        kept_to = b
    rest.append(text[kept_to:])
    return plain, "".join(rest)


def _lines(text: str, a: int, b: int) -> int:
    """The newlines bibtexparser counts in ``text[a:b]``: those not escaped by a backslash."""
    return text.count("\n", a, b) - text.count("\\\n", a, b)


def _plain_entry(text: str, a: int, b: int) -> PlainEntry | None:
    """The block ``text[a:b]`` as a PlainEntry if it is plain (its line not yet counted), else None."""
    if text.find("@", text.index("@", a) + 1, b) >= 0 or _NOT_PLAIN.search(text, a, b):
        return None
    m = _ENTRY.fullmatch(text, a, b)
    if m is None:
        return None
    entry_type, key, body = m.group(1).lower(), m.group(2).strip(), m.group(3)
    if not key or entry_type.startswith(_SPECIAL):
        return None
    if not _BODY.fullmatch(body):
        return None
    fields = [(name.strip(), value.strip()) for name, value in _FIELDS.findall(body)]
    names = {name for name, _ in fields}
    if len(names) < len(fields) or "" in names:  # a name given twice, or only blank space
        return None
    return PlainEntry(0, entry_type, key, fields)
