"""The doors users use: ``themegraph load ...`` in a subprocess, on files on disk, against the
parser and the database doing nothing else, measured in the same run.

For each loader: three or more input sizes, each double the one before.  A load's time includes
the process start-up, reading the files, building the batch and writing it; the *fixed* cost (a
load of the smallest input of that format into a fresh database) is taken off before the cost
of doubling is read: ``(t(2n) - fixed) / (t(n) - fixed) <= 2.2`` is linear enough.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from bench import files
from bench.raw import raw_copy, rows_in, stored_tables

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "mandatory-therapy"
THEMEGRAPH = [sys.executable, "-m", "themegraph"]
TIMEOUT = float(os.environ.get("THEMEGRAPH_BENCH_TIMEOUT", "600"))
#: What a "second" is: "cpu" (default) counts the CPU time (user + system) of the load's process
#: and of the baselines' process, every thread included; "wall" counts elapsed time.  On a machine
#: shared with other work, elapsed time measures the others as much as the load (a 2-row load
#: was seen taking 4 s or 19 s depending on them); CPU time does not wait for them.
CLOCK = os.environ.get("THEMEGRAPH_BENCH_CLOCK", "cpu")

#: Input sizes per corpus size: study bundle rows, reference entries, REFI-QDA selections (and
#: the project's text in MB), paper citations, and the store-level corpus for the re-load of one
#: changed study.
SIZES = {
    # each smallest size costs over 0.5 s more than a load's fixed cost, so doubling can be read
    "S": dict(study=(10_000, 20_000, 40_000), refs=(3_500, 7_000, 14_000), qdpx=(2_500, 5_000, 10_000), qdpx_mb=None,
              paper=(4_000, 8_000, 16_000), corpus="XS"),
    "M": dict(study=(12_500, 25_000, 50_000), refs=(1_750, 3_500, 7_000), qdpx=(5_000, 10_000, 20_000), qdpx_mb=None,
              paper=(2_000, 4_000, 8_000), corpus="M"),
    "L": dict(study=(25_000, 50_000, 100_000), refs=(7_000, 14_000, 28_000), qdpx=(5_000, 10_000, 20_000), qdpx_mb=50,
              paper=(4_000, 8_000, 16_000), corpus="L"),
}
LINEAR = 2.2
#: Each size is loaded this many times (into a fresh database each time) and the fastest kept:
#: on a shared machine one slow run would otherwise read as non-linear cost.
REPEAT = int(os.environ.get("THEMEGRAPH_BENCH_REPEAT", "2"))


class Table:
    """The rows of the CLI table, printed to stderr as they are measured."""

    def __init__(self):
        self.rows: list[dict] = []

    def add(self, measure, size="", value=None, unit="", baseline=None, ratio=None, target="", ok=None, note=""):
        met = "" if ok is None else ("yes" if ok else "NO")
        self.rows.append(dict(measure=measure, size=size, value=value, unit=unit, baseline=baseline, ratio=ratio,
                              target=target, met=met + (f" ({note})" if note else "")))
        shown = "failed" if value is None else f"{value:,.3f} {unit}"
        print(f"  {measure} [{size}]: {shown}" + (f" (ratio {ratio:.2f})" if ratio is not None else ""), file=sys.stderr)


class Failed(RuntimeError):
    """A CLI run that exited non-zero: its last stderr line says why."""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def clock() -> float:
    """This process's clock for the in-process baselines (see CLOCK)."""
    return time.process_time() if CLOCK == "cpu" else time.perf_counter()


#: User-mode CPU seconds of each CLI run, by database path: the kernel's share of a run (system
#: time: mostly page faults as the process and Ladybug's buffer pool grow) varies run to run by
#: more than the load itself does, so the cost of doubling is also read from user time alone.
USER_SECONDS: dict[Path, float] = {}


def cli(db: Path, *args: str) -> float:
    """Seconds (see CLOCK) of one ``themegraph --db DB --quiet ARGS`` run; Failed if it exits non-zero."""
    start, cpu = time.perf_counter(), _children_cpu()
    user = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    try:
        done = subprocess.run([*THEMEGRAPH, "--db", str(db), "--quiet", *args], capture_output=True, text=True,
                              timeout=TIMEOUT, cwd=ROOT)
    except subprocess.TimeoutExpired as exc:
        raise Failed(f"timed out after {TIMEOUT:.0f} s") from exc
    elapsed = time.perf_counter() - start if CLOCK == "wall" else _children_cpu() - cpu
    USER_SECONDS[db] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - user
    if done.returncode:
        lines = [ln for ln in done.stderr.strip().splitlines() if ln.strip()]
        raise Failed(lines[-1][:160] if lines else f"exit {done.returncode}")
    return elapsed


