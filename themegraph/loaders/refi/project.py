"""Everything in a REFI-QDA project beyond its codebook: users, sources and selections with their
codings, cases and variables, notes, links and sets; and ``qdpx_batch``, the project entry point."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import InputError
from ...graph.batch import Batch
from ...graph.ids import scoped
from .archive import Archive
from .elements import PROJECT_NS, El, parse_xml
from .ids import guid_for, is_guid, short_hash, unique_ids
from .positions import DEVIATIONS, SourceText, choose_scheme, decode_text
from .reader import Reader

_ATTRIBUTE_SET = re.compile(r"^\s*([^:]+?)\s*::?\s*(\S.*?)\s*$")
#: Attributes of <Project> beyond its name that an export gives back (origin is ThemeGraph's own).
_PROJECT_ATTRS = ("creatingUserGUID", "creationDateTime", "modifyingUserGUID", "modifiedDateTime", "basePath")


@dataclass
class _Memo:
    el: El
    name: str
    text: str | None
    author: str | None = None
    created: str | None = None
    targets: list[tuple[tuple[str, str], El]] = field(default_factory=list)
    describes: bool = False  # a Description, written back as one



class _ProjectReader(Reader):
    """The project-only parts: users, sources and selections, cases, notes, links, sets."""

    def __init__(self, batch: Batch, study: str, where: str, theme_depth: int | None, archive: Archive):
        super().__init__(batch, study, where, theme_depth)
        self.archive = archive
        self.users: dict[str, tuple[str, str]] = {}  # guid key -> (user id, name)
        self.variables: dict[str, str] = {}  # guid key -> variable name
        self.memos: list[_Memo] = []
        self.notes: dict[str, _Memo] = {}  # guid key -> memo of a Note
        self.doc_els: dict[str, El] = {}
        self.doc_extracts: dict[str, list[str]] = defaultdict(list)
        self.doc_values: dict[str, dict] = defaultdict(dict)  # document id -> attributes it carries
        self.participants: dict[str, dict] = {}  # participant id -> {"el", "name", "attrs"}
        self.doc_participants: dict[str, list[str]] = defaultdict(list)
        self.spoken: list[tuple[str, str, El]] = []
        self.kept_sources: Counter[str] = Counter()
        self.codings: list[tuple[str, El, El]] = []  # (selection id, Coding, PlainTextSelection)
        self.files: dict[str, bytes] = {}  # member name -> bytes read
        self.span_selections: dict[str, list[str]] = defaultdict(list)  # extract id -> selection ids
        self.selection_extract: dict[str, str] = {}

    def read(self, root: El) -> None:
        if root.tag != "Project":
            raise InputError(f"{self.where}:{root.line}: the root element is <{root.tag}>, not <Project>")
        if root.ns != PROJECT_NS:
            self.warn(f"namespace {root.ns or '(none)'!r} instead of {PROJECT_NS!r}; read anyway", root)
        name = self.name_of(root, "Project", Path(self.archive.label).stem)
        self.b.node("Study", self.study, origin=self.origin(root), name=name)
        kept = {k: v for k, v in root.attrs.items() if k in _PROJECT_ATTRS}
        if kept:  # who made the project and when: given back on export
            self.keep(El("Project", root.ns, kept, root.line), "Project")
        section = {tag: root.first(tag) for tag in ("Users", "CodeBook", "Variables", "Cases", "Sources", "Notes", "Links", "Sets")}
        if section["Users"] is not None:
            self.read_users(section["Users"])
        codes = section["CodeBook"].first("Codes") if section["CodeBook"] is not None else None
        if codes is not None:
            self.codebook(codes)
        if section["Variables"] is not None:
            for v in section["Variables"].all("Variable"):
                key = self.key(v.get("guid"))
                if key:
                    self.variables[key] = self.name_of(v, "Variable")
                self.keep(v, "Variables")  # its GUID, type and description, for export
        if section["Sources"] is not None:
            self.read_sources(section["Sources"])
        if section["Cases"] is not None:
            self.read_cases(section["Cases"])
        if section["Sets"] is not None:
            self.read_sets(section["Sets"])
        self.emit_participants()
        self.describe(root, ("Study", self.study), name)
        self.notes_on(root, ("Study", self.study))
        if section["Notes"] is not None:
            self.read_notes(section["Notes"])
        self.emit_memos()
        if section["Links"] is not None:
            self.read_links(section["Links"])
        if root.first("Graphs") is not None:
            for graph in root.first("Graphs").all("Graph"):
                self.keep(graph, "Graphs")
        self.emit_codings()
        self.keep_files()

    def read_users(self, users: El) -> None:
        els = users.all("User")
        names = [self.name_of(u, "User", u.get("id")) for u in els]
        for el, name, id_ in zip(els, names, unique_ids(self.study, "user", [[n] for n in names])):
            self.node("User", id_, el, name=name, guid=self.guid_prop(el, id_), tool_id=el.get("id"))
            key = self.key(el.get("guid"))
            if key:
                self.users[key] = (id_, name)

    def user(self, value: str | None) -> tuple[str, str] | None:
        if not value:
            return None
        found = self.users.get(self.key(value))
        if found is None:
            self.dropped["references to unknown users"] += 1
        return found

    # sources, selections, codings

    def read_sources(self, sources: El) -> None:
        texts = []
        for el in sources.children:
            if el.tag != "TextSource":  # pictures, PDFs, audio, video: kept whole, with their files
                self.keep(el, "Sources")
                self.kept_sources[el.tag] += 1
                continue
            texts.append((el, self.source_text(el)))
        names = [self.name_of(el, "TextSource", _file_name(path)) for el, (_, path) in texts]
        for (el, (source, path)), name, id_ in zip(texts, names, unique_ids(self.study, "document", [[n] for n in names])):
            rich = el.get("richTextPath")
            self.node("Document", id_, el, name=name, path=path, text=source.text if source else None,
                      guid=self.guid_prop(el, id_), **self.authorship(el),
                      rich_path=re.sub(r"^internal://", "", rich.strip(), flags=re.IGNORECASE) if rich else None)
            self.register(el, "Document", id_)
            self.doc_els[id_] = el
            if source:
                for note in source.notes:
                    self.warn(f"source {name!r} {note}", el)
            self.read_selections(el, id_, name, source)
            for coding in el.all("Coding"):  # a coding of the whole source: kept as it is
                self.keep(coding, "Sources", el.get("guid"))
            self.notes_on(el, ("Document", id_))
            self.describe(el, ("Document", id_), name)
            for value in el.all("VariableValue"):  # given to the source's participant, and kept
                self.doc_values[id_].update(self.variable_value(value))
                self.keep(value, "Sources", el.get("guid"))
        for tag, n in sorted(self.kept_sources.items()):
            self.warn(f"{n} {tag}(s) kept as they are for export: their selections and codings are not in the graph")

    def source_text(self, el: El) -> tuple[SourceText | None, str | None]:
        """The plain text of a source (from its file or inline) and its path inside the archive."""
        path_value = el.get("plainTextPath")
        if path_value:
            info, odd = self.archive.source(path_value)
            for note in odd:
                self.warn(note, el)
            path = re.sub(r"^internal://", "", path_value.strip(), flags=re.IGNORECASE)
            if info is None:
                return None, path
            return decode_text(self.member(info), f"{self.archive.label}:{info.filename}"), path
        inline = el.first("PlainTextContent")
        if inline is not None:
            return decode_text(inline.text.encode()), None
        self.warn("source has no plain text (only rich text or none): its selections cannot be read", el)
        return None, None

    def member(self, info) -> bytes:
        """A member's bytes, read once (a text source is also kept byte for byte)."""
        if info.filename not in self.files:
            self.files[info.filename] = self.archive.read(info)
        return self.files[info.filename]

    def read_selections(self, source_el: El, doc_id: str, doc_name: str, source: SourceText | None) -> None:
        """Each selection is a Selection with its own GUID, user and dates; selections of the same
        span share one Extract, which carries their codings for queries."""
        selections = []
        for el in source_el.all("PlainTextSelection"):
            try:
                selections.append((el, int(el.get("startPosition")), int(el.get("endPosition"))))
            except (TypeError, ValueError):
                self.warn("selection without integer start/end positions: skipped", el)
        if not selections:
            return
        if source is None:
            self.warn(f"{len(selections)} selections of {doc_name!r} skipped: its text is not available", source_el)
            return
        scheme, misfits = choose_scheme(source, [(s, e) for _, s, e in selections])
        if scheme.deviations:
            how = "; ".join(DEVIATIONS[d] for d in scheme.deviations)
            self.warn(f"selections of {doc_name!r} {how}: positions corrected", source_el)
            self.node("Document", doc_id, source_el, positions=" ".join(scheme.deviations))
        text, doc_slug, skipped = source.text, doc_id.rsplit("/", 1)[-1], 0
        for el, start, end in selections:
            s, e = scheme.index(start), scheme.index(end)
            if s is None or e is None or s > e:
                skipped += 1
                continue
            id_ = f"{self.study}/extract/{doc_slug}-{s}-{e}"
            quote = text[s:e]
            name = (el.get("name") or "").strip() or _abbreviate(quote)
            self.node("Extract", id_, el, name=name, text=quote, char_start=s, char_end=e)
            self.rel("IN_DOCUMENT", ("Extract", id_), ("Document", doc_id), el)
            self.doc_extracts[doc_id].append(id_)
            selection = f"{id_}/{len(self.span_selections[id_]) + 1}"
            self.span_selections[id_].append(selection)
            self.node("Selection", selection, el, name=el.get("name"), guid=self.guid_prop(el, selection),
                      description=self.description(el), **self.authorship(el))
            self.rel("SELECTS", ("Selection", selection), ("Extract", id_), el)
            self.register(el, "Selection", selection)
            self.selection_extract[selection] = id_
            self.codings += [(selection, coding, el) for coding in el.all("Coding")]
            self.notes_on(el, ("Selection", selection))
        if skipped:
            self.warn(f"{skipped} selections of {doc_name!r} lie outside its text or split a character: skipped", source_el)
        if misfits - skipped > 0:
            self.warn(f"{misfits - skipped} selections of {doc_name!r} start or end inside a word", source_el)

    def emit_codings(self) -> None:
        """Each Coding as APPLIES from its selection (its GUID, user, date and notes), and as
        CODED_AS or ILLUSTRATES and CODED_BY from the selection's extract (for queries)."""
        for selection, coding, selection_el in self.codings:
            ref = coding.first("CodeRef")
            target = self.resolve(ref.get("targetGUID")) if ref is not None else None
            if target is None or target[0] not in ("Code", "Theme"):
                self.warn("coding refers to no known code: skipped", coding)
                continue
            extract = ("Extract", self.selection_extract[selection])
            notes = [r.get("targetGUID") for r in coding.all("NoteRef") if r.get("targetGUID")]
            self.rel("APPLIES", ("Selection", selection), target, coding,
                     guid=self.guid_prop(coding, f"{selection}|{target[1]}|{coding.line}"),
                     created_by=coding.get("creatingUser"), created=coding.get("creationDateTime"),
                     notes=json.dumps(notes) if notes else None)
            self.rel("CODED_AS" if target[0] == "Code" else "ILLUSTRATES", extract, target, coding)
            user = self.user(coding.get("creatingUser") or selection_el.get("creatingUser"))
            if user:
                self.rel("CODED_BY", extract, ("User", user[0]), coding)

    def keep_files(self) -> None:
        """Every file of the sources folder, byte for byte (base64), so an export carries the
        original .docx, .pdf and media files; files past the size cap are left out (warned)."""
        for info in self.archive.infos():
            folder, _, rest = info.filename.replace("\\", "/").partition("/")
            if folder.casefold() != "sources" or not rest or info.is_dir():
                continue
            if info.filename not in self.files and info.file_size > self.archive.budget:
                self.warn(f"{info.filename} ({info.file_size} bytes) is past what is left of the size cap: not kept")
                continue
            data = self.member(info)
            self.b.node("SourceFile", f"{self.study}/file/{rest}", origin=f"{self.archive.label}:{info.filename}",
                        study=self.study, name=rest, path=rest, data=base64.b64encode(data).decode("ascii"),
                        size=len(data), sha256=hashlib.sha256(data).hexdigest())

    # cases, variables and participants

    def variable_value(self, el: El) -> dict:
        """``{attribute: value}`` of one VariableValue, typed by the value element."""
        ref = el.first("VariableRef")
        var = self.variables.get(self.key(ref.get("targetGUID"))) if ref is not None else None
        value_el = next((c for c in el.children if c.tag.endswith("Value")), None)
        if var is None or value_el is None:
            self.warn("variable value of an unknown variable, or without a value: skipped", el)
            return {}
        raw = value_el.text.strip()
        try:
            if value_el.tag == "BooleanValue":
                return {var: raw.lower() in ("true", "1")}
            if value_el.tag == "IntegerValue":
                return {var: int(raw)}
            if value_el.tag == "FloatValue":
                return {var: float(raw)}
        except ValueError:
            self.warn(f"{value_el.tag} {raw!r} is not a number: kept as text", value_el)
        return {var: raw}

    def read_cases(self, cases: El) -> None:
        els = cases.all("Case")
        names = [self.name_of(c, "Case") for c in els]
        for el, name, id_ in zip(els, names, unique_ids(self.study, "participant", [[n] for n in names])):
            attrs = {}
            for value in el.all("VariableValue"):
                attrs.update(self.variable_value(value))
            self.participants[id_] = {"el": el, "name": name, "attrs": attrs}
            for ref in el.all("SourceRef"):
                target = self.resolve(ref.get("targetGUID"))
                if target and target[0] == "Document":
                    self.doc_participants[target[1]].append(id_)
                    self.rel("DOCUMENT_OF", target, ("Participant", id_), ref)
                else:
                    self.warn("case refers to an unknown source: skipped", ref)
            for ref in el.all("SelectionRef"):
                target = self.resolve(ref.get("targetGUID"))
                if target and target[0] == "Selection":
                    self.spoken.append((self.selection_extract[target[1]], id_, ref))
                else:
                    self.warn("case refers to an unknown selection: skipped", ref)
            for ref in el.all("CodeRef"):  # a coding of the whole case: kept as it is
                self.keep(ref, "Cases", el.get("guid"))
            self.describe(el, ("Participant", id_), name)

    def read_sets(self, sets: El) -> None:
        """Sets of codes and sources become CodeSets; "key: value" sets of sources, attributes."""
        code_sets = []
        for el in sets.all("Set"):
            name = self.name_of(el, "Set")
            codes, sources, notes = el.all("MemberCode"), el.all("MemberSource"), el.all("MemberNote")
            m = _ATTRIBUTE_SET.match(name)
            if m and sources and not codes and not notes:
                docs = [self.resolve(r.get("targetGUID")) for r in sources]
                for doc in docs:
                    if doc and doc[0] == "Document":
                        self.doc_values[doc[1]][m.group(1)] = m.group(2)
                self.warn(f"set {name!r} also read as the attribute {m.group(1)} = {m.group(2)!r} of its sources' participants", el)
            code_sets.append((el, name, codes + sources, notes))
        ids = unique_ids(self.study, "codeset", [[name] for _, name, _, _ in code_sets])
        for (el, name, members, notes), id_ in zip(code_sets, ids):
            self.node("CodeSet", id_, el, name=name, description=self.description(el), guid=self.guid_prop(el, id_))
            for ref in members:
                target = self.resolve(ref.get("targetGUID") or ref.get("guid"))
                if target and target[0] in ("Code", "Theme", "Document"):
                    self.rel("IN_SET", target, ("CodeSet", id_), ref)
                else:
                    self.warn(f"set {name!r} names an unknown code or source: skipped", ref)
            for ref in notes:  # notes as members: kept as they are
                self.keep(ref, "Sets", el.get("guid"))

    def emit_participants(self) -> None:
        """Participants from cases, plus one per source that carries attributes but has no case."""
        for doc_id, values in self.doc_values.items():
            if not values:
                continue
            owners = self.doc_participants.get(doc_id, [])
            if len(owners) > 1:
                self.warn(f"attributes of {doc_id!r} skipped: it belongs to {len(owners)} cases")
                continue
            if not owners:
                name, el = self.b.nodes["Document"][doc_id]["name"], self.doc_els[doc_id]
                self.warn(f"source {name!r} has attributes but no case: they belong to a participant named after it "
                          "(exported as a case)", el)
                pid = scoped(self.study, "participant", name)
                self.participants.setdefault(pid, {"el": el, "name": name, "attrs": {}})
                self.doc_participants[doc_id].append(pid)
                self.rel("DOCUMENT_OF", ("Document", doc_id), ("Participant", pid), el)
                owners = [pid]
            attrs = self.participants[owners[0]]["attrs"]
            for key, value in values.items():
                if key in attrs and attrs[key] != value:
                    self.warn(f"participant {owners[0]!r}: attribute {key} is both {attrs[key]!r} and {value!r}; kept {value!r}")
                attrs[key] = value
        for pid, p in self.participants.items():
            attrs = json.dumps(p["attrs"], sort_keys=True, ensure_ascii=False) if p["attrs"] else None
            # a participant made from a source gets the GUID an export gives its case
            guid = self.guid_prop(p["el"], pid) if p["el"].tag == "Case" else guid_for(pid)
            self.node("Participant", pid, p["el"], name=p["name"], attributes=attrs, guid=guid)
        for doc_id, owners in self.doc_participants.items():
            if len(owners) == 1:
                for extract_id in self.doc_extracts.get(doc_id, []):
                    self.spoken.append((extract_id, owners[0], self.participants[owners[0]]["el"]))
        for extract_id, pid, el in self.spoken:
            self.rel("SPOKEN_BY", ("Extract", extract_id), ("Participant", pid), el)

    # notes, descriptions, links

    def describe(self, el: El, target: tuple[str, str], name: str) -> None:
        """A Description of a source, selection, case or the project becomes a memo about it."""
        text = self.description(el)
        if text:
            self.memos.append(_Memo(el, f"Description of {name}", text, targets=[(target, el)], describes=True))

    def read_notes(self, notes: El) -> None:
        for el in notes.all("Note"):
            text = None
            if el.get("plainTextPath"):
                source, _ = self.source_text(el)
                text = source.text if source else None
            elif el.first("PlainTextContent") is not None:
                text = el.first("PlainTextContent").text
            user = self.user(el.get("creatingUser"))
            memo = _Memo(el, self.name_of(el, "Note", _abbreviate(text or "")), text, user[1] if user else None,
                         el.get("creationDateTime"))
            self.memos.append(memo)
            key = self.key(el.get("guid"))
            if key:
                self.notes[key] = memo
            for child in el.children:  # its description, selections, codings ...: kept as they are
                if child.tag in ("Description", "PlainTextSelection", "Coding", "NoteRef", "VariableValue"):
                    self.keep(child, "Notes", el.get("guid"))

    def emit_memos(self) -> None:
        for note_key, target, ref in self.note_refs:
            memo = self.notes.get(note_key)
            if memo is None:
                self.warn("reference to an unknown note: skipped", ref)
            else:
                memo.targets.append((target, ref))
        ids = unique_ids(self.study, "memo", [[m.name, f"{m.name} {short_hash(m.text)}"] for m in self.memos])
        for memo, id_ in zip(self.memos, ids):
            note = memo.el if not memo.describes else None
            self.node("Memo", id_, memo.el, name=memo.name, text=memo.text, author=memo.author, created=memo.created,
                      describes=memo.describes or None, guid=self.guid_prop(note, id_) if note else None,
                      modified_by=note.get("modifyingUser") if note else None,
                      modified=note.get("modifiedDateTime") if note else None)
            for target, el in memo.targets:
                self.rel("ANNOTATES", ("Memo", id_), target, el)

    def read_links(self, links: El) -> None:
        for el in links.all("Link"):
            src, dst = self.resolve(el.get("originGUID")), self.resolve(el.get("targetGUID"))
            if not (src and dst and src[0] in ("Code", "Theme") and dst[0] in ("Code", "Theme")):
                self.keep(el, "Links")  # between selections, sources, notes ...: kept as it is
                continue
            name = (el.get("name") or "").strip() or None
            guid = el.get("guid") if is_guid(el.get("guid")) else guid_for(f"{src[1]}|{dst[1]}|{name}")
            self.rel("LINKED_TO", src, dst, el, relation=name, direction=el.get("direction"), guid=guid,
                     colour=el.get("color"))
            for ref in el.all("NoteRef"):
                self.keep(ref, "Links", guid)


def _file_name(path: str | None) -> str | None:
    return path.replace("\\", "/").rsplit("/", 1)[-1] if path else None


def _abbreviate(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"



def qdpx_batch(path: Path, study: str, *, theme_depth: int | None = None) -> tuple[Batch, list[str]]:
    """A REFI-QDA project as a Batch for source ``qdpx:<study>``, and what was odd or dropped."""
    path = Path(path)
    with Archive(path) as archive:
        info, note = archive.project()
        where = f"{path.name}:{info.filename}"
        root = parse_xml(archive.read(info), where)
        batch = Batch(f"qdpx:{study}", path=str(path), loader="qdpx")
        reader = _ProjectReader(batch, study, where, theme_depth, archive)
        if note:
            reader.warn(note)
        reader.read(root)
        return batch, reader.finish()

