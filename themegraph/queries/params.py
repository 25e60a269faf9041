"""Query parameters: declared types, values parsed once from them, and lookups in the store.

A value typed on the command line is text and is parsed here, from the parameter's declared
type, exactly once (``-p words=1979`` is the word "1979", ``-p study=null`` the text "null").
Python callers pass typed values, which are checked.  Enumerations match in any case and come
back as declared (or as stored); a node parameter names a node by id or exact name and is
looked up in every declared kind before the query runs, so a name that matches nothing is an
error that suggests the closest names instead of an empty answer.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from dataclasses import dataclass

from ..errors import ThemeGraphError
from ..graph.schema import NODE_KINDS, NODES

SCALARS = {"string": str, "int": int, "float": float, "bool": bool}
TYPES = (*SCALARS, "words", "enum[...]", "node")
_PARAM_LINE = re.compile(r"^param\s+(\w+)\s*:\s*(\w+(?:\[[^\]]*\])?)\s*=\s*(.*?)\s*\|\s*(.+)$")
_ENUM = re.compile(r"^enum\[(.+)\]$")
_FROM_STORE = re.compile(r"^(\w+)\.(\w+)$")
_SEPARATORS = re.compile(r"[,\s]+")
_TRUE, _FALSE = ("true", "yes", "1", "on"), ("false", "no", "0", "off")
#: Kinds a node parameter is looked up in: every declared kind but the load ledger.
NODE_LOOKUP = tuple(k.name for k in NODES if k.name != "Source")
SUGGESTIONS = 5


class CatalogError(ThemeGraphError):
    """A query file whose header does not match its body, or an unknown query/parameter/value."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: object
    doc: str
    #: an enumeration's values, or (kind, property) whose stored values it takes
    choices: tuple[str, ...] | tuple[str, str] | None = None
    from_store: bool = False

    @property
    def type_text(self) -> str:
        if self.type != "enum":
            return self.type
        return f"enum[{'.'.join(self.choices) if self.from_store else '|'.join(self.choices)}]"

    def _fail(self, raw) -> CatalogError:
        return CatalogError(f"parameter {self.name!r} must be {self.type_text}, got {raw!r}")

    def parse(self, raw):
        """A Python value checked against the declared type (ints are accepted as floats)."""
        if self.type == "words":
            items = raw.split() if isinstance(raw, str) else raw
            if not isinstance(items, (list, tuple)) or not all(isinstance(w, str) for w in items):
                raise self._fail(raw)
            return self._words(items)
        if self.type in ("enum", "node"):
            if not isinstance(raw, str):
                raise self._fail(raw)
            return self._choose(raw)
        if self.type == "float" and isinstance(raw, int) and not isinstance(raw, bool):
            raw = float(raw)
        if not isinstance(raw, SCALARS[self.type]) or (self.type in ("int", "float") and isinstance(raw, bool)):
            raise self._fail(raw)
        return raw

    def from_text(self, texts: list[str]):
        """The value of one or more ``-p name=text`` options: a list type takes every text, split
        at commas and spaces; any other type takes exactly one, parsed from its type."""
        if self.type == "words":
            return self._words([w for text in texts for w in _SEPARATORS.split(text)])
        if len(texts) != 1:
            raise CatalogError(f"parameter {self.name!r} takes one value, got {len(texts)}: {texts}")
        text = texts[0]
        if self.type in ("string", "node"):
            return text
        if self.type == "enum":
            return self._choose(text)
        if self.type == "bool":
            if text.strip().lower() not in _TRUE + _FALSE:
                raise CatalogError(f"parameter {self.name!r} must be true or false, got {text!r}")
            return text.strip().lower() in _TRUE
        try:
            value = int(text) if self.type == "int" else float(text)
        except ValueError:
            raise self._fail(text) from None
        if isinstance(value, float) and not math.isfinite(value):
            raise self._fail(text)
        return value

    @staticmethod
    def _words(items) -> list[str]:
        """Lower-cased words; none becomes ``[""]`` (in every text): Ladybug cannot type an empty list."""
        return [w.lower() for w in items if w] or [""]

    def _choose(self, text: str) -> str:
        """A declared enumeration value in any case, as declared ("" when the default is "")."""
        if self.type != "enum" or self.from_store or (text == "" and self.default == ""):
            return text
        for choice in self.choices:
            if choice.casefold() == text.strip().casefold():
                return choice
        allowed = ", ".join(self.choices) + (" (or empty for all)" if self.default == "" else "")
        raise CatalogError(f"parameter {self.name!r} must be one of {allowed}; got {text!r}")

    def check_in(self, store, value):
        """An enumeration of stored values checked against the store, in any case (the stored
        spelling is returned); other values pass unchanged."""
        if not self.from_store or value == "":
            return value
        kind, prop = self.choices
        rows = store.query(f"MATCH (n:{kind}) RETURN DISTINCT n.{prop} AS v")
        stored = sorted({r["v"] for r in rows if isinstance(r["v"], str)})
        for option in stored:
            if option.casefold() == value.strip().casefold():
                return option
        if value == self.default:  # the default asks nothing of the data: an empty answer says why
            return value
        known = ", ".join(stored) or f"none: no {kind} is loaded"
        raise CatalogError(f"parameter {self.name!r}: no {kind} has {prop} {value!r}; values loaded: {known}")


