"""Maps: what each map holds, the filters, the page's safety and offline-ness, figures, GraphML.

Every store-reading test runs on both stores (the ``store`` fixture), which is what keeps the
maps' Cypher portable.  ``map_batches`` is a richer graph than minigraph's: two final themes,
four emerging themes, codes, extracts with speakers (two of them hostile), findings with all
three stances, and works cited together in the same sentences.
"""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from conftest import EXAMPLE
from operations import doubling_steps, operations

from bench import files
from bench.synthetic import literature
from themegraph.exports.graphml import write_graphml
from themegraph.graph.batch import Batch
from themegraph.graph.open import open_store
from themegraph.graph.schema import STANCE_RELS
from themegraph.loaders.study import read_study
from themegraph.maps import KINDS, build_map, write_figure, write_html
from themegraph.maps.citations import assemble
from themegraph.maps.figure import opened_view
from themegraph.maps.html import render, script_json
from themegraph.maps.layout import place
from themegraph.maps.paper import PAGE_HEIGHT, PAGE_WIDTH, TOUCH

STUDY = "ms"
IMG_PAYLOAD = '<img src=x onerror="window.__pwned=1">'
SCRIPT_PAYLOAD = "<script>window.__pwned=1</script>"
HREF_TITLE = '<a href="javascript:window.__pwned=1">click</a> "double" & \'single\''
CLOSE_SCRIPT = "</script><script>window.__pwned=1</script>"

THEMES = {
    "Dynamics of forced work": ["Ambivalence", "Levels of coercion"],
    "Establishing the alliance": ["Being open", "Giving choice"],
}
CODES = {
    "Ambivalence": ["Client not wanting to be there", "Public agreement, private dissent", "Surface engagement"],
    "Levels of coercion": ["Pressure from the system", "Overselling benefits", "Partner pressure"],
    "Being open": ["Transparency about risk", "Honesty about role", "Naming the dynamic"],
    "Giving choice": ["Choice within limits", "Control over pace", "Client-led goals"],
}
# (id, speaker or None, themes, codes, text)
EXTRACTS = [
    ("x1", "PA", ["Ambivalence"], ["Client not wanting to be there"], IMG_PAYLOAD),
    ("x2", "PB", ["Ambivalence"], ["Surface engagement"], SCRIPT_PAYLOAD),
    ("x3", "PA", ["Dynamics of forced work"], [], "it can never be wholly collaborative, because they have to come"),
    ("x4", "PC", ["Levels of coercion"], ["Pressure from the system"], "the system pushes them\u2028and us & them"),
    ("x5", None, ["Dynamics of forced work", "Ambivalence"], [], "public agreement, private dissent"),
    ("x6", "PD", ["Being open"], ["Transparency about risk"], "I am very open about what I write in reports"),
    ("x7", "PC", ["Giving choice"], ["Choice within limits"], "they choose the order we work in"),
    ("x8", "PD", ["Being open", "Giving choice"], ["Honesty about role"], "I tell them I am also assessing risk"),
]
WORKS = {
    "bordin1979": ("Bordin (1979)", "The generalizability of the psychoanalytic concept of the alliance", "1979"),
    "horvath1991": ("Horvath & Symonds (1991)", "Relation between working alliance and outcome", "1991"),
    "skeem2007": ("Skeem et al. (2007)", "Relationship quality in mandated treatment", "2007"),
    "drapeau2005": ("Drapeau et al. (2005)", "Sex offenders in treatment", "2005"),
    "langevin2006": ("Langevin (2006)", "Acceptance and completion of treatment", "2006"),
    "evil2020": ("Evil (2020) <b>bold</b>", HREF_TITLE, "2020"),
}
# (sentence, stance, works) - works cited together in one sentence are co-cited
CITATIONS = [
    ("Bordin (1979) and Horvath and Symonds (1991) define the alliance.", "mentions", ["bordin1979", "horvath1991"]),
    ("This echoes Drapeau et al. (2005) and Langevin (2006).", "supports", ["drapeau2005", "langevin2006"]),
    (
        "Against Bordin (1979), Horvath and Symonds (1991) and Skeem et al. (2007).",
        "challenges",
        ["bordin1979", "horvath1991", "skeem2007"],
    ),
    ("Evil (2020) said so.", "mentions", ["evil2020"]),
    ("Bordin (1979) alone.", "extends", ["bordin1979"]),
]
# (id, name, derived from, [(stance, kind, target id, evidence)])
FINDINGS = [
    (
        "f1",
        "Forced work works against collaboration",
        ["Dynamics of forced work"],
        [
            ("challenges", "Construct", "working-alliance/bonds", "This goes against the true collaboration."),
            ("challenges", "Work", "bordin1979", "This goes against the true collaboration of Bordin (1979)."),
            ("supports", "Work", "skeem2007", "Managing the dual role is the hardest part (Skeem et al., 2007)."),
        ],
    ),
    (
        "f2",
        "Openness builds the alliance",
        ["Establishing the alliance"],
        [
            ("extends", "Theory", "working-alliance", "Openness about coercion extends the alliance."),
            ("supports", "Construct", "working-alliance/goals", "Agreeing goals within limits helped."),
        ],
    ),
    (
        "f3",
        "Honesty about the role",
        ["Being open"],
        [
            ("supports", "Work", "horvath1991", f"Honesty mattered {SCRIPT_PAYLOAD}"),
        ],
    ),
]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def literature_batch() -> Batch:
    b = Batch("refs:maps", path="refs.bib", loader="test")
    for i, (key, (name, title, year)) in enumerate(WORKS.items()):
        b.node(
            "Work",
            f"work/{key}",
            name=name,
            title=title,
            year=year,
            authors=[name.split(" (")[0]],
            key=key,
            origin=f"refs.bib:{i * 10 + 1}",
        )
        a = b.node("Author", f"author/{key}", name=name.split(" (")[0], family=name.split(" ")[0])
        b.rel("AUTHORED_BY", ("Work", f"work/{key}"), ("Author", a), position=1)
    b.node("Theory", "theory/working-alliance", name="Working alliance", description="Goals, tasks and bonds.")
    b.rel("PROPOSED_IN", ("Theory", "theory/working-alliance"), ("Work", "work/bordin1979"))
    for c in ("goals", "tasks", "bonds"):
        b.node(
            "Construct",
            f"theory/working-alliance/{c}",
            name=c.title(),
            theory="theory/working-alliance",
            description=f"Agreement on {c}.",
        )
        b.rel("PART_OF", ("Construct", f"theory/working-alliance/{c}"), ("Theory", "theory/working-alliance"))
    return b


