"""What an import kept without a model (ToolRecords) put back into an export, and the order of
child elements the REFI-QDA schema requires.

A ToolRecord is an element as XML (a graph, a picture/PDF/audio/video source with its selections,
a variable's declaration, a coding of a whole case ...) with the project section it belongs in and,
when it sits inside another element, that element's GUID.  GUIDs the import kept (codes, users,
sources, selections, notes) are written again, so the references inside a record still hold.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, fromstring

#: Child order per element, as Project.xsd's sequences require (a kept child is appended, then the
#: children are put back in this order; elements of the same tag keep their order).
_SEQUENCES = {
    "Project": ("Users", "CodeBook", "Variables", "Cases", "Sources", "Notes", "Links", "Sets", "Graphs",
                "Description", "NoteRef"),
    "Case": ("Description", "CodeRef", "VariableValue", "SourceRef", "SelectionRef"),
    "TextSource": ("Description", "PlainTextContent", "PlainTextSelection", "Coding", "NoteRef", "VariableValue"),
    "Note": ("Description", "PlainTextContent", "PlainTextSelection", "Coding", "NoteRef", "VariableValue"),
    "PlainTextSelection": ("Description", "Coding", "NoteRef"),
    "Set": ("Description", "MemberCode", "MemberSource", "MemberNote"),
    "Code": ("Description", "NoteRef", "Code"),
}
#: Sections whose records are whole elements of that section (the rest sit inside an element).
_SECTIONS = ("Variables", "Sources", "Links", "Graphs")


def variable_records(records: list[dict]) -> dict[str, Element]:
    """The kept Variable declarations by name: their GUID, type and description are reused."""
    out = {}
    for r in records:
        if r["section"] == "Variables":
            el = fromstring(r["xml"])
            out.setdefault(el.get("name"), el)
    return out


def project_attributes(records: list[dict]) -> dict[str, str]:
    """Who created and last changed the project in its tool, and when (kept on import)."""
    out = {}
    for r in records:
        if r["section"] == "Project":
            out.update(fromstring(r["xml"]).attrib)
    return out


def place(root: Element, records: list[dict]) -> list[str]:
    """Put the kept elements back where they were; returns warnings for those whose place is gone."""
    by_guid = {el.get("guid").strip("{}").lower(): el for el in root.iter() if el.get("guid")}
    warnings = []
    for r in records:
        if r["section"] in ("Project", "Variables"):
            continue  # merged into what the export writes itself
        el = fromstring(r["xml"])
        if r["parent"]:
            holder = by_guid.get(r["parent"].strip("{}").lower())
            if holder is None:
                warnings.append(f"a kept <{el.tag}> belonged to {r['parent']}, which is not exported: left out")
                continue
        elif r["section"] in _SECTIONS:
            holder = root.find(r["section"])
            if holder is None:
                holder = Element(r["section"])
                root.append(holder)
        else:
            warnings.append(f"a kept <{el.tag}> has no place in {r['section']}: left out")
            continue
        holder.append(el)
    for el in root.iter():
        sequence = _SEQUENCES.get(el.tag)
        if sequence:
            el[:] = sorted(el, key=lambda c: sequence.index(c.tag) if c.tag in sequence else len(sequence))
    return warnings
