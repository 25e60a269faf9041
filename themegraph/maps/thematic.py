"""The thematic analysis of a study (themes, codes, extracts, speakers) as the maps read it.

Three maps show themes (themes, theory, participants); reading them once here keeps a theme's
colour, size and tooltip identical in all three.  A theme's extracts are rolled up: a final
theme counts every extract that illustrates it, any theme under it, or any code under those.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from .cypher import source_order, study_rows, where_study
from .model import Tip
from .palette import qualitative, tint, valid_colour

QUOTES_PER_TIP = 3
QUOTE_CHARS = 280
TEXT_CHARS = 420


def clip(text: str | None, limit: int) -> str:
    """``text`` cut at a word boundary to about ``limit`` characters, for tooltips."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


@dataclass
class Extract:
    """A quote with its speaker and the themes and codes it was filed under."""

    id: str
    text: str
    speaker: str | None = None
    speaker_name: str | None = None
    themes: set[str] = field(default_factory=set)
    codes: set[str] = field(default_factory=set)


@dataclass
class Thematic:
    """Themes in tree order with their hierarchy, codes, and extracts with speakers."""

    themes: dict[str, dict]
    parents: dict[str, list[str]]
    codes: dict[str, dict]
    code_themes: dict[str, list[str]]
    extracts: dict[str, Extract]
    order: list[str] = field(default_factory=list)
    depth: dict[str, int] = field(default_factory=dict)
    root: dict[str, str] = field(default_factory=dict)
    colours: dict[str, str] = field(default_factory=dict)
    theme_extracts: dict[str, list[str]] = field(default_factory=dict)
    code_extracts: dict[str, list[str]] = field(default_factory=dict)
    #: the "themes" are a flat codebook's codes (``codes_as_themes``)
    from_codes: bool = False

    @classmethod
    def read(cls, store, study: str | None) -> Thematic:
        """Read the themes, codes and extracts of ``study`` (all studies when None)."""
        themes = study_rows(
            store,
            "Theme",
            "t",
            "t.id AS id, t.name AS name, t.level AS level, t.description AS description, "
            "t.title_quote AS title_quote, t.colour AS colour, t.study AS study, t.origin AS origin",
            study,
        )
        parents = defaultdict(list)
        where, params = where_study("c", study)
        for row in store.query(
            f"MATCH (c:Theme)-[:SUBTHEME_OF]->(p:Theme){where} RETURN c.id AS child, p.id AS parent", params
        ):
            parents[row["child"]].append(row["parent"])
        codes = study_rows(
            store,
            "Code",
            "c",
            "c.id AS id, c.name AS name, c.description AS description, c.study AS study, c.origin AS origin",
            study,
        )
        code_themes = defaultdict(list)
        for row in store.query(
            f"MATCH (c:Code)-[:IN_THEME]->(t:Theme){where} RETURN c.id AS code, t.id AS theme", params
        ):
            code_themes[row["code"]].append(row["theme"])
        extracts = cls._read_extracts(store, study)
        out = cls(
            themes={r["id"]: r for r in themes},
            parents=dict(parents),
            codes={r["id"]: r for r in codes},
            code_themes=dict(code_themes),
            extracts=extracts,
        )
        out._arrange(palette_order(store))
        return out

    def codes_as_themes(self) -> Thematic:
        """A study coded without themes (a flat codebook), its codes standing in for themes, so
        that who said what can still be mapped; any other study unchanged."""
        if self.themes or not self.codes:
            return self
        extracts = {
            e.id: Extract(e.id, e.text, e.speaker, e.speaker_name, set(e.codes), set(e.codes))
            for e in self.extracts.values()
        }
        out = Thematic(
            themes={c: {**row, "level": "code"} for c, row in self.codes.items()},
            parents={}, codes={}, code_themes={}, extracts=extracts, from_codes=True,
        )
        out._arrange({})
        return out

    @staticmethod
    def _read_extracts(store, study: str | None) -> dict[str, Extract]:
        rows = study_rows(store, "Extract", "e", "e.id AS id, e.text AS text, e.origin AS origin", study)
        extracts = {r["id"]: Extract(r["id"], r["text"] or "") for r in rows}
        where, params = where_study("e", study)
        for row in store.query(
            f"MATCH (e:Extract)-[:SPOKEN_BY]->(p:Participant){where} RETURN e.id AS e, p.id AS p, p.name AS name",
            params,
        ):
            if row["e"] in extracts:
                extracts[row["e"]].speaker = row["p"]
                extracts[row["e"]].speaker_name = row["name"] or row["p"]
        illustrates = f"MATCH (e:Extract)-[:ILLUSTRATES]->(t:Theme){where} RETURN e.id AS e, t.id AS t"
        for row in store.query(illustrates, params):
            if row["e"] in extracts:
                extracts[row["e"]].themes.add(row["t"])
        for row in store.query(f"MATCH (e:Extract)-[:CODED_AS]->(c:Code){where} RETURN e.id AS e, c.id AS c", params):
            if row["e"] in extracts:
                extracts[row["e"]].codes.add(row["c"])
        return extracts

    # --- derived structure ----------------------------------------------------------------

    def _arrange(self, palette: dict[str, int]) -> None:
        """Tree order, depth, root (final theme) and colour of every theme; extract roll-ups.

        A final theme's colour is its place in ``palette`` (every final theme of the knowledge
        base), so a theme keeps its colour in every map, whichever study or filter it is drawn with.
        """
        self.parents = {t: [p for p in ps if p in self.themes and p != t] for t, ps in self.parents.items()}
        children = defaultdict(list)
        for child in self.themes:
            for parent in self.parents.get(child, []):
                children[parent].append(child)
        roots = [t for t in self.themes if not self.parents.get(t)]
        # themes caught in a SUBTHEME_OF cycle have no root: treat the first of each as one
        seen: set[str] = set()

        def visit(theme: str, depth: int, root: str) -> None:
            if theme in seen:
                return
            seen.add(theme)
            self.order.append(theme)
            self.depth[theme] = depth
            self.root[theme] = root
            for child in children[theme]:
                visit(child, depth + 1, root)

        for theme in roots + list(self.themes):
            visit(theme, 0, theme)
        for i, root in enumerate(t for t in self.order if self.depth[t] == 0):
            self.colours[root] = valid_colour(self.themes[root].get("colour")) or qualitative(palette.get(root, i))
        for theme in self.order:
            if self.depth[theme]:
                own = valid_colour(self.themes[theme].get("colour"))
                self.colours[theme] = own or tint(self.colours[self.root[theme]], min(0.3 * self.depth[theme], 0.6))
        self._roll_up()

    def _roll_up(self) -> None:
        direct: dict[str, list[str]] = defaultdict(list)
        rolled: dict[str, list[str]] = defaultdict(list)
        codes: dict[str, list[str]] = defaultdict(list)
        for extract in self.extracts.values():
            for code in sorted(extract.codes):
                codes[code].append(extract.id)
            touched = set(extract.themes)
            for code in extract.codes:
                touched.update(self.code_themes.get(code, []))
            for theme in extract.themes & self.themes.keys():
                direct[theme].append(extract.id)
            for theme in {a for t in touched if t in self.themes for a in self.ancestry(t)}:
                if extract.id not in direct[theme]:
                    rolled[theme].append(extract.id)
        self.theme_extracts = {t: direct[t] + rolled[t] for t in self.themes}
        self.code_extracts = dict(codes)

    @cached_property
    def studies(self) -> list[str]:
        """The studies the themes come from."""
        return sorted({row.get("study") for row in self.themes.values() if row.get("study")})

    @cached_property
    def codes_by_theme(self) -> dict[str, list[str]]:
        """The codes under each theme, its sub-themes' included, in code order: built once, as a
        map's tooltips ask it of every theme (asking every code instead is themes x codes)."""
        index: dict[str, list[str]] = defaultdict(list)
        for code in self.codes:
            for theme in self.code_ancestry(code):
                index[theme].append(code)
        return index

    @cached_property
    def position(self) -> dict[str, int]:
        """Each theme's place in tree order, to list a quote's themes in that order."""
        return {theme: i for i, theme in enumerate(self.order)}

    @cached_property
    def code_position(self) -> dict[str, int]:
        """Each code's place in the codebook, to list a theme's codes in that order."""
        return {code: i for i, code in enumerate(self.codes)}

    @cached_property
    def children(self) -> dict[str, list[str]]:
        """The themes directly under each theme, in tree order."""
        index: dict[str, list[str]] = defaultdict(list)
        for theme in self.order:
            for parent in self.parents.get(theme, []):
                index[parent].append(theme)
        return index

    @cached_property
    def said_by(self) -> dict[str, list[str]]:
        """The extracts of each speaker, in extract order."""
        index: dict[str, list[str]] = defaultdict(list)
        for extract in self.extracts.values():
            index[extract.speaker].append(extract.id)
        return index

    def legend_name(self, theme: str) -> str:
        """A theme's name, with its study when the themes come from several."""
        name = self.themes[theme].get("name") or theme
        study = self.themes[theme].get("study")
        return f"{name} ({study})" if study and len(self.studies) > 1 else name

    def theme_names(self, themes) -> str:
        """Theme ids as their names, for tooltips."""
        return "; ".join(self.themes[t].get("name") or t for t in themes)

    def ancestry(self, theme: str) -> tuple[str, ...]:
        """``theme`` and every theme above it (through all parents)."""
        out, todo = [], [theme]
        while todo:
            t = todo.pop()
            if t not in out:
                out.append(t)
                todo.extend(self.parents.get(t, []))
        return tuple(out)

    def code_ancestry(self, code: str) -> tuple[str, ...]:
        """The themes a code sits under, with their ancestors."""
        out: list[str] = []
        for theme in self.code_themes.get(code, []):
            out.extend(t for t in self.ancestry(theme) if t not in out and t in self.themes)
        return tuple(out)

    def code_colour(self, code: str) -> str:
        """A light shade of the final theme the code (first) sits under."""
        for theme in self.code_themes.get(code, []):
            if theme in self.root:
                return tint(self.colours[self.root[theme]], 0.55)
        return "#c8c8c8"

    def options(self) -> list[tuple[str, str, int]]:
        """The themes for the page's theme filter: (id, name, depth) in tree order."""
        return [(t, self.themes[t].get("name") or t, self.depth[t]) for t in self.order]

    def resolve(self, theme: str) -> str:
        """The id of the theme named or identified by ``theme`` (case-insensitive)."""
        wanted = theme.strip().casefold()
        for tid, row in self.themes.items():
            if tid.casefold() == wanted or (row.get("name") or "").casefold() == wanted:
                return tid
        known = ", ".join(sorted({row.get("name") or tid for tid, row in self.themes.items()}))
        raise ValueError(f"no theme {theme!r}; known themes: {known or 'none'}")

    # --- tooltips -------------------------------------------------------------------------

    def quotes(self, extract_ids: list[str], n: int = QUOTES_PER_TIP) -> Tip:
        """Up to ``n`` representative quotes, different speakers first, in the given order."""
        chosen: list[Extract] = []
        speakers: set[str | None] = set()
        candidates = [self.extracts[e] for e in extract_ids if e in self.extracts and self.extracts[e].text]
        for extract in candidates:
            if len(chosen) < n and extract.speaker and extract.speaker not in speakers:
                chosen.append(extract)
                speakers.add(extract.speaker)
        for extract in candidates:
            if len(chosen) < n and extract not in chosen:
                chosen.append(extract)
        tip: Tip = []
        for extract in chosen:
            tip.append(("q", f"“{clip(extract.text, QUOTE_CHARS)}”"))
            if extract.speaker_name:
                tip.append(("a", f"— {extract.speaker_name}"))
        return tip

    def theme_tip(self, theme: str) -> Tip:
        """Name, level, extract count, description, title quote and representative quotes."""
        row = self.themes[theme]
        count = len(self.theme_extracts.get(theme, []))
        level = row.get("level") or "theme"
        meta = f"{level} theme · {plural(count, 'extract')}"
        if row.get("study") and len(self.studies) > 1:
            meta += f" · study {row['study']}"
        tip: Tip = [("h", row.get("name") or theme), ("m", meta)]
        if row.get("title_quote"):
            tip.append(("q", clip(row["title_quote"], QUOTE_CHARS)))
        if row.get("description"):
            tip.append(("p", clip(row["description"], TEXT_CHARS)))
        return tip + self.quotes(self.theme_extracts.get(theme, []))


def palette_order(store) -> dict[str, int]:
    """Every top-level theme of the knowledge base numbered study by study, in file order: the
    place each takes in the qualitative palette."""
    rows = study_rows(store, "Theme", "t", "t.id AS id, t.name AS name, t.study AS study, t.origin AS origin", None)
    child = {r["c"] for r in store.query("MATCH (c:Theme)-[:SUBTHEME_OF]->(p:Theme) RETURN c.id AS c")}
    tops = sorted((r for r in rows if r["id"] not in child), key=lambda r: (r.get("study") or "", source_order(r)))
    return {r["id"]: i for i, r in enumerate(tops)}


def plural(n: int, word: str) -> str:
    """``3 extracts``, ``1 extract``, ``2 theories``."""
    if n == 1:
        return f"{n} {word}"
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "o", "u"):
        return f"{n} {word[:-1]}ies"
    return f"{n} {word}s"
