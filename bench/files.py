"""Seeded input files on disk for the CLI benchmarks: what users hand to ``themegraph load``.

Study bundles, reference files (BibTeX, RIS, CSL-JSON), REFI-QDA projects and papers, each of a
given size.  The same seed and size always give byte-identical files, so two runs measure the same
work; sizes double from one to the next so that the cost of doubling can be read off.
"""

from __future__ import annotations

import json
import random
import zipfile
from pathlib import Path

WORDS = ("alliance", "trust", "coercion", "goals", "tasks", "bonds", "therapy", "risk", "power", "choice",
         "motivation", "engagement", "offender", "role", "support", "training", "genuine", "change", "ward",
         "rules", "hope", "fear", "honesty", "control", "care", "team", "family", "future", "safety", "voice")
FAMILIES = ("Smith", "García", "Müller", "Okafor", "Nguyen", "Kowalski", "O'Brien", "Haddad", "Rossi", "Tanaka",
            "Johansson", "Silva", "Dubois", "Novak", "Khan", "Ward", "Marshall", "Bordin", "Horvath", "Ross")
GIVENS = ("Anna", "Ben", "Chidi", "Dana", "Elif", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kemi", "Luis")
JOURNALS = ("Journal of Forensic Psychology", "Psychotherapy Research", "Qualitative Health Research",
            "Sexual Abuse", "Counselling Psychology Quarterly")


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',;"\n') else text


def _write_csv(path: Path, header: list[str], rows) -> int:
    n = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(header) + "\n")
        for row in rows:
            out.write(",".join(_csv_cell(str(v)) for v in row) + "\n")
            n += 1
    return n


def study_bundle(folder: Path, rows: int, *, study: str = "bench", seed: int = 15, variant: int = 0) -> Path:
    """A study bundle of ``rows`` CSV data rows: half codebook placements, half extracts, each
    extract coded with one code and illustrating one theme, plus participants and themes.csv.

    The shape follows the worked example (232 codes under 20 emerging and 5 final themes; 57
    extracts by 11 participants), scaled: one emerging theme per 12 codes, four emerging themes
    per final one, one participant per 50 extracts.  ``variant`` changes one extract's text (a
    changed study, for re-load measurements).
    """
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    codes, extracts = rows // 2, rows - rows // 2
    emerging = max(1, codes // 12)
    final = max(1, emerging // 4)
    people = max(1, extracts // 50)
    (folder / "study.yaml").write_text(
        f"id: {study}\ntitle: Generated study of {rows:,} rows\nyear: 2020\n"
        "design: qualitative thematic analysis\n", encoding="utf-8")
    theme_of = [f"Emerging {i} {rng.choice(WORDS)}" for i in range(emerging)]
    final_of = [f"Final {i} {rng.choice(WORDS)}" for i in range(final)]
    code_names = [f"{rng.choice(WORDS)} {rng.choice(WORDS)} {i}" for i in range(codes)]
    _write_csv(folder / "codebook.csv", ["code", "emerging_theme", "final_theme", "description"],
               ((name, theme_of[i % emerging], final_of[(i % emerging) % final], _words(rng, 8))
                for i, name in enumerate(code_names)))
    _write_csv(folder / "themes.csv", ["theme", "level", "description"],
               [(t, "emerging", _words(rng, 12)) for t in theme_of] + [(t, "final", _words(rng, 12)) for t in final_of])
    _write_csv(folder / "participants.csv", ["id", "pseudonym", "profession"],
               ((f"P{i:04d}", f"Person {i}", rng.choice(("nurse", "psychologist", "psychiatrist"))) for i in range(people)))

    def extract_rows():
        for i in range(extracts):
            text = _words(rng, 25) + (f" (revision {variant})" if i == 0 and variant else "")
            code = code_names[(i * 7) % codes]
            yield (f"E{i:06d}", f"P{i % people:04d}", theme_of[(i * 7) % codes % emerging], code, text,
                   "Results", 1 + i // 40)

    _write_csv(folder / "extracts.csv", ["id", "participant", "themes", "codes", "text", "section", "page"], extract_rows())
    return folder


def _surnames(n: int = 4_000, seed: int = 7) -> list[str]:
    """``n`` made-up surnames of two or three syllables: a reference list of thousands of works has
    thousands of distinct first authors, and a pool of twenty would make every lookup by surname
    scan a long list (a cost real files do not have)."""
    rng = random.Random(seed)
    syllables = [c + v for c in "bdfghklmnprstvz" for v in "aeiou"]
    names = set()
    while len(names) < n:
        names.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 3))).capitalize())
    return sorted(names)


