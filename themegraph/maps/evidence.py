"""The evidence panel: a node's whole audit trail as text, shown when it is clicked.

A tooltip says what a node is; the panel says why it is there, the way ``evidence-chain`` does
on the command line: for a construct, theory or work the findings that bear on it with their
stance and the sentence that justifies each, the themes those findings derive from, the codes
under those themes and the quotes with their speakers; for a theme its codes, findings and
quotes; for a participant what they said; for a cited work the sentences that cite it.

A trail is a list of ``(role, text)`` lines like a tooltip (``h`` heading, ``s`` section, ``m``
meta, ``p`` paragraph, ``q`` quote, ``a`` attribution): plain text the page puts in with
``textContent``.  A trail that does not open with a heading continues the node's tooltip (the
page shows both), so what the tooltip says is not sent twice.  Long lists are cut at ``LIMIT`` lines with a count of the rest, which keeps a
5,000-node page small.
"""

from __future__ import annotations

from collections import defaultdict

from .cypher import where_study
from .model import Tip
from .thematic import Thematic

#: Most items of one kind (quotes, codes, sentences) a panel lists.
LIMIT = 40


def listed(heading: str, items: list[str], role: str = "p") -> Tip:
    """A section: its heading with the count, then up to ``LIMIT`` items, then how many more."""
    if not items:
        return []
    lines: Tip = [("s", f"{heading} ({len(items)})")]
    lines += [(role, item) for item in items[:LIMIT]]
    if len(items) > LIMIT:
        lines.append(("m", f"… and {len(items) - LIMIT} more"))
    return lines


def quotes(thematic: Thematic, extract_ids, heading: str = "Quotes") -> Tip:
    """Every quote (up to ``LIMIT``) with its speaker and its themes, in the given order."""
    chosen = [thematic.extracts[e] for e in dict.fromkeys(extract_ids) if e in thematic.extracts]
    chosen = [e for e in chosen if e.text]
    if not chosen:
        return []
    lines: Tip = [("s", f"{heading} ({len(chosen)})")]
    for extract in chosen[:LIMIT]:
        lines.append(("q", f"“{' '.join(extract.text.split())}”"))
        who = extract.speaker_name or "no speaker recorded"
        themes = thematic.theme_names(sorted((t for t in extract.themes if t in thematic.position),
                                             key=thematic.position.__getitem__))
        lines.append(("a", f"— {who}" + (f" · {themes}" if themes else "")))
    if len(chosen) > LIMIT:
        lines.append(("m", f"… and {len(chosen) - LIMIT} more"))
    return lines


def codes_under(thematic: Thematic, themes) -> list[str]:
    """Names of the codes filed under any of ``themes`` or the themes beneath them."""
    under = {c for t in set(themes) for c in thematic.codes_by_theme.get(t, ())}
    return [thematic.codes[c].get("name") or c for c in sorted(under, key=thematic.code_position.__getitem__)]


def theme_trail(thematic: Thematic, theme: str, findings: dict[str, list[str]] | None = None) -> Tip:
    """A theme: what it is, the themes under it, its codes, the findings from it, its quotes."""
    row = thematic.themes[theme]
    lines: Tip = [("h", row.get("name") or theme), ("m", f"{row.get('level') or 'theme'} theme")]
    if row.get("study"):
        lines.append(("m", f"study: {row['study']}"))
    if row.get("description"):
        lines.append(("p", row["description"]))
    below = thematic.children.get(theme, [])
    lines += listed("Themes under it", [thematic.themes[t].get("name") or t for t in below])
    lines += listed("Codes", codes_under(thematic, [theme]))
    lines += listed("Findings derived from it", (findings or {}).get(theme, []))
    return lines + quotes(thematic, thematic.theme_extracts.get(theme, []))


