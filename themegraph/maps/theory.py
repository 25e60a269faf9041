"""The theory map: findings, the themes they derive from, and the literature they bear on.

Columns read left to right: themes, findings, constructs, theories, works.  A finding's link
to a work, theory or construct is coloured and labelled by its stance, with the sentence that
justifies it on hover.  Constructs bring their theory, theories the work that proposed them.
"""

from __future__ import annotations

from collections import defaultdict

from ..graph.schema import STANCE_RELS, STANCES
from .cypher import study_rows, where_study
from .evidence import Reach, codes_under, listed, quotes, theme_trail
from .model import LegendEntry, MapData, MapEdge, MapNode
from .palette import EDGE, KIND_COLOURS, NEUTRAL, STANCE_COLOURS, size_for
from .thematic import QUOTE_CHARS, TEXT_CHARS, Thematic, clip, plural
from .themes import theme_node

TARGETS = ("Construct", "Theory", "Work")
_COLUMN = {"Theme": 0, "Finding": 1, "Construct": 2, "Theory": 3, "Work": 4}
_SHAPE = {"Finding": "square", "Construct": "triangle", "Theory": "diamond", "Work": "dot"}


def build(store, study: str | None) -> MapData:
    """Findings linked to themes (DERIVED_FROM) and to works, theories, constructs by stance."""
    thematic = Thematic.read(store, study)
    findings = study_rows(
        store,
        "Finding",
        "f",
        "f.id AS id, f.name AS name, f.statement AS statement, f.section AS section, f.status AS status, "
        "f.study AS study, f.origin AS origin",
        study,
    )
    where, params = where_study("f", study)
    derived = defaultdict(list)
    for row in store.query(f"MATCH (f:Finding)-[:DERIVED_FROM]->(t:Theme){where} RETURN f.id AS f, t.id AS t", params):
        if row["t"] in thematic.themes:
            derived[row["f"]].append(row["t"])
    links = []  # (finding, stance, target kind, target id, evidence)
    for stance in STANCES:
        for kind in TARGETS:
            for row in store.query(
                f"MATCH (f:Finding)-[r:{STANCE_RELS[stance]}]->(x:{kind}){where} "
                "RETURN f.id AS f, x.id AS x, r.evidence AS evidence",
                params,
            ):
                links.append((row["f"], stance, kind, row["x"], row["evidence"]))
    literature = _Literature.read(store, {(kind, x) for _, _, kind, x, _ in links})

    data = MapData(kind="theory", title="Findings and theory", layout="layered", stance_options=list(STANCES))
    finding_themes: dict[str, tuple[str, ...]] = {}
    finding_names = {r["id"]: r.get("name") or r["id"] for r in findings}
    used_themes = [t for t in thematic.order if any(t in ts for ts in derived.values())]
    from_theme: dict[str, list[str]] = defaultdict(list)
    for f, ts in derived.items():
        for t in ts:
            from_theme[t].append(finding_names.get(f, f))
    for theme in used_themes:
        node = theme_node(thematic, theme, column=_COLUMN["Theme"])
        node.trail = theme_trail(thematic, theme, from_theme)
        data.nodes.append(node)
    finding_stances = defaultdict(set)
    for f, stance, _, _, _ in links:
        finding_stances[f].add(stance)
    for row in findings:
        fid = row["id"]
        themes = derived.get(fid, [])
        finding_themes[fid] = tuple(dict.fromkeys(a for t in themes for a in thematic.ancestry(t)))
        colour = thematic.colours[thematic.root[themes[0]]] if themes else NEUTRAL
        meta = " · ".join(x for x in ("finding", row.get("section"), row.get("status")) if x)
        tip = [("h", row.get("name") or fid), ("m", meta)]
        if row.get("statement"):
            tip.append(("p", clip(row["statement"], TEXT_CHARS)))
        if themes:
            tip.append(("m", "from " + thematic.theme_names(themes)))
        data.nodes.append(
            MapNode(
                id=f"Finding:{fid}",
                label=row.get("name") or fid,
                kind="Finding",
                color=colour,
                size=16,
                shape=_SHAPE["Finding"],
                tip=tip,
                trail=_finding_trail(fid, links, literature, thematic, themes),
                themes=finding_themes[fid],
                stances=tuple(sorted(finding_stances[fid])),
                column=_COLUMN["Finding"],
                study=row.get("study"),
            )
        )
        for theme in themes:
            data.edges.append(MapEdge(f"Finding:{fid}", f"Theme:{theme}", "DERIVED_FROM", EDGE, width=1.5))

    target_themes: dict[tuple[str, str], set[str]] = defaultdict(set)
    target_stances: dict[tuple[str, str], set[str]] = defaultdict(set)
    for f, stance, kind, x, evidence in links:
        if f not in finding_themes:  # a link from a finding outside the study
            continue
        target_themes[(kind, x)].update(finding_themes[f])
        target_stances[(kind, x)].add(stance)
        name = literature.name(kind, x)
        tip = [("h", f"{stance.capitalize()}: {name}"), ("m", f"finding: {finding_names[f]}")]
        if evidence:
            tip.append(("q", clip(evidence, QUOTE_CHARS * 2)))
        data.edges.append(
            MapEdge(
                f"Finding:{f}",
                f"{kind}:{x}",
                STANCE_RELS[stance],
                STANCE_COLOURS[stance],
                width=2.5,
                label=stance,
                tip=tip,
                stance=stance,
                arrow=True,
            )
        )
    literature.inherit(target_themes, target_stances)
    reach = Reach(links, literature.part_of, literature.proposed_in)
    names = {(kind, x): literature.name(kind, x) for kind in TARGETS for x in literature.props[kind]}
    for node in literature.nodes(target_themes, target_stances):
        key = (node.kind, node.id.split(":", 1)[1])
        node.trail = reach.trail(key, thematic, finding_names, derived, names)
        data.nodes.append(node)
    data.edges.extend(literature.edges())
    data.legend = _legend(thematic, used_themes, data)
    counts = [plural(sum(1 for n in data.nodes if n.kind == k), k.lower()) for k in ("Finding", *TARGETS)]
    data.subtitle = " · ".join(counts + [plural(len(links), "stance link")])
    data.note = "Link colour: the finding's stance towards the work, theory or construct."
    return data