class Work:
    """Fresh paths under one temporary folder."""

    def __init__(self, root: Path):
        self.root, self.n = root, 0
        root.mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> Path:
        self.n += 1
        return self.root / f"{self.n:03d}-{name}"


def _fresh(work: Work, name: str, src, prepare) -> Path:
    """A new database path, prepared (untimed) by ``prepare(db, src)`` when given."""
    db = work.path(name)
    if prepare:
        prepare(db, src)
    return db


class Fixed(float):
    """A fixed cost in seconds (see CLOCK) that also knows its user-mode share (``user``)."""

    user: float


def fixed_cost(work: Work, make, args_of, runs: int = 3, prepare=None) -> Fixed:
    """Seconds of loading the smallest input of a format (size 2) into a fresh database: start-up,
    opening the database, one commit.  The fastest of ``runs``."""
    src = make(work.path("tiny"), 2)
    dbs = [_fresh(work, "fixed.db", src, prepare) for _ in range(runs)]
    t, db = min((cli(db, *args_of(src)), db) for db in dbs)
    fixed = Fixed(t)
    fixed.user = USER_SECONDS[db]
    return fixed


def scaling(table: Table, work: Work, label: str, unit: str, sizes, make, args_of, fixed: Fixed,
            prepare=None) -> list:
    """Load each size into a fresh database (first given what ``prepare(db, input)`` puts there);
    one row per size and one for the cost of doubling.  Returns [(size, seconds, input path,
    database path)] of the sizes that loaded."""
    done = []
    for n in sizes:
        src = make(work.path(f"{label}-{n}"), n)
        try:
            runs = []
            for _ in range(REPEAT):
                db = _fresh(work, f"{label}-{n}.db", src, prepare)
                runs.append((cli(db, *args_of(src)), db))
            t, db = min(runs)
        except Failed as exc:
            table.add(f"{label}: load", f"{n:,} {unit}", note=str(exc), ok=False)
            continue
        table.add(f"{label}: load", f"{n:,} {unit}", n / t, f"{unit}/s",
                  note=f"{t:.2f} s, of which user {USER_SECONDS[db]:.2f} s")
        done.append((n, t, src, db))
    steps = [(t2 - fixed) / max(t1 - fixed, 1e-3) for (_, t1, _, _), (_, t2, _, _) in zip(done, done[1:])]
    users = [USER_SECONDS[db] - fixed.user for *_, db in done]
    user_steps = ", ".join(f"{u2 / max(u1, 1e-3):.2f}x" for u1, u2 in zip(users, users[1:]))
    if len(done) >= 3 and min(t for _, t, _, _ in done) - fixed < 0.5:
        table.add(f"{label}: cost of doubling the input (fixed {fixed:.2f} s taken off)",
                  " -> ".join(f"{n:,}" for n, *_ in done), note="the smallest size costs under 0.5 s more than the "
                  "fixed cost: too little to read a ratio from; give larger sizes")
    elif len(done) >= 3:
        worst = max(steps)
        table.add(f"{label}: cost of doubling the input (fixed {fixed:.2f} s taken off)",
                  " -> ".join(f"{n:,}" for n, *_ in done), worst, "x", ratio=None,
                  target=f"<= {LINEAR}x", ok=worst <= LINEAR,
                  note=", ".join(f"{s:.2f}x" for s in steps) + f"; user time alone: {user_steps}")
    else:
        table.add(f"{label}: cost of doubling the input", note="fewer than three sizes loaded", ok=False)
    return done


def reload_unchanged(table: Table, label: str, src, db: Path, args_of, fixed: float) -> None:
    """Load the same file again into the database that holds it: start-up plus at most 0.5 s."""
    try:
        t = cli(db, *args_of(src))
    except Failed as exc:
        table.add(f"{label}: re-load of the unchanged file", note=str(exc), ok=False)
        return
    table.add(f"{label}: re-load of the unchanged file", "", t, "s", baseline=fixed,
              target="<= start-up + 0.5 s", ok=t <= fixed + 0.5, note=f"{t - fixed:+.2f} s over the fixed cost")


def best_of(run) -> float:
    """The fastest of REPEAT calls of ``run`` (seconds): baselines are measured as the loads are."""
    return min(run() for _ in range(REPEAT))


def timed(fn):
    start = clock()
    out = fn()
    return clock() - start, out


# --- study bundles --------------------------------------------------------------------------------------


