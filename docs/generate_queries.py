"""Regenerate docs/queries.md from the query catalogue and the worked example (`make docs`)."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from themegraph.graph.open import open_store
from themegraph.loaders.study import read_study
from themegraph.output import render
from themegraph.queries import catalog

ROOT = Path(__file__).resolve().parents[1]

#: parameters that show each query at its most telling on the example
SAMPLES = {
    "theory-links": {"theory": "Bordin", "stance": "challenges"},
    "evidence-chain": {"node": "forced-dynamic-vs-collaboration"},
    "extends-theory": {"theory": "Bordin"},
    "participant-theme": {"level": "final"},
    "theme-prevalence": {"level": "final"},
    "quote-search": {"words": "trust"},
    "path": {"from": "PB", "to": "Goals"},
    "citation-context": {"work": "ohare1996"},
    "most-cited": {"top": 5},
    "most-cited-authors": {"top": 5},
    "co-citation": {"top": 5},
}

INTRO = """# Named queries

Every query is a portable Cypher file in `themegraph/queries/` with a validated header; the same
text runs on the embedded store and on Neo4j (`path` has a Ladybug variant for its shortest-path
syntax), and a parity test requires identical rows from both.

```bash
themegraph query list                                   # name, question, parameters
themegraph query show theory-links                      # the Cypher
themegraph query run theory-links -p theory=Bordin -p stance=challenges --format markdown
themegraph query run participant-theme --out matrix.xlsx   # .csv .json .md .xlsx
```

From Python: `kb = themegraph.open(db='demo/themegraph.db'); kb.query('theory-links', theory='Bordin')`
returns a pandas DataFrame (`kb.refresh()` after a load made from the command line).

**Parameters.** Each `-p name=value` is read once, as the parameter's declared type: `string`
(the text as typed: `-p theory=null` is the word "null"), `int`, `float`, `bool` (true/false),
`words` (a list: commas, spaces or a repeated `-p` separate the words), `enum[a|b]` (one of the
values, any case), `enum[Kind.prop]` (one of the values the knowledge base holds, any case:
`-p level=Final`) and `node` (a node's id or exact name, looked up in every kind; a name that
matches nothing is an error that suggests the closest ones). A query that answers nothing says
why on stderr: no data of a kind it reads, or nothing matching the values given.

**Schema-derived text.** Relation types and stance lists are not typed into the queries: the
catalogue fills in `{{path_rels}}` (every relation type in `graph/schema.py` but the study hub
`IN_STUDY`), `{{stance_rels}}`, `{{stance_kinds}}` and `{{stances}}` from the schema, and a node
parameter's label once it has been looked up. It refuses, when it loads, a query naming a label
or relation type the schema does not declare.

Samples below are from the worked example (`examples/mandatory-therapy`), first rows only; long
cells are shortened here, never in real output. This page is generated: `make docs`.
"""


def short(value, limit: int = 90) -> str:
    text = "; ".join(map(str, value)) if isinstance(value, list) else ("" if value is None else str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, open_store(db=str(Path(tmp) / "kb.db")) as store:
        store.apply(read_study(ROOT / "examples" / "mandatory-therapy"))
        parts = [INTRO]
        for name, query in catalog.catalog().items():
            params = SAMPLES.get(name, {})
            rows = catalog.run(store, name, params)
            table = ["| parameter | type | default | meaning |", "|---|---|---|---|"]
            table += [f"| `{p.name}` | {p.type_text} | `{json.dumps(p.default)}` | {p.doc} |" for p in query.params]
            args = "".join(f" -p {k}={v}" for k, v in params.items())
            sample = [{k: short(v) for k, v in r.items()} for r in rows[:5]]
            parts += [f"## `{name}`", "", query.question, "", *(table if query.params else ["No parameters."]), "",
                      f"`themegraph query run {name}{args}`: {len(rows)} rows", "",
                      render(sample, "markdown", list(query.columns)) if sample else "_(no rows on the example)_", ""]
    (ROOT / "docs" / "queries.md").write_text("\n".join(parts), encoding="utf-8")
    print(f"wrote docs/queries.md ({len(catalog.catalog())} queries)", file=sys.stderr)


if __name__ == "__main__":
    main()
