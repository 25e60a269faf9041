"""The part of the graph one study exports, read once with portable queries."""

from __future__ import annotations

from collections import defaultdict

from ...errors import ThemeGraphError
from ...graph.ids import match_key

_ANNOTATED = ("Participant", "Code", "Theme", "Extract", "Document", "Finding", "Selection")
_CODE_COLUMNS = ("t.description AS description, t.colour AS colour, t.guid AS guid, t.codable AS codable, "
                 "t.rank AS rank")
_AUTHORSHIP = "t.created_by AS created_by, t.created AS created, t.modified_by AS modified_by, t.modified AS modified"


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
        self.themes = self.nodes("Theme", _CODE_COLUMNS)
        self.codes = self.nodes("Code", _CODE_COLUMNS)
        self.theme_parents = self.pairs("MATCH (a:Theme)-[:SUBTHEME_OF]->(b:Theme)")
        self.code_parents = self.pairs("MATCH (a:Code)-[:IN_THEME]->(b:Theme)")
        self.sets = self.nodes("CodeSet", "t.description AS description, t.guid AS guid")
        self.set_members = {
            kind: self.pairs(f"MATCH (a:{kind})-[:IN_SET]->(b:CodeSet)")
            for kind in ("Code", "Theme", "Document", "Participant")
        }

    def with_guids(self) -> list[dict[str, dict]]:
        """The node rows read so far that may carry a tool's GUID."""
        kinds = ("themes", "codes", "sets", "users", "participants", "documents", "memos", "selections")
        return [getattr(self, k) for k in kinds if hasattr(self, k)]

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
        self.users = self.nodes("User", "t.guid AS guid, t.tool_id AS tool_id")
        self.participants = self.nodes("Participant", "t.attributes AS attributes, t.guid AS guid")
        self.documents = self.nodes("Document", "t.path AS path, t.text AS text, t.guid AS guid, "
                                    f"t.rich_path AS rich_path, t.positions AS positions, {_AUTHORSHIP}")
        self.memos = self.nodes("Memo", "t.text AS text, t.author AS author, t.created AS created, t.guid AS guid, "
                                "t.modified_by AS modified_by, t.modified AS modified, t.describes AS describes")
        self.selections = self.nodes("Selection", f"t.guid AS guid, t.description AS description, {_AUTHORSHIP}")
        self.extract_selections = invert(self.pairs("MATCH (a:Selection)-[:SELECTS]->(b:Extract)"))
        self.applies = defaultdict(list)  # selection id -> its codings, in GUID order
        for kind in ("Code", "Theme"):
            for r in self.q(f"MATCH (a:Selection)-[r:APPLIES]->(b:{kind}) WHERE a.study = $study AND b.study = $study "
                            "RETURN a.id AS selection, b.id AS target, r.guid AS guid, r.created_by AS created_by, "
                            "r.created AS created, r.notes AS notes"):
                self.applies[r["selection"]].append(r)
        for rows in self.applies.values():
            rows.sort(key=lambda r: (r["guid"] or "", r["target"]))
        self.files = {r["path"]: r["data"] for r in self.q(
            "MATCH (t:SourceFile) WHERE t.study = $study RETURN t.path AS path, t.data AS data ORDER BY path")}
        self.records = self.q("MATCH (t:ToolRecord) WHERE t.study = $study RETURN t.section AS section, "
                              "t.parent AS parent, t.xml AS xml, t.position AS position ORDER BY position")
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
                    "RETURN a.id AS src, b.id AS dst, r.relation AS relation, r.direction AS direction, r.guid AS guid, "
                    "r.colour AS colour"
                )
        self.links.sort(key=lambda r: (r["src"], r["dst"], r["relation"] or ""))

