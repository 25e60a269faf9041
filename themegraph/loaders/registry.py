"""Every loader behind one contract, and which one a file is for, told by its content.

The contract: ``loader.load(path, **options) -> LoadResult(batch, warnings)``.  The readers keep
their own signatures (``read_study``, ``qdpx_batch`` ...); the entries below only adapt them.
``themegraph load FILE...`` asks :func:`recognise` what each file is, says so, and loads it with
the loader found; ``themegraph load NAME FILE`` names the loader itself.

A file is recognised by what it holds, the name only breaking ties: a folder with study.yaml
is a study bundle and one with data.qda a QualCoder project; an SQLite file is Taguette's or
QualCoder's by its application id and tables; a zip is a REFI-QDA project (project.qde) or a
workbook; XML by its root element (a Taguette codebook says so in ``origin``); a spreadsheet by
its header row; text by BibTeX, RIS or CSL-JSON records; anything else readable as a paper.

Each loader also knows, from the path and options alone, which source its load will write and
which files it will read (:meth:`Loader.source_of`, :meth:`Loader.inputs`): the CLI hashes those
files and stops before parsing when the last load of that source read the same bytes.
"""

from __future__ import annotations

import inspect
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..graph.batch import Batch, collector_paused
from ..readers.sqlitefile import application_id, is_sqlite, open_database, table_columns
from .participants import add_participants, participant_rule
from .study import STUDY_ID


@dataclass
class LoadResult:
    """What a loader made of a file: the batch to apply and what the user should know."""

    batch: Batch
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Loader:
    """One kind of input: its command name, what it is, and how to load it."""

    name: str
    what: str
    read: Callable[..., LoadResult]
    needs_study: bool = False
    #: options it takes besides the path (and ``study``); others given are refused
    options: tuple[str, ...] = ()
    #: whether it needs the works already stored (reference matching), passed as ``existing``
    matches_existing: bool = False
    #: the source a load writes, from the path and ``study`` alone; None for a loader whose result
    #: depends on what is stored as well (a paper's citations on the references loaded)
    source: Callable[[Path, str | None], str | None] | None = None
    #: the file a load reads, given the path it was handed (a QualCoder folder: its data.qda)
    reads: Callable[[Path], Path] = Path

    def source_of(self, path: Path, study: str | None = None) -> str | None:
        """The source a load of ``path`` will write, known before reading it (None: not known)."""
        return self.source(Path(path), study) if self.source else None

    def inputs(self, path: Path, participant_from: str | None = None, **_) -> list[Path]:
        """Every file the load reads: the input, and a participant table if one is named."""
        table = [Path(participant_from)] if participant_from and Path(participant_from).is_file() else []
        return [self.reads(Path(path)), *table]

    def settings(self, options: dict) -> list[tuple[str, object]]:
        """The options that decide what a load reads, sorted: those given, less the ones equal to
        the reader's own default (``load taguette`` passes its default separator, ``load FILE``
        none: the same load) and the works already stored (the store's, not the input's)."""
        defaults = {k: p.default for k, p in inspect.signature(self.read).parameters.items()}
        return sorted((k, v) for k, v in options.items()
                      if v is not None and k != "existing" and (k not in defaults or defaults[k] != v))

    def load(self, path: Path, **options) -> LoadResult:
        unknown = sorted(k for k, v in options.items() if v is not None and k not in (*self.options, "study", "existing"))
        if unknown:
            raise InputError(f"{path}: {', '.join('--' + k.replace('_', '-') for k in unknown)} "
                             f"does not apply to {self.what}")
        if self.needs_study and not options.get("study"):
            raise InputError(f"{path}: {self.what} needs --study ID (the study its codes and extracts belong to)")
        if self.needs_study and not STUDY_ID.match(options["study"]):
            raise InputError(f"--study must be a lower-case slug such as 'my-study', got {options['study']!r}")
        with collector_paused():  # every row read stays alive: the collector would re-scan them all
            return self.read(Path(path), **{k: v for k, v in options.items() if v is not None})


def _study(path: Path, **_) -> LoadResult:
    from .study import read_study

    return LoadResult(read_study(path))


def _qdpx(path: Path, study: str, theme_depth: int | None = None, participant_from: str | None = None,
          **_) -> LoadResult:
    from .refi import qdpx_batch

    batch, warnings = qdpx_batch(path, study, theme_depth=theme_depth)
    return LoadResult(batch, warnings + add_participants(batch, study, participant_rule(participant_from)))


