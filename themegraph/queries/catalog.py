"""The named query catalogue: portable ``.cypher`` files with a validated header.

Each file in this folder starts with comment lines::

    // name: theory-links
    // question: Which findings support, extend or challenge which theory, with what evidence?
    // param theory: string = "" | part of a theory, construct or work name; empty for all
    // columns: study, finding, stance, target_kind, target, evidence
    // keep order: names          (optional: list columns whose order means something)

List values are sorted before they are returned (``collect`` has no defined order and Cypher no
portable list sort) except in the columns named under ``keep order``.  The header is checked when the catalogue loads (name matches the file, every ``$param`` used is
declared and vice versa, every column is returned), so a broken query fails at start-up and in
the tests rather than in front of a user.  A per-store variant ``NAME.ladybug.cypher`` or
``NAME.neo4j.cypher`` may replace the body where the dialects truly differ.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..errors import ThemeGraphError

HERE = Path(__file__).parent
TYPES = {"string": str, "int": int, "float": float, "bool": bool, "words": list}
_PARAM_LINE = re.compile(r"^param\s+(\w+)\s*:\s*(\w+)\s*=\s*(.*?)\s*\|\s*(.+)$")
_USED = re.compile(r"\$(\w+)")
_RETURN_ALIAS = re.compile(r"\bAS\s+(\w+)", re.IGNORECASE)


class CatalogError(ThemeGraphError):
    """A query file whose header does not match its body, or an unknown query/parameter."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: object
    doc: str

    def parse(self, raw):
        """A value given on the command line or from Python, checked against the declared type.

        ``words`` is a list of lower-cased words: Cypher has no portable split(), so text given
        as one string is split here.  No words becomes ``[""]`` (which every text contains):
        Ladybug cannot type an empty list parameter.
        """
        if self.type == "words":
            items = raw.split() if isinstance(raw, str) else raw
            if not isinstance(items, (list, tuple)) or not all(isinstance(w, str) for w in items):
                raise CatalogError(f"parameter {self.name!r} must be words, got {raw!r}")
            return [w.lower() for w in items] or [""]
        if isinstance(raw, str) and self.type != "string":
            try:
                raw = json.loads(raw)
            except ValueError:
                raise CatalogError(f"parameter {self.name!r} must be {self.type}, got {raw!r}") from None
        if self.type == "float" and isinstance(raw, int) and not isinstance(raw, bool):
            raw = float(raw)
        if self.type == "string" and not isinstance(raw, str):
            raw = str(raw)
        if not isinstance(raw, TYPES[self.type]) or (self.type == "int" and isinstance(raw, bool)):
            raise CatalogError(f"parameter {self.name!r} must be {self.type}, got {raw!r}")
        return raw


@dataclass(frozen=True)
class Query:
    name: str
    question: str
    params: tuple[Param, ...]
    columns: tuple[str, ...]
    cypher: str
    keep_order: tuple[str, ...] = ()
    variants: dict = field(default_factory=dict, hash=False, compare=False)
    path: Path | None = None

    @property
    def ordered(self) -> bool:
        """Whether the rows come in a defined order (else comparisons sort them)."""
        return bool(re.search(r"\bORDER\s+BY\b", self.cypher, re.IGNORECASE))

    def text_for(self, store_name: str) -> str:
        return self.variants.get(store_name, self.cypher)

    def bind(self, given: dict) -> dict:
        """Declared defaults overlaid with ``given``; unknown names are an error listing the valid ones."""
        known = {p.name: p for p in self.params}
        unknown = sorted(set(given) - set(known))
        if unknown:
            valid = ", ".join(known) or "none"
            raise CatalogError(f"query {self.name!r} has no parameter {', '.join(unknown)} (valid: {valid})")
        return {name: p.parse(given[name] if name in given else p.default) for name, p in known.items()}

    def describe(self) -> dict:
        return {
            "name": self.name,
            "question": self.question,
            "params": [{"name": p.name, "type": p.type, "default": p.default, "doc": p.doc} for p in self.params],
            "columns": list(self.columns),
        }


