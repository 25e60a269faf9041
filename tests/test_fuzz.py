"""Property-based fuzzing (hypothesis) of every ThemeGraph parser.

Parsers: the in-text citation extractor, BibTeX, RIS and CSL-JSON reference files, tool codebooks
(CSV/XLSX), the study bundle (study.yaml, codebook.csv/.xlsx, themes/participants/extracts/
citations CSVs, references.bib, theories.yaml, findings.yaml), REFI-QDA projects (.qdpx) and
codebooks (.qdc), and the paper reader (.txt/.docx/.pdf).

Properties:

1. a parser fails only with a ThemeGraph error (:class:`ThemeGraphError`, :class:`InputError`);
   any other exception -- KeyError, UnicodeDecodeError, RecursionError, or a ``BatchError`` (a
   ValueError that is *not* a ThemeGraph error) -- is a bug;
2. no hang: the hypothesis ``deadline`` (5 s) flags slow inputs and a SIGALRM guard turns a real
   hang (which a deadline, measured after the call returns, would never report) into a failure;
3. every span the citation extractor returns lies inside the text and is non-empty;
4. a valid generated input parses without problems and gives back what was generated.

Strategies mix structured near-valid inputs (a valid input with a few byte-level mutations: BOMs,
CRLF, NULs, invalid UTF-8, unbalanced braces, XML entities, deep nesting ...) with plain noise.

Regressions: each family of inputs that once crashed or hung a parser (18 were found and fixed)
keeps its own test with the minimal failing input as an ``@example``, so it is tried at any
``THEMEGRAPH_FUZZ_EXAMPLES``.

Run size: ``THEMEGRAPH_FUZZ_EXAMPLES`` (default 200) examples per test; XLSX/DOCX/PDF tests run a
quarter of that (openpyxl and pypdf are slow).  Profile ``themegraph-fuzz`` is derandomized, so CI
runs are reproducible.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import tempfile
import threading
import warnings
import zipfile
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

# Imported up front so the first example of a test does not pay the import time against its deadline.
import bibtexparser  # noqa: F401
import docx  # noqa: F401
import openpyxl
import pylatexenc.latex2text  # noqa: F401
import pypdf  # noqa: F401
import pytest
import rispy  # noqa: F401
import yaml
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from themegraph.errors import ThemeGraphError
from themegraph.graph.ids import match_key, slug
from themegraph.literature import citations as citations_module
from themegraph.literature.citations import MAX_SENTENCE, extract_citations
from themegraph.loaders.refi import CODEBOOK_NS, PROJECT_NS, qdc_batch, qdpx_batch
from themegraph.loaders.study import read_study
from themegraph.loaders.tool_codebooks import tool_codebook_rows
from themegraph.readers.documents import read_text
from themegraph.readers.references import read_references
from themegraph.readers.works import PARTICLES, WorkRecord, name_key, person

# --- profile --------------------------------------------------------------------------------

EXAMPLES = int(os.environ.get("THEMEGRAPH_FUZZ_EXAMPLES", "200"))
DEADLINE = timedelta(seconds=5)  # generous: CI machines are shared; real hangs meet HANG_SECONDS
#: a call still running after this long is a hang (the deadline only measures calls that return)
HANG_SECONDS = 8.0

settings.register_profile(
    "themegraph-fuzz",
    max_examples=EXAMPLES,
    derandomize=True,  # the same examples on every run: CI is reproducible
    deadline=DEADLINE,
    database=None,  # derandomized runs need no example database
    print_blob=True,
)
FUZZ = settings.get_profile("themegraph-fuzz")


def fuzz(share: float = 1.0, **overrides) -> settings:
    """The profile, with ``share`` of its examples (for parsers that are slow per input)."""
    return settings(FUZZ, max_examples=max(1, round(EXAMPLES * share)), **overrides)


SLOW = 0.25  # XLSX / DOCX / PDF: openpyxl, python-docx and pypdf cost ~10-50 ms per input

#: the hang tests need SIGALRM to stop a parser that runs on (not on Windows)
needs_alarm = pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs SIGALRM to bound a hang")


# --- the properties' machinery --------------------------------------------------------------


class Hang(AssertionError):
    """A parser call that did not return within its bound."""


class _Alarm(BaseException):
    """Raised by SIGALRM inside the parser; a BaseException so no ``except Exception`` eats it."""


@contextmanager
def bounded(seconds: float = HANG_SECONDS):
    """Fail with :class:`Hang` if the block runs longer than ``seconds`` (where SIGALRM exists)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def alarm(signum, frame):
        raise _Alarm()

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Alarm as exc:
        raise Hang(f"still running after {seconds} s (traceback shows where)") from exc
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def parse(fn, *args, hang_after: float = HANG_SECONDS, **kwargs):
    """``fn(*args)`` under the hang guard.  A ThemeGraph error is an accepted outcome (None is
    returned); every other exception propagates and fails the test."""
    with bounded(hang_after):
        try:
            result = fn(*args, **kwargs)
        except ThemeGraphError as exc:
            assert str(exc).strip(), "a ThemeGraph error must say what is wrong"
            event(f"refused ({type(exc).__name__})")  # --hypothesis-show-statistics: how often inputs parse
            return None
    event("parsed")
    return result


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """A module-wide folder; each example works in a fresh subfolder of it (see ``workdir``)."""
    return tmp_path_factory.mktemp("fuzz")


@contextmanager
def workdir(root: Path):
    """A fresh, empty folder for one example, removed afterwards."""
    folder = Path(tempfile.mkdtemp(dir=root))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


# --- generic strategies: mutation and noise -------------------------------------------------

#: byte strings every format meets in the wild or in an attack
NASTY = (
    b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\r\n", b"\r", b"\n", b"\n\n", b"\x00", b"\xff", b"\xc3",
    b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x1b", b"\x7f", b"\x0c", b"{", b"}", b"{" * 64, b"}" * 64,
    b"[" * 64, b"]" * 64, b"(" * 32, b")", b"\\", b'"', b"'", b",", b";", b"\t", b"#", b"@", b"%", b"&",
    b"<", b">", b"=", b":", b"9" * 30, b"-1", b"1e999", b"NaN", b"-0", "😟".encode(), "\u2028".encode(),
    "e\u0301".encode(), "\u202e".encode(), "\u00a0".encode(), b" " * 40,
)


@st.composite
def mutated(draw, base, tokens=()):
    """``base`` with up to four edits: inserted tokens, deletions, duplications, a cut, a bit flip."""
    data = bytearray(draw(base))
    pool = NASTY + tuple(tokens)
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(("insert", "delete", "duplicate", "truncate", "flip")))
        at = draw(st.integers(0, len(data)))
        if op == "insert":
            data[at:at] = draw(st.sampled_from(pool))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif op == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 64))] * draw(st.integers(1, 8))
        elif op == "truncate":
            del data[at:]
        elif at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
    return bytes(data)


def noise(tokens=()):
    """Random bytes, random text, or a run of format tokens."""
    pool = NASTY + tuple(tokens)
    return st.one_of(
        st.lists(st.sampled_from(pool), max_size=24).map(b"".join),
        st.text(max_size=200).map(lambda s: s.encode("utf-8")),
        st.binary(max_size=200),
    )


def near_valid(valid, tokens=()):
    """Mostly a valid input (``valid`` yields (bytes, expected)) with mutations; sometimes noise."""
    base = valid.map(lambda v: v[0])
    return st.one_of(mutated(base, tokens), mutated(base, tokens), mutated(base, tokens), noise(tokens))


# --- generic strategies: names and text -----------------------------------------------------

UPPER = "ABCDEFGHIJKLMNOPRSTUVWZÅÉÖØŁ"
LOWER = "abcdefghijklmnopqrstuvwxyz"
ACCENTED = "éèüöäåøçñíóúßł"
DIGITS = "0123456789"
_AVOID = set(citations_module._STOP) | {p.capitalize() for p in PARTICLES} | {"And", "Et", "Al"}
_CORPORATE = {"group", "association", "organization", "institute", "society", "council", "committee", "team"}


def capitalised(min_size: int = 2, max_size: int = 9):
    return st.builds(lambda a, b: a + b, st.sampled_from(UPPER), st.text(LOWER + ACCENTED, min_size=min_size,
                                                                          max_size=max_size))