def _qdc(path: Path, study: str, theme_depth: int | None = None, **_) -> LoadResult:
    from .refi import qdc_batch

    return LoadResult(*qdc_batch(path, study, theme_depth=theme_depth))


def _taguette(path: Path, study: str, participant_from: str | None = None, tag_separator: str = ".",
              project: str | None = None, **_) -> LoadResult:
    from . import taguette

    return LoadResult(*taguette.load(path, study, tag_separator=tag_separator, project=project,
                                     participants=participant_rule(participant_from)))


def _qualcoder(path: Path, study: str, participant_from: str | None = None, **_) -> LoadResult:
    from . import qualcoder

    return LoadResult(*qualcoder.load(path, study, participants=participant_rule(participant_from)))


def _segments(path: Path, study: str, participant_from: str | None = None, format: str | None = None,
              **_) -> LoadResult:
    from . import segments

    return LoadResult(*segments.load(path, study, tool=format, participants=participant_rule(participant_from)))


def _refs(path: Path, existing: list[dict] | None = None, **_) -> LoadResult:
    from ..readers.references import read_references
    from ..readers.works import add_works, match_existing, merge_works

    works, problems = read_references(path)
    works = merge_works(works)
    matched = match_existing(works, existing) if existing else 0
    batch = Batch(f"refs:{path.name}", path=str(path), loader="refs")
    add_works(batch, works)
    note = [f"{path.name}: {matched} works already in the knowledge base"] if matched else []
    return LoadResult(batch, problems + note)


def _paper(path: Path, study: str, **_) -> LoadResult:
    from .paper import paper_batch

    return LoadResult(paper_batch(path, study, None))


def _study_source(path: Path, _study: str | None) -> str | None:
    from .study import study_source

    return study_source(path)


def _taguette_source(path: Path, study: str | None) -> str:
    """A Taguette codebook loads as its own source, beside the project's (``taguette.load``)."""
    return f"taguette-codebook:{study}" if path.suffix.lower() == ".qdc" else f"taguette:{study}"


def _per_study(loader: str) -> Callable[[Path, str | None], str]:
    return lambda _path, study: f"{loader}:{study}"


def _qualcoder_database(path: Path) -> Path:
    from .qualcoder import database_path

    return database_path(path)


_PROJECT_OPTIONS = ("participant_from",)
LOADERS: dict[str, Loader] = {loader.name: loader for loader in (
    Loader("study", "a study bundle folder", _study, source=_study_source),
    Loader("qdpx", "a REFI-QDA project (.qdpx)", _qdpx, True, ("theme_depth", *_PROJECT_OPTIONS),
           source=_per_study("qdpx")),
    Loader("qdc", "a REFI-QDA codebook (.qdc)", _qdc, True, ("theme_depth",), source=_per_study("qdc")),
    Loader("taguette", "a Taguette project, highlights export or codebook", _taguette, True,
           (*_PROJECT_OPTIONS, "tag_separator", "project"), source=_taguette_source),
    Loader("qualcoder", "a QualCoder project", _qualcoder, True, _PROJECT_OPTIONS, source=_per_study("qualcoder"),
           reads=_qualcoder_database),
    Loader("segments", "a coded-segments spreadsheet (MAXQDA, NVivo, ATLAS.ti)", _segments, True,
           (*_PROJECT_OPTIONS, "format"), source=_per_study("segments")),
    Loader("refs", "a reference file (BibTeX, RIS or CSL-JSON)", _refs, matches_existing=True,
           source=lambda path, _study: f"refs:{path.name}"),
    Loader("paper", "a study's paper (its in-text citations)", _paper, True),
)}

_BIB = re.compile(r"^\s*@\w+\s*[{(]", re.MULTILINE)
_RIS = re.compile(r"^TY  - ", re.MULTILINE)