class _Literature:
    """The works, theories and constructs the findings link to, with the links among them."""

    def __init__(self, props: dict[str, dict[str, dict]], part_of: dict[str, str], proposed_in: dict[str, str], wanted):
        self.props = props
        self.part_of = part_of
        self.proposed_in = proposed_in
        self.wanted = set(wanted)
        # a construct brings its theory, a theory the work that proposed it
        for kind, x in list(self.wanted):
            if kind == "Construct" and x in part_of:
                self.wanted.add(("Theory", part_of[x]))
        for kind, x in list(self.wanted):
            if kind == "Theory" and x in proposed_in:
                self.wanted.add(("Work", proposed_in[x]))
        self.wanted = {(k, x) for k, x in self.wanted if x in props[k]}

    @classmethod
    def read(cls, store, wanted: set[tuple[str, str]]) -> _Literature:
        props = {
            "Work": {
                r["id"]: r
                for r in store.query(
                    "MATCH (x:Work) RETURN x.id AS id, x.name AS name, x.title AS title, x.year AS year, "
                    "x.authors AS authors, x.venue AS venue, x.doi AS doi"
                )
            },
            "Theory": {
                r["id"]: r
                for r in store.query("MATCH (x:Theory) RETURN x.id AS id, x.name AS name, x.description AS description")
            },
            "Construct": {
                r["id"]: r
                for r in store.query(
                    "MATCH (x:Construct) RETURN x.id AS id, x.name AS name, x.description AS description"
                )
            },
        }
        part_of_rows = store.query("MATCH (c:Construct)-[:PART_OF]->(t:Theory) RETURN c.id AS c, t.id AS t")
        proposed_rows = store.query("MATCH (t:Theory)-[:PROPOSED_IN]->(w:Work) RETURN t.id AS t, w.id AS w")
        part_of = {r["c"]: r["t"] for r in part_of_rows}
        proposed = {r["t"]: r["w"] for r in proposed_rows}
        return cls(props, part_of, proposed, wanted)

    def name(self, kind: str, x: str) -> str:
        return (self.props[kind].get(x) or {}).get("name") or x

    def inherit(self, themes: dict, stances: dict) -> None:
        """Theories take the themes and stances of their constructs, works those of their theories."""
        for c, t in self.part_of.items():
            if ("Construct", c) in self.wanted and ("Theory", t) in self.wanted:
                themes[("Theory", t)].update(themes[("Construct", c)])
                stances[("Theory", t)].update(stances[("Construct", c)])
        for t, w in self.proposed_in.items():
            if ("Theory", t) in self.wanted and ("Work", w) in self.wanted:
                themes[("Work", w)].update(themes[("Theory", t)])
                stances[("Work", w)].update(stances[("Theory", t)])

    def nodes(self, themes: dict, stances: dict) -> list[MapNode]:
        out = []
        for kind in TARGETS:
            for x in sorted((x for k, x in self.wanted if k == kind), key=lambda x: self.name(kind, x).casefold()):
                links = len(stances[(kind, x)])
                out.append(
                    MapNode(
                        id=f"{kind}:{x}",
                        label=self.name(kind, x),
                        kind=kind,
                        color=KIND_COLOURS[kind],
                        size=size_for(links, base=12, step=3),
                        shape=_SHAPE[kind],
                        tip=self.tip(kind, x),
                        themes=tuple(sorted(themes[(kind, x)])),
                        stances=tuple(sorted(stances[(kind, x)])),
                        column=_COLUMN[kind],
                    )
                )
        return out

    def tip(self, kind: str, x: str) -> list[tuple[str, str]]:
        row = self.props[kind][x]
        tip = [("h", row.get("name") or x)]
        if kind == "Work":
            tip.append(("m", " · ".join(v for v in ("work", row.get("year"), row.get("venue")) if v)))
            if row.get("title"):
                tip.append(("p", clip(row["title"], TEXT_CHARS)))
            if row.get("authors"):
                tip.append(("m", "; ".join(row["authors"])))
            if row.get("doi"):
                tip.append(("m", f"doi: {row['doi']}"))
            return tip
        if kind == "Construct":
            theory = self.part_of.get(x)
            tip.append(("m", f"construct of {self.name('Theory', theory)}" if theory else "construct"))
        else:
            work = self.proposed_in.get(x)
            tip.append(("m", f"theory · proposed in {self.name('Work', work)}" if work else "theory"))
        if row.get("description"):
            tip.append(("p", clip(row["description"], TEXT_CHARS)))
        return tip

    def edges(self) -> list[MapEdge]:
        out = []
        for c, t in sorted(self.part_of.items()):
            if ("Construct", c) in self.wanted and ("Theory", t) in self.wanted:
                out.append(MapEdge(f"Construct:{c}", f"Theory:{t}", "PART_OF", EDGE, dashed=True))
        for t, w in sorted(self.proposed_in.items()):
            if ("Theory", t) in self.wanted and ("Work", w) in self.wanted:
                out.append(MapEdge(f"Theory:{t}", f"Work:{w}", "PROPOSED_IN", EDGE, dashed=True))
        return out