#: a surname no parser mistakes for anything else (a stop word, a particle, "and", a body)
SURNAME = capitalised().filter(lambda w: w not in _AVOID and w.lower() not in PARTICLES and w.lower() not in _CORPORATE)
GIVEN = capitalised(1, 7).filter(lambda w: w.lower() not in PARTICLES and w.lower() != "and")
WORD = st.text(LOWER + UPPER + ACCENTED + DIGITS, min_size=1, max_size=10)
TITLE = st.lists(WORD, min_size=1, max_size=8).map(" ".join)
YEAR = st.integers(1600, 2099)
KEY = st.text(LOWER + DIGITS, max_size=8).map(lambda s: "k" + s)
#: text a researcher types into a cell or a YAML value (no NUL, no surrogates, no CR)
FREE_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=30)
#: a theme or code name: single spaces, no ';' (the list separator of extracts.csv), not empty
LABEL = (
    st.text(LOWER + UPPER + ACCENTED + DIGITS + " ,\"'()-&/!?", min_size=1, max_size=14)
    .map(lambda s: " ".join(s.split()))
    .filter(bool)
)


def csv_bytes(rows, delimiter=",", crlf=False, bom=False, quote_all=False) -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n",
               quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL).writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8")


def csv_style():
    return st.fixed_dictionaries({"delimiter": st.sampled_from(",;\t"), "crlf": st.booleans(), "bom": st.booleans(),
                                  "quote_all": st.booleans()})


def xlsx_bytes(rows) -> bytes:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def zip_bytes(members: list[tuple[str, bytes]], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are part of the fuzzing
        with zipfile.ZipFile(buf, "w", compression) as z:
            for name, data in members:
                z.writestr(name, data)
    return buf.getvalue()


# =============================================================================================
# Citation extractor
# =============================================================================================

CITE_FRAGMENTS = (
    "(", ")", "[", "]", "; ", ", ", " & ", " and ", " et al.", " et al", "p. 12", "pp. 3-4", ": 5", "1979",
    "2006a", ", b", "1912/1958", "n.d.", "in press", "forthcoming", "Bordin", "Horvath", "De Jong",
    "van Paridon", "O'Hare", "O’Hare", "World Health Organization", " [WHO]", "The ", "the ", "see ",
    "e.g., ", "as reviewed by ", ". ", "\n", "\n\n", "\n\n12\n\n", "\r\n", "References\n", "Introduction\n",
    "1. Method\n", "Bordin, E. S. (1979). The generalizability.\n", "'s", "’s", "-\n", "  ", "\t", "\u00a0",
    "Smith", "Jones", " and colleagues", "x" * 50, "\u2028", "\x85", "\x0c", "Ł", "É", "ß", "1600", "2099",
    "It ", "Studies", "(1999, p. 3)", "(Smith, 1999; Jones, 2001)",
)


def _references(names_years: list[tuple[str, int]]) -> list[WorkRecord]:
    return [
        WorkRecord(key=f"ref{i}", id=f"work/{i}", title="A title", year=str(year), authors=[person(name)],
                   venue=None, doi=None, type="article", note=None, origin=f"refs:{i}")
        for i, (name, year) in enumerate(names_years)
    ]


def check_spans(text: str, found) -> None:
    """Property 3, and the other invariants of a Citation."""
    lines = len(text.splitlines()) + 1
    for c in found:
        assert 0 <= c.start <= c.end <= len(text), (c.start, c.end, len(text))
        assert text[c.start : c.end], f"empty span at {c.start}"
        assert c.start <= c.year_start < len(text)
        assert 1 <= c.line <= lines
        assert c.authors and all(a.strip() for a in c.authors) and c.year
        assert len(c.sentence) <= MAX_SENTENCE
    assert [c.year_start for c in found] == sorted(c.year_start for c in found)


@st.composite
def cited_text(draw):
    """Sentences each citing one work, parenthetically or narratively; and what must be found."""
    works = draw(st.lists(st.tuples(SURNAME, YEAR), min_size=1, max_size=6,
                          unique_by=lambda w: (name_key(w[0]), w[1])))
    sentences, expected = [], []
    for i, (name, year) in enumerate(works):
        style = draw(st.sampled_from(["paren", "lead-in", "locator", "narrative"]))
        sentences.append({
            "paren": f"it was argued ({name}, {year}) that this holds.",
            "lead-in": f"it was argued (see {name}, {year}) that this holds.",
            "locator": f"it was argued ({name}, {year}, p. {i + 1}) that this holds.",
            "narrative": f"in one study, {name} ({year}) found this.",
        }[style])
        expected.append((name, str(year), style == "narrative", f"ref{i}"))
    joiner = draw(st.sampled_from([" ", "\n", "\r\n", "\n\n", "  \n"]))
    return joiner.join(sentences), works, expected


@st.composite
def damaged_citations(draw):
    """Real citations (see ``cited_text``) with citation-like pieces or random text spliced in."""
    text = draw(cited_text())[0]
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(text)))
        piece = draw(st.one_of(st.sampled_from(CITE_FRAGMENTS), st.text(max_size=4)))
        cut = draw(st.integers(0, 3))
        text = text[:at] + piece + text[at + cut :]
    return text


#: real citations with pieces spliced in; or citation-like pieces, random text, long runs of one piece
CITE_TEXT = st.one_of(damaged_citations(), st.one_of(
    st.lists(st.sampled_from(CITE_FRAGMENTS), max_size=150).map("".join),
    st.lists(st.one_of(st.sampled_from(CITE_FRAGMENTS), st.text(max_size=6)), max_size=80).map("".join),
    st.text(max_size=400),
    st.builds(lambda piece, n, tail: piece * n + tail, st.sampled_from(CITE_FRAGMENTS), st.integers(1, 400),
              st.sampled_from(["(1999)", " (Smith, 1999)", "", "Smith (2001)"])),
))


@fuzz()
@given(text=CITE_TEXT, refs=st.lists(st.tuples(SURNAME, YEAR), max_size=4))
@example(text="(Smith, 1999)", refs=[])
def test_citations_never_crash_and_spans_lie_inside_the_text(text, refs):
    with bounded():
        found = extract_citations(text, _references(refs) or None)
    event("citations found" if found else "no citation")
    check_spans(text, found)


@fuzz()
@given(case=cited_text(), with_refs=st.booleans())
def test_citations_round_trip_generated_citations(case, with_refs):
    text, works, expected = case
    with bounded():
        found = extract_citations(text, _references(works) if with_refs else None)
    check_spans(text, found)
    for name, year, narrative, key in expected:
        hits = [c for c in found if c.authors == [name] and c.year == year]
        assert hits, f"{name} ({year}) not found in {text!r}: {[(c.authors, c.year) for c in found]}"
        c = hits[0]
        assert c.narrative is narrative
        assert name in text[c.start : c.end] and year in c.cited_as
        assert c.ref == (key if with_refs else None)


# =============================================================================================
# Reference files: BibTeX, RIS, CSL-JSON
# =============================================================================================


def check_works(works) -> None:
    """What every successful read_references guarantees, whatever the input."""
    assert works, "read_references returns at least one work or raises"
    keys = [w.key for w in works]
    assert all(isinstance(k, str) and k for k in keys) and len(set(keys)) == len(keys)
    for w in works:
        assert w.id.startswith("work/") and all(a.family for a in w.authors)


@st.composite
def author_list(draw):
    """[(written form, expected family)]: "Family, Given", "Given Family" or a corporate body."""
    out = []
    for _ in range(draw(st.integers(1, 4))):
        family, given = draw(SURNAME), draw(GIVEN)
        form = draw(st.sampled_from(["family-first", "given-first", "family-only", "corporate"]))
        if form == "corporate":
            body = f"{family} {draw(st.sampled_from(['Group', 'Society', 'Institute']))} for {draw(SURNAME)}"
            out.append(("{" + body + "}", body))
        else:
            written = {"family-first": f"{family}, {given}", "given-first": f"{given} {family}",
                       "family-only": family}[form]
            out.append((written, family))
    return out


