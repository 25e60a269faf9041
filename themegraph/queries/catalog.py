"""The named query catalogue: portable ``.cypher`` files with a validated header.

Each file in this folder starts with comment lines::

    // name: theory-links
    // question: Which findings support, extend or challenge which theory, with what evidence?
    // param theory: string = "" | part of a theory, construct or work name; empty for all
    // param stance: enum[{{stances}}] = "" | supports, extends or challenges; empty for all
    // columns: study, finding, stance, target_kind, target, evidence
    // keep order: names          (optional: list columns whose order means something)

Parameter types (``params.py``): string, int, float, bool, words (a list), ``enum[a|b]`` (one
of the values, any case), ``enum[Kind.prop]`` (one of the values the store holds, any case)
and node (a node named by id or exact name, found in every declared kind).

What the schema declares is never retyped in a query: ``{{stance_rels}}`` (SUPPORTS|EXTENDS|
CHALLENGES), ``{{stance_kinds}}`` (the same as a list of strings), ``{{stances}}``,
``{{path_rels}}`` (every relation type but the hubs) are filled in from ``graph/schema.py``,
and ``{{p}}`` for a node parameter ``p`` becomes the label of the node it names (so a query
matches ``(a:{{from}})`` by label and id, not every node).  The header is checked when the
catalogue loads: name matches the file, every ``$param`` used is declared and vice versa,
every column is returned, every label and relation type is declared in the schema.  A broken
query fails at start-up and in the tests rather than in front of a user.

List values are sorted before they are returned (``collect`` has no defined order and Cypher no
portable list sort) except in the columns named under ``keep order``.  Where the dialects truly
differ (shortest paths) a variant ``NAME.DIALECT.cypher`` replaces the body on that dialect.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..errors import ThemeGraphError
from ..graph.schema import NODE_KINDS, REL_KINDS, RELS, STANCE_RELS, STANCES
from .params import CatalogError, Param, parse_param_line, resolve_nodes

__all__ = ["CatalogError", "Param", "Query", "catalog", "explain_empty", "get", "normalise", "parse", "run", "show"]

HERE = Path(__file__).parent
#: The Cypher dialects a variant file may name: the stores' ``name``.
DIALECTS = ("ladybug", "neo4j")
#: Schema-derived text the query files may use (``{{name}}``).
SCHEMA_TEXT = {
    "stance_rels": "|".join(STANCE_RELS[s] for s in STANCES),
    "stance_kinds": "[" + ", ".join(f"'{STANCE_RELS[s]}'" for s in STANCES) + "]",
    "stances": "|".join(STANCES),
    "path_rels": "|".join(r.name for r in RELS if not r.hub),
}
_MARKER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
_USED = re.compile(r"\$(\w+)")
_RETURN_ALIAS = re.compile(r"\bAS\s+(\w+)", re.IGNORECASE)
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_COMMENT = re.compile(r"//[^\n]*")
_LABEL = re.compile(r"\(\s*\w*\s*((?::\s*\w+\s*)+)")
_TYPES = re.compile(r"\[\s*\w*\s*:\s*([\w|:\s]+?)\s*[*\]{]")
_KIND_LITERAL = re.compile(r"\bkind\s*(?:=|<>)\s*'(\w+)'")


def expand(text: str, node_kinds: dict[str, str] | None = None) -> str:
    """``text`` with every ``{{marker}}`` filled in from the schema (and node kinds, if given)."""
    fill = {**SCHEMA_TEXT, **(node_kinds or {})}

    def one(match: re.Match) -> str:
        if match.group(1) not in fill:
            raise CatalogError(f"unknown marker {{{{{match.group(1)}}}}}; known: {', '.join(fill)}")
        return fill[match.group(1)]

    return _MARKER.sub(one, text)


def show(name: str) -> str:
    """A query file as it runs: the schema's names filled in (a node parameter's ``{{marker}}``
    stays: it becomes the label of the node named when the query runs)."""
    text = get(name).path.read_text(encoding="utf-8")
    return _MARKER.sub(lambda m: SCHEMA_TEXT.get(m.group(1), m.group(0)), text)


def schema_names(cypher: str) -> tuple[set[str], set[str]]:
    """Labels and relation types a query names (outside strings and comments), and kind literals
    (``x.kind = 'Theory'``) among the labels or types."""
    bare = _STRING.sub("''", _COMMENT.sub("", cypher))
    labels = {name.strip() for group in _LABEL.findall(bare) for name in group.split(":") if name.strip()}
    types = {t.strip(" :") for group in _TYPES.findall(bare) for t in group.split("|") if t.strip(" :")}
    kinds = set(_KIND_LITERAL.findall(_COMMENT.sub("", cypher)))
    labels |= {k for k in kinds if k not in REL_KINDS}
    types |= {k for k in kinds if k in REL_KINDS}
    return labels, types


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
    labels: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()

    @property
    def ordered(self) -> bool:
        """Whether the rows come in a defined order (else comparisons sort them)."""
        return bool(re.search(r"\bORDER\s+BY\b", self.cypher, re.IGNORECASE))

    @property
    def node_params(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.type == "node")

    def text_for(self, store, node_kinds: dict[str, str] | None = None) -> str:
        """The Cypher to send to ``store``: its dialect's variant, markers filled in."""
        return expand(self.variants.get(store.dialect, self.cypher), node_kinds)

    def bind(self, given: dict) -> dict:
        """Declared defaults overlaid with Python values; unknown names are an error listing the valid ones."""
        known = self._check_names(given)
        return {name: p.parse(given[name] if name in given else p.default) for name, p in known.items()}

    def bind_text(self, given: dict[str, list[str]]) -> dict:
        """Defaults overlaid with values typed on the command line (``-p k=v``, each key's texts
        in order): every value parsed once, from its declared type."""
        known = self._check_names(given)
        return {name: p.from_text(given[name]) if name in given else p.parse(p.default) for name, p in known.items()}

    def _check_names(self, given: dict) -> dict[str, Param]:
        known = {p.name: p for p in self.params}
        unknown = sorted(set(given) - set(known))
        if unknown:
            valid = ", ".join(known) or "none"
            raise CatalogError(f"query {self.name!r} has no parameter {', '.join(unknown)} (valid: {valid})")
        return known

    def describe(self) -> dict:
        return {
            "name": self.name,
            "question": self.question,
            "params": [{"name": p.name, "type": p.type_text, "default": p.default, "doc": p.doc} for p in self.params],
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
            param = parse_param_line(expand(content) if content.startswith("param") else content, f"{where}:{n}")
            if param:
                params.append(param)
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
        raise CatalogError(f"{where}: parameters used {sorted(used)} differ from those declared {sorted(declared)}")
    try:  # a node parameter's marker stands for some declared label
        expanded = expand(cypher, {p.name: "Study" for p in params if p.type == "node"})
    except CatalogError as exc:
        raise CatalogError(f"{where}: {exc}") from None
    labels, types = schema_names(expanded)
    undeclared = sorted(labels - set(NODE_KINDS)) + sorted(types - set(REL_KINDS))
    if undeclared:
        raise CatalogError(f"{where}: {', '.join(undeclared)} not declared in graph/schema.py")
    columns = tuple(c.strip() for c in header["columns"].split(",") if c.strip())
    returned = set(_RETURN_ALIAS.findall(cypher[cypher.upper().rfind("RETURN") :]))
    missing = [c for c in columns if c not in returned]
    if missing:
        raise CatalogError(f"{where}: columns {missing} are not returned (RETURN ... AS {missing[0]})")
    keep = tuple(c.strip() for c in header.get("keep order", "").split(",") if c.strip())
    if set(keep) - set(columns):
        raise CatalogError(
            f"{where}: 'keep order' names columns that are not returned: {sorted(set(keep) - set(columns))}"
        )
    read, _ = schema_names(expand(cypher, {p.name: "" for p in params if p.type == "node"}))
    return Query(
        name, header["question"], tuple(params), columns, cypher, keep, path=path,
        labels=frozenset(read), types=frozenset(types),
    )


@lru_cache(maxsize=1)
def catalog() -> dict[str, Query]:
    """Every named query, validated, with its per-dialect variants."""
    queries: dict[str, Query] = {}
    for path in sorted(HERE.glob("*.cypher")):
        parts = path.name.split(".")
        if len(parts) == 2:
            queries[parts[0]] = parse(path)
    for path in sorted(HERE.glob("*.*.cypher")):
        base, dialect = path.name.split(".")[:2]
        if base not in queries:
            raise CatalogError(f"{path.name}: a variant of a query that does not exist")
        if dialect not in DIALECTS:
            raise CatalogError(f"{path.name}: unknown dialect {dialect!r}; known: {', '.join(DIALECTS)}")
        variant = parse(path)
        if variant.params != queries[base].params or variant.columns != queries[base].columns:
            raise CatalogError(f"{path.name}: a variant must declare the same parameters and columns")
        queries[base].variants[dialect] = variant.cypher
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


def run(store, name: str, params: dict | None = None, *, bound: dict | None = None) -> list[dict]:
    """Run a named query on a store with parameters (defaults filled in; or already ``bound``).

    Enumerations read from the store are checked and node parameters looked up first (a name
    that matches no node is an error suggesting the closest names).  List values are sorted, and
    rows of a query without ORDER BY are sorted too, so the same question gets the same answer,
    row for row, from either store.
    """
    query = get(name)
    values = dict(bound) if bound is not None else query.bind(params or {})
    for p in query.params:
        values[p.name] = p.check_in(store, values[p.name])
    found = resolve_nodes(store, query.node_params, values)  # {param: {kind: [ids]}}
    rows = []
    combinations = list(itertools.product(*(sorted(found[p.name].items()) for p in query.node_params)))
    for combination in combinations:
        kinds = {p.name: kind for p, (kind, _) in zip(query.node_params, combination, strict=True)}
        ids = {p.name: ids for p, (_, ids) in zip(query.node_params, combination, strict=True)}
        rows += store.query(query.text_for(store, kinds), {**values, **ids})
    out = [{c: row.get(c) if c in query.keep_order else normalise(row.get(c)) for c in query.columns} for row in rows]
    if not query.ordered or len(combinations) > 1:
        out.sort(key=lambda r: json.dumps(r, sort_keys=True, default=str))
    return out


def explain_empty(store, name: str, values: dict) -> str:
    """Why a query answered nothing: no data of a kind it reads, or nothing matching the values."""
    query = get(name)
    unnamed = [p.name for p in query.node_params if not values.get(p.name)]
    if unnamed:
        return f"no rows: name a node with {' and '.join(f'-p {n}=ID-or-name' for n in unnamed)}"
    missing = [k for k in sorted(query.labels) if not _any(store, f"MATCH (n:{k}) RETURN n.id AS x LIMIT 1")]
    missing += [t for t in sorted(query.types) if not _any(store, f"MATCH (a)-[r:{t}]->(b) RETURN a.id AS x LIMIT 1")]
    if missing:
        return f"no rows: the knowledge base holds no {', '.join(missing)} (the query {name!r} reads them)"
    given = {p.name: values[p.name] for p in query.params if values.get(p.name) not in (p.parse(p.default), [""])}
    if given:
        shown = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in given.items())
        return f"no rows: nothing matches {shown}"
    return f"no rows: the data loaded holds nothing the query {name!r} looks for"


def _any(store, cypher: str) -> bool:
    """Whether ``cypher`` returns a row; a kind a database made by an older ThemeGraph lacks: no."""
    try:
        return bool(store.query(cypher))
    except ThemeGraphError:
        return False
