"""Import a QualCoder project (a ``NAME.qda`` folder holding the SQLite database ``data.qda``).

The tables read, as QualCoder's ``new_project`` creates them (database version v17):

- ``source``: files; ``fulltext`` is the text of a text file (media files have none: counted
  and left out).  ``memo`` becomes a memo about the Document.
- ``code_cat``: categories, nested by ``supercatid``: Themes, any depth (top level "final").
- ``code_name``: codes, in a category by ``catid`` or under another code by ``supercid``
  (sub-codes, v16); a code with sub-codes is a Theme its own codings illustrate.
- ``code_text``: coded text segments (``pos0``..``pos1`` in characters of the file's text,
  ``seltext``, ``owner`` = the coder, ``memo``): one Extract per span, CODED_AS each code,
  CODED_BY each owner.
- ``cases`` and ``case_text``: participants and the spans of files that are theirs (a whole
  interview, or one speaker's turns in a focus group); ``attribute`` rows of type ``case`` are
  their attributes, of type ``file`` their documents' (given to the file's only case).
- ``annotation`` (a memo on a span) and ``journal`` (memos of the project).

docs/qualcoder.md has a worked example.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from itertools import accumulate
from collections import defaultdict
from pathlib import Path

from ..errors import InputError
from ..graph.batch import Batch
from ..readers.sqlitefile import open_database, require, rows
from .analysis import Analysis
from .participants import ParticipantRule, add_participants

TABLES = {
    "project": ("databaseversion", "memo"),
    "source": ("id", "name", "fulltext", "mediapath", "memo", "owner"),
    "code_cat": ("catid", "name", "memo", "supercatid"),
    "code_name": ("cid", "name", "memo", "catid", "color"),
    "code_text": ("ctid", "cid", "fid", "seltext", "pos0", "pos1", "owner", "memo"),
    "cases": ("caseid", "name", "memo"),
    "case_text": ("caseid", "fid", "pos0", "pos1"),
    "attribute": ("name", "attr_type", "value", "id"),
}


def database_path(path: Path) -> Path:
    """``data.qda`` inside a project folder, or the file itself."""
    path = Path(path)
    return path / "data.qda" if path.is_dir() else path


def _text(value) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _chain(table: dict, start, parent_of, what: str, where: str) -> list:
    """The ids from the top down to ``start`` by following ``parent_of``; a loop is an error."""
    out, seen = [], set()
    node = start
    while node is not None and node in table:
        if node in seen:
            raise InputError(f"{where}: {what} {table[node]['name']!r} is its own ancestor")
        seen.add(node)
        out.append(node)
        node = parent_of(table[node])
    return out[::-1]


class _Reader:
    def __init__(self, conn, path: Path, study: str):
        self.conn, self.path, self.where = conn, path, path.name
        self.batch = Batch(f"qualcoder:{study}", path=str(path), loader="qualcoder")
        self.p = Analysis(self.batch, study)

    def q(self, sql: str, params: tuple = ()) -> list:
        return rows(self.conn, self.path, sql, params)

    def origin(self, table: str, id_) -> str:
        return f"{self.where}:{table}/{id_}"

    def read(self, participants: ParticipantRule | None) -> list[str]:
        p = self.p
        project = self.q("SELECT databaseversion, memo FROM project")
        name = self.path.parent.name.removesuffix(".qda") if self.path.name == "data.qda" else self.path.stem
        self.batch.node("Study", p.study, origin=self.origin("project", 1), name=name)
        if project:
            p.memo(f"Project memo of {name}", _text(project[0]["memo"]), self.origin("project", 1), ("Study", p.study))
        codes = self.read_codes()
        files = self.read_files()
        spans = self.read_cases(files)
        spoken = self.read_codings(codes, files, spans)
        for a in self.q("SELECT anid, fid, pos0, pos1, memo, owner, date FROM annotation ORDER BY anid"):
            if a["fid"] in files:
                doc_id, fname, _ = files[a["fid"]]
                p.memo(f"Annotation of {fname} at {a['pos0']}-{a['pos1']}", _text(a["memo"]), self.origin("annotation", a["anid"]),
                       ("Document", doc_id), author=_text(a["owner"]), created=_text(a["date"]))
        for j in self.q("SELECT jid, name, jentry, owner, date FROM journal ORDER BY jid"):
            p.memo(_text(j["name"]) or f"Journal {j['jid']}", _text(j["jentry"]), self.origin("journal", j["jid"]),
                   ("Study", p.study), author=_text(j["owner"]), created=_text(j["date"]))
        return p.finish(spoken) + add_participants(self.batch, p.study, participants)

    def read_codes(self) -> dict[int, tuple]:
        """Categories and codes as one tree; code id -> its path key."""
        cats = {c["catid"]: dict(c) for c in self.q("SELECT catid, name, memo, supercatid FROM code_cat ORDER BY catid")}
        has_super = "supercid" in {c[1].lower() for c in self.conn.execute("PRAGMA table_info(code_name)")}
        codes = {c["cid"]: dict(c) for c in self.q(
            f"SELECT cid, name, memo, catid, color{', supercid' if has_super else ', NULL AS supercid'} "
            "FROM code_name ORDER BY cid")}
        paths: dict[int, tuple] = {}
        for cid, c in codes.items():
            where = self.origin("code_name", cid)
            above_codes = _chain(codes, cid, lambda r: r["supercid"], "code", where)
            top = codes[above_codes[0]]
            cat_chain = _chain(cats, top["catid"], lambda r: r["supercatid"], "category", where)
            names = [cats[k]["name"] for k in cat_chain] + [codes[k]["name"] for k in above_codes]
            if any(not isinstance(n, str) or not n.strip() for n in names):
                self.p.warn(f"{where}: a code or category without a name: skipped")
                continue
            for depth, k in enumerate(cat_chain, 1):  # declare categories with their memos
                self.p.code(names[:depth], self.origin("code_cat", k), _text(cats[k]["memo"]), theme=True)
            paths[cid] = self.p.code(names, where, _text(c["memo"]), _text(c["color"]))
        for catid, cat in cats.items():  # empty categories are themes too
            chain = _chain(cats, catid, lambda r: r["supercatid"], "category", self.origin("code_cat", catid))
            names = [cats[k]["name"] for k in chain]
            if names and all(isinstance(n, str) and n.strip() for n in names):
                for depth, k in enumerate(chain, 1):
                    self.p.code(names[:depth], self.origin("code_cat", k), _text(cats[k]["memo"]), theme=True)
        return paths

    def read_files(self) -> dict[int, tuple]:
        files, media = {}, 0
        for s in self.q("SELECT id, name, fulltext, mediapath, memo FROM source ORDER BY id"):
            if not isinstance(s["fulltext"], str):
                media += 1
                continue
            origin = self.origin("source", s["id"])
            fname = _text(s["name"]) or f"file {s['id']}"
            doc_id = self.p.document(fname, origin, text=s["fulltext"], path=_text(s["mediapath"]) or fname)
            self.p.memo(f"Memo of {fname}", _text(s["memo"]), origin, ("Document", doc_id))
            files[s["id"]] = (doc_id, fname, s["fulltext"])
        if media:
            self.p.warn(f"{self.where}: {media} image, audio or video files left out (only text is imported)")
        return files

    def read_cases(self, files: dict) -> dict[int, list]:
        """Participants from cases; per file, the sorted spans that belong to each case."""
        attrs: dict[tuple[str, int], dict] = defaultdict(dict)
        for a in self.q("SELECT name, attr_type, value, id FROM attribute ORDER BY attrid"):
            if isinstance(a["name"], str) and a["value"] not in (None, ""):
                attrs[(a["attr_type"], a["id"])][a["name"]] = a["value"]
        cases = {}
        for c in self.q("SELECT caseid, name, memo FROM cases ORDER BY caseid"):
            origin = self.origin("cases", c["caseid"])
            if not _text(c["name"]):
                self.p.warn(f"{origin}: a case without a name: skipped")
                continue
            pid = self.p.participant(c["name"], origin, attrs.get(("case", c["caseid"])) or None)
            self.p.memo(f"Memo of {c['name'].strip()}", _text(c["memo"]), origin, ("Participant", pid))
            cases[c["caseid"]] = pid
        spans: dict[int, list] = defaultdict(list)
        owners: dict[int, set] = defaultdict(set)
        for t in self.q("SELECT id, caseid, fid, pos0, pos1 FROM case_text ORDER BY fid, pos0"):
            if t["caseid"] in cases and t["fid"] in files and isinstance(t["pos0"], int) and isinstance(t["pos1"], int):
                spans[t["fid"]].append((t["pos0"], t["pos1"], cases[t["caseid"]]))
                owners[t["fid"]].add(cases[t["caseid"]])
        for fid, (doc_id, fname, _) in files.items():
            for pid in sorted(owners.get(fid, ())):
                self.p.document_of(doc_id, pid, self.origin("source", fid))
            file_attrs = attrs.get(("file", fid))
            if file_attrs:
                if len(owners.get(fid, ())) == 1:
                    pid = next(iter(owners[fid]))
                    self.p.node("Participant", pid, self.origin("source", fid))
                    self._merge_attributes(pid, file_attrs)
                else:
                    self.p.warn(f"{self.origin('source', fid)}: attributes of {fname!r} left out: "
                                f"it belongs to {len(owners.get(fid, ()))} cases, not one")
        return spans

    def _merge_attributes(self, pid: str, extra: dict) -> None:
        row = self.batch.nodes["Participant"][pid]
        attrs = json.loads(row["attributes"]) if row.get("attributes") else {}
        attrs.update(extra)
        row["attributes"] = json.dumps(attrs, ensure_ascii=False, sort_keys=True)

    @staticmethod
    def _holders(spans: list, starts: list, reach: list, s: int, e: int) -> set:
        """Cases whose span holds s..e: spans are sorted by start, ``reach`` the greatest end so far,
        so the walk back stops as soon as no earlier span reaches e (at once, for turns of talk)."""
        found, j = set(), bisect_right(starts, s) - 1
        while j >= 0 and reach[j] >= e:
            if spans[j][1] >= e:
                found.add(spans[j][2])
            j -= 1
        return found

    def read_codings(self, codes: dict, files: dict, spans: dict) -> list[tuple[str, str, str]]:
        """Extracts and their codes; (extract, participant, origin) for segments inside one case's span."""
        spoken, moved, bad = [], 0, 0
        starts = {fid: [s for s, _, _ in sp] for fid, sp in spans.items()}
        reach = {fid: list(accumulate((e for _, e, _ in sp), max)) for fid, sp in spans.items()}  # max end so far
        shared = {fid for fid, sp in spans.items() if len({pid for _, _, pid in sp}) > 1}
        for c in self.q("SELECT ctid, cid, fid, seltext, pos0, pos1, owner, memo, date FROM code_text "
                        "ORDER BY fid, pos0, pos1, ctid"):
            origin = self.origin("code_text", c["ctid"])
            if c["fid"] not in files or c["cid"] not in codes:
                bad += 1
                continue
            doc_id, fname, text = files[c["fid"]]
            s, e, seltext = c["pos0"], c["pos1"], c["seltext"] if isinstance(c["seltext"], str) else ""
            if not (isinstance(s, int) and isinstance(e, int) and 0 <= s <= e <= len(text)):
                bad += 1
                continue
            if seltext and text[s:e] != seltext:  # positions drifted (text edited after coding)
                found = text.find(seltext, max(0, s - 200))
                if found < 0:
                    bad += 1
                    continue
                s, e, moved = found, found + len(seltext), moved + 1
            extract = self.p.extract(doc_id, origin, text[s:e], s, e)
            self.p.coding(extract, codes[c["cid"]], origin)
            self.p.coded_by_user(extract, _text(c["owner"]), origin)
            self.p.memo(f"Memo on {fname} at {s}-{e}", _text(c["memo"]), origin, ("Extract", extract),
                        author=_text(c["owner"]), created=_text(c["date"]))
            if c["fid"] in shared:  # a file of several cases: the case whose span holds the segment
                inside = self._holders(spans[c["fid"]], starts[c["fid"]], reach[c["fid"]], s, e)
                if len(inside) == 1:
                    spoken.append((extract, inside.pop(), origin))
        if moved:
            self.p.warn(f"{self.where}: {moved} coded segments' positions did not match their text: found it nearby")
        if bad:
            self.p.warn(f"{self.where}: {bad} coded segments refer to a missing file or code, or lie outside "
                        "their file's text: skipped")
        return spoken


def load(path: Path, study: str, *, participants: ParticipantRule | None = None) -> tuple[Batch, list[str]]:
    """A QualCoder project (its folder or its data.qda) as a Batch for source ``qualcoder:<study>``."""
    db = database_path(path)
    conn = open_database(db)
    try:
        require(conn, db, "a QualCoder project", TABLES)
        reader = _Reader(conn, db, study)
        warnings = reader.read(participants)
        return reader.batch, warnings
    finally:
        conn.close()