@st.composite
def bibtex_file(draw):
    """(bytes, [(key, title, year, families, venue)]) of a valid BibTeX file."""
    keys = draw(st.lists(KEY, min_size=1, max_size=5, unique=True))
    blocks, expected = [], []
    strings = {}
    if draw(st.booleans()):
        blocks.append("% exported by a reference manager")
    if draw(st.booleans()):
        blocks.append("@comment{a {nested} comment}")
    for key in keys:
        title, year, authors = draw(TITLE), draw(YEAR), draw(author_list())
        words = title.split()
        if draw(st.booleans()):  # a protected word: {DNA}
            i = draw(st.integers(0, len(words) - 1))
            written_title = " ".join(w if j != i else "{" + w + "}" for j, w in enumerate(words))
        else:
            written_title = title
        open_, close = draw(st.sampled_from([("{", "}"), ('"', '"')]))
        fields = [
            f"author = {{{' and '.join(a for a, _ in authors)}}}",
            f"title = {open_}{written_title}{close}",
            draw(st.sampled_from([f"year = {year}", f"year = {{{year}}}", f'year = "{year}"',
                                  f"date = {{{year}-05-03}}"])),
        ]
        venue = None
        if draw(st.booleans()):
            venue = draw(TITLE)
            if draw(st.booleans()):  # an @string macro, sometimes concatenated
                macro = f"j{len(strings)}"
                strings[macro] = venue
                suffix = draw(st.sampled_from(["", " Review"]))
                fields.append(f"journal = {macro}" + (f' # "{suffix}"' if suffix else ""))
                venue += suffix
            else:
                fields.append(f"journal = {{{venue}}}")
        fields = draw(st.permutations(fields))
        sep = draw(st.sampled_from([",\n  ", ", ", ",\r\n\t"]))
        entry_type = draw(st.sampled_from(["article", "book", "misc", "inproceedings", "ArTiCle"]))
        lb, rb = draw(st.sampled_from([("{", "}"), ("(", ")")]))
        trailing = draw(st.sampled_from(["", ","]))
        blocks.append(f"@{entry_type}{lb}{key}{sep}{sep.join(fields)}{trailing}\n{rb}")
        expected.append((key, title, str(year), [f for _, f in authors], venue))
    string_blocks = [f"@string{{{m} = {{{v}}}}}" for m, v in strings.items()]
    text = "\n\n".join(string_blocks + blocks) + draw(st.sampled_from(["", "\n"]))
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + text.encode("utf-8"), expected


def assert_reads_back(scratch, name: str, case) -> None:
    """Write a generated reference file as ``name``, read it strictly: no problem, the same works."""
    data, expected = case
    with workdir(scratch) as d, bounded():
        works, problems = read_references(write(d, name, data), strict=True)
    assert problems == []
    check_round_trip(works, expected)


def check_round_trip(works, expected, *, venue=True) -> None:
    assert [w.key for w in works] == [e[0] for e in expected]
    for w, (key, title, year, families, *rest) in zip(works, expected):
        assert w.title == title, (key, w.title, title)
        assert w.year == year, (key, w.year, year)
        assert [a.family for a in w.authors] == families, (key, [a.family for a in w.authors], families)
        if venue and rest:
            assert w.venue == rest[0], (key, w.venue, rest[0])


BIB_TOKENS = (b"@article{", b"@string{", b"@comment{", b"@preamble{", b"author = {", b" and ", b"title = ",
              b" # ", b"\\", b"\\'", b'{\\"u}', b"$\\not$", b"$", b"\\frac{", b"~", b"--", b"``")


@fuzz()
@given(data=near_valid(bibtex_file(), BIB_TOKENS), suffix=st.sampled_from([".bib", ".bibtex", ".txt"]))
def test_bibtex_never_crashes(scratch, data, suffix):
    with workdir(scratch) as d:
        out = parse(read_references, write(d, "refs" + suffix, data))
    if out is not None:
        check_works(out[0])


@fuzz()
@given(case=bibtex_file())
def test_bibtex_round_trips_generated_entries(scratch, case):
    assert_reads_back(scratch, "refs.bib", case)


RIS_TYPES = ["JOUR", "BOOK", "CHAP", "CONF", "THES", "RPRT", "ELEC", "GEN"]


@st.composite
def ris_file(draw):
    keys = draw(st.lists(KEY, min_size=1, max_size=5, unique=True))
    records, expected = [], []
    for key in keys:
        title, year = draw(TITLE), draw(YEAR)
        families = draw(st.lists(SURNAME, min_size=1, max_size=4))
        lines = [f"TY  - {draw(st.sampled_from(RIS_TYPES))}", f"ID  - {key}"]
        lines += [f"AU  - {f}, {draw(GIVEN)}" for f in families]
        lines += [f"{draw(st.sampled_from(['TI', 'T1']))}  - {title}", f"PY  - {year}"]
        if draw(st.booleans()):
            lines.append(f"JO  - {draw(TITLE)}")
        if draw(st.booleans()):
            lines.append(f"DO  - 10.{draw(st.integers(1000, 99999))}/{draw(KEY)}")
        if draw(st.booleans()):
            lines.append(f"N1  - {draw(TITLE)}")
        lines.append("ER  - ")
        records.append("\n".join(lines))
        expected.append((key, title, str(year), families))
    text = draw(st.sampled_from(["\n", "\n\n"])).join(records) + "\n"
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + text.encode("utf-8"), expected


RIS_TOKENS = (b"TY  - JOUR\n", b"\nER  - \n", b"ER  -", b"\nAU  - ", b"\nTI  - ", b"\nPY  - ", b"\nID  - ",
              b"\nXX  - ", b"  - ", b"\nKW  - ", b"\nUR  - ", b"\nA1  - ,")


@fuzz()
@given(data=near_valid(ris_file(), RIS_TOKENS), suffix=st.sampled_from([".ris", ".txt"]))
def test_ris_never_crashes(scratch, data, suffix):
    with workdir(scratch) as d:
        out = parse(read_references, write(d, "refs" + suffix, data))
    if out is not None:
        check_works(out[0])


@fuzz()
@given(case=ris_file(), suffix=st.sampled_from([".ris", ".txt"]))
def test_ris_round_trips_generated_records(scratch, case, suffix):
    assert_reads_back(scratch, "refs" + suffix, case)


CSL_TYPES = ["article-journal", "book", "chapter", "paper-conference", "webpage", "report", "thesis"]


@st.composite
def csl_file(draw):
    keys = draw(st.lists(KEY, min_size=1, max_size=5, unique=True))
    items, expected = [], []
    for key in keys:
        title = draw(st.text(min_size=1, max_size=40).filter(lambda t: t.split()))
        year = draw(st.integers(1000, 2100))
        families = draw(st.lists(SURNAME, min_size=1, max_size=4))
        item = {"id": key, "type": draw(st.sampled_from(CSL_TYPES)), "title": title,
                "author": [{"family": f, "given": draw(GIVEN)} for f in families],
                "issued": draw(st.sampled_from([{"date-parts": [[year]]}, {"date-parts": [[year, 5, 3]]},
                                                {"raw": f"{year}-05"}, {"literal": str(year)}]))}
        if draw(st.booleans()):
            item["DOI"] = draw(st.sampled_from(["", "https://doi.org/", "doi:"])) + f"10.1234/{key}"
        if draw(st.booleans()):
            item["container-title"] = draw(TITLE)
        items.append(item)
        expected.append((key, " ".join(title.split()), str(year), families))
    shape = draw(st.sampled_from(["list", "items"] + (["single"] if len(items) == 1 else [])))
    data = {"list": items, "items": {"items": items}, "single": items[0]}[shape]
    text = json.dumps(data, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 1, "\t"])))
    return (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + text.encode("utf-8"), expected


CSL_TOKENS = (b"{", b"}", b"[", b"]", b'"', b":", b",", b'"id": ', b'"author": ', b'"issued": ',
              b'{"date-parts": [[', b"null", b"true", b"1.5", b"\\u0000", b"\\ud800", b'"items": ')


@fuzz()
@given(data=near_valid(csl_file(), CSL_TOKENS))
def test_csl_json_text_never_crashes(scratch, data):
    """Malformed JSON text (nesting kept below ~300 levels and numbers short: see the two
    pinned bugs below for deeper nesting and huge integers)."""
    with workdir(scratch) as d:
        out = parse(read_references, write(d, "refs.json", data))
    if out is not None:
        check_works(out[0])


@fuzz()
@given(case=csl_file())
def test_csl_json_round_trips_generated_items(scratch, case):
    assert_reads_back(scratch, "refs.json", case)


#: any JSON value, nested a little
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
              st.text(max_size=12)),
    lambda kids: st.one_of(st.lists(kids, max_size=3), st.dictionaries(st.text(max_size=8), kids, max_size=3)),
    max_leaves=8,
)
CSL_FIELDS = ("id", "type", "title", "author", "editor", "issued", "year-suffix", "container-title", "publisher",
              "DOI", "doi", "note")


@fuzz()
@given(item=st.dictionaries(st.sampled_from(CSL_FIELDS), JSON_VALUES, max_size=6))
@example(item={"type": []})
def test_csl_json_items_with_fields_of_any_json_type_never_crash(scratch, item):
    with workdir(scratch) as d:
        out = parse(read_references, write(d, "refs.json", json.dumps([item]).encode()))
    if out is not None:
        check_works(out[0])


