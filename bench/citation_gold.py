"""Gold lists of in-text citations, built from a manuscript's *source*, never from the extractor.

For each manuscript of the corpus (``tests/data/citations/manifest.yaml``) the source (R Markdown,
Markdown or LaTeX) is parsed by pandoc into its syntax tree, where every citation is a ``Cite``
element holding citation keys (``[@bordin1979; @horvath1993]``, ``@bordin1979``,
``\\citep{bordin1979}``).  Each key is resolved through the manuscript's own .bib (converted to
CSL-JSON by pandoc) to its first author's family name (or a body's literal name) and year.  Code
chunks, comments and YAML metadata are not text, so keys in them are not counted; a papaja
``cite_r()`` call counts every entry of the R-references file it names.

The gold then keeps only works that the *rendered* text really shows: a work whose first author's
name, followed closely by its year, is nowhere in a rendering's body (before its reference list) was cited in a part that was not
rendered there (an unevaluated chunk, a paragraph added after the PDF was made) and is listed under
``works_not_rendered`` for that rendering, which the scorer leaves out of its gold.

    .venv/bin/python -m bench.citation_gold CORPUS_DIR     # rewrites tests/data/citations/*.gold.json

Needs pandoc (>= 2.11) on PATH; the gold lists it writes are committed, so scoring does not.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parents[1] / "tests" / "data" / "citations"
MANIFEST = HERE / "manifest.yaml"
#: a knitr code chunk: its code is not text, and pandoc cannot parse its header
_CHUNK = re.compile(r"(?ms)^[ \t]*```+[ \t]*\{[A-Za-z][^\n]*\n.*?^[ \t]*```+[ \t]*$")
#: a reference-list heading (a PDF line number may follow it)
_REFERENCE_HEADING = re.compile(r"(?mi)^[ \t]*(?:#+\s*)?(?:references|bibliography)[ \t]*\d{0,4}[ \t]*$")


def fold(text: str) -> str:
    """Letters only, lower case, accents dropped: how names are compared across source and rendering."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isalpha()).lower()


