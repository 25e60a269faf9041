"""Progress bars on stderr and the summary of repeated warnings (issue #15)."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest
from conftest import EXAMPLE
from rich.console import Console
from typer.testing import CliRunner

from themegraph import progress
from themegraph.cli import app
from themegraph.cli.common import summarise, warning_kind

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def console(terminal: bool) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=terminal, width=140, color_system=None), out


@pytest.fixture(autouse=True)
def loud():
    progress.set_quiet(False)
    yield
    progress.set_quiet(False)


def last_frame(text: str) -> str:
    """The bar as last drawn (rich redraws it in place with carriage returns)."""
    return ANSI.sub("", text).replace("\r", "\n").strip().splitlines()[-1]


def test_a_bar_on_a_terminal_shows_rows_done_rate_and_time_left():
    con, out = console(terminal=True)
    with progress.track("writing study:x", 1_500, console=con, show_after=0):
        progress.advance(1_000)
        progress.advance(500)
    frame = last_frame(out.getvalue())
    assert frame.startswith("writing study:x ")
    assert " 100% 1,500/1,500 rows " in frame
    assert re.search(r" [\d,]+ rows/s left 0:00:00$", frame), frame


def test_a_bar_of_bytes_shows_sizes_and_speed():
    con, out = console(terminal=True)
    with progress.track("reading refs.bib", 2_000_000, "bytes", console=con, show_after=0):
        progress.advance(2_000_000)
    frame = last_frame(out.getvalue())
    assert " 100% 2.0/2.0 MB " in frame
    assert re.search(r" [\d.]+ [kMG]?B/s left 0:00:00$", frame), frame


def test_nothing_is_drawn_when_stderr_is_not_a_terminal():
    con, out = console(terminal=False)
    with progress.track("writing", 10, console=con, show_after=0) as bar:
        progress.advance(10)
    assert out.getvalue() == ""
    assert bar.done == 10


def test_nothing_is_drawn_with_quiet():
    progress.set_quiet(True)
    con, out = console(terminal=True)
    with progress.track("writing", 10, console=con, show_after=0):
        progress.advance(10)
    assert out.getvalue() == ""


def test_work_shorter_than_a_second_draws_nothing():
    con, out = console(terminal=True)
    with progress.track("writing", 10, console=con):
        progress.advance(10)
    assert out.getvalue() == ""


def test_advance_reports_to_the_innermost_bar_and_is_harmless_without_one():
    progress.advance(5)  # no bar open: nothing happens
    con, _ = console(terminal=False)
    with progress.track("outer", 10, console=con) as outer:
        with progress.track("inner", 10, console=con) as inner:
            progress.advance(3)
        progress.advance(2)
    assert (outer.done, inner.done) == (2, 3)


def test_a_load_reports_every_row_of_the_batch_to_its_bar(tmp_path, monkeypatch):
    """The writer reports node and relation rows as it writes them: the bar ends at the batch's size."""
    from themegraph.graph.open import open_store
    from themegraph.loaders.study import read_study

    batch = read_study(EXAMPLE)
    con, _ = console(terminal=False)
    with open_store(db=str(tmp_path / "kb.db")) as store, progress.track("writing", batch.size(), console=con) as bar:
        store.apply(batch)
    assert bar.done == batch.size() == 1_485


def test_reach_says_a_piece_ended_without_undoing_finer_reports():
    con, _ = console(terminal=False)
    with progress.track("reading", 100, "bytes", console=con) as bar:
        progress.advance(70)  # a reader that reports as it goes
        bar.reach(60)  # the caller's report of the first file, already passed
        assert bar.done == 70
        bar.reach(100)
    assert bar.done == 100


def test_work_of_unknown_size_shows_what_is_done_its_rate_and_time_spent():
    con, out = console(terminal=True)
    with progress.track("drawing the themes map", None, console=con, show_after=0):
        progress.advance(1_234)
    frame = last_frame(out.getvalue())
    assert frame.startswith("drawing the themes map ") and " 1,234 rows " in frame
    assert re.search(r" [\d,]+ rows/s for 0:00:0\d$", frame), frame


