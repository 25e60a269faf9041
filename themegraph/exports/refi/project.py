"""A study as a REFI-QDA project (.qdpx): everything beyond the codebook; ``export_qdpx``."""

from __future__ import annotations

import base64
import json
import re
import zipfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from xml.etree.ElementTree import Element

from ...loaders.refi import PROJECT_NS, decode_text, guid_for, is_guid
from ...loaders.refi.positions import scheme_named
from ...files import replace_file
from .codebook import Writer, xml_bytes
from .records import place, project_attributes, variable_records
from .study import Study, invert

_DATETIME = re.compile(r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")
_SPACED_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")
_SAFE_FILE = re.compile(r"[^/\\:\0]+\.txt", re.IGNORECASE)
_DIRECTIONS = ("Associative", "OneWay", "Bidirectional")
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)
_RGB = re.compile(r"#([0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})")
_VARIABLE_TYPES = ("Text", "Boolean", "Integer", "Float", "Date", "DateTime")
#: The declared types a kept Variable may keep, given the type its values show now.
_KEPT_TYPES = {"Text": ("Text", "Date", "DateTime"), "Boolean": ("Boolean",), "Integer": ("Integer",),
               "Float": ("Float",), None: _VARIABLE_TYPES}


class _ProjectWriter(Writer):
    """The project parts of a .qdpx beyond the codebook."""

    def __init__(self, g: Study):
        super().__init__(g)
        self.files: dict[str, bytes] = {}
        self.exported: dict[str, list[str]] = {}  # extract id -> ids of the selections written for it
        self.notes_on: dict[str, list[str]] = defaultdict(list)  # node id -> memo ids annotating it
        self.case_notes: dict[str, list[str]] = defaultdict(list)  # participant id -> memo ids
        self.descriptions: dict[str, list[str]] = defaultdict(list)  # node id -> Description texts
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
        for memo, row in g.memos.items():
            found = targets.get(memo, [])
            if row.get("describes") and found:  # a tool's Description: written back as one
                for _, node in found:
                    self.descriptions[node].append(row.get("text") or "")
                continue
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
                self.el(users, "User", guid=self.guid(id_, row.get("guid")), name=row["name"], id=row.get("tool_id"))

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
        declared = variable_records(g.records)  # as the tool declared them, when imported
        variable_guid = {}
        out = []
        if types or declared:
            variables = self.el(None, "Variables")
            for name in [*declared, *sorted(set(types) - set(declared))]:  # the tool's order first
                kept = declared.get(name)
                if kept is not None and kept.get("typeOfVariable") in _KEPT_TYPES.get(types.get(name), _VARIABLE_TYPES):
                    types[name] = kept.get("typeOfVariable")
                    variables.append(kept)
                    variable_guid[name] = kept.get("guid")
                elif name in types:
                    variable_guid[name] = guid_for(f"{g.study}/variable/{name}")
                    self.el(variables, "Variable", guid=variable_guid[name], name=name, typeOfVariable=types[name])
            out.append(variables)
        if not g.participants:
            return out
        cases = self.el(None, "Cases")
        out.append(cases)
        owners = invert(g.document_of)  # document id -> its participants
        for id_, row in g.participants.items():
            case = self.el(cases, "Case", guid=self.guid(id_), name=row["name"])
            texts = self.descriptions.get(id_, []) + [
                g.memos[m]["text"] for m in self.case_notes.get(id_, []) if g.memos[m].get("text")]
            if texts:
                self.el(case, "Description", "\n\n".join(texts))
            for name, value in sorted(attrs[id_].items()):
                if value is not None:
                    vv = self.el(case, "VariableValue")
                    self.el(vv, "VariableRef", targetGUID=variable_guid[name])
                    self.el(vv, f"{types[name]}Value", _value_text(value, types[name]))
            docs = g.document_of.get(id_, [])
            for doc in docs:
                self.el(case, "SourceRef", targetGUID=self.guid(doc, g.documents[doc].get("guid")))
            only_theirs = {doc for doc in docs if owners[doc] == [id_]}
            for extract in g.spoken_by.get(id_, []):
                # an extract of a source only this case holds is spoken by it anyway: no SelectionRef
                if extract in self.exported and not set(g.extract_doc.get(extract, [])) & only_theirs:
                    for selection in self.exported[extract]:
                        self.el(case, "SelectionRef", targetGUID=self.guid(selection))
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
            src = self.el(sources, "TextSource", guid=guid, name=row["name"], creatingUser=self.user(row["created_by"]),
                          creationDateTime=self.moment(row["created"]), modifyingUser=self.user(row["modified_by"]),
                          modifiedDateTime=self.moment(row["modified"]))
            for text in self.descriptions.get(doc_id, []):
                self.el(src, "Description", text)
            text, scheme = row.get("text"), None
            if row.get("rich_path") and row["rich_path"] in g.files:
                src.set("richTextPath", f"internal://{row['rich_path']}")
            if text is None:
                self.warnings.append(f"document {row['name']!r} has no text: exported without it or its selections")
                if "://" in (row.get("path") or ""):  # an external source: its path goes back as it was
                    src.set("plainTextPath", row["path"])
            elif row.get("path"):
                file, scheme = self.text_file(row, guid)
                src.set("plainTextPath", f"internal://{file}")
            else:
                self.el(src, "PlainTextContent", text)
            if text is not None:
                for extract in sorted(by_doc.get(doc_id, []), key=lambda e: _position(g.extracts[e])):
                    self.selection(src, extract, text, scheme)
            for memo in self.notes_on.get(doc_id, []):
                self.el(src, "NoteRef", targetGUID=self.guid(memo))
        return sources

    def text_file(self, row: dict, guid: str):
        """Where a document's text goes, and how its positions are counted: the tool's own file
        and counting when the text is unchanged since import, else UTF-8 and code points."""
        original = self.g.files.get(row["path"])
        if original is not None:
            source = decode_text(base64.b64decode(original))
            if source.text == row["text"]:
                return row["path"], scheme_named(source, row.get("positions"))
        # keep the file name the project had (replacing its kept original), unless it is unsafe or
        # taken by another file (names match caselessly)
        others = (f"sources/{f}" for f in self.g.files if f != row["path"])
        taken = {name.casefold() for name in [*self.files, *others]}
        safe = _SAFE_FILE.fullmatch(row["path"]) and f"sources/{row['path']}".casefold() not in taken
        file = row["path"] if safe else f"{guid}.txt"
        self.files[f"sources/{file}"] = row["text"].encode("utf-8")
        return file, None

    def user(self, guid: str | None) -> str | None:
        """A user GUID the export may write: one of the study's users, else none (warned)."""
        if not guid:
            return None
        known = {str(r.get("guid") or "").strip("{}").lower(): id_ for id_, r in self.g.users.items()}
        found = known.get(guid.strip("{}").lower())
        if found is None:
            self.warnings.append(f"user {guid!r} is not a user of the study: left out")
            return None
        return self.guid(found)

    def moment(self, value: str | None, what: str = "") -> str | None:
        """An ISO date-time the schema accepts (a space for the 'T', as SQLite and QualCoder write
        them, is mended), else none (warned)."""
        if value and _SPACED_DATETIME.fullmatch(value):
            value = value.replace(" ", "T", 1)
        if value and not _DATETIME.fullmatch(value):
            self.warnings.append(f"{what}{value!r} is not an ISO date-time; left out")
            return None
        return value or None

    def selection(self, src: Element, extract_id: str, text: str, scheme=None) -> None:
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
        if scheme is not None:
            start, end = scheme.position(start), scheme.position(end)
        selections = g.extract_selections.get(extract_id)
        if selections:  # as the tool had them: each with its GUID, user, dates and codings
            self.exported[extract_id] = selections
            # in the tool's order: an import numbers the selections of a span as it meets them
            for selection in sorted(selections, key=lambda s: int(s.rsplit("/", 1)[1])):
                self.tool_selection(src, selection, start, end)
            return
        sel = self.el(src, "PlainTextSelection", guid=self.guid(extract_id), name=row["name"],
                      startPosition=str(start), endPosition=str(end))
        self.exported[extract_id] = [extract_id]
        users = [self.guid(u, g.users[u].get("guid")) for u in g.coded_by.get(extract_id, [])] or [None]
        for kind in ("Code", "Theme"):
            for target in g.coded[kind].get(extract_id, []):
                for user in users:
                    coding = self.el(sel, "Coding", guid=guid_for(f"{extract_id}|{target}|{user}"), creatingUser=user)
                    self.el(coding, "CodeRef", targetGUID=self.guid(target))
        for memo in self.notes_on.get(extract_id, []):
            self.el(sel, "NoteRef", targetGUID=self.guid(memo))

    def tool_selection(self, src: Element, selection: str, start: int, end: int) -> None:
        row = self.g.selections[selection]
        name = row["name"] if row["name"] != selection else None  # the store names a nameless node by its id
        sel = self.el(src, "PlainTextSelection", guid=self.guid(selection), name=name,
                      startPosition=str(start), endPosition=str(end), creatingUser=self.user(row["created_by"]),
                      creationDateTime=self.moment(row["created"]), modifyingUser=self.user(row["modified_by"]),
                      modifiedDateTime=self.moment(row["modified"]))
        if row.get("description"):
            self.el(sel, "Description", row["description"])
        for coding in self.g.applies.get(selection, []):
            el = self.el(sel, "Coding", guid=coding["guid"], creatingUser=self.user(coding["created_by"]),
                         creationDateTime=self.moment(coding["created"]))
            self.el(el, "CodeRef", targetGUID=self.guid(coding["target"]))
            for note in json.loads(coding["notes"]) if coding.get("notes") else []:
                self.el(el, "NoteRef", targetGUID=note)
        for memo in self.notes_on.get(selection, []):
            self.el(sel, "NoteRef", targetGUID=self.guid(memo))

    def notes(self, root: Element) -> None:
        if not self.note_memos:
            return
        notes = self.el(root, "Notes")
        for memo_id in self.note_memos:
            row = self.g.memos[memo_id]
            author = self.user_by_name.get(row.get("author"))
            created = self.moment(row.get("created"), f"memo {memo_id!r}: created ")
            note = self.el(notes, "Note", guid=self.guid(memo_id), name=row["name"], creationDateTime=created,
                           creatingUser=self.guid(author, self.g.users[author].get("guid")) if author else None,
                           modifyingUser=self.user(row.get("modified_by")), modifiedDateTime=self.moment(row.get("modified")))
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
            colour = r.get("colour") if r.get("colour") and _RGB.fullmatch(r["colour"]) else None
            self.el(links, "Link", guid=guid, name=r["relation"], direction=direction, color=colour,
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
    g = Study(store, study)
    g.read_project()
    w = _ProjectWriter(g)
    w.plan_memos()
    root = w.el(None, "Project", xmlns=PROJECT_NS, name=g.name, origin="ThemeGraph", **project_attributes(g.records))
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
    for text in w.descriptions.get(study, []):
        w.el(root, "Description", text)
    for memo in w.notes_on.get(study, []):
        w.el(root, "NoteRef", targetGUID=w.guid(memo))
    w.warnings += place(root, g.records)
    # the source files kept on import, byte for byte; a text written anew replaces its original
    kept = {f"sources/{name}": base64.b64decode(data) for name, data in g.files.items()}
    members = {"project.qde": xml_bytes(root), **dict(sorted((kept | w.files).items()))}

    def write(f):
        with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in members.items():
                info = zipfile.ZipInfo(name, date_time=_FIXED_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                z.writestr(info, data)

    replace_file(path, write)
    return w.warnings
