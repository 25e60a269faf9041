"""The citations map: works joined when a study cites them in the same sentence (co-citation).

Co-citation is the classic way to see which parts of the literature a study treats together.
Works are sized by how often they are cited and coloured by cluster (Louvain communities of
the co-citation graph, seeded so the same data always gives the same clusters).
"""

from __future__ import annotations

from collections import Counter, defaultdict

import networkx as nx

from .cypher import where_study
from .evidence import sentences_trail
from .model import LegendEntry, MapData, MapEdge, MapNode
from .palette import NEUTRAL, qualitative, size_for, tint, width_for
from .thematic import QUOTE_CHARS, TEXT_CHARS, clip, plural

CITATION_STANCES = ("supports", "extends", "challenges", "mentions")
SEED = 7
LEGEND_CLUSTERS = 10  # as many as the palette has distinct colours
SENTENCES_PER_TIP = 2
_APART = "#cfd6dd"


def build(store, study: str | None) -> MapData:
    """Read the study's citations and works, then assemble the map."""
    where, params = where_study("s", study, prop="id")
    citations = store.query(
        f"MATCH (s:Study)-[c:CITES]->(w:Work){where} "
        "RETURN s.id AS study, c.sentence AS sentence, c.section AS section, c.stance AS stance, w.id AS work, "
        "c.char_start AS at",
        params,
    )
    works = store.query(
        f"MATCH (s:Study)-[:CITES]->(w:Work){where} RETURN DISTINCT w.id AS id, w.name AS name, "
        "w.title AS title, w.year AS year, w.authors AS authors, w.venue AS venue, w.doi AS doi, "
        "w.unmatched AS unmatched",
        params,
    )
    citations.sort(key=lambda c: (c["study"], c["at"] if c["at"] is not None else -1, c["sentence"] or ""))
    return assemble(works, citations)


def assemble(works: list[dict], citations: list[dict]) -> MapData:
    """The map from work rows and citation rows (study, sentence, stance, work).

    Separate from ``build`` so the benchmark can feed it a synthetic literature of any size.
    """
    works = {w["id"]: w for w in works}
    cited = Counter(c["work"] for c in citations if c["work"] in works)
    stances: dict[str, Counter] = defaultdict(Counter)
    sentences: dict[tuple[str, str], set[str]] = defaultdict(set)
    citing: dict[str, list[dict]] = defaultdict(list)
    for c in citations:
        if c["work"] not in works:
            continue
        citing[c["work"]].append(c)
        if c.get("stance"):
            stances[c["work"]][c["stance"]] += 1
        if c.get("sentence"):
            sentences[(c["study"], c["sentence"])].add(c["work"])
    pairs: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (_, sentence), together in sentences.items():
        ordered = sorted(together)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                pairs[(a, b)].append(sentence)

    clusters = _clusters(works, pairs, cited)
    data = MapData(kind="citations", title="Co-citation map", layout="force", stance_options=list(CITATION_STANCES))
    for wid in sorted(works, key=lambda w: (-cited[w], (works[w].get("name") or w).casefold())):
        key = clusters.get(wid)
        colour = qualitative(key) if key is not None else NEUTRAL
        tip = _work_tip(works[wid], cited[wid], stances[wid], key)
        data.nodes.append(
            MapNode(
                id=f"Work:{wid}",
                label=works[wid].get("name") or wid,
                kind="Work",
                color=colour,
                size=size_for(cited[wid], base=7, step=4.5),
                tip=tip,
                trail=sentences_trail(citing[wid]),
                stances=tuple(sorted(stances[wid])),
                group=f"cluster-{key}" if key is not None else None,
            )
        )
    for (a, b), shared in sorted(pairs.items()):
        same = clusters.get(a) is not None and clusters.get(a) == clusters.get(b)
        names = f"{works[a].get('name') or a} & {works[b].get('name') or b}"
        tip = [("h", names), ("m", f"co-cited in {plural(len(shared), 'sentence')}")]
        tip += [("q", clip(s, QUOTE_CHARS)) for s in sorted(shared)[:SENTENCES_PER_TIP]]
        data.edges.append(
            MapEdge(
                f"Work:{a}",
                f"Work:{b}",
                "CO_CITED",
                tint(qualitative(clusters[a]), 0.35) if same else _APART,
                width=width_for(len(shared)),
                tip=tip,
                weight=len(shared),
            )
        )
    data.legend, listed = _legend(works, clusters, cited)
    n_clusters = len(set(clusters.values()))
    data.subtitle = " · ".join(
        [plural(len(works), "cited work"), plural(len(pairs), "co-cited pair"), plural(n_clusters, "cluster")]
    )
    more = f" The {listed} largest of {n_clusters} clusters are listed." if n_clusters > listed else ""
    data.note = "Node size: times cited. A link: cited in the same sentence (width: how often)." + more
    return data


def _clusters(works: dict, pairs: dict, cited: Counter) -> dict[str, int]:
    """Cluster number per co-cited work, largest (most cited) cluster first; isolated works: none."""
    graph = nx.Graph()
    graph.add_nodes_from(works)
    graph.add_weighted_edges_from((a, b, len(s)) for (a, b), s in pairs.items())
    groups = [g for g in nx.community.louvain_communities(graph, weight="weight", seed=SEED) if len(g) > 1]
    groups.sort(key=lambda g: (-sum(cited[w] for w in g), -len(g), min(g)))
    return {w: i for i, g in enumerate(groups) for w in g}


def _work_tip(work: dict, cited: int, stances: Counter, cluster: int | None) -> list[tuple[str, str]]:
    where = f"cluster {cluster + 1}" if cluster is not None else "never co-cited"
    tip = [("h", work.get("name") or work["id"]), ("m", f"cited {plural(cited, 'time')} · {where}")]
    if work.get("title"):
        tip.append(("p", clip(work["title"], TEXT_CHARS)))
    details = [v for v in (work.get("year"), work.get("venue")) if v]
    if work.get("authors"):
        details.insert(0, "; ".join(work["authors"]))
    if details:
        tip.append(("m", " · ".join(details)))
    if work.get("doi"):
        tip.append(("m", f"doi: {work['doi']}"))
    if work.get("unmatched"):
        tip.append(("m", "not in the reference list"))
    if stances:
        tip.append(("m", "stances: " + ", ".join(f"{s} {n}" for s, n in sorted(stances.items()))))
    return tip


def _legend(works: dict, clusters: dict[str, int], cited: Counter) -> tuple[list[LegendEntry], int]:
    members: dict[int, list[str]] = defaultdict(list)
    for w, key in clusters.items():
        members[key].append(w)
    entries = []
    for key in sorted(members)[:LEGEND_CLUSTERS]:
        top = sorted(members[key], key=lambda w: (-cited[w], w))[:2]
        names = ", ".join(works[w].get("name") or w for w in top)
        extra = f" +{len(members[key]) - len(top)}" if len(members[key]) > len(top) else ""
        entries.append(LegendEntry("Clusters", f"{key + 1}: {names}{extra}", qualitative(key)))
    if len(clusters) < len(works):
        entries.append(LegendEntry("Clusters", "never co-cited", NEUTRAL))
    entries.append(LegendEntry("Links", "co-cited within a cluster", tint(qualitative(0), 0.35), "line"))
    entries.append(LegendEntry("Links", "co-cited across clusters", _APART, "line"))
    return entries, min(len(members), LEGEND_CLUSTERS)
