"""Write the coded-segments fixtures: the QualCoder fixture's codings in the column layouts of
MAXQDA's "Coded Segments", ATLAS.ti's Quotation Manager and NVivo's coding exports.

    .venv/bin/python tests/data/segments/build.py

No vendor export could be obtained (the tools are proprietary); the layouts are the columns the
vendors' manuals name (docs/segments.md lists them with their sources), filled from the codings
of ``tests/data/qualcoder/history-course.qda`` so that the gold answers come from that project.
"""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent / "qualcoder" / "history-course.qda" / "data.qda"
CODINGS = """
SELECT s.name AS file, s.fulltext AS text, c.name AS code, coalesce(c.catid, parent.catid) AS catid,
       parent.name AS parent, t.seltext, t.pos0, t.pos1, t.owner, t.memo, t.date
FROM code_text t JOIN source s ON s.id = t.fid JOIN code_name c ON c.cid = t.cid
LEFT JOIN code_name parent ON parent.cid = c.supercid
ORDER BY s.id, t.pos0, t.ctid
"""


def paragraph(text: str, pos: int) -> int:
    """The 1-based paragraph (non-empty line) that character ``pos`` stands in."""
    before = [line for line in text[:pos].split("\n")]
    return sum(1 for line in before[:-1] if line.strip()) + 1


def rows():
    conn = sqlite3.connect(PROJECT)
    conn.row_factory = sqlite3.Row
    cats = {c["catid"]: c for c in conn.execute("SELECT catid, name, supercatid FROM code_cat")}
    for r in conn.execute(CODINGS):
        chain, cat = [], r["catid"]
        while cat is not None:  # the category, then the categories above it
            chain.insert(0, cats[cat]["name"])
            cat = cats[cat]["supercatid"]
        path = [p for p in (*chain, r["parent"], r["code"]) if p]
        yield r, path, paragraph(r["text"], r["pos0"]), paragraph(r["text"], max(r["pos1"] - 1, r["pos0"]))


def write_xlsx(path: Path, header: list[str], body: list[list]) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for line in body:
        ws.append(line)
    wb.save(path)


def main() -> None:
    data = list(rows())
    maxqda = ["Color", "Document group", "Document name", "Code", "Beginning", "End", "Segment", "Comment",
              "Modified by", "Modified", "Created by", "Created", "Area", "Coverage %"]
    write_xlsx(HERE / "maxqda-coded-segments.xlsx", maxqda, [
        ["#808080", "Students", r["file"].removesuffix(".txt"), "\\".join(path), b, e, r["seltext"], r["memo"] or "",
         r["owner"], r["date"], r["owner"], r["date"], r["pos1"] - r["pos0"], ""]
        for r, path, b, e in data])
    # ATLAS.ti: one row per quotation, its codes in one cell (one per line)
    quotations: dict[tuple, dict] = {}
    for r, path, b, e in data:
        q = quotations.setdefault((r["file"], r["pos0"], r["pos1"]), {"r": r, "codes": [], "b": b, "e": e})
        if path[-1] not in q["codes"]:
            q["codes"].append(path[-1])
    atlas = ["ID", "Quotation Name", "Document", "Document Groups", "Codes", "Quotation Content", "Comment",
             "Reference", "Density", "Start", "End", "Extent", "Created by", "Modified by", "Created", "Modified"]
    docs = {name: i for i, name in enumerate(dict.fromkeys(r["file"] for r, *_ in data), 1)}
    body = []
    for n, ((file, _, _), q) in enumerate(quotations.items(), 1):
        r = q["r"]
        body.append([f"{docs[file]}:{n}", "", file, "Students", "\n".join(q["codes"]), r["seltext"], r["memo"] or "",
                     f"{q['b']} - {q['e']}", 0, q["b"], q["e"], q["e"] - q["b"] + 1, r["owner"], r["owner"],
                     r["date"], r["date"]])
    write_xlsx(HERE / "atlas-quotations.xlsx", atlas, body)
    # NVivo: one row per coding reference, code as its hierarchical name
    with open(HERE / "nvivo-coding.csv", "w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(["Code", "File", "Coded Text", "Coverage", "Coded By"])
        for r, path, _, _ in data:
            w.writerow(["Codes\\\\" + "\\".join(path), r["file"], r["seltext"],
                        f"{(r['pos1'] - r['pos0']) / len(r['text']):.2%}", r["owner"]])


if __name__ == "__main__":
    main()
