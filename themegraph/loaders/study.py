"""Load a study bundle (see docs/study-bundle.md) into one Batch, validating everything first.

get -> transform -> load: files are read and checked here, every problem is collected as
``file:line: message`` and reported together, and only a fully valid bundle becomes a Batch.
The store then writes it atomically under the source name ``study:<id>``, replacing whatever
that study loaded before.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..graph.batch import Batch, collector_paused
from ..graph.ids import match_key, scoped, slug
from ..graph.schema import STANCES
from ..readers.tabular import Row, read_table, split_list
from ..readers.yamlfile import SLUG as STUDY_ID
from ..readers.yamlfile import bundle_head, entries, line_of, read_yaml, scalar, scalars
from .analysis import UniqueIds
from .refi.ids import theme_level

CODEBOOK_NAMES = ("codebook.csv", "codebook.xlsx")
TARGET_KEYS = ("work", "theory", "construct")


def codebook_layout(columns: list[str], path: Path) -> str:
    """Which codebook layout a header is: "path" (``theme_path``, any depth), "two-level"
    (``emerging_theme`` and ``final_theme``), "one-level" (``theme``) or "flat" (codes only)."""
    if "theme_path" in columns:
        return "path"
    if "emerging_theme" in columns or "final_theme" in columns:
        missing = [c for c in ("emerging_theme", "final_theme") if c not in columns]
        if missing:
            raise InputError(f"{path}:1: missing column(s) {', '.join(missing)} (found: {', '.join(columns)}); "
                             "a one-level codebook names its column 'theme'")
        return "two-level"
    return "one-level" if "theme" in columns else "flat"


@dataclass
class Names:
    """Names matched case-insensitively with whitespace collapsed; the first spelling is kept."""

    ids: dict[str, str] = field(default_factory=dict)  # match key -> node id
    display: dict[str, str] = field(default_factory=dict)  # match key -> first spelling
    unique: UniqueIds = field(default_factory=UniqueIds)
    keys: dict[str, str] = field(default_factory=dict)  # a spelling met -> its match key

    def key(self, name: str) -> str:
        """``match_key(name)``, worked out once per spelling: a theme is named on thousands of rows."""
        key = self.keys.get(name)
        if key is None:
            key = self.keys[name] = match_key(name)
        return key

    def add(self, name: str, id_: str) -> str:
        """The id for ``name``: ``id_`` for a new name (suffixed if another name slugs the same)."""
        key = self.key(name)
        if key not in self.ids:
            self.ids[key] = self.unique.take(id_)
            self.display[key] = name.strip()
        return self.ids[key]

    def get(self, name: str) -> str | None:
        return self.ids.get(self.key(name))

    def shown(self, name: str) -> str:
        """The first spelling of a known ``name``."""
        return self.display[self.key(name)]


class StudyReader:
    """Reads one bundle folder into a Batch; ``problems`` collects every error found."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.problems: list[str] = []
        self.study = ""
        self.batch: Batch | None = None
        self.themes = Names()
        self.codes = Names()
        self.participants = Names()
        self.levels: dict[str, str] = {}  # theme id -> level
        self.work_keys: dict[str, str] = {}  # bib key -> work id
        self.theories: dict[str, str] = {}  # theory slug -> id
        self.constructs: dict[str, str] = {}  # "theory/construct" -> id

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def path(self, name: str) -> Path:
        return self.folder / name

    def _step(self, fn, *args) -> None:
        """Run one reading step; a file-level error is recorded and the other files still checked."""
        try:
            fn(*args)
        except InputError as exc:
            self.problems.extend(exc.problems)

    # -- study.yaml -------------------------------------------------------------------------

    def read_study(self) -> None:
        data, where, study, title = bundle_head(self.folder, "study.yaml", "study", "id and title", self.problems)
        year = data.get("year")
        if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
            self.problem(where, f"year must be a whole number, got {year!r}")
            year = None
        self.study = study
        self.batch = Batch(f"study:{study}", path=str(self.folder), loader="study")
        text = {k: scalar(data.get(k), k, where, self.problems) for k in (
            "design", "method", "research_question", "setting", "participants_summary")}
        self.batch.node(
            "Study", study, origin="study.yaml:1", name=title or study, title=title or "",
            authors=scalars(data.get("authors"), "authors", where, self.problems), year=year,
            keywords=scalars(data.get("keywords"), "keywords", where, self.problems), **text,
        )

    def scoped_node(self, kind: str, id_: str, origin: str, **props) -> str:
        """A node of this study; the first time it is met, also its IN_STUDY relation."""
        if id_ not in self.batch.nodes.get(kind, {}):
            self.batch.node(kind, id_, origin=origin, study=self.study, **props)
            self.batch.rel("IN_STUDY", (kind, id_), ("Study", self.study), origin=origin)
        return id_

    # -- codebook ---------------------------------------------------------------------------

    def read_codebook(self) -> None:
        """Codes and the themes above them, in any of the layouts of docs/study-bundle.md: codes
        only, ``theme`` (one level), ``emerging_theme`` + ``final_theme`` (two), ``theme_path``."""
        path = next((self.path(n) for n in CODEBOOK_NAMES if self.path(n).exists()), None)
        if path is None:
            raise InputError(f"{self.folder}: no codebook.csv or codebook.xlsx")
        rows = read_table(path, ("code",))
        layout = codebook_layout(list(rows[0].values) if rows else [], path)
        parent_of: dict[str, tuple[str, str]] = {}  # theme id -> (parent theme id, origin)
        links: set[tuple[str, str]] = set()
        placed: dict[tuple[str, ...], list[str]] = {}  # themes of a row already placed -> their ids
        for row in rows:
            names = self._theme_names(row, layout)
            if names is None:
                continue
            ids = placed.get(tuple(names))  # a row naming the same themes again changes nothing
            if ids is None:
                ids = [self.theme(name, theme_level(depth), row.origin) for depth, name in enumerate(names, 1)]
                if None in ids or not self._nest(names, ids, parent_of, row.origin):
                    continue
                placed[tuple(names)] = ids
            name = row.get("code")
            code = self.codes.get(name) or self.codes.add(name, scoped(self.study, "code", name))
            self.scoped_node("Code", code, row.origin, name=self.codes.shown(name))
            description = row.get("description")
            if description:
                self.batch.node("Code", code, description=description)
            if ids and (code, ids[-1]) not in links:
                links.add((code, ids[-1]))
                self.batch.rel("IN_THEME", ("Code", code), ("Theme", ids[-1]), origin=row.origin)

    def _theme_names(self, row: Row, layout: str) -> list[str] | None:
        """The themes above a row's code, top first; None (with a problem recorded) if it has none to give."""
        if layout == "two-level":
            cells = {c: row.get(c) for c in ("code", "emerging_theme", "final_theme")}
            final, emerging = cells["final_theme"], cells["emerging_theme"]
            if not (cells["code"] and final and emerging):
                self.problem(row.origin, f"empty {', '.join(c for c, v in cells.items() if not v)}")
                return None
            return [final] if self.themes.key(final) == self.themes.key(emerging) else [final, emerging]
        if not row.get("code"):
            self.problem(row.origin, "empty code")
            return None
        if layout == "path":
            names = [n.strip() for n in row.get("theme_path").split(">")]
            if any(not n for n in names) and row.get("theme_path"):
                self.problem(row.origin, f"theme_path {row.get('theme_path')!r} has an empty step")
                return None
            keys = [match_key(n) for n in names if n]
            if len(set(keys)) < len(keys):
                self.problem(row.origin, f"theme_path {row.get('theme_path')!r} names a theme twice")
                return None
            return [n for n in names if n]
        if layout == "one-level":
            return [row.get("theme")] if row.get("theme") else []
        return []

    def _nest(self, names: list[str], ids: list[str], parent_of: dict, origin: str) -> bool:
        """SUBTHEME_OF along a row's themes; a theme under two parents is a problem."""
        for depth in range(1, len(ids)):
            child, parent = ids[depth], ids[depth - 1]
            known = parent_of.get(child)
            if known and known[0] != parent:
                self.problem(origin, f"{theme_level(depth + 1)} theme {names[depth]!r} is under two themes "
                             f"(also at {known[1]})")
                return False
            if not known:
                parent_of[child] = (parent, origin)
                self.batch.rel("SUBTHEME_OF", ("Theme", child), ("Theme", parent), origin=origin)
        return True

    def theme(self, name: str, level: str, origin: str) -> str | None:
        """The theme called ``name`` at ``level``; one name cannot stand at two levels."""
        id_ = self.themes.get(name) or self.themes.add(name, scoped(self.study, "theme", name))
        if self.levels.setdefault(id_, level) != level:
            self.problem(origin, f"{name!r} is used both as a {self.levels[id_]} and as a {level} theme")
            return None
        return self.scoped_node("Theme", id_, origin, name=self.themes.shown(name), level=level)

    # -- themes.csv, participants.csv, extracts.csv -----------------------------------------

    def read_themes(self) -> None:
        path = self.path("themes.csv")
        if not path.exists():
            return
        for row in read_table(path, ("theme",)):
            id_ = self.themes.get(row.get("theme"))
            if id_ is None:
                self.problem(row.origin, f"theme {row.get('theme')!r} is not in the codebook")
                continue
            level = row.get("level")
            if level and level.lower() != self.levels[id_]:
                self.problem(row.origin, f"theme {row.get('theme')!r} is {self.levels[id_]} in the codebook, not {level}")
            self.batch.node("Theme", id_, description=row.get("description") or None,
                            title_quote=row.get("title_quote") or None, colour=row.get("colour") or None)

    def read_participants(self) -> None:
        path = self.path("participants.csv")
        if not path.exists():
            return
        for row in read_table(path, ("id",)):
            pid = row.get("id")
            if not pid:
                self.problem(row.origin, "empty participant id")
                continue
            if self.participants.get(pid):
                self.problem(row.origin, f"duplicate participant id {pid!r}")
                continue
            node = self.participants.add(pid, scoped(self.study, "participant", pid))
            attrs = {k: v.strip() for k, v in row.values.items() if k != "id" and v and v.strip()}
            self.scoped_node("Participant", node, row.origin, name=pid,
                             attributes=json.dumps(attrs, ensure_ascii=False, sort_keys=True))

    def read_extracts(self) -> None:
        path = self.path("extracts.csv")
        if not path.exists():
            return
        seen: dict[str, str] = {}
        for row in read_table(path, ("id", "text")):
            eid, text = row.get("id"), row.get("text")
            if not eid or not text:
                self.problem(row.origin, "an extract needs an id and a text")
                continue
            xid = scoped(self.study, "extract", eid)
            if xid in seen:  # ids ignore case and punctuation: 'E1' and 'e1' are one node
                self.problem(row.origin, f"duplicate extract id {eid!r} (first at line {seen[xid]})")
                continue
            seen[xid] = str(row.line)
            participant = row.get("participant")
            refs = self._extract_links(row, participant)
            if refs is None:
                continue
            themes, codes, speaker = refs
            name = f"{eid} ({participant})" if speaker else eid
            origin, extract = row.origin, ("Extract", xid)
            self.scoped_node("Extract", xid, origin, name=name, text=text,
                             section=row.get("section") or None, page=row.get("page") or None)
            for t in themes:
                self.batch.rel("ILLUSTRATES", extract, ("Theme", t), origin=origin)
            for c in codes:
                self.batch.rel("CODED_AS", extract, ("Code", c), origin=origin)
            if speaker:
                self.batch.rel("SPOKEN_BY", extract, ("Participant", speaker), origin=origin)

    def _extract_links(self, row: Row, participant: str):
        ok = True
        themes, codes = [], []
        for name in split_list(row.get("themes")):
            tid = self.themes.get(name)
            if tid is None:
                self.problem(row.origin, f"unknown theme {name!r}")
                ok = False
            themes.append(tid)
        for name in split_list(row.get("codes")):
            cid = self.codes.get(name)
            if cid is None:
                self.problem(row.origin, f"unknown code {name!r}")
                ok = False
            codes.append(cid)
        speaker = None
        if participant:
            speaker = self.participants.get(participant)
            if speaker is None:
                self.problem(row.origin, f"unknown participant {participant!r}")
                ok = False
        return (dict.fromkeys(themes), dict.fromkeys(codes), speaker) if ok else None

    # -- references, theories, findings ------------------------------------------------------

    def read_references(self) -> None:
        path = self.path("references.bib")
        if not path.exists():
            return
        from ..readers.references import read_references
        from ..readers.works import add_works, merge_works

        works, problems = read_references(path)
        self.problems.extend(problems)
        self.work_keys = add_works(self.batch, merge_works(works))

    def read_citations(self) -> None:
        """citations.csv: the paper's in-text citations, as ``themegraph cite --format csv`` writes them."""
        path = self.path("citations.csv")
        if not path.exists():
            return
        from .paper import add_citations

        rows = []
        for row in read_table(path, ("authors", "year", "sentence")):
            ref = row.get("ref")
            if ref and ref not in self.work_keys:
                self.problem(row.origin, f"ref {ref!r} is not a key of references.bib")
                continue
            authors = split_list(row.get("authors"))
            if not authors or not row.get("year") or not row.get("sentence"):
                self.problem(row.origin, "a citation needs authors, a year and its sentence")
                continue
            numbers = {}
            for key in ("start", "end"):
                value = row.get(key)
                offset = re.fullmatch(r"[0-9]{1,12}", value)
                if value and not offset:
                    self.problem(row.origin, f"{key} must be a character offset, got {value!r}")
                numbers[key] = int(value) if offset else None
            rows.append({**row.values, "authors": authors, "ref": ref or None, "line": row.line, **numbers})
        add_citations(self.batch, self.study, rows, self.work_keys, "citations.csv")

    def _yaml_entries(self, name: str, key: str):
        """Each entry under ``key`` of the optional YAML file ``name``, with its "file:line"."""
        path = self.path(name)
        if not path.exists():
            return
        for entry in entries(read_yaml(path) or {}, key, name, self.problems):
            yield entry, f"{name}:{line_of(entry)}"

    def read_theories(self, name: str = "theories.yaml") -> None:
        for theory, where in self._yaml_entries(name, "theories"):
            tslug = self._named_entry("Theory", theory, "theory/", where)
            if tslug is None:
                continue
            tid = f"theory/{slug(tslug)}"
            self.theories[tslug] = tid
            key = scalar(theory.get("proposed_in"), "proposed_in", where, self.problems)
            if key:
                if key not in self.work_keys:
                    self.problem(where, f"proposed_in {key!r} is not a key of references.bib")
                else:
                    self.batch.rel("PROPOSED_IN", ("Theory", tid), ("Work", self.work_keys[key]), origin=where)
            for construct in entries(theory, "constructs", name, self.problems):
                cwhere = f"{name}:{line_of(construct)}"
                cslug = self._named_entry("Construct", construct, f"{tid}/", cwhere, theory=tid)
                if cslug is None:
                    continue
                cid = f"{tid}/{slug(cslug)}"
                self.constructs[f"{tslug}/{cslug}"] = cid
                self.batch.rel("PART_OF", ("Construct", cid), ("Theory", tid), origin=cwhere)

    def _named_entry(self, kind: str, entry: dict, prefix: str, where: str, **props) -> str | None:
        """Add a Theory (id prefix "theory/") or Construct ("<theory id>/") from its YAML entry.

        Returns the entry's own id, or None (with a problem recorded) when it lacks an id or a
        name, or when its id repeats another: ids ignore case and punctuation.
        """
        own = scalar(entry.get("id"), "id", where, self.problems)
        name = scalar(entry.get("name"), "name", where, self.problems)
        if not own or not name:
            self.problem(where, f"a {kind.lower()} needs an id and a name")
            return None
        id_ = f"{prefix}{slug(own)}"
        if id_ in self.batch.nodes.get(kind, {}):
            self.problem(where, f"{kind.lower()} id {own!r} repeats another (ids ignore case and punctuation)")
            return None
        self.batch.node(kind, id_, origin=where, name=name, **props,
                        description=scalar(entry.get("description"), "description", where, self.problems))
        return own

    def read_findings(self) -> None:
        for finding, where in self._yaml_entries("findings.yaml", "findings"):
            fslug = scalar(finding.get("id"), "id", where, self.problems)
            if not fslug:
                self.problem(where, "a finding needs an id")
                continue
            fid = scoped(self.study, "finding", fslug)
            if fid in self.batch.nodes.get("Finding", {}):
                self.problem(where, f"finding id {fslug!r} repeats another (ids ignore case and punctuation)")
                continue
            status = scalar(finding.get("status"), "status", where, self.problems) or "confirmed"
            if status not in ("confirmed", "unconfirmed"):
                self.problem(where, f"status must be confirmed or unconfirmed, got {status!r}")
                continue
            self.scoped_node("Finding", fid, where, name=scalar(finding.get("title"), "title", where, self.problems) or fslug,
                             statement=scalar(finding.get("statement"), "statement", where, self.problems),
                             section=scalar(finding.get("section"), "section", where, self.problems), status=status)
            for name in scalars(finding.get("themes"), "themes", where, self.problems):
                tid = self.themes.get(name)
                if tid is None:
                    self.problem(where, f"unknown theme {name!r}")
                else:
                    self.batch.rel("DERIVED_FROM", ("Finding", fid), ("Theme", tid), origin=where)
            for link in entries(finding, "links", "findings.yaml", self.problems):
                self._link(fid, link)

    def _link(self, fid: str, link: dict) -> None:
        where = f"findings.yaml:{line_of(link)}"
        stance = (scalar(link.get("stance"), "stance", where, self.problems) or "").lower()
        if stance not in STANCES:
            self.problem(where, f"stance must be one of {', '.join(STANCES)}, got {link.get('stance')!r}")
            return
        given = [k for k in TARGET_KEYS if link.get(k) is not None]
        if len(given) != 1:
            self.problem(where, "a link names exactly one of work, theory or construct")
            return
        kind = given[0]
        name = scalar(link[kind], kind, where, self.problems)
        table = {"work": self.work_keys, "theory": self.theories, "construct": self.constructs}[kind]
        target = table.get(name) if kind == "work" else table.get(name) or external_theory(kind, name)
        if target is None:
            detail = "" if kind == "work" else " (nor the id of a theory/construct as 'theory' or 'theory/construct')"
            self.problem(where, f"{kind} {link[kind]!r} is not in {'references.bib' if kind == 'work' else 'theories.yaml'}"
                         f"{detail}")
            return
        evidence = scalar(link.get("evidence"), "evidence", where, self.problems)
        if not evidence:
            self.problem(where, "a link needs the evidence sentence that justifies it")
            return
        self.batch.rel(stance.upper(), ("Finding", fid), (kind.capitalize(), target), origin=where,
                       evidence=evidence)