def bench_study(table: Table, work: Work, sizes, target_rows: int = 100_000) -> None:
    import pyarrow.csv as pcsv

    def make(path, n):
        return files.study_bundle(path, n)

    args_of = lambda folder: ("load", "study", str(folder))  # noqa: E731
    fixed = fixed_cost(work, make, args_of)
    done = scaling(table, work, "load study", "rows", sizes, make, args_of, fixed)
    if not done:
        return
    n, t, folder, db = done[-1]
    read = best_of(lambda: timed(lambda: [pcsv.read_csv(f) for f in sorted(folder.glob("*.csv"))])[0])
    nodes, rels = stored_tables(db)
    copy = best_of(lambda: raw_copy(work.path("raw-study.db"), nodes, rels, clock))
    base = read + copy
    table.add("load study vs pyarrow CSV read + raw COPY of the same rows", f"{n:,} rows", t, "s",
              baseline=base, ratio=base / t, target=f">= 0.5 (at {target_rows:,} rows)",
              ok=(base / t >= 0.5) if n >= target_rows else None,
              note=f"{rows_in(nodes, rels):,} rows stored; read {read:.2f} s + COPY {copy:.2f} s")
    reload_unchanged(table, "load study", folder, db, args_of, fixed)


def bench_changed_study(table: Table, work: Work, corpus_size: str, rows: int = 1_600) -> None:
    """Re-load one changed study in a knowledge base of the store-level corpus vs loading it into
    an empty one: at most 3x."""
    from bench.corpus import build_chunks
    from themegraph.graph.open import open_store

    v0 = files.study_bundle(work.path("study-v0"), rows, study="changed")
    v1 = files.study_bundle(work.path("study-v1"), rows, study="changed", variant=1)
    try:
        empty = cli(work.path("empty.db"), "load", "study", str(v0))
        kb = work.path(f"corpus-{corpus_size}.db")
        print(f"  building the store-level corpus {corpus_size} ...", file=sys.stderr)
        with open_store(db=str(kb)) as store:
            for chunk in build_chunks(corpus_size):
                store.apply_many(chunk)
        cli(kb, "load", "study", str(v0))
        changed = cli(kb, "load", "study", str(v1))
    except Failed as exc:
        table.add(f"re-load of one changed study in corpus {corpus_size}", note=str(exc), ok=False)
        return
    table.add(f"re-load of one changed study ({rows:,} rows) in a knowledge base of corpus {corpus_size}", "",
              changed, "s", baseline=empty, ratio=changed / empty, target="<= 3x its load into an empty one",
              ok=changed <= 3 * empty)


# --- reference files ------------------------------------------------------------------------------------


def _parse_bib(path):
    import logging

    import bibtexparser

    logging.getLogger("bibtexparser").setLevel(logging.ERROR)  # its notes on bad blocks: not ours to print
    return len(bibtexparser.parse_string(path.read_text(encoding="utf-8")).entries)


def _parse_ris(path):
    import rispy

    return len(rispy.loads(path.read_text(encoding="utf-8")))


def _parse_json(path):
    return len(json.loads(path.read_text(encoding="utf-8")))


PARSERS = {"bib": ("bibtexparser", _parse_bib), "ris": ("rispy", _parse_ris), "json": ("json", _parse_json)}


def _marginal(parse_t: float, t: float, fixed: float) -> str:
    """The ratio with the load's fixed cost (start-up, opening the database) taken off: what the
    loader itself reaches against the parser, which pays no start-up in the bench's process.  A
    load that costs little more than the fixed cost has no such ratio (it would divide by noise)."""
    if t - fixed < 0.1 * t:
        return f"the load is all fixed cost ({fixed:.2f} s): no ratio without it"
    return f"{parse_t / (t - fixed):.2f} with the fixed {fixed:.2f} s taken off"


def bench_refs(table: Table, work: Work, sizes) -> None:
    for ext, writer in files.REFERENCE_WRITERS.items():
        def make(path, n, writer=writer, ext=ext):
            return writer(path.with_suffix(f".{ext}"), n)

        args_of = lambda f: ("load", "refs", str(f))  # noqa: E731
        label = f"load refs .{ext}"
        fixed = fixed_cost(work, make, args_of)
        done = scaling(table, work, label, "entries", sizes, make, args_of, fixed)
        if not done:
            continue
        n, t, src, db = done[-1]
        name, parse = PARSERS[ext]
        parse_t = min(timed(lambda: parse(src))[0] for _ in range(3))
        table.add(f"{label} vs {name} parsing the same file", f"{n:,} entries", n / t, "entries/s",
                  baseline=n / parse_t, ratio=parse_t / t, target=">= 0.3", ok=parse_t / t >= 0.3,
                  note=_marginal(parse_t, t, fixed))
        refs_limit(table, work, label, name, n, db, parse_t)
        if ext == "bib":
            at = [(m, tm) for m, tm, *_ in done if m >= 7_000]
            if at:
                m, tm = at[0]
                table.add("load refs .bib, 7,000-entry file", f"{m:,} entries", m / tm, "entries/s",
                          target=">= 2,000 entries/s", ok=m / tm >= 2_000)
        reload_unchanged(table, label, src, db, args_of, fixed)


