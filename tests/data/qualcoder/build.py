"""Build the QualCoder fixture of this folder from QualCoder's own source (it is not on PyPI).

    python3 tests/data/qualcoder/build.py /path/to/QualCoder      # a clone of github.com/ccbogel/QualCoder

QualCoder needs Qt to run, so this drives the parts of its code that make a project without Qt:
every ``CREATE TABLE`` that ``MainWindow.new_project`` (``src/qualcoder/__main__.py``) executes,
then the ``coder_names`` table and views of ``App.update_coder_names`` (``src/qualcoder/app.py``),
both taken from the source by parsing it (``ast``), so the schema is QualCoder's exactly.  The
``project`` row and every row after it are written with the INSERT statements QualCoder's own
dialogs use (quoted below with the file they come from).  Built from commit
c3204641e0a997c08219d2377eb5736cd94504bc (August 2026, database version v17); QualCoder is
LGPL-3.0, and the three source texts are from its ``Examples`` folder (see ../sources/README.md).
"""

from __future__ import annotations

import ast
import shutil
import sqlite3
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = HERE.parent / "sources"
PROJECT = HERE / "history-course.qda"
DATE = "2026-11-30 10:00:00"


def sql_strings(path: Path, function: str, start: str) -> list[str]:
    """The constant SQL strings starting with ``start`` that ``function`` in ``path`` executes, in order."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    fn = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == function)
    out = []
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "execute" and node.args:
            try:
                sql = ast.literal_eval(node.args[0])
            except ValueError:
                continue
            if isinstance(sql, str) and sql.strip().upper().startswith(start):
                out.append((node.lineno, sql))
    return [sql for _, sql in sorted(out)]


def create_schema(cur: sqlite3.Cursor, qualcoder: Path) -> None:
    main = qualcoder / "src" / "qualcoder" / "__main__.py"
    app = qualcoder / "src" / "qualcoder" / "app.py"
    tables = sql_strings(main, "new_project", "CREATE TABLE")
    assert any(s.startswith("CREATE TABLE code_text ") for s in tables), "new_project no longer creates code_text"
    for sql in tables:
        cur.execute(sql)
    for sql in sql_strings(app, "update_coder_names", "CREATE"):
        cur.execute(sql)
    # __main__.py new_project: the project row of a new v17 project
    cur.execute("INSERT INTO project VALUES(?,?,?,?,?,?,?,?,null,null,null)",
                ("v17", DATE, "Students' views of an online history course", "QualCoder 3.8", 0, 0, "colin", ""))


def main(qualcoder: Path) -> None:
    if PROJECT.exists():
        shutil.rmtree(PROJECT)
    for sub in ("images", "audio", "video", "documents"):  # new_project makes these folders
        (PROJECT / sub).mkdir(parents=True)
    conn = sqlite3.connect(PROJECT / "data.qda")
    cur = conn.cursor()
    create_schema(cur, qualcoder)

    # manage_files.py: a text file imported
    files = {}
    for name, memo in (("ID1.txt", "Written answer"), ("ID2.txt", ""), ("transcript.txt", "Focus group of three")):
        text = (SOURCES / name).read_text(encoding="utf-8")
        cur.execute("insert into source(name,fulltext,mediapath,memo,owner,date) values(?,?,?,?,?,?)",
                    (name, text, None, memo, "colin", DATE))
        files[name] = (cur.lastrowid, text)
    # an image source: no text, so nothing of it can be imported as text
    cur.execute("insert into source(name,fulltext,mediapath,memo,owner,date) values(?,?,?,?,?,?)",
                ("seascape.jpg", None, "/images/seascape.jpg", "", "colin", DATE))

    # manage_files.py / import_survey.py: attribute types and values
    for name, case_or_file, valuetype in (("Age", "case", "numeric"), ("gender", "case", "character"),
                                          ("interest", "case", "character"), ("format", "file", "character")):
        cur.execute("insert into attribute_type (name,date,owner,memo,caseOrFile, valuetype) values(?,?,?,?,?,?)",
                    (name, DATE, "colin", "", case_or_file, valuetype))
    cases = {}
    for line in (SOURCES / "cases123.csv").read_text(encoding="utf-8").splitlines()[1:]:
        case, age, gender, interest = line.split(",")
        # import_survey.py: a case and its attributes
        cur.execute("insert into cases (name,memo,owner,date) values(?,?,?,?)",
                    (case, "Interviewed in week 3" if case == "ID3" else "", "colin", DATE))
        cases[case] = cur.lastrowid
        for attr, value in (("Age", age), ("gender", gender), ("interest", interest)):
            cur.execute("insert into attribute (name, value, id, attr_type, date, owner) values (?,?,?,?,?,?)",
                        (attr, value, cases[case], "case", DATE, "colin"))
    for name, value in (("ID1.txt", "written"), ("ID2.txt", "written"), ("transcript.txt", "transcript")):
        cur.execute("insert into attribute (name, value, id, attr_type, date, owner) values (?,?,?,?,?,?)",
                    ("format", value, files[name][0], "file", DATE, "colin"))

    # manage_files.py: a whole file assigned to a case; a focus group's turns to their speakers
    def case_text(case: str, fname: str, pos0: int, pos1: int) -> None:
        cur.execute("insert into case_text (caseid, fid, pos0, pos1, owner, date, memo) values(?,?,?,?,?,?,?)",
                    (cases[case], files[fname][0], pos0, pos1, "colin", DATE, ""))

    for case, fname in (("ID1", "ID1.txt"), ("ID2", "ID2.txt")):
        case_text(case, fname, 0, len(files[fname][1]))
    transcript = files["transcript.txt"][1]
    for turn in transcript.split("\n\n"):
        turn = turn.strip()
        if turn:
            start = transcript.index(turn)
            case_text(turn[1:4].upper(), "transcript.txt", start, start + len(turn))

    # code_organiser.py: categories (supercatid nests them) and codes (catid; supercid nests a code)
    cats = {}
    for name, memo, parent in (("Learning experience", "How students experience learning", None),
                               ("Course design", "", None),
                               ("Materials", "Slides, web links and readings", "Course design")):
        cur.execute("insert into code_cat (name, memo, owner, date, supercatid) values(?,?,?,?,?)",
                    (name, memo, "colin", DATE, cats.get(parent)))
        cats[name] = cur.lastrowid
    codes = {}
    for name, memo, cat, color in (("enjoys learning", "Positive about learning itself", "Learning experience", "#81BEF7"),
                                   ("struggling", "", "Learning experience", "#F5A9A9"),
                                   ("slides too busy", "Slides carry too much", "Materials", "#F3F781"),
                                   ("too many assignments", "", "Course design", "#BEF781"),
                                   ("cost", "Money", None, "#D8D8D8"),
                                   ("career", "", None, "#A9F5F2")):
        cur.execute("insert into code_name (name, memo, owner, date, catid, color) values(?,?,?,?,?,?)",
                    (name, memo, "colin", DATE, cats.get(cat), color))
        codes[name] = cur.lastrowid
    # a sub-code (database v16): nested under the code "cost"
    cur.execute("insert into code_name (name, memo, owner, date, catid, color) values(?,?,?,?,?,?)",
                ("worry about money", "", "anna", DATE, None, "#F7BE81"))
    codes["worry about money"] = cur.lastrowid
    cur.execute("update code_name set supercid=? where cid=?", (codes["cost"], codes["worry about money"]))

    # code_text.py: a coded text segment
    def code(name: str, fname: str, quote: str, owner: str, memo: str = "") -> None:
        fid, text = files[fname]
        pos0 = text.index(quote)
        cur.execute("insert into code_text (cid,fid,seltext,pos0,pos1,owner,memo,date, important) "
                    "values(?,?,?,?,?,?,?,?,?)",
                    (codes[name], fid, quote, pos0, pos0 + len(quote), owner, memo, DATE, None))

    code("enjoys learning", "ID1.txt", "I really like learning new things.", "colin")
    code("enjoys learning", "ID1.txt", "I really like learning new things.", "anna")
    code("slides too busy", "ID1.txt", "lecture slides and web links have been really good", "anna",
         "Counter-example: this student likes the slides")
    code("cost", "ID1.txt", "I'm happy to pay €200.", "colin")
    code("struggling", "ID2.txt", "I have struggled understanding the lecture slides so far", "colin")
    code("slides too busy", "ID2.txt", "I have struggled understanding the lecture slides so far", "colin")
    code("worry about money", "ID2.txt", "I do not want to waste my money.", "anna")
    code("slides too busy", "transcript.txt", "I felt that they were too busy and I switched off.", "colin")
    code("too many assignments", "transcript.txt", "I think there were too many for the short semester period.", "colin")
    code("career", "transcript.txt", "it will be good for my career at the museum.", "anna")
    code("enjoys learning", "transcript.txt", "yes, I am learning a lot as well.", "colin")

    # code_text.py: an annotation; code_organiser.py: a journal
    fid, text = files["transcript.txt"]
    pos0 = text.index("I will ask the tutor")
    cur.execute("insert into annotation (fid,pos0, pos1,memo,owner,date) values(?,?,?,?,?,?)",
                (fid, pos0, pos0 + 20, "Follow up: did the tutor help?", "colin", DATE))
    cur.execute("insert into journal (name, jentry, owner, date) values (?,?,?,?)",
                ("Coding notes", "First pass: slides and workload dominate.", "colin", DATE))
    conn.commit()
    conn.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
