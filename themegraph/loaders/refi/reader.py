"""The code tree of a project or codebook, and what every reader shares (provenance, warnings,
GUID matching); ``qdc_batch``, the codebook entry point."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import InputError, ThemeGraphError
from ...graph.batch import Batch
from ...graph.schema import NODES, STUDY_SCOPED
from .archive import MAX_BYTES
from .elements import CODEBOOK_NS, El, parse_xml, to_xml
from .ids import PathNames, guid_for, is_guid, theme_level, unique_ids

#: The kinds whose nodes belong to a study: each gets IN_STUDY (from the schema, never retyped).
_STUDY_SCOPED = tuple(k.name for k in NODES if STUDY_SCOPED in k.props)


@dataclass
class _CodeItem:
    el: El
    name: str
    names: PathNames
    parent: _CodeItem | None
    children: list[_CodeItem] = field(default_factory=list)
    theme: bool = False
    id: str = ""
    rank: int = 0


class Reader:
    """Builds one Batch from a parsed project or codebook, collecting warnings on the way."""

    def __init__(self, batch: Batch, study: str, where: str, theme_depth: int | None):
        if theme_depth is not None and theme_depth < 0:
            raise ThemeGraphError(f"--theme-depth must be 0 or more, got {theme_depth}")
        self.b = batch
        self.study = study
        self.where = where
        self.theme_depth = theme_depth
        self.warnings: list[str] = []
        self.dropped: Counter[str] = Counter()
        self.unnamed: Counter[str] = Counter()
        self.not_guids: dict[str, str] = {}  # matched form -> first spelling met
        self.objects: dict[str, tuple[str, str]] = {}  # guid key -> (kind, node id)
        self.note_refs: list[tuple[str | None, tuple[str, str], El]] = []  # (note key, target, NoteRef)
        self._rels: set = set()
        self.kept = 0  # ToolRecords made

    # provenance and bookkeeping

    def origin(self, el: El) -> str:
        return f"{self.where}:{el.line}"

    def warn(self, message: str, el: El | None = None) -> None:
        self.warnings.append(f"{self.origin(el) if el else self.where}: {message}")

    def key(self, value: str | None) -> str | None:
        """How ids are matched: braces and case ignored; ids that are not GUIDs still work."""
        if not value or not value.strip():
            return None
        value = value.strip()
        key = value.strip("{}").lower()
        if not is_guid(value):
            self.not_guids.setdefault(key, value)
        return key

    def register(self, el: El, kind: str, id_: str) -> None:
        key = self.key(el.get("guid"))
        if key is None:
            return
        if key in self.objects:
            self.warn(f"id {el.get('guid')!r} is used twice; references go to the first", el)
        else:
            self.objects[key] = (kind, id_)

    def resolve(self, value: str | None) -> tuple[str, str] | None:
        key = self.key(value)
        return self.objects.get(key) if key else None

    def name_of(self, el: El, what: str, fallback: str | None = None) -> str:
        name = (el.get("name") or "").strip()
        if name:
            return name
        self.unnamed[what] += 1
        return fallback or el.get("guid") or f"{what} at line {el.line}"

    def guid_prop(self, el: El, node_id: str) -> str:
        value = (el.get("guid") or "").strip()
        return value if is_guid(value) else guid_for(node_id)

    @staticmethod
    def authorship(el: El) -> dict:
        """Who created and last changed an element in the tool, and when (as given)."""
        return {"created_by": el.get("creatingUser"), "created": el.get("creationDateTime"),
                "modified_by": el.get("modifyingUser"), "modified": el.get("modifiedDateTime")}

    def keep(self, el: El, section: str, parent: str | None = None) -> None:
        """Keep an element the graph has no model for as a ToolRecord, so an export writes it again."""
        self.kept += 1
        id_ = f"{self.study}/record/{self.kept}"
        self.node("ToolRecord", id_, el, name=el.tag, section=section, parent=parent, xml=to_xml(el),
                  position=self.kept)

    def node(self, kind: str, id_: str, el: El, **props) -> str:
        return self.b.node(kind, id_, origin=self.origin(el), study=self.study, **props)

    def rel(self, type_: str, src: tuple[str, str], dst: tuple[str, str], el: El, **props) -> None:
        key = (type_, src, dst, tuple(sorted(props.items())))
        if key not in self._rels:
            self._rels.add(key)
            self.b.rel(type_, src, dst, origin=self.origin(el), **props)

    def notes_on(self, el: El, target: tuple[str, str]) -> None:
        """Remember the NoteRefs of ``el``: they become ANNOTATES once the notes are read."""
        self.note_refs += [(self.key(r.get("targetGUID")), target, r) for r in el.all("NoteRef")]

    @staticmethod
    def description(el: El) -> str | None:
        d = el.first("Description")
        return (d.text.strip() or None) if d is not None else None

    # the code tree (projects and codebooks alike)

    def codebook(self, codes: El) -> None:
        """Codes and themes: leaves are Codes, their parents Themes (down to ``theme_depth``)."""
        items: list[_CodeItem] = []
        paths: dict = {}  # (parent's path key, name) -> path key
        top: list[_CodeItem] = []
        stack = [(c, None) for c in reversed(codes.all("Code"))]
        while stack:
            el, parent = stack.pop()
            name = self.name_of(el, "Code")
            siblings = parent.children if parent else top
            item = _CodeItem(el, name, PathNames(name, parent.names if parent else None, paths), parent,
                             rank=len(siblings))
            siblings.append(item)
            items.append(item)
            stack += [(c, item) for c in reversed(el.all("Code"))]
        for item in items:
            item.theme = bool(item.children) and (self.theme_depth is None or item.names.depth <= self.theme_depth)
        for kind, group in (("theme", [i for i in items if i.theme]), ("code", [i for i in items if not i.theme])):
            # each code's names are its name, then "parent name", "grandparent parent name" ...
            ids = unique_ids(self.study, kind, [i.names for i in group])
            for item, id_ in zip(group, ids):
                item.id = id_
        flattened = 0
        for item in items:
            el, kind = item.el, "Theme" if item.theme else "Code"
            above = item.parent
            while above is not None and not above.theme:
                above = above.parent
            codable = (el.get("isCodable") or "true").strip().lower() not in ("false", "0")
            tool = {"description": self.description(el), "colour": el.get("color"), "rank": item.rank,
                    "guid": self.guid_prop(el, item.id), "codable": codable}
            if item.theme:
                self.node(kind, item.id, el, name=item.name, level=theme_level(item.names.depth), **tool)
                if above:
                    self.rel("SUBTHEME_OF", (kind, item.id), ("Theme", above.id), el)
            else:
                self.node(kind, item.id, el, name=item.name, **tool)
                if above:
                    self.rel("IN_THEME", (kind, item.id), ("Theme", above.id), el)
                flattened += item.parent is not above
            self.register(el, kind, item.id)
            self.notes_on(el, (kind, item.id))
        if flattened:
            self.warn(
                f"{flattened} codes below --theme-depth {self.theme_depth} were placed under the nearest theme above them"
            )

    def finish(self) -> list[str]:
        """IN_STUDY for every study-scoped node, then the summary warnings."""
        for kind in _STUDY_SCOPED:
            for id_, row in self.b.nodes.get(kind, {}).items():
                self.b.rel("IN_STUDY", (kind, id_), ("Study", self.study), origin=row.get("origin"))
        for what, n in sorted(self.unnamed.items()):
            self.warn(f"{n} {what} element(s) without a name: named after their file or id")
        if self.not_guids:
            examples = ", ".join(repr(v) for v in sorted(self.not_guids.values())[:3])
            self.warn(f"{len(self.not_guids)} ids are not GUIDs (e.g. {examples}); used as given to match references")
        if self.dropped:
            items = "; ".join(f"{n} {what}" for what, n in sorted(self.dropped.items()))
            self.warn(f"not imported (no place in the graph): {items}")
        return self.warnings



def qdc_batch(path: Path, study: str, *, theme_depth: int | None = None) -> tuple[Batch, list[str]]:
    """A REFI-QDA codebook as a Batch for source ``qdc:<study>``: codes, themes and sets."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{path.name}: cannot read it: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise InputError(f"{path.name}: larger than the limit of {MAX_BYTES} bytes for a codebook")
    root = parse_xml(data, path.name)
    if root.tag != "CodeBook":
        raise InputError(f"{path.name}:{root.line}: the root element is <{root.tag}>, not <CodeBook>")
    batch = Batch(f"qdc:{study}", path=str(path), loader="qdc")
    reader = Reader(batch, study, path.name, theme_depth)
    if root.ns != CODEBOOK_NS:
        reader.warn(f"namespace {root.ns or '(none)'!r} instead of {CODEBOOK_NS!r}; read anyway", root)
    batch.node("Study", study, origin=reader.origin(root))  # no name: keep the study's own title
    codes = root.first("Codes")
    if codes is not None:
        reader.codebook(codes)
    sets = root.first("Sets").all("Set") if root.first("Sets") is not None else []
    names = [reader.name_of(el, "Set") for el in sets]
    for el, name, id_ in zip(sets, names, unique_ids(study, "codeset", [[n] for n in names])):
        reader.node("CodeSet", id_, el, name=name, description=reader.description(el), guid=reader.guid_prop(el, id_))
        for ref in el.all("MemberCode"):
            target = reader.resolve(ref.get("guid") or ref.get("targetGUID"))
            if target:
                reader.rel("IN_SET", target, ("CodeSet", id_), ref)
            else:
                reader.warn("set member is not a known code: skipped", ref)
    return batch, reader.finish()