@fuzz(0.1)
@given(depth=st.integers(1, 200_000), bracket=st.sampled_from(["[]", "{}"]))
@example(depth=100_000, bracket="[]")
def test_csl_json_nesting_depth_never_crashes(scratch, depth, bracket):
    text = "[" * depth + "]" * depth if bracket == "[]" else '{"a":' * depth + "1" + "}" * depth
    with workdir(scratch) as d:
        parse(read_references, write(d, "refs.json", text.encode()))


@fuzz(0.1)
@given(digits=st.integers(1, 20_000))
@example(digits=4301)
def test_csl_json_huge_numbers_never_crash(scratch, digits):
    text = '[{"id": "a", "title": "T", "issued": {"date-parts": [[' + "9" * digits + "]]}}]"
    with workdir(scratch) as d:
        parse(read_references, write(d, "refs.json", text.encode()))


# =============================================================================================
# Tool codebooks (MAXQDA, ATLAS.ti, NVivo) as CSV and XLSX
# =============================================================================================

TOOL_NAME = LABEL.filter(lambda s: s.casefold() not in ("codes", "nodes") and not s.startswith("="))
TOOL_LAYOUTS = {
    # tool: (header, code column, description column, join)
    "maxqda": (["Code", "Memo"], 0, 1, " > "),
    "maxqda-backslash": (["Code", "Memo"], 0, 1, "\\"),
    "atlas": (["Code", "Comment", "Code Groups"], 0, 1, "::"),
    "nvivo": (["Name", "Description", "Hierarchical Name"], 2, 1, "\\"),
    "nvivo-flat": (["Name", "Description", "Files", "References"], 0, 1, None),
}


@st.composite
def tool_codebook(draw, xlsx=False):
    """(rows as lists, expected [(code, path, description)])."""
    tool = draw(st.sampled_from(sorted(TOOL_LAYOUTS)))
    header, code_col, memo_col, join = TOOL_LAYOUTS[tool]
    max_depth = 1 if join is None else 3
    paths = draw(st.lists(st.lists(TOOL_NAME, min_size=1, max_size=max_depth).map(tuple), min_size=1, max_size=10))
    memo_text = st.text(LOWER + UPPER + " .,;:'\"\n-é", max_size=20) if xlsx else FREE_TEXT
    rows, first = [header], {}
    for path in paths:
        cell = path[0] if join is None else join.join(path)
        if tool == "nvivo":
            cell = draw(st.sampled_from(["Codes\\\\", "Nodes\\", ""])) + cell
        row = [""] * len(header)
        row[code_col] = cell
        if tool == "nvivo":
            row[0] = path[-1]
        row[memo_col] = draw(memo_text)
        rows.append(row)
        first.setdefault(path, row[memo_col].strip() or None)
    parents = {p[:i] for p in first for i in range(1, len(p))}
    expected = [(p[-1], list(p[:-1]), memo) for p, memo in first.items() if p not in parents]
    order = draw(st.permutations(range(len(header))))
    return [[r[i] for i in order] for r in rows], expected


@st.composite
def tool_codebook_csv(draw):
    rows, expected = draw(tool_codebook())
    return csv_bytes(rows, **draw(csv_style())), expected


def brief(rows):
    return [(r["code"], r["path"], r["description"]) for r in rows]


@fuzz()
@given(case=tool_codebook_csv())
def test_tool_codebook_csv_round_trips(scratch, case):
    data, expected = case
    with workdir(scratch) as d, bounded():
        rows = tool_codebook_rows(write(d, "codebook.csv", data))
    assert brief(rows) == expected


@fuzz(SLOW)
@given(case=tool_codebook(xlsx=True))
def test_tool_codebook_xlsx_round_trips(scratch, case):
    rows, expected = case
    with workdir(scratch) as d, bounded():
        out = tool_codebook_rows(write(d, "codebook.xlsx", xlsx_bytes(rows)))
    assert brief(out) == expected


CSV_TOKENS = (b'"', b'""', b'"a""b"', b",", b";", b"\t", b"\r\n", b"\n", b"Code;Memo\n", b"Name,Hierarchical Name\n",
              b" > ", b"::", b"\\\\", b"Codes\\\\", b"=SUM(A1)", b"a" * 200)


@fuzz()
@given(data=near_valid(tool_codebook_csv(), CSV_TOKENS))
def test_tool_codebook_csv_never_crashes(scratch, data):
    with workdir(scratch) as d:
        rows = parse(tool_codebook_rows, write(d, "codebook.csv", data))
    for row in rows or []:
        assert row["code"] and row["code"] == row["code"].strip() and all(row["path"])


@st.composite
def damaged_xlsx(draw):
    """A valid tool-codebook workbook with one member mutated, dropped or duplicated."""
    rows, _ = draw(tool_codebook(xlsx=True))
    members = [(i.filename, z.read(i)) for z in [zipfile.ZipFile(io.BytesIO(xlsx_bytes(rows)))] for i in z.infolist()]
    names = [n for n, _ in members]
    target = draw(st.sampled_from(sorted(names)))
    how = draw(st.sampled_from(["mutate", "mutate", "mutate", "drop"]))
    out = []
    for name, data in members:
        if name == target:
            if how == "drop":
                continue
            data = draw(mutated(st.just(data), XML_TOKENS))
        out.append((name, data))
    return zip_bytes(out)


@fuzz(SLOW)
@given(data=damaged_xlsx())
@example(data=zip_bytes([(n, d) for n, d in
                         [(i.filename, z.read(i)) for z in [zipfile.ZipFile(io.BytesIO(xlsx_bytes([["Code"], ["a"]])))]
                          for i in z.infolist()] if n != "xl/worksheets/sheet1.xml"]))
def test_tool_codebook_damaged_xlsx_never_crashes(scratch, data):
    with workdir(scratch) as d:
        parse(tool_codebook_rows, write(d, "codebook.xlsx", data))


# =============================================================================================
# Study bundles
# =============================================================================================

STANCE_NAMES = ("supports", "extends", "challenges")


def spelled(draw, name: str) -> str:
    """The same name as a researcher may retype it: other case, extra spaces (same match key)."""
    variant = draw(st.sampled_from([name, name.upper(), name.lower(), f" {name} ", name.replace(" ", "  ")]))
    return variant if match_key(variant) == match_key(name) else name