def test_reads_and_writes_through_a_reporting_store_move_the_bar(tmp_path):
    """Exports, maps and restores are not told of bars: the store they are handed reports the rows
    its queries return and its writes insert."""
    from themegraph.cli.common import Reporting, rows_in
    from themegraph.exports.transfer import dump, restore
    from themegraph.graph.open import open_store
    from themegraph.loaders.study import read_study

    con, _ = console(terminal=False)
    with open_store(db=str(tmp_path / "a.db")) as source, open_store(db=str(tmp_path / "b.db")) as target:
        source.apply(read_study(EXAMPLE))
        total = rows_in(source)
        with progress.track("dumping", total, console=con) as read:
            nodes, rels = dump(Reporting(source))
        with progress.track("restoring", total, console=con) as written:
            restore(Reporting(target), nodes, rels)
        assert rows_in(target) == total
    assert read.done == written.done == total == 1_486  # the example's 1,485 rows and its Source


# --- a slow load on a terminal, with --quiet, piped -----------------------------------------------------

BAR = re.compile(r"reading refs-1.bib, refs-2.bib, refs-3.bib ━+ +\d+% [\d.]+/[\d.]+ MB [\d.]+ [kM]?B/s left ")
WRITING = re.compile(r"writing refs:refs-1.bib,refs-2.bib,refs-3.bib ━+ .* rows/s left ")


def run_on_a_terminal(args: list[str], **env: str) -> str:
    """What a user sees on the terminal (stdout and stderr both on a pseudo-terminal) while the CLI
    runs ``args`` (with ``env`` added to the environment), control sequences removed."""
    import os
    import pty

    primary, secondary = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "themegraph", *args], stdin=subprocess.DEVNULL,
                            stdout=secondary, stderr=secondary, env={**os.environ, "COLUMNS": "160", **env})
    os.close(secondary)
    seen = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(primary)
    assert proc.wait(timeout=600) == 0, seen.decode(errors="replace")
    return ANSI.sub("", seen.decode("utf-8", errors="replace")).replace("\r", "\n")


@pytest.fixture(scope="module")
def slow_refs(tmp_path_factory):
    """Three copies of a 6,000-entry BibTeX file: reading them takes seconds (the same works, so
    writing them does not take three times as long)."""
    from bench.files import bibtex

    folder = tmp_path_factory.mktemp("slow")
    first = bibtex(folder / "refs-1.bib", 6_000)
    for n in (2, 3):
        (folder / f"refs-{n}.bib").write_bytes(first.read_bytes())
    return [str(folder / f"refs-{n}.bib") for n in (1, 2, 3)]


@pytest.mark.slow
def test_a_slow_load_shows_a_bar_on_a_terminal_and_none_with_quiet_or_piped(slow_refs, tmp_path):
    shown = run_on_a_terminal(["--db", str(tmp_path / "a.db"), "load", "refs", *slow_refs])
    bars = [line for line in shown.splitlines() if BAR.search(line)]
    assert bars, shown
    assert " 100% " in bars[-1]  # the bar ends full
    # writing the same works three times over may end within the second a bar waits: shown at once
    shown = run_on_a_terminal(["--db", str(tmp_path / "w.db"), "load", "refs", *slow_refs], THEMEGRAPH_PROGRESS_AFTER="0")
    assert any(WRITING.search(line) for line in shown.splitlines()), shown
    quiet = run_on_a_terminal(["--db", str(tmp_path / "b.db"), "--quiet", "load", "refs", *slow_refs])
    assert "━" not in quiet and "wrote " in quiet
    piped = subprocess.run([sys.executable, "-m", "themegraph", "--db", str(tmp_path / "c.db"), "load", "refs",
                            *slow_refs], capture_output=True, text=True, timeout=600)
    assert piped.returncode == 0 and "━" not in piped.stderr and "wrote " in piped.stderr


