"""Export a study as REFI-QDA: its codebook (``.qdc``) or the whole project (``.qdpx``).

The graph is read through ``store.query`` with portable Cypher (labels and relation types are
fixed; values travel as parameters), so the same export comes from Ladybug and Neo4j.  Output is
reproducible: GUIDs are uuid5 of node ids (a Document's or User's own GUID is kept when it is
one), elements come in a fixed order and zip members carry a fixed date.

REFI-QDA has no place for some of the graph (extracts that are not in a document, memos about
findings, participants in sets ...): each export returns warnings naming what it left out, as the
standard asks.  Importing an export gives back the graph it came from (docs/refi-qda.md).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import zipfile
from collections import defaultdict, deque
from decimal import Decimal
from pathlib import Path
from xml.etree.ElementTree import Element, SubElement, indent, tostring

from ..errors import ThemeGraphError
from ..graph.ids import match_key
from ..loaders.refi import CODEBOOK_NS, PROJECT_NS, guid_for, is_guid

_DATETIME = re.compile(r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")
_SAFE_FILE = re.compile(r"[^/\\:\0]+\.txt", re.IGNORECASE)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_DIRECTIONS = ("Associative", "OneWay", "Bidirectional")
_ANNOTATED = ("Participant", "Code", "Theme", "Extract", "Document", "Finding")
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)


def _invert(pairs: dict[str, list[str]]) -> dict[str, list[str]]:
    out = defaultdict(list)
    for a, bs in pairs.items():
        for b in bs:
            out[b].append(a)
    return out


def _order(row: dict) -> tuple:
    """Display order of nodes: by name, then by id (shortest first, so 'x' precedes 'x-2')."""
    return (match_key(row.get("name") or ""), len(row["id"]), row["id"])


class _Study:
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
        self.spoken_by = _invert(self.pairs("MATCH (a:Extract)-[:SPOKEN_BY]->(b:Participant)"))
        self.document_of = _invert(self.pairs("MATCH (a:Document)-[:DOCUMENT_OF]->(b:Participant)"))
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


class _Writer:
    """Builds the XML of one export and the warnings about what it could not carry."""

    def __init__(self, g: _Study):
        self.g = g
        self.warnings: list[str] = []
        self.guids: dict[str, str] = {}
        self.used: set[str] = set()

    def guid(self, node_id: str, own: str | None = None) -> str:
        """A node's GUID: its own when it has a valid, unused one, else uuid5 of its id."""
        if node_id not in self.guids:
            value = own if is_guid(own) and own.lower() not in self.used else guid_for(node_id)
            self.used.add(value.lower())
            self.guids[node_id] = value
        return self.guids[node_id]

    def text(self, value: str | None, what: str) -> str | None:
        """Text for XML, without the control characters XML 1.0 cannot hold (warned)."""
        if value is None:
            return None
        clean = _NOT_XML.sub("", value)
        if clean != value:
            self.warnings.append(f"{what}: characters XML cannot hold were left out")
        return clean

    def el(self, parent: Element | None, tag: str, text: str | None = None, **attrs) -> Element:
        attrs = {k: self.text(v, f"{tag} {k}") for k, v in attrs.items() if v is not None}
        node = Element(tag, attrs) if parent is None else SubElement(parent, tag, attrs)
        if text is not None:
            node.text = self.text(text, tag)
        return node

    # codebook

    def first_parent(self, node_id: str, parents: list[str], kind: str) -> str | None:
        if len(parents) > 1:
            self.warnings.append(
                f"{kind} {node_id!r} is under {len(parents)} themes; REFI-QDA codes have one parent: "
                f"exported under {parents[0]!r}"
            )
        return parents[0] if parents else None

    def codes(self, parent: Element, notes: dict[str, list[str]] | None = None) -> None:
        """The theme/code tree as nested Code elements (themes hold their sub-themes and codes)."""
        g = self.g
        order = {id_: i for i, id_ in enumerate([*g.themes, *g.codes])}
        children: dict[str | None, list[str]] = defaultdict(list)
        for kind, rows, parents in (("theme", g.themes, g.theme_parents), ("code", g.codes, g.code_parents)):
            for id_ in rows:
                ranked = sorted((p for p in parents.get(id_, []) if p in g.themes), key=order.get)
                children[self.first_parent(id_, ranked, kind)].append(id_)
        placed: dict[str, Element] = {}
        pending = deque((parent, id_) for id_ in sorted(children[None], key=order.get))
        while pending or len(placed) < len(order):
            if not pending:  # themes that are each other's parents: break the cycle at the first
                loose = min((i for i in g.themes if i not in placed), key=order.get)
                self.warnings.append(f"themes around {loose!r} are each other's sub-themes: {loose!r} exported at the top")
                pending.append((parent, loose))
            holder, id_ = pending.popleft()
            if id_ in placed:
                continue
            row = g.themes.get(id_) or g.codes[id_]
            colour = row.get("colour") if re.fullmatch(r"#([0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})", row.get("colour") or "") else None
            code = self.el(holder, "Code", guid=self.guid(id_), name=row["name"] or id_, isCodable="true", color=colour)
            placed[id_] = code
            if row.get("description"):
                self.el(code, "Description", row["description"])
            for memo in (notes or {}).get(id_, []):
                self.el(code, "NoteRef", targetGUID=self.guid(memo))
            pending += [(code, child) for child in sorted(children.get(id_, []), key=order.get)]
        for id_ in g.themes:
            if placed[id_].find("Code") is None:
                self.warnings.append(f"theme {id_!r} holds no codes here: REFI-QDA cannot tell it from a code")

    def set_elements(self, parent: Element, kinds: tuple[str, ...], member_tag: str, ref_attr: str) -> None:
        g = self.g
        for set_id, row in g.sets.items():
            members = {k: [m for m, sets in g.set_members[k].items() if set_id in sets] for k in g.set_members}
            if not any(members[k] for k in kinds):
                continue
            node = self.el(parent, "Set", guid=self.guid(set_id), name=row["name"] or set_id)
            if row.get("description"):
                self.el(node, "Description", row["description"])
            for kind in ("Code", "Theme"):
                for m in members[kind]:
                    self.el(node, member_tag, **{ref_attr: self.guid(m)})
            if "Document" in kinds:
                for m in members["Document"]:
                    self.el(node, "MemberSource", targetGUID=self.guid(m))
            left_out = [k for k in members if members[k] and k not in kinds]
            if left_out:
                self.warnings.append(f"set {row['name']!r}: its {' and '.join(left_out).lower()} members cannot be exported")


