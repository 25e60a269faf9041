"""The code tree and sets as REFI-QDA XML, shared by both exports; ``export_qdc``."""

from __future__ import annotations

import re
from collections import defaultdict, deque
from pathlib import Path
from xml.etree.ElementTree import Element, SubElement, indent, tostring

from ...errors import ThemeGraphError
from ...files import replace_file
from ...loaders.refi import CODEBOOK_NS, guid_for, is_guid
from .study import Study

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Writer:
    """Builds the XML of one export and the warnings about what it could not carry."""

    def __init__(self, g: Study):
        self.g = g
        self.warnings: list[str] = []
        self.guids: dict[str, str] = {}
        self.used: set[str] = set()
        #: node id -> the GUID the tool gave it (kept on import), used before any made-up one
        self.own = {id_: row["guid"] for rows in g.with_guids() for id_, row in rows.items() if row.get("guid")}

    def guid(self, node_id: str, own: str | None = None) -> str:
        """A node's GUID: its own when it has a valid, unused one, else uuid5 of its id."""
        if node_id not in self.guids:
            own = own or self.own.get(node_id)
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
        by_name = {id_: i for i, id_ in enumerate([*g.themes, *g.codes])}
        # the tool's order among siblings where it was kept, else by name
        rank = {id_: (row.get("rank") is None, row.get("rank") or 0, by_name[id_])
                for rows in (g.themes, g.codes) for id_, row in rows.items()}
        order = {id_: i for i, id_ in enumerate(sorted(by_name, key=rank.get))}
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
            code = self.el(holder, "Code", guid=self.guid(id_), name=row["name"] or id_,
                           isCodable="false" if row.get("codable") is False else "true", color=colour)
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


def xml_bytes(root: Element) -> bytes:
    indent(root, space=" ")
    return tostring(root, encoding="utf-8", xml_declaration=True)


def export_qdc(store, study: str, path: Path) -> list[str]:
    """Write the study's codebook (themes, codes, code sets) as a REFI-QDA .qdc; returns warnings."""
    g = Study(store, study)
    if not g.themes and not g.codes:
        raise ThemeGraphError(f"study {study!r} has no codes or themes to export")
    w = Writer(g)
    root = w.el(None, "CodeBook", xmlns=CODEBOOK_NS, origin="ThemeGraph")
    w.codes(w.el(root, "Codes"))
    sets = Element("Sets")
    w.set_elements(sets, ("Code", "Theme"), "MemberCode", "guid")
    if len(sets):
        root.append(sets)
    data = xml_bytes(root)
    replace_file(path, lambda f: f.write(data))
    return w.warnings