SURNAMES = _surnames()


def _people(rng: random.Random) -> list[tuple[str, str]]:
    """One to four authors; one in five with a real-world surname (accents, apostrophes)."""
    return [(rng.choice(FAMILIES) if rng.random() < 0.2 else rng.choice(SURNAMES), rng.choice(GIVENS))
            for _ in range(rng.randint(1, 4))]


def _entries(n: int, seed: int):
    rng = random.Random(seed)
    for i in range(n):
        yield dict(key=f"ref{i:06d}", authors=_people(rng), year=1960 + rng.randrange(64),
                   title=f"{_words(rng, 6).capitalize()} {i}", journal=rng.choice(JOURNALS),
                   volume=rng.randint(1, 60), pages=f"{rng.randint(1, 400)}-{rng.randint(401, 900)}",
                   doi=f"10.{rng.randint(1000, 9999)}/bench.{i}", keywords=[_words(rng, 2) for _ in range(3)])


def bibtex(path: Path, n: int, seed: int = 15) -> Path:
    """``n`` BibTeX @article entries."""
    with path.open("w", encoding="utf-8") as out:
        for e in _entries(n, seed):
            authors = " and ".join(f"{f}, {g}" for f, g in e["authors"])
            out.write(f"@article{{{e['key']},\n  author = {{{authors}}},\n  title = {{{e['title']}}},\n"
                      f"  journal = {{{e['journal']}}},\n  year = {{{e['year']}}},\n  volume = {{{e['volume']}}},\n"
                      f"  pages = {{{e['pages'].replace('-', '--')}}},\n  doi = {{{e['doi']}}},\n"
                      f"  keywords = {{{', '.join(e['keywords'])}}}\n}}\n\n")
    return path


def ris(path: Path, n: int, seed: int = 15) -> Path:
    """``n`` RIS JOUR records."""
    with path.open("w", encoding="utf-8") as out:
        for e in _entries(n, seed):
            lines = ["TY  - JOUR", *(f"AU  - {f}, {g}" for f, g in e["authors"]), f"TI  - {e['title']}",
                     f"T2  - {e['journal']}", f"PY  - {e['year']}", f"VL  - {e['volume']}",
                     f"SP  - {e['pages'].split('-')[0]}", f"EP  - {e['pages'].split('-')[1]}", f"DO  - {e['doi']}",
                     *(f"KW  - {k}" for k in e["keywords"]), f"ID  - {e['key']}", "ER  - "]
            out.write("\n".join(lines) + "\n\n")
    return path