def refs_limit(table: Table, work: Work, label: str, parser: str, n: int, db: Path, parse_t: float) -> None:
    """The most any load of the file can reach against its parser: one that parses it with that
    parser and then only COPYs the rows ``load refs`` stored into raw Ladybug (no start-up, no
    checks, no merging).  Below 0.3, the target is above the physical limit of the path; the
    note adds what a bare interpreter costs before it can COPY at all."""
    nodes, rels = stored_tables(db)
    copy = best_of(lambda: raw_copy(work.path("raw-refs.db"), nodes, rels, clock))
    limit = parse_t / (parse_t + copy)
    bare = _bare_startup()
    table.add(f"{label}: the limit, {parser} + raw COPY of the same rows, vs {parser} alone", f"{n:,} entries",
              n / (parse_t + copy), "entries/s", baseline=n / parse_t, ratio=limit,
              note=f"parse {parse_t:.2f} s + COPY of {rows_in(nodes, rels):,} rows {copy:.2f} s; with the start-up "
                   f"of a bare interpreter importing ladybug and pyarrow ({bare:.2f} s): "
                   f"{parse_t / (parse_t + copy + bare):.2f}")


def _bare_startup() -> float:
    """CPU seconds of ``python -c 'import ladybug, pyarrow'``: what any loading process pays first."""
    def run():
        cpu = _children_cpu()
        subprocess.run([sys.executable, "-c", "import ladybug, pyarrow"], check=True, cwd=ROOT)
        return _children_cpu() - cpu
    return best_of(run)


def bench_real_refs(table: Table, work: Work, paths: list[Path]) -> None:
    """``load refs`` of real reference files (``--refs-file``): throughput against the parser on the
    same file, and the re-load of the unchanged file."""
    for src in paths:
        ext = {".bib": "bib", ".ris": "ris"}.get(src.suffix.lower(), "json")
        name, parse = PARSERS[ext]
        entries = parse(src)
        args_of = lambda f: ("load", "refs", str(f))  # noqa: E731
        writer = files.REFERENCE_WRITERS[ext]
        fixed = fixed_cost(work, lambda path, n, writer=writer, ext=ext: writer(path.with_suffix(f".{ext}"), n), args_of)
        db = work.path(f"{src.stem}.db")
        try:
            t = min(cli(work.path(f"{src.stem}.db") if i else db, *args_of(src)) for i in range(REPEAT))
        except Failed as exc:
            table.add(f"load refs {src.name}", note=str(exc), ok=False)
            continue
        parse_t = min(timed(lambda: parse(src))[0] for _ in range(3))
        table.add(f"load refs {src.name} (real) vs {name}", f"{entries:,} entries", entries / t, "entries/s",
                  baseline=entries / parse_t, ratio=parse_t / t, target=">= 0.3", ok=parse_t / t >= 0.3,
                  note=f"{t:.2f} s; {_marginal(parse_t, t, fixed)}")
        refs_limit(table, work, f"load refs {src.name}", name, entries, db, parse_t)
        reload_unchanged(table, f"load refs {src.name}", src, db, args_of, fixed)


# --- REFI-QDA projects ----------------------------------------------------------------------------------