def code_trail(thematic: Thematic, code: str) -> Tip:
    """A code: its themes and every extract coded with it."""
    row = thematic.codes[code]
    lines: Tip = [("h", row.get("name") or code), ("m", "code")]
    if row.get("description"):
        lines.append(("p", row["description"]))
    themes = [t for t in thematic.code_themes.get(code, []) if t in thematic.themes]
    lines += listed("Themes", [thematic.themes[t].get("name") or t for t in themes])
    return lines + quotes(thematic, thematic.code_extracts.get(code, []))


def participant_trail(thematic: Thematic, pid: str, name: str, attributes: list[str]) -> Tip:
    """A participant: attributes, then everything they said, with the themes it illustrates."""
    lines: Tip = [("h", name), ("m", "participant")]
    lines += [("m", a) for a in attributes]
    said = thematic.said_by.get(pid, [])
    return lines + quotes(thematic, said, "What they said")


class Reach:
    """Which findings bear on each work, theory and construct, directly or through the chain
    (a construct's findings reach its theory, a theory's the work that proposed it)."""

    def __init__(self, links, part_of: dict[str, str], proposed_in: dict[str, str]):
        self.links = defaultdict(list)  # (kind, id) -> [(finding, stance, evidence, via)]
        for f, stance, kind, x, evidence in links:
            self.links[(kind, x)].append((f, stance, evidence, None))
        for c, t in part_of.items():
            self.links[("Theory", t)] += [(f, s, e, ("Construct", c)) for f, s, e, _ in self.links[("Construct", c)]]
        for t, w in proposed_in.items():
            self.links[("Work", w)] += [(f, s, e, via or ("Theory", t)) for f, s, e, via in self.links[("Theory", t)]]

    def trail(self, key: tuple[str, str], thematic: Thematic, findings: dict, derived: dict,
              names: dict[tuple[str, str], str]) -> Tip:
        """The findings with stance and evidence, their themes, codes and quotes (after the tooltip)."""
        reaching = self.links.get(key, [])
        lines: Tip = []
        if reaching:
            lines.append(("s", f"Findings ({len(reaching)})"))
        for f, stance, evidence, via in reaching[:LIMIT]:
            through = f" (through {via[0].lower()} {names.get(via, via[1])})" if via else ""
            lines.append(("p", f"{stance.capitalize()}{through}: {findings.get(f, f)}"))
            if evidence:
                lines.append(("q", evidence))
        themes = list(dict.fromkeys(t for f, *_ in reaching for t in derived.get(f, [])))
        lines += listed("Themes the findings derive from", [thematic.themes[t].get("name") or t for t in themes])
        lines += listed("Codes", codes_under(thematic, themes))
        extracts = [e for t in themes for e in thematic.theme_extracts.get(t, [])]
        return lines + quotes(thematic, extracts)


def sentences_trail(citations: list[dict]) -> Tip:
    """A cited work: every sentence that cites it, with its section and stance (after its tooltip)."""
    lines: Tip = []
    cited = [c for c in citations if c.get("sentence")]
    if cited:
        lines.append(("s", f"Citing sentences ({len(cited)})"))
    for c in cited[:LIMIT]:
        where = " · ".join(v for v in (c.get("study"), c.get("section"), c.get("stance")) if v)
        lines.append(("q", c["sentence"]))
        lines.append(("a", where))
    if len(cited) > LIMIT:
        lines.append(("m", f"… and {len(cited) - LIMIT} more"))
    return lines



def findings_by_theme(store, study: str | None) -> dict[str, list[str]]:
    """Names of the findings derived from each theme (of ``study``)."""
    where, params = where_study("f", study)
    out: dict[str, list[str]] = defaultdict(list)
    rows = store.query(f"MATCH (f:Finding)-[:DERIVED_FROM]->(t:Theme){where} RETURN f.name AS f, t.id AS t", params)
    for row in sorted(rows, key=lambda r: (r["t"], r["f"] or "")):
        out[row["t"]].append(row["f"])
    return dict(out)