def study_batch(study: str = STUDY) -> Batch:
    b = Batch(f"study:{study}", path=f"{study}/", loader="test")
    b.node("Study", study, name=f"Study {study}", title=f"Mandatory therapy {study}", year=2016)

    def theme(name: str, level: str, line: int, **props) -> str:
        tid = b.node(
            "Theme",
            f"{study}/theme/{slug(name)}",
            name=name,
            study=study,
            level=level,
            origin=f"themes.csv:{line}",
            **props,
        )
        b.rel("IN_STUDY", ("Theme", tid), ("Study", study))
        return tid

    line = 2
    for final, emerging in THEMES.items():
        description = f"Final theme {final}. {CLOSE_SCRIPT}" if line == 2 else f"Final theme {final}."
        f = theme(final, "final", line, description=description, title_quote="‘they have to come’")
        line += 1
        for name in emerging:
            e = theme(name, "emerging", line, description=f"Emerging theme {name}.")
            line += 1
            b.rel("SUBTHEME_OF", ("Theme", e), ("Theme", f))
            for code in CODES[name]:
                c = b.node("Code", f"{study}/code/{slug(code)}", name=code, study=study, origin=f"codebook.csv:{line}")
                line += 1
                b.rel("IN_THEME", ("Code", c), ("Theme", e))
                b.rel("IN_STUDY", ("Code", c), ("Study", study))
    for pid in ("PA", "PB", "PC", "PD"):
        p = b.node(
            "Participant",
            f"{study}/participant/{pid.lower()}",
            name=pid,
            study=study,
            attributes=json.dumps({"role": "psychologist" if pid < "PC" else "nurse"}),
        )
        b.rel("IN_STUDY", ("Participant", p), ("Study", study))
    for i, (xid, speaker, themes, codes, text) in enumerate(EXTRACTS):
        x = b.node(
            "Extract",
            f"{study}/extract/{xid}",
            name=xid.upper(),
            study=study,
            text=text,
            origin=f"extracts.csv:{i + 2}",
        )
        b.rel("IN_STUDY", ("Extract", x), ("Study", study))
        if speaker:
            b.rel("SPOKEN_BY", ("Extract", x), ("Participant", f"{study}/participant/{speaker.lower()}"))
        for t in themes:
            b.rel("ILLUSTRATES", ("Extract", x), ("Theme", f"{study}/theme/{slug(t)}"))
        for c in codes:
            b.rel("CODED_AS", ("Extract", x), ("Code", f"{study}/code/{slug(c)}"))
    for i, (fid, name, themes, links) in enumerate(FINDINGS):
        f = b.node(
            "Finding",
            f"{study}/finding/{fid}",
            name=name,
            study=study,
            statement=f"{name}.",
            section="Discussion",
            status="confirmed",
            origin=f"findings.yaml:{i * 10 + 1}",
        )
        b.rel("IN_STUDY", ("Finding", f), ("Study", study))
        for t in themes:
            b.rel("DERIVED_FROM", ("Finding", f), ("Theme", f"{study}/theme/{slug(t)}"))
        for stance, kind, target, evidence in links:
            prefix = "work/" if kind == "Work" else "theory/"
            b.rel(STANCE_RELS[stance], ("Finding", f), (kind, prefix + target), evidence=evidence)
    for i, (sentence, stance, works) in enumerate(CITATIONS):
        for j, w in enumerate(works):  # one citation per place in the text
            b.rel(
                "CITES", ("Study", study), ("Work", f"work/{w}"), sentence=sentence, section="Discussion",
                stance=stance, char_start=100 * i + 20 * j,
            )
    return b


def map_batches(studies=(STUDY,)) -> list[Batch]:
    """The literature and one batch per study, in load order."""
    return [literature_batch(), *(study_batch(s) for s in studies)]


@pytest.fixture
def kb(store):
    for batch in map_batches():
        store.apply(batch)
    return store


def node(data, label):
    """The node with this label (or id)."""
    return next(n for n in data.nodes if label in (n.label, n.id))


def tip_text(item) -> str:
    return "\n".join(text for _, text in item.tip)


# --- what each map holds ----------------------------------------------------------------------