@st.composite
def study_bundle(draw, xlsx=False):
    """({file name: bytes}, expected counts) of a valid bundle, every optional file maybe present."""
    files, expect = {}, Counter()
    study_id = draw(st.from_regex(r"[a-z0-9][a-z0-9-]{0,12}", fullmatch=True))
    title = draw(FREE_TEXT.filter(lambda t: t.strip()))
    study = {"id": study_id, "title": title, "authors": draw(st.lists(FREE_TEXT, max_size=3)),
             "year": draw(st.none() | st.integers(1900, 2100)), "keywords": draw(st.lists(FREE_TEXT, max_size=3))}
    for key in ("design", "method", "research_question", "setting", "participants_summary"):
        if draw(st.booleans()):
            study[key] = draw(FREE_TEXT)

    def dump(data) -> bytes:
        return yaml.safe_dump(data, allow_unicode=draw(st.booleans()), sort_keys=draw(st.booleans()),
                              default_flow_style=draw(st.sampled_from([False, None]))).encode("utf-8")

    files["study.yaml"] = dump(study)
    expect["Study"] = 1

    # codebook: finals, emerging themes under them, codes under emerging themes
    themes = draw(st.lists(LABEL, min_size=2, max_size=8, unique_by=match_key))
    n_final = draw(st.integers(1, len(themes) - 1))
    finals, emergings = themes[:n_final], themes[n_final:]
    parent = {e: draw(st.sampled_from(finals)) for e in emergings}
    codes = draw(st.lists(LABEL, min_size=1, max_size=8, unique_by=match_key))
    placements = draw(st.lists(st.tuples(st.sampled_from(codes), st.sampled_from(emergings)), min_size=1, max_size=14))
    describe = draw(st.booleans())
    header = ["code", "emerging_theme", "final_theme"] + (["description"] if describe else [])
    rows = [draw(st.permutations(header))]
    for code, emerging in placements:
        cells = {"code": spelled(draw, code), "emerging_theme": spelled(draw, emerging),
                 "final_theme": spelled(draw, parent[emerging]),
                 "description": draw(FREE_TEXT if not xlsx else st.text(LOWER + " .,", max_size=10))}
        rows.append([cells[h] for h in rows[0]])
    if xlsx:
        files["codebook.xlsx"] = xlsx_bytes(rows)
    else:
        files["codebook.csv"] = csv_bytes(rows, **draw(csv_style()))
    used_emergings = {e for _, e in placements}
    used_themes = used_emergings | {parent[e] for e in used_emergings}
    expect["Code"] = len({c for c, _ in placements})
    expect["Theme"] = len(used_themes)
    expect["SUBTHEME_OF"] = len(used_emergings)
    expect["IN_THEME"] = len(set(placements))
    theme_level = {t: ("emerging" if t in emergings else "final") for t in used_themes}
    used_codes = sorted({c for c, _ in placements})

    if draw(st.booleans()):  # themes.csv
        chosen = draw(st.lists(st.sampled_from(sorted(used_themes)), unique=True, max_size=4))
        rows = [["theme", "level", "description", "title_quote"]]
        rows += [[spelled(draw, t), draw(st.sampled_from(["", theme_level[t], theme_level[t].upper()])),
                  draw(FREE_TEXT), draw(FREE_TEXT)] for t in chosen]
        files["themes.csv"] = csv_bytes(rows, **draw(csv_style()))

    participants = []
    if draw(st.booleans()):  # participants.csv
        participants = draw(st.lists(LABEL, min_size=1, max_size=4, unique_by=match_key))
        rows = [["id", "pseudonym", "profession"]] + [[p, draw(FREE_TEXT), draw(FREE_TEXT)] for p in participants]
        files["participants.csv"] = csv_bytes(rows, **draw(csv_style()))
        expect["Participant"] = len(participants)

    if draw(st.booleans()):  # extracts.csv
        n = draw(st.integers(1, 4))
        rows = [["id", "participant", "themes", "codes", "text", "section", "page"]]
        for i in range(n):
            ts = draw(st.lists(st.sampled_from(sorted(used_themes)), unique=True, max_size=2))
            cs = draw(st.lists(st.sampled_from(used_codes), unique=True, max_size=2))
            who = draw(st.sampled_from([""] + participants))
            rows.append([f"E{i:03d}", who, ";".join(spelled(draw, t) for t in ts),
                         "; ".join(spelled(draw, c) for c in cs),
                         draw(FREE_TEXT.filter(lambda t: t.strip())), draw(FREE_TEXT), str(draw(st.integers(1, 300)))])
            expect["ILLUSTRATES"] += len(ts)
            expect["CODED_AS"] += len(cs)
            expect["SPOKEN_BY"] += bool(who)
        files["extracts.csv"] = csv_bytes(rows, **draw(csv_style()))
        expect["Extract"] = n

    bib_keys = []
    if draw(st.booleans()):  # references.bib
        data, entries = draw(bibtex_file())
        files["references.bib"] = data
        bib_keys = [e[0] for e in entries]

    if draw(st.booleans()):  # citations.csv
        rows = [["authors", "year", "cited_as", "line", "start", "end", "sentence", "section", "stance", "ref",
                 "et_al"]]
        # two citations never start at one place in a text: a position is a citation (docs/identity.md)
        for start in draw(st.lists(st.integers(0, 5000), min_size=1, max_size=4, unique=True)):
            rows.append([";".join(draw(st.lists(SURNAME, min_size=1, max_size=3))), str(draw(YEAR)), draw(FREE_TEXT),
                         str(draw(st.integers(1, 99))), str(start), str(start + draw(st.integers(1, 40))),
                         draw(FREE_TEXT.filter(lambda t: t.strip())), draw(FREE_TEXT),
                         draw(st.sampled_from(["mentions", *STANCE_NAMES])), draw(st.sampled_from([""] + bib_keys)),
                         draw(st.sampled_from(["True", "False", ""]))])
            expect["CITES"] += 1
        files["citations.csv"] = csv_bytes(rows, **draw(csv_style()))

    targets = {"work": bib_keys, "theory": [], "construct": []}
    if draw(st.booleans()):  # theories.yaml
        theories = []
        for tslug in draw(st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True), min_size=1, max_size=3,
                                   unique_by=slug)):
            theory = {"id": tslug, "name": draw(FREE_TEXT.filter(lambda t: t.strip()))}
            if draw(st.booleans()):
                theory["description"] = draw(FREE_TEXT)
            if bib_keys and draw(st.booleans()):
                theory["proposed_in"] = draw(st.sampled_from(bib_keys))
                expect["PROPOSED_IN"] += 1
            constructs = draw(st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True), max_size=3,
                                       unique_by=slug))
            if constructs:
                theory["constructs"] = [{"id": c, "name": draw(FREE_TEXT.filter(lambda t: t.strip()))}
                                        for c in constructs]
            theories.append(theory)
            targets["theory"].append(tslug)
            targets["construct"] += [f"{tslug}/{c}" for c in constructs]
            expect["Construct"] += len(constructs)
            expect["PART_OF"] += len(constructs)
        expect["Theory"] = len(theories)
        files["theories.yaml"] = dump({"theories": theories})

    if draw(st.booleans()):  # findings.yaml
        findings = []
        for fslug in draw(st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True), min_size=1, max_size=3,
                                   unique_by=slug)):
            finding = {"id": fslug, "title": draw(FREE_TEXT), "statement": draw(FREE_TEXT),
                       "status": draw(st.sampled_from(["confirmed", "unconfirmed"]))}
            listed = draw(st.lists(st.sampled_from(sorted(used_themes)), max_size=3))
            finding["themes"] = [spelled(draw, t) for t in listed]
            expect["DERIVED_FROM"] += len(set(listed))  # a theme listed twice is one fact (docs/identity.md)
            links, facts = [], set()
            kinds = [k for k, v in targets.items() if v]
            for _ in range(draw(st.integers(0, 3)) if kinds else 0):
                kind = draw(st.sampled_from(kinds))
                stance = draw(st.sampled_from(STANCE_NAMES))
                target = draw(st.sampled_from(targets[kind]))
                links.append({"stance": draw(st.sampled_from([stance, stance.upper(), stance.capitalize()])),
                              kind: target, "evidence": draw(FREE_TEXT.filter(lambda t: t.strip()))})
                if (stance, kind, slug(target)) not in facts:
                    facts.add((stance, kind, slug(target)))
                    expect[stance.upper()] += 1
            if links:
                finding["links"] = links
            findings.append(finding)
        expect["Finding"] = len(findings)
        files["findings.yaml"] = dump({"findings": findings})
    return files, expect, study


def write_bundle(folder: Path, files: dict[str, bytes]) -> Path:
    bundle = folder / "bundle"
    bundle.mkdir()
    for name, data in files.items():
        write(bundle, name, data)
    return bundle


def check_bundle(batch, expect, study) -> None:
    counts = batch.counts()
    wrong = {k: (counts.get(k, 0), n) for k, n in expect.items() if counts.get(k, 0) != n}
    assert not wrong, f"(got, expected): {wrong}"
    node = batch.nodes["Study"][study["id"]]
    # text fields are stored with runs of whitespace collapsed and the ends trimmed
    assert node["title"] == (" ".join(study["title"].split()) or None) and node["year"] == study["year"]
    assert not batch.dangling(), batch.dangling()


@fuzz()
@given(case=study_bundle())
def test_study_bundle_round_trips_generated_bundles(scratch, case):
    files, expect, study = case
    with workdir(scratch) as d, bounded():
        batch = read_study(write_bundle(d, files))
    check_bundle(batch, expect, study)


@fuzz(SLOW)
@given(case=study_bundle(xlsx=True))
def test_study_bundle_with_xlsx_codebook_round_trips(scratch, case):
    files, expect, study = case
    with workdir(scratch) as d, bounded():
        batch = read_study(write_bundle(d, files))
    check_bundle(batch, expect, study)


@st.composite
def bundle_with_damaged_csv(draw):
    files, _, _ = draw(study_bundle())
    name = draw(st.sampled_from(sorted(n for n in files if n.endswith(".csv"))))
    files[name] = draw(st.one_of(mutated(st.just(files[name]), CSV_TOKENS), mutated(st.just(files[name]), CSV_TOKENS),
                                 noise(CSV_TOKENS)))
    return files


@fuzz()
@given(files=bundle_with_damaged_csv())
def test_study_bundle_with_a_damaged_csv_never_crashes(scratch, files):
    with workdir(scratch) as d:
        parse(read_study, write_bundle(d, files))