def _finding_trail(fid: str, links, literature: _Literature, thematic: Thematic, themes: list[str]):
    """A finding (after its tooltip): every stance link with its evidence, its codes, its quotes."""
    lines = []
    own = [(stance, kind, x, evidence) for f, stance, kind, x, evidence in links if f == fid]
    if own:
        lines.append(("s", f"Stance links ({len(own)})"))
    for stance, kind, x, evidence in own:
        lines.append(("p", f"{stance.capitalize()} {kind.lower()}: {literature.name(kind, x)}"))
        if evidence:
            lines.append(("q", evidence))
    lines += listed("Codes", codes_under(thematic, themes))
    return lines + quotes(thematic, [e for t in themes for e in thematic.theme_extracts.get(t, [])])


def _legend(thematic: Thematic, used_themes: list[str], data: MapData) -> list[LegendEntry]:
    entries = [
        LegendEntry("Final themes", thematic.legend_name(t), thematic.colours[t])
        for t in dict.fromkeys(thematic.root[t] for t in used_themes)
    ]
    present = {n.kind for n in data.nodes}
    shapes = {"Theme": "dot", **_SHAPE}
    for kind in ("Theme", "Finding", *TARGETS):
        if kind in present:
            label = kind.lower() + (" (colour of its final theme)" if kind in ("Theme", "Finding") else "")
            entries.append(LegendEntry("Nodes", label, KIND_COLOURS.get(kind, "#8c8c8c"), shapes[kind]))
    for stance in STANCES:
        entries.append(LegendEntry("Stance", stance, STANCE_COLOURS[stance], "line"))
    entries.append(LegendEntry("Links", "derived from theme", EDGE, "line"))
    entries.append(LegendEntry("Links", "part of theory / proposed in work", EDGE, "dashed"))
    return entries