def test_themes_map_is_the_theme_tree_sized_by_extracts(kb):
    data = build_map(kb, "themes", study=STUDY)
    kinds = [n.kind for n in data.nodes]
    assert kinds.count("Theme") == 6 and kinds.count("Code") == 12
    assert sorted(e.kind for e in data.edges).count("SUBTHEME_OF") == 4
    assert sum(e.kind == "IN_THEME" for e in data.edges) == 12
    forced, ambivalence = node(data, "Dynamics of forced work"), node(data, "Ambivalence")
    # x3, x5 illustrate the final theme; x1, x2, x4 (via its emerging themes) roll up into it
    assert "5 extracts" in tip_text(forced) and "3 extracts" in tip_text(ambivalence)
    assert forced.size > ambivalence.size > node(data, "Partner pressure").size
    assert ambivalence.parents == (forced.id,) and forced.parents == ()
    order = [n.id for n in data.nodes]
    assert all(order.index(p) < order.index(n.id) for n in data.nodes for p in n.parents)
    # colour by final theme: the two final themes differ, an emerging theme is a tint of its own
    assert forced.color != node(data, "Establishing the alliance").color
    assert ambivalence.color != forced.color and node(data, "Levels of coercion").color == ambivalence.color
    # tooltip: description and up to three quotes with their speakers, different speakers first
    text = tip_text(forced)
    assert "Final theme Dynamics of forced work." in text and "— PA" in text and "— PB" in text
    assert IMG_PAYLOAD in tip_text(ambivalence)  # kept as data; the page shows it as text
    assert [s for s, _ in forced.tip].count("q") <= 4  # title quote + three extracts
    assert data.collapsed == []  # few codes: nothing starts folded
    assert {e.section for e in data.legend} >= {"Final themes", "Levels"}
    assert data.layout == "tree" and node(data, "Partner pressure").x > ambivalence.x > forced.x


def codebook_batch(finals: int = 2, emerging: int = 3, codes: int = 15) -> Batch:
    """A study "big" with a codebook large enough to start folded."""
    b = Batch("study:big", loader="test")
    b.node("Study", "big", name="Big")
    for f in range(finals):
        final = b.node("Theme", f"big/t/f{f}", name=f"Final theme {f}", study="big", level="final")
        for e in range(emerging):
            em = b.node("Theme", f"big/t/e{f}-{e}", name=f"Emerging theme {f}.{e}", study="big", level="emerging")
            b.rel("SUBTHEME_OF", ("Theme", em), ("Theme", final))
            for c in range(codes + e):
                code = b.node("Code", f"big/c/{f}-{e}-{c}", name=f"Code number {c} of {f}.{e}", study="big")
                b.rel("IN_THEME", ("Code", code), ("Theme", em))
    return b


def test_themes_map_folds_codes_when_there_are_many(store):
    store.apply(codebook_batch())
    data = build_map(store, "themes", study="big")
    assert data.collapsed == sorted(f"Theme:big/t/e{f}-{e}" for f in range(2) for e in range(3))
    shown = [n for n in data.nodes if n.kind == "Theme"]
    assert len({(n.x, n.y) for n in shown}) == len(shown)  # the opened view is laid out on its own
    codes = [n for n in data.nodes if n.kind == "Code"]
    assert all((c.x, c.y) == (node(data, c.parents[0]).x, node(data, c.parents[0]).y) for c in codes[:1])


def test_theory_map_links_findings_to_literature_by_stance(kb):
    data = build_map(kb, "theory", study=STUDY)
    by_kind = {k: {n.label for n in data.nodes if n.kind == k} for k in ("Finding", "Work", "Theory", "Construct")}
    assert by_kind["Finding"] == {name for _, name, _, _ in FINDINGS}
    assert by_kind["Construct"] == {"Bonds", "Goals"}
    assert by_kind["Theory"] == {"Working alliance"}  # linked directly, and via its constructs
    assert {"Bordin (1979)", "Skeem et al. (2007)", "Horvath & Symonds (1991)"} <= by_kind["Work"]
    stance_edges = [e for e in data.edges if e.stance]
    assert sorted(e.stance for e in stance_edges) == sorted(s for _, _, _, ls in FINDINGS for s, *_ in ls)
    challenge = next(e for e in stance_edges if e.target == "Work:work/bordin1979")
    support = next(e for e in stance_edges if e.stance == "supports")
    assert challenge.label == "challenges" and challenge.color != support.color
    assert "true collaboration of Bordin (1979)" in tip_text(challenge)
    assert {e.kind for e in data.edges} >= {"DERIVED_FROM", "PART_OF", "PROPOSED_IN"}
    assert {e.label for e in data.legend if e.section == "Stance"} == {"supports", "extends", "challenges"}
    # findings carry the themes they derive from (with ancestors) for the theme filter
    f3 = node(data, "Honesty about the role")
    assert f"{STUDY}/theme/being-open" in f3.themes and f"{STUDY}/theme/establishing-the-alliance" in f3.themes


def test_citations_map_joins_works_cited_in_the_same_sentence(kb):
    data = build_map(kb, "citations", study=STUDY)
    assert len(data.nodes) == len(WORKS)
    weights = {frozenset((e.source, e.target)): e.weight for e in data.edges}
    assert weights[frozenset(("Work:work/bordin1979", "Work:work/horvath1991"))] == 2
    assert weights[frozenset(("Work:work/drapeau2005", "Work:work/langevin2006"))] == 1
    assert len(data.edges) == 4  # bordin-horvath, drapeau-langevin, and skeem with each of the first two
    bordin, evil = node(data, "Bordin (1979)"), node(data, WORKS["evil2020"][0])
    assert bordin.size > node(data, "Langevin (2006)").size  # three citations against one
    assert "cited 3 times" in tip_text(bordin) and set(bordin.stances) == {"mentions", "challenges", "extends"}
    # clusters: co-cited works share a colour, the never co-cited work is neutral
    assert bordin.color == node(data, "Horvath & Symonds (1991)").color != node(data, "Langevin (2006)").color
    assert evil.group is None and "never co-cited" in tip_text(evil)
    assert any(e.label.endswith("never co-cited") for e in data.legend)


