"""One normalising comparison of two REFI-QDA ``project.qde`` files, for the round-trip tests.

A project is flattened into *facts*: one per element (its path), one per attribute and one per
text.  An element's path names its ancestors and itself by identity, never by position, so the
comparison is GUID-stable and order-insensitive (the standard gives no meaning to the order of
users, codes, sources, selections, codings, notes, links or sets):

- an element with a ``guid`` is named by it (lower case, braces dropped, as the standard lets a
  GUID be spelt either way);
- a reference (``CodeRef``, ``NoteRef``, ``SourceRef``, ``SelectionRef``, ``MemberCode`` ...) by
  its target; a ``VariableValue`` by its variable;
- anything else (``Description``, ``PlainTextContent``, ``Codes`` ...) by its tag alone: the
  schema allows one of each per parent.  An empty ``Description`` or ``PlainTextContent`` says
  nothing and is left out, as is an attribute whose value is empty (``name=""``).

The one order that is compared is that of codes among their siblings: the standard does not
give it a meaning, but it is the order a user arranged the code tree in.

Values are normalised where the standard allows two spellings of one value: GUIDs, booleans
(``1``/``true``), date-times (``Z`` or ``+00:00``, with or without fractions of a second),
colours (case), paths inside the project (``internal://`` or no scheme, as qc writes them) and text
(line endings, surrounding white space).  Namespaces, ``xmlns`` and
``xsi:`` attributes are ignored.

:func:`compare` returns what only the first and only the second project hold; :func:`undocumented`
leaves out what docs/refi-qda.md lists as deliberately changed (:data:`DOCUMENTED`), so a test
asserts that nothing else differs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree import ElementTree

_GUID = re.compile(r"\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?")
_REF_ATTRS = ("targetGUID", "guid")
_DATETIME_ATTRS = {"creationDateTime", "modifiedDateTime"}
_BOOLEAN_ATTRS = {"isCodable"}
_TEXT_ONLY = {"Description", "PlainTextContent"}
_PATH_ATTRS = {"plainTextPath", "richTextPath", "path", "currentPath"}


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _guid(value: str) -> str:
    m = _GUID.fullmatch(value.strip())
    return m.group(1).lower() if m else value


def _value(attr: str, value: str) -> str:
    value = value.strip()
    if _GUID.fullmatch(value):
        return _guid(value)
    if attr in _DATETIME_ATTRS:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).replace(microsecond=0).isoformat()
    if attr in _BOOLEAN_ATTRS:
        return {"1": "true", "0": "false"}.get(value.lower(), value.lower())
    if attr == "color":
        return value.upper()
    if attr in _PATH_ATTRS:  # qc writes internal paths without their scheme
        return re.sub(r"^internal://", "", value, flags=re.IGNORECASE)
    return value


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    return value or None


def _identity(el: ElementTree.Element) -> str:
    tag = _local(el.tag)
    for attr in _REF_ATTRS:
        if el.get(attr):
            return f"{tag}[{_guid(el.get(attr))}]"
    if tag == "VariableValue":
        ref = next((c for c in el if _local(c.tag) == "VariableRef"), None)
        if ref is not None and ref.get("targetGUID"):
            return f"{tag}[{_guid(ref.get('targetGUID'))}]"
    return tag


@dataclass(frozen=True)
class Fact:
    """One thing a project says: an element at ``path`` exists, or has ``what`` = ``value``."""

    path: str
    what: str = ""  # "" the element itself, "@attr" an attribute, "#text" its text
    value: str = ""

    def __str__(self) -> str:
        return f"{self.path} {self.what}={self.value!r}" if self.what else self.path


def facts(qde: bytes) -> set[Fact]:
    """Every fact of a project.qde, under GUID-stable, order-free paths."""
    out: set[Fact] = set()
    stack = [(ElementTree.fromstring(qde), "")]
    while stack:
        el, above = stack.pop()
        if _local(el.tag) in _TEXT_ONLY and _text(el.text) is None:
            continue  # an empty Description says nothing
        path = f"{above}/{_identity(el)}"
        out.add(Fact(path))
        for name, value in el.attrib.items():
            attr = _local(name)
            if name.startswith("{http://www.w3.org/2001/XMLSchema-instance}") or attr == "guid" or not value.strip():
                continue  # the guid is in the path; an empty attribute says nothing
            out.add(Fact(path, f"@{attr}", _value(attr, value)))
        text = _text(el.text)
        if text is not None:
            out.add(Fact(path, "#text", text))
        codes = [child for child in el if _local(child.tag) == "Code"]
        for rank, code in enumerate(codes):  # a code tree's order is the user's (MAXQDA sorts by hand)
            out.add(Fact(f"{path}/{_identity(code)}", "#rank", str(rank)))
        stack += [(child, path) for child in el]
    return out


def compare(first: bytes, second: bytes) -> tuple[set[Fact], set[Fact]]:
    """The facts only ``first`` holds, and those only ``second`` holds."""
    a, b = facts(first), facts(second)
    return a - b, b - a


@dataclass(frozen=True)
class Documented:
    """A difference docs/refi-qda.md lists, as the facts it covers on each side."""

    name: str
    matches: object  # (Fact) -> bool

    def __call__(self, fact: Fact) -> bool:
        return bool(self.matches(fact))


#: What an export deliberately changes (docs/refi-qda.md, "What a round trip changes").
DOCUMENTED = (
    Documented("the exporting tool is ThemeGraph", lambda f: f.path == "/Project" and f.what == "@origin"),
    Documented(
        "a source without a name is exported under its file name",
        lambda f: f.what == "@name" and f.path.rsplit("/", 1)[-1].startswith("TextSource["),
    ),
)


def undocumented(diff: set[Fact], allowed=DOCUMENTED) -> list[str]:
    """The differences no documented rule explains, sorted, as readable lines."""
    return sorted(str(f) for f in diff if not any(rule(f) for rule in allowed))