def parse(path: Path) -> Query:
    """Read and validate one query file."""
    text = path.read_text(encoding="utf-8")
    header, body = {}, []
    params: list[Param] = []
    where = path.name
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("//") and not body:
            content = stripped[2:].strip()
            match = _PARAM_LINE.match(content)
            if match:
                name, type_, default, doc = match.groups()
                if type_ not in TYPES:
                    raise CatalogError(f"{where}:{n}: parameter type must be one of {', '.join(TYPES)}")
                try:
                    value = json.loads(default)
                except ValueError:
                    raise CatalogError(f"{where}:{n}: default of {name!r} must be JSON, got {default!r}") from None
                params.append(Param(name, type_, value, doc.strip()))
                params[-1].parse(value)
            elif ":" in content:
                key, _, value = content.partition(":")
                header[key.strip()] = value.strip()
        elif stripped or body:
            body.append(line)
    cypher = "\n".join(body).strip()
    name = path.name.split(".")[0]
    for key in ("name", "question", "columns"):
        if not header.get(key):
            raise CatalogError(f"{where}: header line '// {key}: ...' is missing")
    if header["name"] != name:
        raise CatalogError(f"{where}: header name {header['name']!r} does not match the file name")
    used, declared = set(_USED.findall(cypher)), {p.name for p in params}
    if used != declared:
        raise CatalogError(
            f"{where}: parameters used {sorted(used)} differ from those declared {sorted(declared)}"
        )
    columns = tuple(c.strip() for c in header["columns"].split(",") if c.strip())
    returned = set(_RETURN_ALIAS.findall(cypher[cypher.upper().rfind("RETURN"):]))
    missing = [c for c in columns if c not in returned]
    if missing:
        raise CatalogError(f"{where}: columns {missing} are not returned (RETURN ... AS {missing[0]})")
    keep = tuple(c.strip() for c in header.get("keep order", "").split(",") if c.strip())
    if set(keep) - set(columns):
        raise CatalogError(f"{where}: 'keep order' names columns that are not returned: {sorted(set(keep) - set(columns))}")
    return Query(name, header["question"], tuple(params), columns, cypher, keep, path=path)


@lru_cache(maxsize=1)
def catalog() -> dict[str, Query]:
    """Every named query, validated, with its per-store variants."""
    queries: dict[str, Query] = {}
    for path in sorted(HERE.glob("*.cypher")):
        parts = path.name.split(".")
        if len(parts) == 2:
            queries[parts[0]] = parse(path)
    for path in sorted(HERE.glob("*.*.cypher")):
        base, store = path.name.split(".")[:2]
        if base not in queries:
            raise CatalogError(f"{path.name}: a variant of a query that does not exist")
        variant = parse(path)
        if variant.params != queries[base].params or variant.columns != queries[base].columns:
            raise CatalogError(f"{path.name}: a variant must declare the same parameters and columns")
        queries[base].variants[store] = variant.cypher
    return queries


def get(name: str) -> Query:
    """The named query; an unknown name is an error listing the valid ones."""
    queries = catalog()
    if name not in queries:
        raise CatalogError(f"no query named {name!r}; valid: {', '.join(sorted(queries))}")
    return queries[name]


def normalise(value):
    """Collected lists come back in no defined order: sort them so answers are comparable."""
    if isinstance(value, list):
        items = [normalise(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, default=str))
    return value


def run(store, name: str, params: dict | None = None) -> list[dict]:
    """Run a named query on a store with parameters (defaults filled in).

    List values are sorted, and rows of a query without ORDER BY are sorted too, so the same
    question gets the same answer, row for row, from either store.
    """
    query = get(name)
    bound = query.bind(params or {})
    rows = store.query(query.text_for(store.name), bound)
    out = [{c: row.get(c) if c in query.keep_order else normalise(row.get(c)) for c in query.columns} for row in rows]
    if not query.ordered:
        out.sort(key=lambda r: json.dumps(r, sort_keys=True, default=str))
    return out