def test_participants_map_weights_edges_by_extracts(kb):
    data = build_map(kb, "participants", study=STUDY)
    assert {n.label for n in data.nodes if n.kind == "Participant"} == {"PA", "PB", "PC", "PD"}
    weight = {(e.source.split("/")[-1], e.target.split("/")[-1]): e.weight for e in data.edges}
    assert weight[("pa", "ambivalence")] == 1 and weight[("pa", "dynamics-of-forced-work")] == 1
    assert weight[("pd", "being-open")] == 2 and weight[("pd", "giving-choice")] == 1
    assert sum(weight.values()) == 8  # x5 has no speaker
    assert "without a speaker" in data.subtitle
    assert "role: psychologist" in tip_text(node(data, "PA"))


def test_every_map_of_an_empty_store_is_empty_but_writable(store, tmp_path):
    for kind in KINDS:
        data = build_map(store, kind)
        assert data.nodes == [] and data.edges == []
        write_html(data, tmp_path / f"{kind}.html")


# --- filters ----------------------------------------------------------------------------------


def test_theme_filter_keeps_the_theme_and_what_lies_under_it(kb):
    data = build_map(kb, "themes", study=STUDY, theme="dynamics of forced work")
    labels = {n.label for n in data.nodes}
    assert {"Dynamics of forced work", "Ambivalence", "Partner pressure"} <= labels
    assert not labels & {"Establishing the alliance", "Being open", "Choice within limits"}
    assert all(e.source in {n.id for n in data.nodes} for e in data.edges)
    assert data.subtitle.startswith("theme: Dynamics of forced work")
    by_emerging = build_map(kb, "participants", study=STUDY, theme="Being open")
    assert {n.label for n in by_emerging.nodes} == {"Being open", "PD"}


def test_stance_filter_keeps_links_of_that_stance(kb):
    data = build_map(kb, "theory", study=STUDY, stance="challenges")
    assert {e.stance for e in data.edges if e.stance} == {"challenges"}
    assert {n.label for n in data.nodes if n.kind == "Finding"} == {"Forced work works against collaboration"}
    assert "Skeem et al. (2007)" not in {n.label for n in data.nodes}
    cites = build_map(kb, "citations", study=STUDY, stance="supports")
    assert {n.label for n in cites.nodes} == {"Drapeau et al. (2005)", "Langevin (2006)"}


