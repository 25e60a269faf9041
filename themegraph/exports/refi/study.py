"""The part of the graph one study exports, read once with portable queries."""

from __future__ import annotations

from collections import defaultdict

from ...errors import ThemeGraphError
from ...graph.ids import match_key

_ANNOTATED = ("Participant", "Code", "Theme", "Extract", "Document", "Finding")


def invert(pairs: dict[str, list[str]]) -> dict[str, list[str]]:
    out = defaultdict(list)
    for a, bs in pairs.items():
        for b in bs:
            out[b].append(a)
    return out


def _order(row: dict) -> tuple:
    """Display order of nodes: by name, then by id (shortest first, so 'x' precedes 'x-2')."""
    return (match_key(row.get("name") or ""), len(row["id"]), row["id"])


class Study:
    """The part of the graph one study exports, read once with portable queries."""

    def __init__(self, store, study: str):
        self.store, self.study = store, study
        found = self.q("MATCH (s:Study) WHERE s.id = $study RETURN s.name AS name")
        if not found:
            raise ThemeGraphError(f"no study {study!r} in the knowledge base")
        self.name = found[0]["name"] or study
        self.themes = self.nodes("Theme", "t.description AS description, t.colour AS colour")
        self.codes = self.nodes("Code", "t.description AS description")
        self.theme_parents = self.pairs("MATCH (a:Theme)-[:SUBTHEME_OF]->(b:Theme)")
        self.code_parents = self.pairs("MATCH (a:Code)-[:IN_THEME]->(b:Theme)")
        self.sets = self.nodes("CodeSet", "t.description AS description")
        self.set_members = {
            kind: self.pairs(f"MATCH (a:{kind})-[:IN_SET]->(b:CodeSet)")
            for kind in ("Code", "Theme", "Document", "Participant")
        }

    def q(self, cypher: str) -> list[dict]:
        return self.store.query(cypher, {"study": self.study})

    def nodes(self, kind: str, extra: str = "") -> dict[str, dict]:
        cols = "t.id AS id, t.name AS name" + (f", {extra}" if extra else "")
        rows = self.q(f"MATCH (t:{kind}) WHERE t.study = $study RETURN {cols}")
        return {r["id"]: r for r in sorted(rows, key=_order)}

    def pairs(self, match: str) -> dict[str, list[str]]:
        """``{a.id: [b.id, ...]}`` for a two-node pattern whose ends are both in the study."""
        out = defaultdict(list)
        cypher = f"{match} WHERE a.study = $study AND b.study = $study RETURN a.id AS x, b.id AS y ORDER BY x, y"
        for r in self.q(cypher):
            out[r["x"]].append(r["y"])
        return out

    def read_project(self) -> None:
        """Everything beyond the codebook: users, documents, extracts, participants, memos, links."""
        self.users = self.nodes("User", "t.guid AS guid")
        self.participants = self.nodes("Participant", "t.attributes AS attributes")
        self.documents = self.nodes("Document", "t.path AS path, t.text AS text, t.guid AS guid")
        self.memos = self.nodes("Memo", "t.text AS text, t.author AS author, t.created AS created")
        self.extracts = self.nodes("Extract", "t.text AS text, t.char_start AS char_start, t.char_end AS char_end")
        self.extract_doc = self.pairs("MATCH (a:Extract)-[:IN_DOCUMENT]->(b:Document)")
        self.coded = {k: self.pairs(f"MATCH (a:Extract)-[:{r}]->(b:{k})") for k, r in (("Code", "CODED_AS"), ("Theme", "ILLUSTRATES"))}
        self.coded_by = self.pairs("MATCH (a:Extract)-[:CODED_BY]->(b:User)")
        self.spoken_by = invert(self.pairs("MATCH (a:Extract)-[:SPOKEN_BY]->(b:Participant)"))
        self.document_of = invert(self.pairs("MATCH (a:Document)-[:DOCUMENT_OF]->(b:Participant)"))
        self.annotates = {"Study": {}} | {kind: self.pairs(f"MATCH (a:Memo)-[:ANNOTATES]->(b:{kind})") for kind in _ANNOTATED}
        # a Study has no study property: memos about the study itself are matched by its id
        for r in self.q("MATCH (a:Memo)-[:ANNOTATES]->(b:Study) WHERE a.study = $study AND b.id = $study RETURN a.id AS a"):
            self.annotates["Study"].setdefault(r["a"], []).append(self.study)
        self.links = []
        for src in ("Code", "Theme"):
            for dst in ("Code", "Theme"):
                self.links += self.q(
                    f"MATCH (a:{src})-[r:LINKED_TO]->(b:{dst}) WHERE a.study = $study AND b.study = $study "
                    "RETURN a.id AS src, b.id AS dst, r.relation AS relation, r.direction AS direction, r.guid AS guid"
                )
        self.links.sort(key=lambda r: (r["src"], r["dst"], r["relation"] or ""))