def recognise(path: Path) -> tuple[Loader, str]:
    """The loader for ``path`` and what it was taken for, from its content; InputError if none fits."""
    path = Path(path)
    if path.is_dir():
        if (path / "study.yaml").is_file():
            return LOADERS["study"], "a study bundle (study.yaml)"
        if (path / "data.qda").is_file():
            return LOADERS["qualcoder"], "a QualCoder project folder (data.qda)"
        raise InputError(f"{path}: a folder with neither study.yaml (a study bundle) nor data.qda (a QualCoder project)")
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError as exc:
        raise InputError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    if is_sqlite(head):
        return _sqlite_kind(path, head)
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    if head.startswith(b"%PDF"):
        return LOADERS["paper"], "a paper (PDF)"
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    stripped = text.lstrip()
    if stripped.startswith("<"):
        return _xml_kind(path, text)
    if _BIB.search(text):
        return LOADERS["refs"], "a reference file (BibTeX)"
    if _RIS.search(text):
        return LOADERS["refs"], "a reference file (RIS)"
    if stripped.startswith(("[", "{")):
        return LOADERS["refs"], "a reference file (CSL-JSON)"
    if path.suffix.lower() in (".csv", ".tsv"):
        return _sheet_kind(path, _first_line(text))
    if path.suffix.lower() in (".txt", ".md"):
        return LOADERS["paper"], "a paper (plain text)"
    raise InputError(f"{path}: not a file ThemeGraph can load (not a study bundle, REFI-QDA, Taguette, QualCoder, "
                     "coded-segments spreadsheet, reference file or paper)")


def _first_line(text: str) -> list[str]:
    import csv
    import io

    line = text.splitlines()[0] if text else ""
    delimiter = max((",", ";", "\t"), key=line.count)
    return next(csv.reader(io.StringIO(line), delimiter=delimiter), [])


def _sqlite_kind(path: Path, head: bytes) -> tuple[Loader, str]:
    from .taguette import APPLICATION_ID

    if application_id(head) == APPLICATION_ID:
        return LOADERS["taguette"], "a Taguette project database"
    conn = open_database(path)
    try:
        tables = table_columns(conn)
    finally:
        conn.close()
    if {"highlights", "highlight_tags", "tags", "documents"} <= tables.keys():
        return LOADERS["taguette"], "a Taguette project database"
    if {"code_text", "code_name", "source"} <= tables.keys():
        return LOADERS["qualcoder"], "a QualCoder project database"
    raise InputError(f"{path}: an SQLite database, but neither Taguette's nor QualCoder's "
                     f"(tables: {', '.join(sorted(tables)) or 'none'})")


def _zip_kind(path: Path) -> tuple[Loader, str]:
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(f"{path}: a damaged zip file ({exc})") from None
    lowered = {n.lower() for n in names}
    if "project.qde" in lowered:
        return LOADERS["qdpx"], "a REFI-QDA project (project.qde inside)"
    if "word/document.xml" in lowered:
        return LOADERS["paper"], "a paper (Word document)"
    if "xl/workbook.xml" in lowered:
        from ..readers.tabular import read_table

        rows = read_table(path)
        header = list(rows[0].values) if rows else []
        return _sheet_kind(path, header)
    raise InputError(f"{path}: a zip file with no project.qde, Word document or workbook inside")


def _sheet_kind(path: Path, header: list[str]) -> tuple[Loader, str]:
    from .segments import detect_tool
    from .taguette import is_taguette_export

    if is_taguette_export(header):
        return LOADERS["taguette"], "a Taguette highlights export (id, document, tag, content)"
    tool = detect_tool([h.strip().lower().replace(" ", "_") for h in header])
    if tool:
        return LOADERS["segments"], f"a coded-segments export ({tool})"
    raise InputError(f"{path}: a spreadsheet whose header ({', '.join(header[:8])}) is neither a Taguette highlights "
                     "export nor a MAXQDA, NVivo or ATLAS.ti coded-segments export")


def _xml_kind(path: Path, text: str) -> tuple[Loader, str]:
    m = re.search(r"<(?:\w+:)?(\w+)[\s>/]", re.sub(r"<\?.*?\?>|<!--.*?-->", "", text, flags=re.DOTALL))
    root = m.group(1) if m else ""
    if root == "CodeBook":
        origin = re.search(r"""origin\s*=\s*["']([^"']*)""", text)
        if origin and origin.group(1).lower().startswith("taguette"):
            return LOADERS["taguette"], f"a Taguette codebook ({origin.group(1)})"
        return LOADERS["qdc"], "a REFI-QDA codebook (CodeBook)"
    raise InputError(f"{path}: XML whose root is <{root or '?'}>, not a REFI-QDA <CodeBook>")