@pytest.mark.parametrize(
    "kind, options, message",
    [
        ("maze", {}, "unknown map 'maze'; choose one of themes, theory, citations, participants"),
        ("themes", {"study": "nope"}, "no study 'nope'; known studies: ms"),
        ("themes", {"theme": "Nope"}, "no theme 'Nope'"),
        ("themes", {"stance": "supports"}, "the themes map has no stance filter"),
        ("citations", {"theme": "Ambivalence"}, "the citations map has no theme filter"),
        ("theory", {"stance": "likes"}, "unknown stance 'likes'; choose one of supports, extends, challenges"),
    ],
)
def test_bad_map_requests_say_what_is_valid(kb, kind, options, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        build_map(kb, kind, **options)


def test_study_option_keeps_maps_to_one_study(store):
    for batch in map_batches(studies=(STUDY, "other")):
        store.apply(batch)
    one = build_map(store, "themes", study="other")
    assert len(one.nodes) == 18 and all(n.id.startswith(("Theme:other/", "Code:other/")) for n in one.nodes)
    assert one.title == "Thematic map — Mandatory therapy other"
    both = build_map(store, "participants")
    assert sum(n.kind == "Participant" for n in both.nodes) == 8


# --- the page ---------------------------------------------------------------------------------


def _script_tags(page: str) -> list[dict]:
    """The attributes of every <script> element as an HTML parser sees them."""
    from html.parser import HTMLParser

    found = []

    class Scripts(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "script":
                found.append(dict(attrs))

    Scripts().feed(page)
    return found


def _page_data(page: str) -> dict:
    block = re.search(r'<script type="application/json" id="map-data">(.*?)</script>', page, re.DOTALL)
    return json.loads(block.group(1))


def test_page_is_self_contained_and_offline(kb, tmp_path):
    path = tmp_path / "theory.html"
    write_html(build_map(kb, "theory", study=STUDY), path)
    page = path.read_text(encoding="utf-8")
    # no attribute, import or CSS rule that could load anything
    assert not re.search(r"""(src|href|action)\s*=\s*["']?\s*(https?:|//)""", page, re.IGNORECASE)
    assert not re.search(r"@import|url\(\s*['\"]?(https?:|//)", page, re.IGNORECASE)
    assert "vis.Network" in page and "vis-network" in page  # the library is inlined
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "default-src 'none'" in csp and "connect-src" not in csp and "'unsafe-inline'" not in csp.split(";")[1]
    assert _script_tags(page) == [{}, {"type": "application/json", "id": "map-data"}, {}]


def test_page_escapes_every_hostile_string(kb, tmp_path):
    for kind in KINDS:
        page = render(build_map(kb, kind, study=STUDY))
        assert IMG_PAYLOAD not in page and SCRIPT_PAYLOAD not in page and CLOSE_SCRIPT not in page
        assert "<b>bold</b>" not in page and 'href="javascript' not in page
        data = _page_data(page)  # ... yet the data holds them verbatim, for textContent
        text = json.dumps(data, ensure_ascii=False)
        if kind in ("themes", "participants"):
            assert json.dumps(IMG_PAYLOAD)[1:-1] in text
        if kind == "citations":
            assert json.dumps(HREF_TITLE)[1:-1] in text


def test_script_json_escapes_what_could_end_a_script_block():
    text = script_json({"a": "</script><!-- & \u2028\u2029 >"})
    assert not set("<>&\u2028\u2029") & set(text)
    assert json.loads(text) == {"a": "</script><!-- & \u2028\u2029 >"}


def test_page_title_and_subtitle_are_escaped(tmp_path):
    data = assemble([{"id": "w", "name": "<i>w</i>"}], [])
    data.title = "<script>alert(1)</script> & co"
    data.subtitle = '"><img src=x onerror=alert(1)>'
    page = render(place(data))
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page


# --- layout and scale -------------------------------------------------------------------------


@pytest.mark.slow
def test_a_map_of_5000_nodes_and_20000_edges_is_written_economically(tmp_path):
    # how fast: bench/bench_maps.py (timings in a unit test flake on a busy machine)
    works, citations = literature(5000, 21000)
    data = place(assemble(works, citations))
    write_html(data, tmp_path / "big.html")
    assert len(data.nodes) == 5000 and len(data.edges) >= 20000
    assert data.large and not data.physics
    page_data = _page_data((tmp_path / "big.html").read_text(encoding="utf-8"))
    assert page_data["options"]["edges"]["smooth"]["enabled"] is False
    xs = {(n["x"], n["y"]) for n in page_data["nodes"]}
    assert len(xs) > 4900  # every node has a place of its own


@pytest.mark.slow
def test_a_figure_of_5000_nodes_fits_a_page_with_its_largest_nodes_labelled_apart(tmp_path):
    works, citations = literature(5000, 21000)
    data = place(assemble(works, citations))
    placed = write_figure(data, tmp_path / "big.png", "png")  # how fast: bench/bench_maps.py
    width, height = _png_inches(tmp_path / "big.png")
    assert PAGE_WIDTH * 0.8 < width <= PAGE_WIDTH * 1.02 and height <= PAGE_HEIGHT * 1.02
    labelled = [i for i, label in enumerate(placed.labels) if label]
    assert 5 <= len(labelled) <= 30 and min(placed.labels[i].points for i in labelled) >= 7
    assert overlapping(placed, labelled) == 0


def test_a_force_layout_is_the_same_from_run_to_run():
    # each process salts string hashes differently: nothing may hang on the order of a set
    script = (
        "from themegraph.maps.citations import assemble; from themegraph.maps.layout import place; "
        "from bench.synthetic import literature; "
        "data = place(assemble(*literature(60, 40, clusters=12))); "
        "print([(n.id, round(n.x, 3), round(n.y, 3)) for n in data.nodes])"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            cwd=Path(__file__).resolve().parents[1],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(runs) == 1


def test_layouts_give_every_node_a_distinct_position(kb):
    for kind in KINDS:
        data = build_map(kb, kind, study=STUDY)
        positions = {(round(n.x), round(n.y)) for n in data.nodes}
        assert len(positions) == len(data.nodes), kind


# --- figures ----------------------------------------------------------------------------------


def _png_dpi(path) -> float:
    blob = path.read_bytes()
    at = blob.index(b"pHYs")
    per_metre, _, unit = struct.unpack(">IIB", blob[at + 4 : at + 13])
    assert unit == 1
    return per_metre * 0.0254


def _png_inches(path) -> tuple[float, float]:
    width, height = struct.unpack(">II", path.read_bytes()[16:24])  # the IHDR chunk
    return width / _png_dpi(path), height / _png_dpi(path)


@pytest.mark.parametrize("kind", KINDS)
def test_figures_are_written_as_png_at_300_dpi_and_as_svg(kb, tmp_path, kind):
    data = build_map(kb, kind, study=STUDY)
    write_figure(data, tmp_path / f"{kind}.png", "png")
    assert round(_png_dpi(tmp_path / f"{kind}.png")) == 300
    write_figure(data, tmp_path / f"{kind}.svg", "svg")
    svg = (tmp_path / f"{kind}.svg").read_text(encoding="utf-8")
    root = ET.fromstring(svg)  # well-formed: hostile names are escaped
    assert root.tag.endswith("svg") and "<script" not in svg
    texts = "".join(root.itertext())
    first = data.legend[0].label
    assert first[:20] in texts  # the legend is there, as text


@pytest.fixture(scope="module")
def example_maps(tmp_path_factory) -> dict:
    """The worked example's four maps, as `themegraph demo` draws them."""
    with open_store(db=str(tmp_path_factory.mktemp("example") / "kb.db")) as store:
        store.apply(read_study(EXAMPLE))
        return {kind: build_map(store, kind) for kind in KINDS}


def overlapping(placed, among=slice(None)) -> int:
    """Pairs of node boxes (shape and label) in a figure that overlap visibly, ``among`` some nodes."""
    x, y, box = placed.x[among], placed.y[among], placed.box[among]
    left, right, top, bottom = x - box[:, 0], x + box[:, 1], y - box[:, 2], y + box[:, 3]
    over_x = np.minimum(right[:, None], right[None, :]) - np.maximum(left[:, None], left[None, :])
    over_y = np.minimum(bottom[:, None], bottom[None, :]) - np.maximum(top[:, None], top[None, :])
    hit = (over_x > TOUCH) & (over_y > TOUCH)
    np.fill_diagonal(hit, False)
    return int(hit.sum()) // 2


def covered(placed) -> float:
    """Share of the graph's area that its nodes and labels take up."""
    areas = (placed.box[:, 0] + placed.box[:, 1]) * (placed.box[:, 2] + placed.box[:, 3])
    return float(areas.sum()) / (placed.width * placed.height)


@pytest.mark.parametrize("kind", KINDS)
def test_figures_fit_a_page_and_label_every_node_at_7_points_or_more(kb, example_maps, tmp_path, kind):
    for name, data in (("test", build_map(kb, kind, study=STUDY)), ("example", example_maps[kind])):
        path = tmp_path / f"{name}-{kind}.svg"
        placed = write_figure(data, path, "svg")
        svg = path.read_text(encoding="utf-8")
        root = ET.fromstring(svg)
        width, height = (float(root.get(side).removesuffix("pt")) / 72 for side in ("width", "height"))
        assert width <= PAGE_WIDTH * 1.02 and height <= PAGE_HEIGHT * 1.02, (name, width, height)
        assert min(float(size) for size in re.findall(r"font-size: ([\d.]+)px", svg)) >= 7, name
        # every node labelled, as text, no label over another, and not mostly empty space
        texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
        assert all(label is not None for label in placed.labels), name
        assert {line for label in placed.labels for line in label.lines} <= texts, name
        assert overlapping(placed) == 0, name
        assert covered(placed) > 0.1, (name, covered(placed))
        # no label cut short: its lines hold the whole name (the folded count aside)
        shown = {n.id: n for n in opened_view(data).nodes}
        whole = [" ".join(n.label.split()) for n in shown.values()]
        assert [" ".join(" ".join(label.lines).split()) for label in placed.labels] == whole, name


def test_figure_rejects_unknown_formats(kb, tmp_path):
    with pytest.raises(ValueError, match="choose one of png, svg"):
        write_figure(build_map(kb, "themes"), tmp_path / "x.pdf", "pdf")


# --- GraphML ----------------------------------------------------------------------------------


def test_graphml_holds_the_whole_graph(kb, tmp_path):
    path = tmp_path / "kb.graphml"
    write_graphml(kb, path)
    graph = nx.read_graphml(path)
    counts = kb.counts()
    assert graph.number_of_nodes() == sum(n for k, n in counts["nodes"].items() if k != "Source")
    assert graph.number_of_edges() == sum(counts["relationships"].values())
    bordin = graph.nodes["Work:work/bordin1979"]
    assert bordin["kind"] == "Work" and bordin["label"] == "Bordin (1979)" and bordin["year"] == "1979"
    assert graph.nodes[f"Study:{STUDY}"]["year"] == "2016"  # year is text on works, so text everywhere
    assert graph.nodes["Work:work/evil2020"]["title"] == HREF_TITLE
    types = {d["type"] for _, _, d in graph.edges(data=True)}
    assert {"CITES", "SUBTHEME_OF", "AUTHORED_BY", "CHALLENGES"} <= types


def test_graphml_of_one_study_brings_the_literature_it_reaches(store, tmp_path):
    for batch in map_batches(studies=(STUDY, "other")):
        store.apply(batch)
    path = tmp_path / "ms.graphml"
    write_graphml(store, path, study=STUDY)
    graph = nx.read_graphml(path)
    ids = set(graph.nodes)
    assert f"Study:{STUDY}" in ids and "Study:other" not in ids
    assert not any(i.split(":", 1)[1].startswith("other/") for i in ids)
    assert {"Work:work/bordin1979", "Author:author/bordin1979", "Theory:theory/working-alliance"} <= ids
    assert "Construct:theory/working-alliance/tasks" not in ids  # no finding or theory link reaches it
    assert all(d["kind"] for _, d in graph.nodes(data=True))


# --- the evidence panel, the participants matrix, several studies, filters (issue #19) --------


def test_clicking_a_construct_shows_its_whole_audit_trail(kb):
    data = build_map(kb, "theory", study=STUDY)
    bonds = node(data, "Bonds")
    assert bonds.trail == [
        ("s", "Findings (1)"),
        ("p", "Challenges: Forced work works against collaboration"),
        ("q", "This goes against the true collaboration."),
        ("s", "Themes the findings derive from (1)"),
        ("p", "Dynamics of forced work"),
        ("s", "Codes (6)"),
        *[("p", code) for code in CODES["Ambivalence"] + CODES["Levels of coercion"]],
        ("s", "Quotes (5)"),
        ("q", "“it can never be wholly collaborative, because they have to come”"),
        ("a", "— PA · Dynamics of forced work"),
        ("q", "“public agreement, private dissent”"),
        ("a", "— no speaker recorded · Dynamics of forced work; Ambivalence"),
        ("q", f"“{IMG_PAYLOAD}”"),
        ("a", "— PA · Ambivalence"),
        ("q", f"“{SCRIPT_PAYLOAD}”"),
        ("a", "— PB · Ambivalence"),
        ("q", "“the system pushes them and us & them”"),
        ("a", "— PC · Levels of coercion"),
    ]
    # a theory collects what reaches its constructs, a work what reaches the theory it proposed
    theory = tip_text(type("T", (), {"tip": node(data, "Working alliance").trail})())
    assert "Extends: Openness builds the alliance" in theory
    assert "Challenges (through construct Bonds): Forced work works against collaboration" in theory
    bordin = tip_text(type("T", (), {"tip": node(data, "Bordin (1979)").trail})())
    assert "Challenges: Forced work works against collaboration" in bordin
    assert "Supports (through construct Goals): Openness builds the alliance" in bordin


def test_every_node_of_every_map_has_an_audit_trail(kb):
    for kind in KINDS:
        data = build_map(kb, kind, study=STUDY)
        assert all(n.trail for n in data.nodes if n.kind != "Work" or kind == "citations"), kind
    cited = node(build_map(kb, "citations", study=STUDY), "Bordin (1979)").trail
    assert cited[0] == ("s", "Citing sentences (3)")
    assert ("q", "Against Bordin (1979), Horvath and Symonds (1991) and Skeem et al. (2007).") in cited
    participant = node(build_map(kb, "participants", study=STUDY), "PD").trail
    assert participant[:3] == [("h", "PD"), ("m", "participant"), ("m", "role: nurse")]
    assert participant[3] == ("s", "What they said (2)")


def test_participants_matrix_counts_extracts_per_participant_and_theme(kb):
    data = build_map(kb, "participants", study=STUDY)
    matrix = data.matrix
    assert [r["label"] for r in matrix["rows"]] == ["PA", "PB", "PC", "PD"]
    assert [r["total"] for r in matrix["rows"]] == [2, 1, 2, 2]
    assert [c["label"] for c in matrix["columns"]] == [
        "Dynamics of forced work", "Ambivalence", "Levels of coercion", "Being open", "Giving choice",
    ]
    counts = {k: v["n"] for k, v in matrix["cells"].items()}
    assert counts == {
        f"Participant:{STUDY}/participant/pa Theme:{STUDY}/theme/ambivalence": 1,
        f"Participant:{STUDY}/participant/pa Theme:{STUDY}/theme/dynamics-of-forced-work": 1,
        f"Participant:{STUDY}/participant/pb Theme:{STUDY}/theme/ambivalence": 1,
        f"Participant:{STUDY}/participant/pc Theme:{STUDY}/theme/giving-choice": 1,
        f"Participant:{STUDY}/participant/pc Theme:{STUDY}/theme/levels-of-coercion": 1,
        f"Participant:{STUDY}/participant/pd Theme:{STUDY}/theme/being-open": 2,
        f"Participant:{STUDY}/participant/pd Theme:{STUDY}/theme/giving-choice": 1,
    }
    cell = matrix["cells"][f"Participant:{STUDY}/participant/pd Theme:{STUDY}/theme/being-open"]["trail"]
    assert cell[:3] == [["h", "PD — Being open"], ["m", "2 extracts"], ["s", "Quotes (2)"]]
    assert ["q", "“I am very open about what I write in reports”"] in cell
    assert sum(counts.values()) == sum(e.weight for e in data.edges)  # the same numbers as the graph


def test_a_theme_keeps_its_colour_in_every_map_and_each_study_is_outlined(store):
    for batch in map_batches(studies=(STUDY, "other")):
        store.apply(batch)
    alone = {n.id: n.color for n in build_map(store, "themes", study="other").nodes}
    both = build_map(store, "themes")
    assert all(n.color == alone[n.id] for n in both.nodes if n.id in alone)
    finals = [n for n in both.nodes if n.kind == "Theme" and not n.parents]
    assert len({n.color for n in finals}) == 4  # two studies, two final themes each: four colours
    theory = build_map(store, "theory", study="other")
    assert all(n.color == alone[n.id] for n in theory.nodes if n.kind == "Theme")
    page = _page_data(render(both))
    assert page["studyOptions"] == [STUDY, "other"]
    borders = {n["study"]: n["color"]["border"] for n in page["nodes"]}
    assert borders == {STUDY: "#000000", "other": "#0072b2"}
    assert [e["label"] for e in page["legend"] if e["section"] == "Studies (outline)"] == [STUDY, "other"]
    assert _page_data(render(build_map(store, "themes", study=STUDY)))["studyOptions"] == []


def test_a_filtered_map_says_what_is_shown_and_opens_with_the_filter_chosen(kb):
    data = build_map(kb, "participants", study=STUDY, theme="Being open")
    assert data.subtitle == (
        "theme: Being open · shown: 1 theme, 1 participant; 2 of 9 nodes, 1 of 7 links · "
        "whole map: 4 participants · 5 themes · 7 extracts · 1 without a speaker not shown"
    )
    assert data.applied == {"theme": f"{STUDY}/theme/being-open"}
    assert [r["label"] for r in data.matrix["rows"]] == ["PD"]
    assert [c["label"] for c in data.matrix["columns"]] == ["Being open"]
    page = _page_data(render(data))
    assert page["applied"] == {"theme": f"{STUDY}/theme/being-open"}
    theory = build_map(kb, "theory", study=STUDY, stance="challenges")
    assert theory.subtitle.startswith(  # themes are not subject to the stance filter
        "stance: challenges · shown: 3 themes, 1 finding, 1 construct, 1 theory, 1 work; 7 of 12 nodes, 5 of 12 links"
    )


def test_theory_labels_are_whole_and_columns_cross_less_than_barycentres_alone(kb, example_maps):
    from themegraph.maps.layout import crossings

    data = example_maps["theory"]
    assert all("…" not in n.label for n in data.nodes)  # names were once cut at 70 or 90 characters

    def count(d):
        column_of = {n.id: n.column for n in d.nodes}
        rank = {}
        for c in set(column_of.values()):
            members = sorted((n for n in d.nodes if n.column == c), key=lambda n: n.y)
            rank.update({n.id: i for i, n in enumerate(members)})
        links = [(e.source, e.target) for e in d.edges if column_of[e.source] != column_of[e.target]]
        return crossings(links, rank, column_of)

    assert count(data) == 21  # four barycentre sweeps alone left 26


def flat_batch() -> Batch:
    """A study coded with a flat codebook: codes, no themes."""
    b = Batch("study:flat", loader="test")
    b.node("Study", "flat", name="Flat")
    for pid in ("PA", "PB"):
        b.node("Participant", f"flat/p/{pid.lower()}", name=pid, study="flat")
    for i in range(5):
        c = b.node("Code", f"flat/c/{i}", name=f"Code {i}", study="flat", origin=f"codes.csv:{i + 2}")
        e = b.node("Extract", f"flat/e/{i}", name=f"E{i}", study="flat", text=f"quote {i}", origin=f"x.csv:{i + 2}")
        b.rel("CODED_AS", ("Extract", e), ("Code", c))
        b.rel("SPOKEN_BY", ("Extract", e), ("Participant", f"flat/p/{'pa' if i % 2 else 'pb'}"))
    return b


def deep_batch(levels: int = 5) -> Batch:
    """A study whose themes nest ``levels`` deep, one code at the bottom."""
    b = Batch("study:deep", loader="test")
    b.node("Study", "deep", name="Deep")
    b.node("Participant", "deep/p/pa", name="PA", study="deep")
    parent = None
    for d in range(levels):
        t = b.node("Theme", f"deep/t/{d}", name=f"Level {d} theme", study="deep", level=f"level{d}",
                   origin=f"themes.csv:{d + 2}")
        if parent:
            b.rel("SUBTHEME_OF", ("Theme", t), ("Theme", parent))
        parent = t
    c = b.node("Code", "deep/c/0", name="Deep code", study="deep")
    b.rel("IN_THEME", ("Code", c), ("Theme", parent))
    e = b.node("Extract", "deep/e/0", name="E0", study="deep", text="deep quote")
    b.rel("CODED_AS", ("Extract", e), ("Code", c))
    b.rel("ILLUSTRATES", ("Extract", e), ("Theme", parent))
    b.rel("SPOKEN_BY", ("Extract", e), ("Participant", "deep/p/pa"))
    return b


def test_maps_work_at_every_codebook_depth(store, tmp_path):
    from themegraph.maps import why_empty

    store.apply(flat_batch())
    store.apply(deep_batch())
    flat = build_map(store, "themes", study="flat")
    assert [n.kind for n in flat.nodes] == ["Code"] * 5 and flat.edges == []
    who = build_map(store, "participants", study="flat")  # the codes stand in for themes
    assert who.subtitle == "2 participants · 5 codes · 5 extracts"
    assert [c["label"] for c in who.matrix["columns"]] == [f"Code {i}" for i in range(5)]
    assert sum(v["n"] for v in who.matrix["cells"].values()) == 5 and len(who.edges) == 5
    deep = build_map(store, "themes", study="deep")
    assert [n.label for n in deep.nodes] == [f"Level {d} theme" for d in range(5)] + ["Deep code"]
    assert [n.x for n in deep.nodes] == sorted(n.x for n in deep.nodes)  # one column per level
    assert "1 extract" in tip_text(node(deep, "Level 0 theme"))  # rolled up through every level
    assert len({n.color for n in deep.nodes if n.kind == "Theme"}) == 3  # lighter per level, capped
    assert build_map(store, "participants", study="deep").matrix["cells"] == {
        "Participant:deep/p/pa Theme:deep/t/4": {"n": 1, "trail": [
            ["h", "PA — Level 4 theme"], ["m", "1 extract"], ["s", "Quotes (1)"], ["q", "“deep quote”"],
            ["a", "— PA · Level 4 theme"]]},
    }
    for study in ("flat", "deep"):
        for kind in ("themes", "participants"):
            data = build_map(store, kind, study=study)
            write_html(data, tmp_path / f"{study}-{kind}.html")
            placed = write_figure(data, tmp_path / f"{study}-{kind}.svg", "svg")
            assert overlapping(placed) == 0, (study, kind)
        assert build_map(store, "theory", study=study).nodes == []
        assert why_empty(store, "theory", study) == f"the theory map is empty: study {study!r} has no findings"


def test_crossings_counted_by_inversions_equal_every_pair_compared():
    """The n log n count (a 25,000-extract study's map once took minutes pairwise) against the
    definition: two links between the same columns cross when their ends are in opposite orders."""
    import random

    from themegraph.maps.layout import crossings

    rng = random.Random(5)
    for _ in range(200):
        nodes = [f"n{i}" for i in range(rng.randint(2, 30))]
        column_of = {n: rng.randint(0, 3) for n in nodes}
        rank = {n: rng.randint(0, 6) / 6 for n in nodes}  # ties on purpose: shared ranks do not cross
        links = [(a, b) for a, b in (rng.sample(nodes, 2) for _ in range(rng.randint(0, 60)))
                 if column_of[a] != column_of[b]]
        oriented = [(a, b) if column_of[a] < column_of[b] else (b, a) for a, b in links]
        pairwise = sum(
            1
            for i, (a1, b1) in enumerate(oriented)
            for a2, b2 in oriented[i + 1:]
            if (column_of[a1], column_of[b1]) == (column_of[a2], column_of[b2])
            and (rank[a1] - rank[a2]) * (rank[b1] - rank[b2]) < 0
        )
        assert crossings(links, rank, column_of) == pairwise


@pytest.mark.parametrize("kind", ["themes", "participants"])
def test_a_map_of_a_study_twice_the_size_costs_twice_the_operations(kind, tmp_path):
    """Issue 15: the themes and participants maps of a 25,000-extract study took over 200 s: each
    theme's panel scanned every code, each participant's every extract, each quote every theme.
    Studies of 800, 1,600 and 3,200 rows (the bench's shape): after the cost of a 2-row study, each
    doubling may cost at most 2.2x the operations (counted, not timed), or 1.1x the growth of the
    map where the map itself more than doubles (participant-theme links, at these sizes)."""
    costs, drawn = [], []
    for n in (2, 800, 1600, 3200):
        with open_store(db=str(tmp_path / f"{n}.db")) as store:
            store.apply(read_study(files.study_bundle(tmp_path / str(n), n)))
            costs.append(operations(build_map, store, kind))
            data = build_map(store, kind)
            drawn.append(len(data.nodes) + len(data.edges))
    growth = [b / a for a, b in zip(drawn[1:], drawn[2:])]
    for measure, steps in doubling_steps(costs).items():
        bounds = [1.1 * max(2.0, g) for g in growth]
        assert all(step <= bound for step, bound in zip(steps, bounds)), f"{measure} per doubling: {steps}, map grew {growth}"