def bench_qdpx(table: Table, work: Work, sizes, megabytes: int | None) -> None:
    from lxml import etree

    largest = max(sizes)

    def make(path, n):
        text = megabytes * 1_000_000 * n // largest if megabytes else None
        return files.qdpx(path.with_suffix(".qdpx"), n, text_bytes=text)

    args_of = lambda f: ("load", "qdpx", str(f), "--study", "project")  # noqa: E731
    fixed = fixed_cost(work, make, args_of)
    done = scaling(table, work, "load qdpx", "selections", sizes, make, args_of, fixed)
    if not done:
        return
    n, t, src, db = done[-1]

    def parse():
        with zipfile.ZipFile(src) as z:
            etree.fromstring(z.read("project.qde"))
            return sum(len(z.read(i)) for i in z.infolist() if i.filename.startswith("sources/"))

    text_bytes = parse()
    read = best_of(lambda: timed(parse)[0])
    nodes, rels = stored_tables(db)
    copy = best_of(lambda: raw_copy(work.path("raw-qdpx.db"), nodes, rels, clock))
    base = read + copy
    table.add("load qdpx vs lxml parse (and unzip) + raw COPY of the same rows",
              f"{n:,} selections, {text_bytes / 1e6:.0f} MB text ({src.stat().st_size / 1e6:.1f} MB zipped)", t, "s",
              baseline=base, ratio=base / t, target=">= 0.3 (at 20,000 selections, 50 MB)",
              ok=(base / t >= 0.3) if n >= 20_000 and text_bytes >= 50e6 else None,
              note=f"{rows_in(nodes, rels):,} rows; parse {read:.2f} s + COPY {copy:.2f} s")
    reload_unchanged(table, "load qdpx", src, db, args_of, fixed)


# --- papers ---------------------------------------------------------------------------------------------


def bench_paper(table: Table, work: Work, sizes) -> None:
    """``load paper`` of papers with more and more citations, into a database holding the study."""
    def make(path, n):
        path.mkdir()
        return files.paper(path / "paper.txt", n, path / "refs.bib")

    def args_of(paper):
        return ("load", "paper", str(paper), "--study", "mandatory-therapy", "--refs", str(paper.parent / "refs.bib"))

    def with_study_and_refs(db, paper):  # as users do: the study, then its reference list, then the paper
        cli(db, "load", "study", str(EXAMPLE))
        cli(db, "load", "refs", str(paper.parent / "refs.bib"))

    fixed = fixed_cost(work, make, args_of, prepare=with_study_and_refs)
    scaling(table, work, "load paper", "citations", sizes, make, args_of, fixed, prepare=with_study_and_refs)


# --- start-up -------------------------------------------------------------------------------------------


def import_ms(args: list[str]) -> float:
    """Milliseconds of imports (``-X importtime``, top-level modules summed) of one CLI run."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "themegraph", *args],
                          capture_output=True, text=True, cwd=ROOT)
    return sum(int(m.group(1)) for m in re.finditer(r"import time:\s+\d+ \|\s+(\d+) \| (\S)", done.stderr)) / 1000


def bench_startup(table: Table, work: Work, runs: int = 5) -> None:
    db = work.path("example.db")
    cli(db, "load", "study", str(EXAMPLE))
    for label, args in (("themegraph --help", ["--help"]), ("themegraph stats (the example)", ["--db", str(db), "stats"])):
        imports = min(import_ms(args) for _ in range(runs))
        whole = []
        for _ in range(runs):
            start, cpu = time.perf_counter(), _children_cpu()
            subprocess.run([*THEMEGRAPH, *args], capture_output=True, cwd=ROOT)
            whole.append((time.perf_counter() - start, _children_cpu() - cpu))
        wall, cpu = min(w for w, _ in whole), min(c for _, c in whole)
        table.add(f"start-up: {label}, CPU time of the whole run (best of {runs})", "", cpu, "s",
                  target="<= 0.5 s", ok=cpu <= 0.5,
                  note=f"imports {imports / 1000:.2f} s by -X importtime (elapsed, so inflated by other work); "
                       f"whole run {wall:.2f} s elapsed")


PARTS = ("startup", "real", "study", "refs", "qdpx", "paper", "changed")


def run(size: str, root: Path, skip=(), real_refs=()) -> Table:
    """Every CLI measurement for corpus size ``size``; files and databases under ``root``;
    ``real_refs``: reference files from elsewhere to measure too."""
    spec, table, work = SIZES[size], Table(), Work(root)
    steps = {
        "real": lambda: bench_real_refs(table, work, [Path(p) for p in real_refs]),
        "startup": lambda: bench_startup(table, work),
        "study": lambda: bench_study(table, work, spec["study"]),
        "refs": lambda: bench_refs(table, work, spec["refs"]),
        "qdpx": lambda: bench_qdpx(table, work, spec["qdpx"], spec["qdpx_mb"]),
        "paper": lambda: bench_paper(table, work, spec["paper"]),
        "changed": lambda: bench_changed_study(table, work, spec["corpus"]),
    }
    for part in PARTS:
        if part not in skip:
            print(f"CLI: {part} ...", file=sys.stderr)
            try:
                steps[part]()
            except Failed as exc:
                table.add(part, note=str(exc), ok=False)
    shutil.rmtree(root, ignore_errors=True)
    return table