def csl_json(path: Path, n: int, seed: int = 15) -> Path:
    """``n`` CSL-JSON article-journal items."""
    items = [{"id": e["key"], "type": "article-journal", "title": e["title"], "container-title": e["journal"],
              "author": [{"family": f, "given": g} for f, g in e["authors"]], "issued": {"date-parts": [[e["year"]]]},
              "volume": str(e["volume"]), "page": e["pages"], "DOI": e["doi"], "keyword": ", ".join(e["keywords"])}
             for e in _entries(n, seed)]
    path.write_text(json.dumps(items, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


REFERENCE_WRITERS = {"bib": bibtex, "ris": ris, "json": csl_json}

_GUID = "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}"


def _guid(space: int, i: int) -> str:
    return _GUID.format(space, i >> 48 & 0xFFFF, i >> 36 & 0xFFF, i >> 24 & 0xFFF, i & 0xFFFFFFFFFFFF)


def qdpx(path: Path, selections: int, *, text_bytes: int | None = None, seed: int = 15) -> Path:
    """A REFI-QDA project (.qdpx) with ``selections`` coded text selections spread over sources
    of about 25 selections each, a code tree of one code per 10 selections under themes, users and
    cases.  ``text_bytes`` sets the sources' total size (default 600 bytes per selection)."""
    rng = random.Random(seed)
    per_source = 25
    n_sources = max(1, selections // per_source)
    text_bytes = text_bytes or selections * 600
    source_len = max(per_source * 80, text_bytes // n_sources)
    n_codes = max(10, selections // 10)
    n_themes = max(2, n_codes // 20)
    ns = "urn:QDA-XML:project:1.0"
    xml = [f'<?xml version="1.0" encoding="UTF-8"?>\n<Project xmlns="{ns}" name="bench" origin="ThemeGraph bench">',
           f' <Users><User guid="{_guid(1, 1)}" name="coder"/></Users>', " <CodeBook><Codes>"]
    for t in range(n_themes):
        xml.append(f'  <Code guid="{_guid(2, t)}" name="Theme {t} {rng.choice(WORDS)}" isCodable="false">')
        for c in range(t, n_codes, n_themes):
            xml.append(f'   <Code guid="{_guid(3, c)}" name="{rng.choice(WORDS)} {c}" isCodable="true"/>')
        xml.append("  </Code>")
    xml.append(" </Codes></CodeBook>\n <Cases>")
    for s in range(n_sources):
        xml.append(f'  <Case guid="{_guid(4, s)}" name="Participant {s}"><SourceRef targetGUID="{_guid(5, s)}"/></Case>')
    xml.append(" </Cases>\n <Sources>")
    texts = {}
    made = 0
    for s in range(n_sources):
        words, starts, size = [], [], 0
        while size < source_len:
            w = rng.choice(WORDS)
            words.append(w)
            starts.append(size)
            size += len(w) + 1
        text = " ".join(words)
        texts[_guid(5, s)] = text
        xml.append(f'  <TextSource guid="{_guid(5, s)}" name="Interview {s}" '
                   f'plainTextPath="internal://{_guid(5, s)}.txt" creatingUser="{_guid(1, 1)}">')
        count = per_source if s < n_sources - 1 else selections - made
        step = max(1, len(words) // max(1, count))
        for k in range(count):  # whole words: from word k * step, half the way to the next selection
            first = min(k * step, len(words) - 1)
            last = min(len(words) - 1, first + max(0, step // 2 - 1))
            start, end = starts[first], starts[last] + len(words[last])
            g = made + k
            xml.append(f'   <PlainTextSelection guid="{_guid(6, g)}" startPosition="{start}" endPosition="{end}">'
                       f'<Coding guid="{_guid(7, g)}" creatingUser="{_guid(1, 1)}"><CodeRef targetGUID="{_guid(3, g % n_codes)}"/>'
                       "</Coding></PlainTextSelection>")
        made += count
        xml.append("  </TextSource>")
    xml.append(" </Sources>\n</Project>\n")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("project.qde", "\n".join(xml))
        for guid, text in texts.items():
            z.writestr(f"sources/{guid}.txt", text)
    return path


def paper(path: Path, citations: int, refs: Path, *, seed: int = 15) -> Path:
    """A paper's text with ``citations`` in-text citations (author-year) of the works in the
    BibTeX file ``refs`` written by ``bibtex`` with the same seed: one citation per sentence."""
    rng = random.Random(seed)
    entries = list(_entries(max(1, citations // 4), seed))
    sentences = ["Introduction\n"]
    for i in range(citations):
        e = entries[i % len(entries)]
        fams = [f for f, _ in e["authors"]]
        who = fams[0] if len(fams) == 1 else (f"{fams[0]} and {fams[1]}" if len(fams) == 2 else f"{fams[0]} et al.")
        sentences.append(f"{_words(rng, 12).capitalize()} ({who}, {e['year']}).")
        if i % 40 == 39:
            sentences.append("\nDiscussion\n")
    path.write_text(" ".join(sentences) + "\n", encoding="utf-8")
    bibtex(refs, len(entries), seed)
    return path