YAML_TOKENS = (b": ", b"- ", b"-", b"&a ", b"*a", b"!!binary ", b"!!python/object:os.system ", b"!!set ", b"? ",
               b"---\n", b"...\n", b"{", b"}", b"[", b"]", b"|", b">", b"\n  ", b"\t", b"~", b"null", b"true",
               b"2020-01-01", b"0x1F", b"1_000", b".inf", b"<<: ", b"%YAML 1.1\n", b"'", b"id: ", b"links: ")

YAML_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False),
                         st.text(max_size=10), st.dates())
#: any value a YAML file may hold where a mapping, a list or a string was expected
YAML_VALUES = st.one_of(YAML_SCALARS, st.recursive(
    YAML_SCALARS,
    lambda kids: st.one_of(st.lists(kids, max_size=3), st.dictionaries(st.text(max_size=8), kids, max_size=3)),
    max_leaves=6,
))


def _paths(value, path=()):
    """Every place in a parsed YAML document: () for the root, then keys and indexes below it."""
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*path, i))


def _replace(value, path, new):
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict) and head in value:
        return {**value, head: _replace(value[head], rest, new)}
    if isinstance(value, list) and isinstance(head, int) and head < len(value):
        return [_replace(v, rest, new) if i == head else v for i, v in enumerate(value)]
    return value  # an earlier replacement removed this place


def shaped(valid, draw):
    """``valid`` with one to three of its values (at any depth) replaced by a YAML value of any type."""
    places = sorted(_paths(valid), key=len, reverse=True)  # deepest first: shrinks toward one field
    for path in draw(st.lists(st.sampled_from(places), min_size=1, max_size=3)):
        valid = _replace(valid, path, draw(YAML_VALUES))
    return valid


@st.composite
def bundle_with_odd_yaml(draw, name: str):
    """A valid bundle whose ``name`` has values of unexpected YAML types, or damaged text."""
    files, _, study = draw(study_bundle())
    if name not in files:  # a small valid file to start from
        files[name] = yaml.safe_dump({
            "study.yaml": study,
            "theories.yaml": {"theories": [{"id": "t", "name": "T", "constructs": [{"id": "c", "name": "C"}]}]},
            "findings.yaml": {"findings": [{"id": "f", "themes": [], "links": [
                {"stance": "supports", "theory": "t", "evidence": "e"}]}]},
        }[name]).encode()
    data = yaml.safe_load(files[name])
    if draw(st.booleans()):
        files[name] = yaml.safe_dump(shaped(data, draw), allow_unicode=True).encode("utf-8")
    else:
        files[name] = draw(mutated(st.just(files[name]), YAML_TOKENS))
    return files


@fuzz()
@given(files=bundle_with_odd_yaml("study.yaml"))
@example(files={"study.yaml": b"id: s\ntitle: T\nauthors: 1\n",
                "codebook.csv": b"code,emerging_theme,final_theme\na,b,c\n"})
def test_study_yaml_of_any_shape_never_crashes(scratch, files):
    with workdir(scratch) as d:
        parse(read_study, write_bundle(d, files))


BUNDLE = {"study.yaml": b"id: s\ntitle: T\n", "codebook.csv": b"code,emerging_theme,final_theme\na,b,c\n"}


@fuzz()
@given(files=bundle_with_odd_yaml("theories.yaml"))
@example(files={**BUNDLE, "theories.yaml": b"theories: [x]\n"})
def test_theories_yaml_of_any_shape_never_crashes(scratch, files):
    with workdir(scratch) as d:
        parse(read_study, write_bundle(d, files))


@fuzz()
@given(files=bundle_with_odd_yaml("findings.yaml"))
@example(files={**BUNDLE, "findings.yaml": b"findings: [x]\n"})
def test_findings_yaml_of_any_shape_never_crashes(scratch, files):
    with workdir(scratch) as d:
        parse(read_study, write_bundle(d, files))


@fuzz(0.1)
@given(depth=st.integers(1, 20_000), file=st.sampled_from(["study.yaml", "theories.yaml", "findings.yaml"]))
@example(depth=5_000, file="study.yaml")
def test_yaml_nesting_depth_never_crashes(scratch, depth, file):
    files = {**BUNDLE, file: b"[" * depth + b"]" * depth}
    with workdir(scratch) as d:
        parse(read_study, write_bundle(d, files))


@needs_alarm
@fuzz(0.1, deadline=None)
@given(levels=st.integers(1, 8), width=st.integers(1, 10))
@example(levels=8, width=10)
def test_yaml_aliases_do_not_expand_without_bound(scratch, levels, width):
    lines = ["id: s", "a0: &a0 [" + ", ".join(["x"] * width) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels)]
    lines.append(f"title: *a{levels - 1}")
    files = {**BUNDLE, "study.yaml": "\n".join(lines).encode()}
    with workdir(scratch) as d:
        parse(read_study, write_bundle(d, files), hang_after=1.5)


@fuzz()
@given(value=st.text(st.characters(whitelist_categories=("Nd", "No")), min_size=1, max_size=3),
       column=st.sampled_from(["start", "end"]))
@example(value="²", column="start")
def test_citations_csv_offsets_never_crash(scratch, value, column):
    files = {**BUNDLE, "citations.csv": f"authors,year,sentence,{column}\nBordin,1979,A sentence.,{value}\n".encode()}
    with workdir(scratch) as d:
        parse(read_study, write_bundle(d, files))


@pytest.mark.parametrize("kind", ["extract", "finding", "theory"])
@fuzz()
@given(first=st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,4}", fullmatch=True), how=st.sampled_from(["swapcase", "punct"]))
@example(first="a", how="swapcase")
def test_distinct_ids_stay_distinct_or_are_refused(scratch, kind, first, how):
    second = first.swapcase() if how == "swapcase" else first + "!"
    if second == first:
        second = first + "_"
    files = dict(BUNDLE)
    if kind == "extract":
        files["extracts.csv"] = f"id,text\n{first},one\n{second},two\n".encode()
    elif kind == "finding":
        files["findings.yaml"] = yaml.safe_dump({"findings": [{"id": first}, {"id": second}]}).encode()
    else:
        files["theories.yaml"] = yaml.safe_dump({"theories": [{"id": first, "name": "A"},
                                                              {"id": second, "name": "B"}]}).encode()
    with workdir(scratch) as d:
        batch = parse(read_study, write_bundle(d, files))
    if batch is not None:  # refusing the pair is fine; loading it must keep both
        assert batch.counts().get(kind.capitalize(), 0) == 2, f"{first!r} and {second!r} became one {kind}"


# =============================================================================================
# REFI-QDA: projects (.qdpx) and codebooks (.qdc)
# =============================================================================================

XML_TOKENS = (b"<", b">", b"</", b"/>", b"&amp;", b"&lt;", b"&#0;", b"&#xD800;", b"&#x10FFFF;", b"&#99999999;",
              b"&nosuch;", b"<![CDATA[x]]>", b"]]>", b"<!--", b"-->", b"<?pi x?>", b'"', b"'", b"=",
              b'<!DOCTYPE x [<!ENTITY e "lol">]>', b'<!DOCTYPE x SYSTEM "file:///etc/passwd">',
              b'<Code name="x">', b"</Code>", b'<Code guid="g"/>', b'guid="', b'targetGUID="', b' name=""',
              b'startPosition="-5"', b'endPosition="99999999999999999999"', b"<PlainTextSelection ",
              b"<Coding><CodeRef targetGUID=", b"xmlns:a='x' a:", b"<a:b/>", b"\xef\xbb\xbf<?xml version='1.0'?>")
QDA_TEXT = st.text(LOWER + UPPER + ACCENTED + " .,'!?\n-", min_size=1, max_size=120)
QDA_NAME = st.text(LOWER + UPPER + ACCENTED + DIGITS + " &<>\"'-😟", max_size=10)


@st.composite
def code_tree(draw, guids):
    """[(element xml, {"codes": leaf guids, "themes": inner guids})] of a random code forest."""
    forest = draw(st.recursive(st.just([]), lambda kids: st.lists(st.tuples(QDA_NAME, kids), min_size=1, max_size=3),
                               max_leaves=10).filter(bool))
    leaves, inner = [], []

    def render(nodes, depth):
        out = []
        for name, kids in nodes:
            guid = next(guids)
            (inner if kids else leaves).append(guid)
            colour = ' color="#C0392B"' if draw(st.booleans()) else ""
            desc = f"<Description>{escape(draw(QDA_NAME))}</Description>" if draw(st.booleans()) else ""
            out.append(f'<Code guid="{guid}" name={quoteattr(name)} isCodable="true"{colour}>{desc}'
                       f"{render(kids, depth + 1)}</Code>")
        return "".join(out)

    return render(forest, 1), leaves, inner