def parse_param_line(content: str, where: str) -> Param | None:
    """The parameter a header line declares (``param name: type = default | doc``), or None."""
    match = _PARAM_LINE.match(content)
    if not match:
        return None
    name, type_, default, doc = match.groups()
    choices, from_store = None, False
    enum = _ENUM.match(type_)
    if enum:
        spec = enum.group(1).strip()
        store_spec = _FROM_STORE.match(spec)
        if store_spec:
            kind, prop = store_spec.groups()
            if kind not in NODE_KINDS or prop not in {p.name for p in NODE_KINDS[kind].columns}:
                raise CatalogError(f"{where}: {kind}.{prop} is not a declared node property")
            choices, from_store = (kind, prop), True
        else:
            choices = tuple(c.strip() for c in spec.split("|") if c.strip())
        type_ = "enum"
    elif type_ not in (*SCALARS, "words", "node"):
        raise CatalogError(f"{where}: parameter type must be one of {', '.join(TYPES)}")
    try:
        value = json.loads(default)
    except ValueError:
        raise CatalogError(f"{where}: default of {name!r} must be JSON, got {default!r}") from None
    param = Param(name, type_, value, doc.strip(), choices, from_store)
    try:
        param.parse(value)
    except CatalogError as exc:
        raise CatalogError(f"{where}: default: {exc}") from None
    return param


def resolve_nodes(store, params: tuple[Param, ...], values: dict) -> dict[str, dict[str, list[str]]]:
    """For each node parameter, the ids of the nodes it names, by kind (labelled lookups only,
    so nothing outside the declared kinds is ever matched).  A name that matches nothing is an
    error naming the closest ids and names; an empty one matches nothing, silently."""
    found = {}
    for param in params:
        wanted = values[param.name]
        by_kind: dict[str, list[str]] = {}
        if not wanted:  # no node named: no answer (``explain_empty`` says which parameter to give)
            found[param.name] = by_kind
            continue
        for kind in NODE_LOOKUP:
            rows = store.query(f"MATCH (n:{kind}) WHERE n.id = $v OR n.name = $v RETURN n.id AS id", {"v": wanted})
            if rows:
                by_kind[kind] = sorted(r["id"] for r in rows)
        if not by_kind:
            raise CatalogError(f"parameter {param.name!r}: no node has the id or name {wanted!r}{_closest(store, wanted)}")
        found[param.name] = by_kind
    return found


def _closest(store, wanted: str) -> str:
    """'; did you mean ...' with the ids and names most like ``wanted`` (any kind), or ''."""
    names: set[str] = set()
    for kind in NODE_LOOKUP:
        for row in store.query(f"MATCH (n:{kind}) RETURN n.id AS id, n.name AS name"):
            names.update(v for v in (row["id"], row["name"]) if isinstance(v, str))
    folded = {n.casefold(): n for n in names}
    close = [folded[n] for n in difflib.get_close_matches(wanted.casefold(), list(folded), SUGGESTIONS, 0.6)]
    close += sorted(n for n in names if wanted.casefold() in n.casefold() and n not in close)
    close = close[:SUGGESTIONS]
    return f"; did you mean: {', '.join(repr(c) for c in close)}?" if close else ""