# --- warnings ------------------------------------------------------------------------------------------

RIS = [f"refs.ris, record {i} (line {i * 14}): keyword continuation line 'term {i}' read as a keyword"
       for i in range(1, 2_050)]


def test_repeated_warnings_of_one_kind_show_three_and_count_the_rest():
    lines = summarise(RIS)
    assert lines == [f"Warning: {w}" for w in RIS[:3]] + [
        "Warning: ... and 2,046 more like this; --verbose lists them"]


def test_verbose_lists_every_warning():
    assert summarise(RIS, verbose=True) == [f"Warning: {w}" for w in RIS]


def test_kinds_are_summarised_separately_in_order_of_first_appearance():
    keys = [f"refs.bib:{n}: duplicate key 'k{n}' (first at refs.bib:{n - 1}); entry skipped" for n in range(10, 15)]
    mixed = [RIS[0], keys[0], RIS[1], keys[1], keys[2], keys[3], RIS[2], keys[4], "refs.bib:3: entry 'x' has no year"]
    assert summarise(mixed) == [
        f"Warning: {RIS[0]}", f"Warning: {RIS[1]}", f"Warning: {RIS[2]}",
        f"Warning: {keys[0]}", f"Warning: {keys[1]}", f"Warning: {keys[2]}",
        "Warning: ... and 2 more like this; --verbose lists them",
        "Warning: refs.bib:3: entry 'x' has no year",
    ]


def test_a_warning_kind_leaves_out_the_place_and_the_values():
    assert warning_kind(RIS[0]) == warning_kind(RIS[1_000]) == "keyword continuation line … read as a keyword"
    assert warning_kind("refs.bib:3: entry 'x' has no year") != warning_kind("refs.bib:3: entry 'x' has no title")


def test_the_cli_summarises_warnings_unless_verbose(tmp_path):
    bib = tmp_path / "refs.bib"
    bib.write_text("".join(f"@article{{same,\n  title = {{Title {i}}},\n  author = {{Doe, J.}},\n  year = {{2001}}\n}}\n\n"
                           for i in range(6)), encoding="utf-8")
    runner = CliRunner()

    def warnings(*options):  # a fresh database each time: an unchanged file is not read again
        db = tmp_path / f"kb{len(options)}{options[0] if options else ''}.db"
        result = runner.invoke(app, ["--db", str(db), *options, "load", "refs", str(bib)])
        assert result.exit_code == 0, result.output
        return [line for line in result.stderr.splitlines() if line.startswith("Warning:")]

    every = warnings("--verbose")  # the five entries after the first repeat its key (whatever the reader says of it)
    assert [line.split(": ")[1].removeprefix(f"{bib}:") for line in every] == ["7", "13", "19", "25", "31"]
    assert warnings("--quiet") == every[:3] + ["Warning: ... and 2 more like this; --verbose lists them"]


# --- start-up ------------------------------------------------------------------------------------------

HEAVY = ("pandas", "pyarrow", "networkx", "matplotlib", "numpy", "neo4j", "ladybug")


def modules_after(args: list[str]) -> list[str]:
    """Which heavy libraries a fresh interpreter has imported after running the CLI with ``args``."""
    code = ("import sys\nfrom themegraph.cli import app\n"
            f"try:\n    app({args!r})\nexcept SystemExit:\n    pass\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return eval(out.stdout.strip().splitlines()[-1])


def test_help_imports_no_heavy_library():
    assert modules_after(["--help"]) == []


def test_stats_on_the_embedded_store_imports_only_ladybug(tmp_path):
    db = str(tmp_path / "kb.db")
    subprocess.run([sys.executable, "-m", "themegraph", "--db", db, "--quiet", "load", "study", str(EXAMPLE)],
                   check=True, capture_output=True)
    assert modules_after(["--db", db, "stats"]) == ["ladybug"]