def guid_stream(draw):
    return iter(draw(st.lists(st.uuids().map(str), min_size=120, max_size=120, unique=True)))


@st.composite
def qdpx_project(draw):
    """(zip bytes, expected counts) of a valid project: users, code tree, sources with selections
    and codings, cases."""
    guids = guid_stream(draw)
    expect = Counter({"Study": 1})
    users = [(next(guids), draw(QDA_NAME)) for _ in range(draw(st.integers(0, 2)))]
    expect["User"] = len(users)
    codes_xml, leaves, inner = draw(code_tree(guids))
    expect["Code"], expect["Theme"] = len(leaves), len(inner)
    targets = leaves + inner
    members, sources_xml, doc_guids = [], [], []
    source_folder = draw(st.sampled_from(["sources/", "Sources/"]))
    coded, illustrated, extracts = set(), set(), set()
    for d in range(draw(st.integers(0, 3))):
        guid = next(guids)
        doc_guids.append(guid)
        text = draw(QDA_TEXT)
        inline = draw(st.booleans())
        selections = []
        for _ in range(draw(st.integers(0, 3))):
            s = draw(st.integers(0, len(text)))
            e = draw(st.integers(s, len(text)))
            codings = draw(st.lists(st.sampled_from(targets), max_size=2))
            user = f' creatingUser="{users[0][0]}"' if users and draw(st.booleans()) else ""
            selections.append(
                f'<PlainTextSelection guid="{next(guids)}" startPosition="{s}" endPosition="{e}"{user}>'
                + "".join(f'<Coding guid="{next(guids)}"><CodeRef targetGUID="{c}"/></Coding>' for c in codings)
                + "</PlainTextSelection>")
            extracts.add((d, s, e))
            coded.update((d, s, e, c) for c in codings if c in leaves)
            illustrated.update((d, s, e, c) for c in codings if c in inner)
        if inline:
            body = f"<PlainTextContent>{escape(text)}</PlainTextContent>"
            path = ""
        else:
            member = f"{guid}.txt"
            members.append((source_folder + member, text.encode("utf-8")))
            path = f' plainTextPath="{draw(st.sampled_from(["internal://", ""]))}{member}"'
            body = ""
        sources_xml.append(f'<TextSource guid="{guid}" name={quoteattr(draw(QDA_NAME))}{path}>{body}'
                           + "".join(selections) + "</TextSource>")
    expect["Document"] = len(doc_guids)
    expect["Extract"], expect["CODED_AS"], expect["ILLUSTRATES"] = len(extracts), len(coded), len(illustrated)
    cases_xml = []
    for _ in range(draw(st.integers(0, 2)) if doc_guids else 0):
        refs = draw(st.lists(st.sampled_from(doc_guids), unique=True, max_size=2))
        cases_xml.append(f'<Case guid="{next(guids)}" name={quoteattr(draw(QDA_NAME))}>'
                         + "".join(f'<SourceRef targetGUID="{g}"/>' for g in refs) + "</Case>")
        expect["DOCUMENT_OF"] += len(refs)
    expect["Participant"] = len(cases_xml)
    ns = draw(st.sampled_from([f' xmlns="{PROJECT_NS}"', "", ' xmlns="urn:other"']))
    sections = {
        "Users": "".join(f'<User guid="{g}" name={quoteattr(n)}/>' for g, n in users),
        "CodeBook": f"<Codes>{codes_xml}</Codes>",
        "Sources": "".join(sources_xml),
        "Cases": "".join(cases_xml),
    }
    order = draw(st.permutations(sorted(sections)))
    sep = draw(st.sampled_from(["", "\n", "\n  "]))
    qde = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Project{ns} name={quoteattr(draw(QDA_NAME))}>'
           + sep.join(f"<{k}>{sections[k]}</{k}>" for k in order) + "</Project>")
    project_name = draw(st.sampled_from(["project.qde", "Project.QDE"]))
    members.insert(draw(st.integers(0, len(members))), (project_name, qde.encode("utf-8")))
    compression = draw(st.sampled_from([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED]))
    return zip_bytes(members, compression), expect, members


def check_counts(batch, expect) -> None:
    counts = batch.counts()
    wrong = {k: (counts.get(k, 0), n) for k, n in expect.items() if counts.get(k, 0) != n}
    assert not wrong, f"(got, expected): {wrong}"
    assert not batch.dangling(), batch.dangling()


@fuzz()
@given(case=qdpx_project())
def test_qdpx_round_trips_generated_projects(scratch, case):
    data, expect, members = case
    with workdir(scratch) as d, bounded():
        batch, _ = qdpx_batch(write(d, "p.qdpx", data), "s")
    check_counts(batch, expect)
    texts = {n.rsplit("/", 1)[-1]: b.decode() for n, b in members if n.lower().startswith("sources/")}
    for row in batch.nodes.get("Extract", {}).values():
        assert row["char_start"] <= row["char_end"] and len(row["text"]) == row["char_end"] - row["char_start"]
    for row in batch.nodes.get("Document", {}).values():
        if row.get("path"):
            assert row["text"] == texts[row["path"].rsplit("/", 1)[-1]]


@st.composite
def qdpx_with_damaged_project_xml(draw):
    _, _, members = draw(qdpx_project())
    i = next(i for i, (n, _) in enumerate(members) if n.lower() == "project.qde")
    name, qde = members[i]
    members[i] = (name, draw(st.one_of(mutated(st.just(qde), XML_TOKENS), mutated(st.just(qde), XML_TOKENS),
                                       noise(XML_TOKENS))))
    return zip_bytes(members)


@fuzz()
@given(data=qdpx_with_damaged_project_xml())
def test_qdpx_damaged_project_xml_never_crashes(scratch, data):
    with workdir(scratch) as d:
        parse(qdpx_batch, write(d, "p.qdpx", data), "s")


UNSAFE_MEMBER_NAMES = ("../evil.txt", "/abs.txt", "C:evil.txt", "a\\..\\b.txt", "sources/../../x.txt", "sources/",
                       "project.qde/", "sub/project.qde", "other.qde", "SOURCES/x.txt", "sources\\x.txt", " ",
                       "sources/😟.txt")


@st.composite
def qdpx_with_odd_members(draw):
    """A valid project whose archive has extra, renamed, duplicated or missing members (sources
    keep valid UTF-8 content: see the pinned UTF-16 bug below)."""
    _, _, members = draw(qdpx_project())
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["add", "rename", "drop", "duplicate"]))
        if op == "add" or not members:
            name = draw(st.sampled_from(UNSAFE_MEMBER_NAMES) | st.text(min_size=1, max_size=12))
            members.append((name.replace("\x00", "") or "x", draw(st.binary(max_size=20))))
        else:
            i = draw(st.integers(0, len(members) - 1))
            name, data = members[i]
            if op == "rename":
                members[i] = (draw(st.sampled_from(UNSAFE_MEMBER_NAMES)), data)
            elif op == "drop":
                del members[i]
            else:
                members.append((name, data))
    return zip_bytes(members)


@fuzz()
@given(data=qdpx_with_odd_members())
def test_qdpx_odd_archive_members_never_crash(scratch, data):
    with workdir(scratch) as d:
        parse(qdpx_batch, write(d, "p.qdpx", data), "s")