def _xml(root: Element) -> bytes:
    indent(root, space=" ")
    return tostring(root, encoding="utf-8", xml_declaration=True)


def _replace(path: Path, write) -> None:
    """Write via a temporary file in the same folder, so a failed export leaves no half file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def export_qdc(store, study: str, path: Path) -> list[str]:
    """Write the study's codebook (themes, codes, code sets) as a REFI-QDA .qdc; returns warnings."""
    g = _Study(store, study)
    if not g.themes and not g.codes:
        raise ThemeGraphError(f"study {study!r} has no codes or themes to export")
    w = _Writer(g)
    root = w.el(None, "CodeBook", xmlns=CODEBOOK_NS, origin="ThemeGraph")
    w.codes(w.el(root, "Codes"))
    sets = Element("Sets")
    w.set_elements(sets, ("Code", "Theme"), "MemberCode", "guid")
    if len(sets):
        root.append(sets)
    data = _xml(root)
    _replace(path, lambda f: f.write(data))
    return w.warnings


class _ProjectWriter(_Writer):
    """The project parts of a .qdpx beyond the codebook."""

    def __init__(self, g: _Study):
        super().__init__(g)
        self.files: dict[str, bytes] = {}
        self.exported: set[str] = set()  # extracts written as selections
        self.notes_on: dict[str, list[str]] = defaultdict(list)  # node id -> memo ids annotating it
        self.case_notes: dict[str, list[str]] = defaultdict(list)  # participant id -> memo ids
        self.note_memos: list[str] = []
        self.user_by_name = {}
        for id_, row in g.users.items():
            self.user_by_name.setdefault(row["name"], id_)

    def plan_memos(self) -> None:
        """Where each memo goes: a Note referred to by its targets, or a case's Description."""
        g = self.g
        targets: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for kind, pairs in g.annotates.items():
            for memo, nodes in pairs.items():
                targets[memo] += [(kind, n) for n in nodes]
        for memo in g.memos:
            found = targets.get(memo, [])
            for kind, node in found:
                if kind == "Participant":
                    self.case_notes[node].append(memo)
                elif kind == "Finding":
                    self.warnings.append(f"memo {memo!r} about finding {node!r}: REFI-QDA has no findings; link left out")
                else:
                    self.notes_on[node].append(memo)
            if not found or any(k != "Participant" for k, _ in found):
                self.note_memos.append(memo)

    def users(self, root: Element) -> None:
        if self.g.users:
            users = self.el(root, "Users")
            for id_, row in self.g.users.items():
                self.el(users, "User", guid=self.guid(id_, row.get("guid")), name=row["name"])

    def variables_and_cases(self) -> list[Element]:
        """The Variables and Cases elements (participants and their attributes)."""
        g = self.g
        attrs: dict[str, dict] = {}
        for id_, row in g.participants.items():
            try:
                attrs[id_] = json.loads(row["attributes"]) if row.get("attributes") else {}
            except ValueError:
                self.warnings.append(f"participant {id_!r}: attributes are not JSON; left out")
                attrs[id_] = {}
        types = _variable_types(attrs.values())
        out = []
        if types:
            variables = self.el(None, "Variables")
            for name, type_ in types.items():
                self.el(variables, "Variable", guid=guid_for(f"{g.study}/variable/{name}"), name=name, typeOfVariable=type_)
            out.append(variables)
        if not g.participants:
            return out
        cases = self.el(None, "Cases")
        out.append(cases)
        for id_, row in g.participants.items():
            case = self.el(cases, "Case", guid=self.guid(id_), name=row["name"])
            texts = [g.memos[m]["text"] for m in self.case_notes.get(id_, []) if g.memos[m].get("text")]
            if texts:
                self.el(case, "Description", "\n\n".join(texts))
            for name, value in sorted(attrs[id_].items()):
                if value is not None:
                    vv = self.el(case, "VariableValue")
                    self.el(vv, "VariableRef", targetGUID=guid_for(f"{g.study}/variable/{name}"))
                    self.el(vv, f"{types[name]}Value", _value_text(value, types[name]))
            for doc in g.document_of.get(id_, []):
                self.el(case, "SourceRef", targetGUID=self.guid(doc, g.documents[doc].get("guid")))
            for extract in g.spoken_by.get(id_, []):
                if extract in self.exported:
                    self.el(case, "SelectionRef", targetGUID=self.guid(extract))
        return out

    def sources(self) -> Element | None:
        """The Sources element: documents with their text and selections (files go to sources/)."""
        g = self.g
        by_doc: dict[str, list[str]] = defaultdict(list)
        for extract, docs in g.extract_doc.items():
            by_doc[docs[0]].append(extract)
        loose = [e for e in g.extracts if e not in g.extract_doc]
        if loose:
            self.warnings.append(f"{len(loose)} extracts are in no document (quotes from a paper?): left out")
        if not g.documents:
            return None
        sources = self.el(None, "Sources")
        for doc_id, row in g.documents.items():
            guid = self.guid(doc_id, row.get("guid"))
            src = self.el(sources, "TextSource", guid=guid, name=row["name"])
            text = row.get("text")
            if text is None:
                self.warnings.append(f"document {row['name']!r} has no text: exported without it or its selections")
            elif row.get("path"):
                # keep the file name the project had, unless it is unsafe or taken (names match caselessly)
                taken = {name.casefold() for name in self.files}
                file = row["path"] if _SAFE_FILE.fullmatch(row["path"]) and f"sources/{row['path']}".casefold() not in taken else f"{guid}.txt"
                self.files[f"sources/{file}"] = text.encode("utf-8")
                src.set("plainTextPath", f"internal://{file}")
            else:
                self.el(src, "PlainTextContent", text)
            if text is not None:
                for extract in sorted(by_doc.get(doc_id, []), key=lambda e: _position(g.extracts[e])):
                    self.selection(src, extract, text)
            for memo in self.notes_on.get(doc_id, []):
                self.el(src, "NoteRef", targetGUID=self.guid(memo))
        return sources

    def selection(self, src: Element, extract_id: str, text: str) -> None:
        g, row = self.g, self.g.extracts[extract_id]
        start, end = row.get("char_start"), row.get("char_end")
        if start is None or end is None:
            found = text.find(row.get("text") or "\0")
            if found < 0 or text.find(row["text"], found + 1) >= 0:
                self.warnings.append(f"extract {extract_id!r} has no position and its text is not found once in its document: left out")
                return
            start, end = found, found + len(row["text"])
        elif text[start:end] != (row.get("text") or ""):
            self.warnings.append(f"extract {extract_id!r}: its text differs from its document at {start}-{end}; positions kept")
        sel = self.el(src, "PlainTextSelection", guid=self.guid(extract_id), name=row["name"],
                      startPosition=str(start), endPosition=str(end))
        self.exported.add(extract_id)
        users = [self.guid(u, g.users[u].get("guid")) for u in g.coded_by.get(extract_id, [])] or [None]
        for kind in ("Code", "Theme"):
            for target in g.coded[kind].get(extract_id, []):
                for user in users:
                    coding = self.el(sel, "Coding", guid=guid_for(f"{extract_id}|{target}|{user}"), creatingUser=user)
                    self.el(coding, "CodeRef", targetGUID=self.guid(target))
        for memo in self.notes_on.get(extract_id, []):
            self.el(sel, "NoteRef", targetGUID=self.guid(memo))

    def notes(self, root: Element) -> None:
        if not self.note_memos:
            return
        notes = self.el(root, "Notes")
        for memo_id in self.note_memos:
            row = self.g.memos[memo_id]
            author = self.user_by_name.get(row.get("author"))
            created = row.get("created")
            if created and not _DATETIME.fullmatch(created):
                self.warnings.append(f"memo {memo_id!r}: created {created!r} is not an ISO date-time; left out")
                created = None
            note = self.el(notes, "Note", guid=self.guid(memo_id), name=row["name"], creationDateTime=created,
                           creatingUser=self.guid(author, self.g.users[author].get("guid")) if author else None)
            if row.get("author") and not author:
                self.warnings.append(f"memo {memo_id!r}: author {row['author']!r} is not a user of the study; left out")
            if row.get("text") is not None:
                self.el(note, "PlainTextContent", row["text"])

    def links(self, root: Element) -> None:
        if not self.g.links:
            return
        links = self.el(root, "Links")
        for r in self.g.links:
            direction = r["direction"] if r["direction"] in _DIRECTIONS else None
            if r["direction"] and not direction:
                self.warnings.append(f"link {r['relation']!r}: direction {r['direction']!r} is not a REFI-QDA one; left out")
            guid = r["guid"] if is_guid(r["guid"]) else guid_for(f"{r['src']}|{r['dst']}|{r['relation']}")
            self.el(links, "Link", guid=guid, name=r["relation"], direction=direction,
                    originGUID=self.guid(r["src"]), targetGUID=self.guid(r["dst"]))


