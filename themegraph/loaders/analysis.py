"""What every import of a coded project shares, whatever tool made it (Taguette, QualCoder, a
coded-segments spreadsheet): a code tree from code paths, documents and their coded extracts,
researchers, memos, participants (from the tool's cases or from a rule over document names)
and the IN_STUDY relation of every node.

The readers of each tool only say what they found, in the tool's own terms; :class:`Analysis`
gives ids, levels and relations the same way for all of them, so a code, document or extract
read from two tools' exports of one analysis has one id, and every import has the shape the
REFI-QDA exporter and the named queries expect.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..graph.batch import Batch
from ..graph.ids import match_key, scoped
from ..graph.schema import rel_kind
from .refi.ids import theme_level

#: Every kind that belongs to a study, as the schema's IN_STUDY relation declares them.
_STUDY_SCOPED = tuple(a for a, _ in rel_kind("IN_STUDY").pairs)


def abbreviate(text: str, limit: int = 60) -> str:
    """A one-line name for a long text (an extract's)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


class UniqueIds:
    """Distinct ids from bases that may repeat: the first keeps the base, later ones ``-2``, ``-3``.

    Linear in the number of ids: each base remembers the next number to try, so n names that
    slug alike cost n tries, not n^2 (``tries`` counts them, for the test that guards this).
    """

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.next_number: dict[str, int] = {}
        self.tries = 0

    def take(self, base: str) -> str:
        n = self.next_number.get(base, 1)
        candidate = base if n == 1 else f"{base}-{n}"
        self.tries += 1
        while candidate in self.taken:
            n += 1
            candidate = f"{base}-{n}"
            self.tries += 1
        self.next_number[base] = n + 1
        self.taken.add(candidate)
        return candidate


@dataclass
class _Node:
    """One code or theme of the tree: its path of display names and what was said about it."""

    path: tuple[str, ...]
    origin: str
    description: str | None = None
    colour: str | None = None
    children: int = 0
    theme: bool = False  # a theme even without codes under it (a tool's empty category)
    kind: str = ""
    id: str = ""


@dataclass
class _Memo:
    name: str
    text: str
    origin: str
    targets: list[tuple[str, str]] = field(default_factory=list)
    author: str | None = None
    created: str | None = None


class Analysis:
    """Collects one project's contents, then writes them into ``batch`` in :meth:`finish`."""

    def __init__(self, batch: Batch, study: str):
        self.b = batch
        self.study = study
        self.warnings: list[str] = []
        self.nodes: dict[tuple[str, ...], _Node] = {}  # match keys of a path -> node
        self.ids = {kind: UniqueIds() for kind in ("document", "participant", "user", "memo")}
        self.codings: list[tuple[str, tuple[str, ...], str]] = []  # (extract id, path key, origin)
        self.doc_extracts: dict[str, list[str]] = defaultdict(list)
        self.doc_names: dict[str, str] = {}
        self.doc_participants: dict[str, list[str]] = defaultdict(list)
        self.participants: dict[str, str] = {}  # match key of a name -> participant id
        self.users: dict[str, str] = {}
        self.coded_by: set[tuple[str, str]] = set()
        self.memos: list[_Memo] = []

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def node(self, kind: str, id_: str, origin: str, **props) -> str:
        return self.b.node(kind, id_, origin=origin, study=self.study, **props)

    # -- the code tree ----------------------------------------------------------------------

    def code(self, path: Sequence[str], origin: str, description: str | None = None,
             colour: str | None = None, *, theme: bool = False) -> tuple[str, ...]:
        """Declare a code by its path from the top (its parents are declared with it); its key.
        ``theme``: it is a theme even if nothing is declared under it."""
        names = tuple(p.strip() for p in path if p and p.strip())
        if not names:
            raise ValueError("a code path needs at least one name")
        key: tuple[str, ...] = ()
        for depth, name in enumerate(names, 1):
            parent = key
            key = (*key, match_key(name))
            node = self.nodes.get(key)
            if node is None:
                node = self.nodes[key] = _Node(names[:depth], origin)
                if parent:
                    self.nodes[parent].children += 1
        node = self.nodes[key]
        node.theme = node.theme or theme
        node.description = node.description or (description or None)
        node.colour = node.colour or (colour or None)
        return key

    def _emit_codes(self) -> None:
        """Nodes with children are Themes (level by depth), leaves Codes; ids distinct by path."""
        for kind in ("Theme", "Code"):
            group = [n for n in self.nodes.values() if (bool(n.children) or n.theme) == (kind == "Theme")]
            ids = UniqueIds()
            by_base: dict[str, list[_Node]] = defaultdict(list)
            for n in group:
                by_base[scoped(self.study, kind.lower(), n.path[-1])].append(n)
            for base, members in by_base.items():
                for n in members:  # a name used once keeps its plain id; repeated names take their path
                    n.kind = kind
                    n.id = ids.take(base if len(members) == 1 else scoped(self.study, kind.lower(), " ".join(n.path)))
        for key, n in self.nodes.items():
            props = {"name": n.path[-1], "description": n.description}
            if n.kind == "Theme":
                self.node("Theme", n.id, n.origin, level=theme_level(len(key)), colour=n.colour, **props)
            else:
                self.node("Code", n.id, n.origin, **props)
            if len(key) > 1:
                parent = self.nodes[key[:-1]]
                type_ = "SUBTHEME_OF" if n.kind == "Theme" else "IN_THEME"
                self.b.rel(type_, (n.kind, n.id), ("Theme", parent.id), origin=n.origin)

    def target(self, key: tuple[str, ...]) -> tuple[str, str] | None:
        """(kind, id) of a declared code path, once :meth:`finish` gave ids."""
        node = self.nodes.get(key)
        return (node.kind, node.id) if node else None

    # -- documents, extracts, codings ---------------------------------------------------------

    def document(self, name: str, origin: str, *, text: str | None = None, path: str | None = None,
                 guid: str | None = None) -> str:
        id_ = self.ids["document"].take(scoped(self.study, "document", name))
        self.node("Document", id_, origin, name=name, text=text, path=path, guid=guid)
        self.doc_names[id_] = name
        return id_

    def extract(self, doc_id: str, origin: str, text: str, start: int | None = None, end: int | None = None,
                *, key: str | None = None, name: str | None = None) -> str:
        """An extract of a document: by position when known (one id per span), else by ``key``."""
        tail = f"{start}-{end}" if start is not None and end is not None else key
        id_ = f"{self.study}/extract/{doc_id.rsplit('/', 1)[-1]}-{tail}"
        if id_ not in self.b.nodes.get("Extract", {}):
            self.node("Extract", id_, origin, name=name or abbreviate(text), text=text, char_start=start, char_end=end)
            self.b.rel("IN_DOCUMENT", ("Extract", id_), ("Document", doc_id), origin=origin)
            self.doc_extracts[doc_id].append(id_)
        return id_

    def coding(self, extract_id: str, code_key: tuple[str, ...], origin: str) -> None:
        self.codings.append((extract_id, code_key, origin))

    def user(self, name: str, origin: str) -> str:
        key = match_key(name)
        if key not in self.users:
            self.users[key] = self.ids["user"].take(scoped(self.study, "user", name))
            self.node("User", self.users[key], origin, name=name.strip())
        return self.users[key]

    def coded_by_user(self, extract_id: str, user_name: str | None, origin: str) -> None:
        if user_name and user_name.strip():
            pair = (extract_id, self.user(user_name, origin))
            if pair not in self.coded_by:
                self.coded_by.add(pair)
                self.b.rel("CODED_BY", ("Extract", pair[0]), ("User", pair[1]), origin=origin)

    def memo(self, name: str, text: str | None, origin: str, target: tuple[str, str] | None = None, *,
             author: str | None = None, created: str | None = None) -> None:
        """A memo (or a description a tool keeps beside an object) about ``target``."""
        if text and text.strip():
            self.memos.append(_Memo(name, text.strip(), origin, [target] if target else [], author, created))

    # -- participants ---------------------------------------------------------------------------

    def participant(self, name: str, origin: str, attributes: dict | None = None) -> str:
        key = match_key(name)
        if key not in self.participants:
            self.participants[key] = self.ids["participant"].take(scoped(self.study, "participant", name))
        pid = self.participants[key]
        attrs = json.dumps(attributes, ensure_ascii=False, sort_keys=True) if attributes else None
        self.node("Participant", pid, origin, name=name.strip(), attributes=attrs)
        return pid

    def document_of(self, doc_id: str, pid: str, origin: str) -> None:
        if pid not in self.doc_participants[doc_id]:
            self.doc_participants[doc_id].append(pid)
            self.b.rel("DOCUMENT_OF", ("Document", doc_id), ("Participant", pid), origin=origin)

    # -- finishing ---------------------------------------------------------------------------------

    def finish(self, spoken: list[tuple[str, str, str]] = ()) -> list[str]:
        """Write codes, codings, who spoke each extract, memos and IN_STUDY; return the warnings.

        ``spoken`` adds (extract id, participant id, origin) for extracts a tool attributes
        itself; every extract of a document with exactly one participant is spoken by them.
        """
        self._emit_codes()
        seen = set()
        for extract_id, key, origin in self.codings:
            target = self.target(key)
            if target and (extract_id, target) not in seen:
                seen.add((extract_id, target))
                type_ = "CODED_AS" if target[0] == "Code" else "ILLUSTRATES"
                self.b.rel(type_, ("Extract", extract_id), target, origin=origin)
        said = {(e, p) for e, p, _ in spoken}
        for extract_id, pid, origin in spoken:
            self.b.rel("SPOKEN_BY", ("Extract", extract_id), ("Participant", pid), origin=origin)
        for doc_id, owners in self.doc_participants.items():
            if len(owners) == 1:
                for extract_id in self.doc_extracts.get(doc_id, []):
                    if (extract_id, owners[0]) not in said:
                        origin = self.b.nodes["Extract"][extract_id].get("origin")
                        self.b.rel("SPOKEN_BY", ("Extract", extract_id), ("Participant", owners[0]), origin=origin)
        for memo in self.memos:
            id_ = self.ids["memo"].take(scoped(self.study, "memo", memo.name))
            self.node("Memo", id_, memo.origin, name=memo.name, text=memo.text, author=memo.author, created=memo.created)
            for target in memo.targets:
                self.b.rel("ANNOTATES", ("Memo", id_), target, origin=memo.origin)
        for kind in _STUDY_SCOPED:
            for id_, row in self.b.nodes.get(kind, {}).items():
                self.b.rel("IN_STUDY", (kind, id_), ("Study", self.study), origin=row.get("origin"))
        return self.warnings