@st.composite
def damaged_zip(draw):
    """A valid project's zip (stored or deflated) with its bytes mutated: headers, CRCs, data."""
    data, _, _ = draw(qdpx_project())
    return draw(mutated(st.just(data), (b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06", b"\xff\xff\xff\xff")))


@fuzz()
@given(data=damaged_zip())
@example(data=zip_bytes([("project.qde", b"<Project/>")])[1:])
def test_qdpx_damaged_zip_never_crashes(scratch, data):
    with workdir(scratch) as d:
        parse(qdpx_batch, write(d, "p.qdpx", data), "s")


def _with_source(source: bytes) -> bytes:
    qde = (f'<Project xmlns="{PROJECT_NS}"><Sources><TextSource guid="a" name="d" plainTextPath="internal://t.txt">'
           '<PlainTextSelection startPosition="0" endPosition="1"/></TextSource></Sources></Project>')
    return zip_bytes([("project.qde", qde.encode()), ("sources/t.txt", source)])


@fuzz()
@given(source=st.one_of(noise(), mutated(st.text(max_size=40).map(lambda s: ("\ufeff" + s).encode("utf-16-le")))))
@example(source=b"\xff\xfe\x00")
def test_qdpx_source_files_of_any_bytes_never_crash(scratch, source):
    with workdir(scratch) as d:
        parse(qdpx_batch, write(d, "p.qdpx", _with_source(source)), "s")


@fuzz(0.5)
@given(method=st.sampled_from([zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]), at=st.integers(0, 40), xor=st.integers(1, 255))
@example(method=zipfile.ZIP_BZIP2, at=0, xor=1)
def test_qdpx_corrupt_bzip2_or_lzma_members_never_crash(scratch, method, at, xor):
    qde = f'<Project xmlns="{PROJECT_NS}"><CodeBook><Codes><Code name="a"/></Codes></CodeBook></Project>'.encode()
    raw = bytearray(zip_bytes([("project.qde", qde * 3)], method))
    info = zipfile.ZipFile(io.BytesIO(bytes(raw))).infolist()[0]
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start + at % info.compress_size] ^= xor
    with workdir(scratch) as d:
        parse(qdpx_batch, write(d, "p.qdpx", bytes(raw)), "s")


@fuzz()
@given(encoding=st.text(LOWER + DIGITS + "-_", min_size=1, max_size=12), qdc=st.booleans())
@example(encoding="bogus", qdc=True)
def test_xml_encoding_declarations_never_crash(scratch, encoding, qdc):
    root = "CodeBook" if qdc else "Project"
    xml = f'<?xml version="1.0" encoding="{encoding}"?><{root}><Codes/></{root}>'.encode()
    with workdir(scratch) as d:
        if qdc:
            parse(qdc_batch, write(d, "c.qdc", xml), "s")
        else:
            parse(qdpx_batch, write(d, "p.qdpx", zip_bytes([("project.qde", xml)])), "s")


@st.composite
def qdc_codebook(draw):
    guids = guid_stream(draw)
    codes_xml, leaves, inner = draw(code_tree(guids))
    expect = Counter({"Study": 1, "Code": len(leaves), "Theme": len(inner)})
    sets_xml = []
    for _ in range(draw(st.integers(0, 3))):
        members = draw(st.lists(st.sampled_from(leaves + inner), max_size=3))
        attr = draw(st.sampled_from(["guid", "targetGUID"]))
        sets_xml.append(f'<Set guid="{next(guids)}" name={quoteattr(draw(QDA_NAME))}>'
                        + "".join(f'<MemberCode {attr}="{m}"/>' for m in members) + "</Set>")
        expect["IN_SET"] += len(set(members))
    expect["CodeSet"] = len(sets_xml)
    ns = draw(st.sampled_from([f' xmlns="{CODEBOOK_NS}"', "", f' xmlns="{PROJECT_NS}"']))
    sets = f"<Sets>{''.join(sets_xml)}</Sets>" if sets_xml or draw(st.booleans()) else ""
    xml = (f'<?xml version="1.0" encoding="utf-8"?>\n<CodeBook{ns} origin="fuzz">'
           f"<Codes>{codes_xml}</Codes>{sets}</CodeBook>")
    return (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + xml.encode("utf-8"), expect


@fuzz()
@given(case=qdc_codebook())
def test_qdc_round_trips_generated_codebooks(scratch, case):
    data, expect = case
    with workdir(scratch) as d, bounded():
        batch, _ = qdc_batch(write(d, "c.qdc", data), "s")
    check_counts(batch, expect)


@fuzz()
@given(data=near_valid(qdc_codebook(), XML_TOKENS), depth=st.none() | st.integers(0, 3))
def test_qdc_never_crashes(scratch, data, depth):
    with workdir(scratch) as d:
        parse(qdc_batch, write(d, "c.qdc", data), "s", theme_depth=depth)


@needs_alarm
@fuzz(0.05, deadline=None)
@given(n=st.integers(1, 3000))
@example(n=2000)
def test_qdc_many_codes_of_one_name_load_in_bounded_time(scratch, n):
    xml = ("<CodeBook><Codes>" + '<Code name="c"/>' * n + "</Codes></CodeBook>").encode()
    with workdir(scratch) as d, bounded(1.5):
        batch, _ = qdc_batch(write(d, "c.qdc", xml), "s")
    assert len(batch.nodes["Code"]) == n


@needs_alarm
@fuzz(0.05, deadline=None)
@given(n=st.integers(1, 800))
@example(n=400)
def test_qdc_deeply_nested_codes_load_in_bounded_time(scratch, n):
    xml = ("<CodeBook><Codes>" + '<Code name="c">' * n + "</Code>" * n + "</Codes></CodeBook>").encode()
    with workdir(scratch) as d, bounded(1.5):
        batch, _ = qdc_batch(write(d, "c.qdc", xml), "s")
    assert len(batch.nodes.get("Theme", {})) + len(batch.nodes["Code"]) == n


# =============================================================================================
# Papers: .txt, .docx, .pdf (documents.read_text)
# =============================================================================================


@fuzz()
@given(data=st.one_of(noise(), mutated(st.text(max_size=200).map(str.encode))),
       suffix=st.sampled_from([".txt", ".md", ".text", ".TXT"]))
def test_plain_text_papers_never_crash(scratch, data, suffix):
    with workdir(scratch) as d:
        text = parse(read_text, write(d, "paper" + suffix, data))
    if text is not None:
        assert text.strip()


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
DOCX_CT = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
           'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
           'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
           '"/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.'
           'document.main+xml"/></Types>')
DOCX_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
             'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
             'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
PARAGRAPH = st.text(LOWER + UPPER + ACCENTED + DIGITS + " .,;()&<>'\"", max_size=60)


def docx_members(paragraphs: list[str]) -> list[tuple[str, bytes]]:
    body = "".join(f'<w:p><w:r><w:t xml:space="preserve">{escape(p)}</w:t></w:r></w:p>' for p in paragraphs)
    document = (f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W_NS}">'
                f"<w:body>{body}</w:body></w:document>")
    return [("[Content_Types].xml", DOCX_CT.encode()), ("_rels/.rels", DOCX_RELS.encode()),
            ("word/document.xml", document.encode())]


@fuzz(SLOW)
@given(paragraphs=st.lists(PARAGRAPH, min_size=1, max_size=6).filter(lambda ps: "".join(ps).strip()))
def test_docx_papers_round_trip(scratch, paragraphs):
    with workdir(scratch) as d, bounded():
        assert read_text(write(d, "paper.docx", zip_bytes(docx_members(paragraphs)))) == "\n".join(paragraphs)


@st.composite
def damaged_docx(draw):
    members = docx_members(draw(st.lists(PARAGRAPH, min_size=1, max_size=4)))
    i = draw(st.integers(0, len(members) - 1))
    if draw(st.integers(0, 3)) == 0:
        del members[i]
    else:
        members[i] = (members[i][0], draw(mutated(st.just(members[i][1]), XML_TOKENS)))
    return zip_bytes(members)


@fuzz(SLOW)
@given(data=damaged_docx())
@example(data=zip_bytes([(n, (b if n != "word/document.xml" else f'<w:document xmlns:w="{W_NS}"/>'.encode()))
                         for n, b in docx_members(["x"])]))
def test_damaged_docx_papers_never_crash(scratch, data):
    with workdir(scratch) as d:
        parse(read_text, write(d, "paper.docx", data))


def pdf_bytes(text: str) -> bytes:
    """A one-page PDF whose text layer is ``text`` (ASCII), with a correct xref table."""
    literal = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    content = f"BT /F1 12 Tf 72 720 Td ({literal}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
         b"/Resources << /Font << /F1 5 0 R >> >> >>"),
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


PDF_WORDS = st.lists(st.text(LOWER + LOWER.upper() + DIGITS, min_size=1, max_size=8), min_size=1,
                     max_size=8).map(" ".join)
PDF_TOKENS = (b"obj", b"endobj", b"stream", b"endstream", b"<<", b">>", b"/Length 99999999", b"0 R", b"1 0 R",
              b"/Kids [3 0 R 3 0 R]", b"xref", b"trailer", b"startxref", b"%%EOF", b"/Filter /FlateDecode",
              b"/Encrypt", b"(", b")", b"[", b"]")


@fuzz(SLOW)
@given(words=PDF_WORDS)
def test_pdf_papers_round_trip(scratch, words):
    with workdir(scratch) as d, bounded():
        text = read_text(write(d, "paper.pdf", pdf_bytes(words)))
    assert " ".join(text.split()) == words


@fuzz(SLOW)
@given(data=near_valid(PDF_WORDS.map(lambda w: (pdf_bytes(w), None)), PDF_TOKENS))
def test_damaged_pdf_papers_never_crash(scratch, data):
    with workdir(scratch) as d:
        parse(read_text, write(d, "paper.pdf", data))