def external_theory(kind: str, name: str | None) -> str | None:
    """The id of a theory ('working-alliance') or construct ('working-alliance/bonds') that the
    bundle does not define: another bundle or a shared theories file (``--theories``) may have
    loaded it.  The store checks that it exists, and names it if it does not."""
    parts = [slug(p) for p in (name or "").split("/")]
    if not all(parts) or len(parts) != (1 if kind == "theory" else 2):
        return None
    return "/".join(["theory", *parts])


def read_theories_file(path: Path) -> Batch:
    """A shared theories file (the format of a bundle's theories.yaml, without ``proposed_in``)
    as its own source, ``theories:<file name>``, that several bundles' findings can point at."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such theories file")
    reader = StudyReader(path.parent)
    reader.batch = Batch(f"theories:{path.name}", path=str(path), loader="theories")
    reader._step(reader.read_theories, path.name)
    if reader.problems:
        raise InputError(reader.problems)
    return reader.batch


def study_source(folder: Path) -> str | None:
    """The source name a bundle loads as (``study:<id>``), from study.yaml alone, or None when it
    cannot be read (``read_study`` then says why)."""
    try:
        data = read_yaml(Path(folder) / "study.yaml")
    except (InputError, OSError):
        return None
    study = data.get("id") if isinstance(data, dict) else None
    return f"study:{study}" if isinstance(study, str) and STUDY_ID.match(study) else None


def read_study(folder: Path) -> Batch:
    """The bundle in ``folder`` as a Batch, or an InputError listing every problem found."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder")
    reader = StudyReader(folder)
    reader.read_study()
    steps = [reader.read_codebook, reader.read_themes, reader.read_participants, reader.read_extracts,
             reader.read_references, reader.read_citations, reader.read_theories, reader.read_findings]
    with collector_paused():
        for step in steps:
            reader._step(step)
    if reader.problems:
        raise InputError(reader.problems)
    return reader.batch