def _position(row: dict) -> tuple:
    return (row.get("char_start") or 0, row.get("char_end") or 0, row["id"])


def _variable_types(attr_dicts) -> dict[str, str]:
    """REFI-QDA variable types of the attributes: the narrowest type all their values share."""
    seen: dict[str, set] = defaultdict(set)
    for attrs in attr_dicts:
        for name, value in attrs.items():
            if value is not None:
                seen[name].add(type(value))
    types = {}
    for name in sorted(seen):
        kinds = seen[name]
        if kinds == {bool}:
            types[name] = "Boolean"
        elif kinds == {int}:
            types[name] = "Integer"
        elif kinds <= {int, float}:
            types[name] = "Float"
        else:
            types[name] = "Text"
    return types


def _value_text(value, type_: str) -> str:
    if type_ == "Boolean":
        return "true" if value else "false"
    if type_ == "Float":
        return format(Decimal(repr(float(value))), "f")
    if type_ == "Integer" or isinstance(value, str):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def export_qdpx(store, study: str, path: Path) -> list[str]:
    """Write the study as a REFI-QDA project (.qdpx): codebook, documents and their selections
    with codings, cases with variables, users, memos, links and sets.  Returns warnings."""
    g = _Study(store, study)
    g.read_project()
    w = _ProjectWriter(g)
    w.plan_memos()
    root = w.el(None, "Project", xmlns=PROJECT_NS, name=g.name, origin="ThemeGraph")
    w.users(root)
    if g.themes or g.codes:
        w.codes(w.el(w.el(root, "CodeBook"), "Codes"), w.notes_on)
    sources = w.sources()  # before the cases: a case refers only to selections that were exported
    root.extend(w.variables_and_cases())
    if sources is not None:
        root.append(sources)
    w.notes(root)
    w.links(root)
    sets = Element("Sets")
    w.set_elements(sets, ("Code", "Theme", "Document"), "MemberCode", "targetGUID")
    if len(sets):
        root.append(sets)
    for memo in w.notes_on.get(study, []):
        w.el(root, "NoteRef", targetGUID=w.guid(memo))
    members = {"project.qde": _xml(root), **dict(sorted(w.files.items()))}

    def write(f):
        with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in members.items():
                info = zipfile.ZipInfo(name, date_time=_FIXED_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                z.writestr(info, data)

    _replace(path, write)
    return w.warnings