def pandoc_json(args: list[str], text: str | None = None) -> object:
    """Run pandoc with ``args`` (JSON output) and parse what it prints."""
    done = subprocess.run(["pandoc", *args], input=text, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def bib_works(path: Path) -> dict[str, dict]:
    """``{key: {"names": [...], "year": "2016" or "n.d.", "title": ...}}`` of a .bib.

    ``names`` are the forms citeproc may print for the first author: the first author's family
    name (with a particle that does not drop) or a body's literal name; for an entry without
    authors, its first editor, its publisher (institution) and its title, in that order.
    """
    works = {}
    for entry in pandoc_json(["-f", "bibtex", "-t", "csljson", str(path)]):
        names = []
        for person in (entry.get("author") or entry.get("editor") or [])[:1]:
            name = person.get("family") or person.get("literal") or ""
            if person.get("non-dropping-particle"):
                name = f"{person['non-dropping-particle']} {name}"
            names.append(name)
        if not names:
            names = [n for n in (entry.get("publisher"), entry.get("title")) if n]
        issued = entry.get("issued") or {}
        parts = issued.get("date-parts") or [[]]
        year = str(parts[0][0]) if parts and parts[0] else (issued.get("literal") or "n.d.")
        works[entry["id"]] = {"names": names, "year": year, "title": entry.get("title", "")}
    return works


def _plain(inlines: list) -> str:
    """The text of a list of pandoc inlines (for headings)."""
    out = []
    for node in inlines:
        kind, content = node.get("t"), node.get("c")
        if kind == "Str":
            out.append(content)
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            out.append(" ")
        elif kind in ("Emph", "Strong", "SmallCaps", "Underline", "Strikeout", "Superscript", "Subscript"):
            out.append(_plain(content))
        elif kind in ("Quoted", "Span", "Link"):
            out.append(_plain(content[1]))
    return "".join(out)


def source_citations(source: Path) -> tuple[list[dict], bool, str | None]:
    """Every citation key of the source in order, with its mode and the heading above it;
    whether the source calls papaja's ``cite_r()``, and the heading above the list it prints."""
    # "##Heading" without a space was a heading for the pandoc that knitted older manuscripts
    reader = "latex" if source.suffix.lower() == ".tex" else "markdown-space_in_atx_header"
    text = source.read_text(encoding="utf-8")
    # where papaja's cite_r() list is printed: an inline `r cite_r(...)` or `r x` for x <- cite_r(...)
    cite_r_code = {"cite_r("} | {f"r {name}" for name in re.findall(r"(\w+)\s*(?:<-|=)\s*cite_r\(", text)}
    calls_cite_r = "cite_r(" in text
    if reader != "latex":  # knitr chunk headers ("```{r setup, include = FALSE}") are not pandoc syntax
        text = _CHUNK.sub("", text)
    tree = pandoc_json(["-f", reader, "-t", "json"], text)
    found: list[dict] = []
    heading: list[str | None] = [None]

    words: list[str] = []  # the words of the text so far, for names written before "[-@key]"
    cite_r_at: list[str | None] = []  # the heading above each printed cite_r() list

    def walk(node) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            kind = node.get("t")
            if kind == "Header":
                heading[0] = _plain(node["c"][2]).strip()
            elif kind == "Str":
                words.append(node["c"])
            elif kind == "Code" and any(code in node["c"][1] for code in cite_r_code):
                cite_r_at.append(heading[0])
            if kind == "Cite":
                for citation in node["c"][0]:
                    mode = citation["citationMode"]["t"]
                    item = {"key": citation["citationId"], "mode": mode, "section": heading[0]}
                    if mode == "SuppressAuthor":  # "Spradley [-@tannenbaum1980]": the writer typed the name
                        item["written"] = [w.strip(",;:()'’s") for w in words[-6:] if w[:1].isupper()]
                    found.append(item)
                return
            if kind in ("CodeBlock", "RawBlock", "Code", "RawInline", "Math"):
                return
            walk(node.get("c"))

    walk(tree["blocks"])
    return found, calls_cite_r, (cite_r_at[0] if cite_r_at else None)


def rendered_body(path: Path) -> str:
    """The rendered text without its reference list (the list names every work, cited or not);
    footnotes that pandoc places after the list are text.

    Read with pypdf and python-docx directly, not with ThemeGraph's readers, which are under test.
    """
    if path.suffix.lower() == ".pdf":
        from pypdf import PdfReader

        text = "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    elif path.suffix.lower() == ".docx":
        import docx

        document = docx.Document(str(path))
        text = "\n".join(p.text for p in document.paragraphs)
        for part in document.part.package.iter_parts():  # notes: python-docx does not read them
            if str(part.partname) in ("/word/footnotes.xml", "/word/endnotes.xml"):
                notes = re.findall(r"<w:t[^>]*>([^<]*)</w:t>", part.blob.decode("utf-8"))
                text += "\n[1] " + " ".join(notes)  # marked as a note, so it stays after the cut below
    else:
        text = path.read_text(encoding="utf-8")
    headings = list(_REFERENCE_HEADING.finditer(text))
    if not headings:
        return text
    notes = re.search(r"(?m)^\[\d{1,3}\][ \t]", text[headings[-1].start():])  # pandoc puts footnotes after it
    return text[: headings[-1].start()] + (text[headings[-1].start() + notes.start():] if notes else "")


def _squeeze(text: str) -> str:
    """Letters and digits only, lower case, accents dropped."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isalnum()).lower()


def _shows(body: str, name: str, year: str) -> bool:
    """Whether the squeezed body has the name with the year close after it (a citation of the
    work), not just the name: "Warriner, Kuperman, & Brysbaert (2013)" does not show Kuperman 2012."""
    name, year = fold(name), _squeeze(year)
    # a PDF line number may sit inside a name broken across lines ("Nguyen Phuc 123 Thu")
    spelled = r"\d{0,4}".join(map(re.escape, name))
    return bool(name) and re.search(spelled + r".{0,120}?" + re.escape(year), body) is not None


def build(entry: dict, corpus: Path) -> dict:
    """The gold list of one manuscript of the manifest."""
    folder = corpus / entry["id"]
    works = bib_works(folder / "refs.bib")
    cited, calls_cite_r, cite_r_section = source_citations(folder / entry["source"])
    if calls_cite_r and (folder / "rrefs.bib").exists():
        cited += [{"key": key, "mode": "NormalCitation", "section": cite_r_section}
                  for key in bib_works(folder / "rrefs.bib")]
    bodies = {kind: _squeeze(rendered_body(folder / f"rendered.{kind}")) for kind in entry["rendered"]}
    occurrences, not_works = [], set()
    not_shown: dict[str, set[str]] = {kind: set() for kind in bodies}
    for item in cited:
        work = works.get(item["key"])
        if work is None:  # "[@fig:design]", "[@sec:methods]": cross-references, not works
            not_works.add(item["key"])
            continue
        names = [*work["names"], *item.get("written", [])]
        shown = {kind for kind, body in bodies.items() if any(_shows(body, name, work["year"]) for name in names)}
        for kind in bodies.keys() - shown:
            not_shown[kind].add(item["key"])
        if not shown:
            continue
        first = next((n for n in work["names"] if any(_shows(bodies[k], n, work["year"]) for k in shown)),
                     work["names"][0])
        occurrences.append({**item, "first": first, "year": work["year"]})
    return {
        "id": entry["id"],
        "occurrences": occurrences,
        "works": {o["key"]: {"first": o["first"], "year": o["year"], "title": works[o["key"]]["title"]}
                  for o in occurrences},
        "keys_not_in_bib": sorted(not_works),
        "works_not_rendered": {kind: sorted(keys) for kind, keys in not_shown.items()},
    }


def main(argv: list[str]) -> None:
    corpus = Path(argv[0]) if argv else Path("/work/citations-corpus")
    for entry in yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))["manuscripts"]:
        gold = build(entry, corpus)
        out = HERE / f"{entry['id']}.gold.json"
        out.write_text(json.dumps(gold, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        hidden = ", ".join(f"{kind} {len(keys)}" for kind, keys in gold["works_not_rendered"].items())
        print(f"{entry['id']}: {len(gold['occurrences'])} occurrences of {len(gold['works'])} works "
              f"(cited works not rendered: {hidden}; {len(gold['keys_not_in_bib'])} keys not in the .bib)")


if __name__ == "__main__":
    main(sys.argv[1:])
