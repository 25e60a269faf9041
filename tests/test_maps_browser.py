"""The map pages in a real browser (headless Chromium): drawn, offline, searchable, safe.

Skips locally without chromium/chromedriver/selenium; under CI=true their absence fails.
Screenshots of every page are kept in tmp/artefacts/ at the top of the checkout (ignored by git),
one folder per test (look at them: a map that renders but reads badly is a bug too).
"""

from __future__ import annotations

import json
import os
import re
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from browser import chromium, open_map, requests, unavailable
from conftest import EXAMPLE, ROOT
from test_maps import (
    HREF_TITLE,
    IMG_PAYLOAD,
    SCRIPT_PAYLOAD,
    STUDY,
    codebook_batch,
    map_batches,
)

from bench.synthetic import literature
from themegraph.graph.open import open_store
from themegraph.loaders.study import read_study
from themegraph.maps import KINDS, build_map, write_html
from themegraph.maps.citations import assemble
from themegraph.maps.layout import TREE_ASPECT, place, tree_positions, tree_row

pytestmark = pytest.mark.browser
#: The window the module's browser opens with, and a small laptop's.
WINDOWS = {"1400x900": (1400, 900), "1024x768": (1024, 768)}


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    reason = unavailable()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but the browser tests cannot run: {reason}")
        pytest.skip(reason)
    d = chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield d
    d.quit()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """Every map of the test study, built from the embedded store and written as a page."""
    folder = tmp_path_factory.mktemp("maps")
    store = open_store(db=str(folder / "kb.db"))
    try:
        for batch in map_batches():
            store.apply(batch)
        maps = {}
        for kind in KINDS:
            data = build_map(store, kind, study=STUDY)
            write_html(data, folder / f"{kind}.html")
            maps[kind] = (folder / f"{kind}.html", data)
        maps["theory-challenges"] = (None, build_map(store, "theory", study=STUDY, stance="challenges"))
        maps["participants-open"] = (None, build_map(store, "participants", study=STUDY, theme="Being open"))
    finally:
        store.close()
    return maps


@pytest.fixture(scope="module")
def example_pages(tmp_path_factory) -> Path:
    """The worked example's four maps as `themegraph demo` writes them (its themes map opens
    folded: 25 of 257 nodes)."""
    folder = tmp_path_factory.mktemp("example")
    with open_store(db=str(folder / "kb.db")) as store:
        store.apply(read_study(EXAMPLE))
        for kind in KINDS:
            write_html(build_map(store, kind), folder / f"{kind}.html")
    return folder


@pytest.fixture
def artefacts(request) -> Path:
    """Where a test keeps its screenshots: tmp/artefacts/TEST/ in the checkout (ignored by git)."""
    folder = ROOT / "tmp" / "artefacts" / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def graph_view(driver) -> None:
    """Show the graph where a map opens with its matrix (participants)."""
    js(driver, "if (!document.getElementById('views').hidden) themegraphMap.showView(false)")


def js(driver, script: str, *args):
    return driver.execute_script(script, *args)


def assert_offline_and_clean(driver, page: Path) -> None:
    """No request but the page itself (or data: URLs), no console error, nothing injected ran."""
    own = page.resolve().as_uri()
    for url, document in requests(driver):
        assert not url.startswith(("http:", "https:", "ws:", "wss:", "ftp:")), url
        if document == own:
            assert url == own or url.startswith("data:"), url
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    assert js(driver, "return typeof window.__pwned") == "undefined"


def node_offset(driver, node_id: str) -> tuple[int, int]:
    """Offset of a node from the centre of the canvas (what ActionChains expects)."""
    x, y, w, h = js(
        driver,
        "var m = themegraphMap, p = m.network.canvasToDOM(m.network.getPosition(arguments[0]));"
        "var c = document.querySelector('#network canvas');"
        "return [p.x, p.y, c.clientWidth, c.clientHeight];",
        node_id,
    )
    return round(x - w / 2), round(y - h / 2)


def hover(driver, node_id: str) -> str:
    """Move the mouse onto a node and return the tooltip's text once it shows."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    canvas = driver.find_element(By.CSS_SELECTOR, "#network canvas")
    dx, dy = node_offset(driver, node_id)
    ActionChains(driver).move_to_element_with_offset(canvas, dx + 40, dy + 40).pause(0.1).perform()
    ActionChains(driver).move_to_element_with_offset(canvas, dx, dy).pause(0.3).perform()
    WebDriverWait(driver, 5).until(lambda d: not d.find_element(By.ID, "tip").get_attribute("hidden"))
    return driver.find_element(By.ID, "tip").get_attribute("textContent")


def click(driver, node_id: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    canvas = driver.find_element(By.CSS_SELECTOR, "#network canvas")
    dx, dy = node_offset(driver, node_id)
    ActionChains(driver).move_to_element_with_offset(canvas, dx, dy).click().pause(0.2).perform()


def shown(driver) -> int:
    return js(driver, "return themegraphMap.network.body.data.nodes.length")


@contextmanager
def window(driver, size: tuple[int, int]):
    """The browser window at ``size`` for the block, then back at the module's size."""
    driver.set_window_size(*size)
    try:
        yield
    finally:
        driver.set_window_size(*WINDOWS["1400x900"])


def settled(driver, timeout: float = 20.0) -> None:
    """Wait until the view and the nodes stop moving (physics, a fit's animation)."""
    state = (
        "var n = themegraphMap.network;"
        "return JSON.stringify([n.getScale(), n.getViewPosition(), n.getPositions()]);"
    )
    before, deadline = js(driver, state), time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.4)
        now = js(driver, state)
        if now == before:
            return
        before = now
    raise TimeoutError("the map kept moving")


#: Clearance (px) every node and label keeps from the edges of the visible canvas.
MARGIN = 8
VIEW = """
var margin = arguments[0], m = themegraphMap, net = m.network;
var canvas = document.querySelector('#network canvas').getBoundingClientRect();
var legend = document.getElementById('legend').getBoundingClientRect();
// what the reader sees of the canvas: not under the legend panel beside it, not off the window
var area = {left: canvas.left, top: canvas.top, right: Math.min(canvas.right, legend.left, window.innerWidth),
            bottom: Math.min(canvas.bottom, window.innerHeight)};
function dom(p) { var d = net.canvasToDOM(p); return {x: canvas.left + d.x, y: canvas.top + d.y}; }
var positions = net.getPositions(m.nodeView.getIds()), outside = [];
var span = {left: Infinity, top: Infinity, right: -Infinity, bottom: -Infinity};
Object.keys(positions).forEach(function (id) {
  var b = net.getBoundingBox(id), centre = dom(positions[id]);  // the box holds the label too
  var a = dom({x: b.left, y: b.top}), z = dom({x: b.right, y: b.bottom});
  var r = {left: Math.min(a.x, centre.x), top: Math.min(a.y, centre.y),
           right: Math.max(z.x, centre.x), bottom: Math.max(z.y, centre.y)};
  span = {left: Math.min(span.left, r.left), top: Math.min(span.top, r.top),
          right: Math.max(span.right, r.right), bottom: Math.max(span.bottom, r.bottom)};
  if (r.left < area.left + margin || r.top < area.top + margin ||
      r.right > area.right - margin || r.bottom > area.bottom - margin) outside.push(id);
});
var fill = Math.max((span.right - span.left) / (area.right - area.left),
                    (span.bottom - span.top) / (area.bottom - area.top));
return {outside: outside, fill: fill, scale: net.getScale(), area: area, span: span};
"""


def assert_view_fits(driver, note="") -> None:
    """Once the map stops moving, every shown node and its label lies in the visible canvas
    (``MARGIN`` px clear of its edges, the legend and the window's), and the view is a fit,
    not merely zoomed out: the nodes span 80% of its width or height, unless the map is small
    enough to be shown at zoom 1."""
    settled(driver)
    view = js(driver, VIEW, MARGIN)
    assert view["outside"] == [], f"{note}: {json.dumps(view)}"
    assert view["fill"] > 0.8 or view["scale"] > 0.999, f"{note}: not fitted: {json.dumps(view)}"


@pytest.mark.parametrize("kind", KINDS)
def test_every_map_draws_all_its_nodes_offline(driver, pages, kind, tmp_path, artefacts):
    path, data = pages[kind]
    open_map(driver, path)  # how fast: bench/bench_maps.py
    assert js(driver, "return themegraphMap.nodes.length") == len(data.nodes)
    assert shown(driver) == len(data.nodes)  # nothing folded at this size
    assert js(driver, "return themegraphMap.edges.length") == len(data.edges)
    legend = js(driver, "return document.getElementById('legend').textContent")
    assert data.legend[0].label in legend
    driver.save_screenshot(str(artefacts / f"{kind}.png"))
    assert_offline_and_clean(driver, path)


@pytest.mark.parametrize("size", WINDOWS.values(), ids=WINDOWS.keys())
@pytest.mark.parametrize("kind", KINDS)
def test_the_first_view_shows_every_node_clear_of_the_legend(driver, pages, example_pages, kind, size, tmp_path, artefacts):
    with window(driver, size):
        for name, path in (("test", pages[kind][0]), ("example", example_pages / f"{kind}.html")):
            open_map(driver, path)
            if kind == "participants":
                driver.save_screenshot(str(artefacts / f"{name}-{kind}-matrix.png"))
                graph_view(driver)
            driver.save_screenshot(str(artefacts / f"{name}-{kind}.png"))
            assert_view_fits(driver, name)


@pytest.mark.parametrize("kind", KINDS)
def test_the_view_is_fitted_again_when_the_window_changes_size(driver, example_pages, kind):
    # drawn in a short window that then grows taller, as `chromium --screenshot` does
    with window(driver, (1400, 700)):
        open_map(driver, example_pages / f"{kind}.html")
        graph_view(driver)
        assert_view_fits(driver, "opened")
        for name, size in WINDOWS.items():
            driver.set_window_size(*size)
            assert_view_fits(driver, name)


def test_folding_unfolding_and_fit_show_every_node(driver, example_pages, tmp_path, artefacts):
    path = example_pages / "themes.html"
    open_map(driver, path)
    click(driver, "Theme:mandatory-therapy/theme/key-therapeutic-skills")  # unfolds its 24 codes
    assert shown(driver) == 25 + 24
    assert_view_fits(driver, "one theme unfolded")
    js(driver, "document.getElementById('unfold').click()")
    assert shown(driver) == 257
    assert_view_fits(driver, "all unfolded")
    js(driver, "document.getElementById('fold').click()")
    assert shown(driver) == 5
    assert_view_fits(driver, "all folded")
    js(driver, "themegraphMap.network.moveTo({position: {x: 0, y: 0}, scale: 3})")
    js(driver, "document.getElementById('fit').click()")
    assert_view_fits(driver, "Fit")
    driver.save_screenshot(str(artefacts / "folded.png"))
    assert_offline_and_clean(driver, path)


@pytest.mark.parametrize("kind", ["theory", "citations"])
def test_search_finds_and_focuses_bordin(driver, pages, kind):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    path, _ = pages[kind]
    open_map(driver, path)
    box = driver.find_element(By.ID, "search")
    box.send_keys("bordin", Keys.ENTER)
    WebDriverWait(driver, 5).until(lambda d: "Bordin (1979)" in d.find_element(By.ID, "status").text)
    assert js(driver, "return themegraphMap.network.getSelectedNodes()") == ["Work:work/bordin1979"]
    box.clear()
    box.send_keys("no such node", Keys.ENTER)
    WebDriverWait(driver, 5).until(lambda d: "No node matches" in d.find_element(By.ID, "status").text)
    assert_offline_and_clean(driver, path)


def test_tooltips_show_hostile_quotes_as_text_and_run_nothing(driver, pages, tmp_path, artefacts):
    from selenium.webdriver.common.by import By

    path, _ = pages["themes"]
    open_map(driver, path)
    text = hover(driver, f"Theme:{STUDY}/theme/ambivalence")
    assert "Ambivalence" in text and "3 extracts" in text
    assert IMG_PAYLOAD in text and SCRIPT_PAYLOAD in text and "— PA" in text
    tip = driver.find_element(By.ID, "tip")
    assert tip.find_elements(By.CSS_SELECTOR, "img, script, a") == []
    driver.save_screenshot(str(artefacts / "themes-tooltip.png"))
    assert_offline_and_clean(driver, path)

    path, _ = pages["citations"]
    open_map(driver, path)
    text = hover(driver, "Work:work/evil2020")
    assert HREF_TITLE in text and "Evil (2020) <b>bold</b>" in text
    assert tip_elements(driver) == []
    driver.save_screenshot(str(artefacts / "citations-tooltip.png"))
    assert_offline_and_clean(driver, path)


def tip_elements(driver) -> list:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, "tip").find_elements(By.CSS_SELECTOR, "img, script, a, b")


def test_edge_tooltip_shows_the_evidence_sentence(driver, pages):
    path, _ = pages["theory"]
    open_map(driver, path)
    # hover the middle of the challenge link from the first finding to Bordin
    edge = js(
        driver,
        "var m = themegraphMap; var e = m.edges.get({filter: function (e) {"
        " return e.to === 'Work:work/bordin1979' && e.stance === 'challenges'; }})[0];"
        "var a = m.network.getPosition(e.from), b = m.network.getPosition(e.to);"
        "var p = m.network.canvasToDOM({x: (a.x + b.x) / 2, y: (a.y + b.y) / 2});"
        "var c = document.querySelector('#network canvas');"
        "return [p.x - c.clientWidth / 2, p.y - c.clientHeight / 2];",
    )
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    canvas = driver.find_element(By.CSS_SELECTOR, "#network canvas")
    ActionChains(driver).move_to_element_with_offset(canvas, round(edge[0]), round(edge[1])).pause(0.3).perform()
    WebDriverWait(driver, 5).until(lambda d: not d.find_element(By.ID, "tip").get_attribute("hidden"))
    text = driver.find_element(By.ID, "tip").get_attribute("textContent")
    assert "Challenges: Bordin (1979)" in text and "true collaboration of Bordin (1979)" in text
    assert_offline_and_clean(driver, path)


def test_clicking_a_theme_folds_and_unfolds_what_is_under_it(driver, pages):
    path, _ = pages["themes"]
    open_map(driver, path)
    click(driver, f"Theme:{STUDY}/theme/ambivalence")
    assert shown(driver) == 15  # its three codes folded away
    click(driver, f"Theme:{STUDY}/theme/dynamics-of-forced-work")
    assert shown(driver) == 10  # and the whole final theme
    click(driver, f"Theme:{STUDY}/theme/dynamics-of-forced-work")
    assert shown(driver) == 15  # Ambivalence stays folded inside it
    js(driver, "document.getElementById('unfold').click()")
    assert shown(driver) == 18
    assert_offline_and_clean(driver, path)


def test_page_filters_agree_with_the_build_filters(driver, pages):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    path, _ = pages["theory"]
    open_map(driver, path)
    Select(driver.find_element(By.ID, "stance")).select_by_value("challenges")
    expected = pages["theory-challenges"][1]
    assert shown(driver) == len(expected.nodes)
    assert js(driver, "return themegraphMap.network.body.data.edges.length") == len(expected.edges)

    path, _ = pages["participants"]
    open_map(driver, path)
    graph_view(driver)
    Select(driver.find_element(By.ID, "theme")).select_by_value(f"{STUDY}/theme/being-open")
    assert shown(driver) == len(pages["participants-open"][1].nodes)
    assert "of 9 nodes shown" in driver.find_element(By.ID, "count").text
    assert_offline_and_clean(driver, path)


def test_the_page_lays_the_tree_out_exactly_as_python_does(driver, tmp_path, artefacts):
    store = open_store(db=str(tmp_path / "kb.db"))
    try:
        store.apply(codebook_batch())
        data = build_map(store, "themes", study="big")
    finally:
        store.close()
    write_html(data, tmp_path / "big-themes.html")
    open_map(driver, tmp_path / "big-themes.html")
    assert shown(driver) == 8  # two final and six emerging themes, their codes folded

    def page_positions():
        return js(
            driver,
            "var out = {}; themegraphMap.nodeView.get().forEach(function (n) { out[n.id] = [n.x, n.y]; }); return out;",
        )

    python = {n.id: (n.x, n.y) for n in data.nodes}
    relaid = js(driver, "themegraphMap.refresh(); return true") and page_positions()
    assert len(relaid) == 8
    assert all(relaid[i] == pytest.approx(python[i], abs=1e-6) for i in relaid)
    driver.save_screenshot(str(artefacts / "folded.png"))
    js(driver, "document.getElementById('unfold').click()")
    unfolded = page_positions()
    expected = tree_positions(
        [n.id for n in data.nodes],
        {n.id: n.parents for n in data.nodes},
        {n.id: tree_row(n) for n in data.nodes},
        set(),
        TREE_ASPECT,
    )
    assert len(unfolded) == len(data.nodes)
    assert all(unfolded[i] == pytest.approx(expected[i], abs=1e-6) for i in unfolded)
    driver.save_screenshot(str(artefacts / "unfolded.png"))
    assert_offline_and_clean(driver, tmp_path / "big-themes.html")


@pytest.mark.slow
def test_a_map_of_5000_nodes_and_20000_edges_is_drawn_and_answers(driver, tmp_path, artefacts):
    works, citations = literature(5000, 21000)
    data = place(assemble(works, citations))
    path = tmp_path / "big.html"
    write_html(data, path)
    open_map(driver, path)  # how fast: bench/bench_maps.py (5 s limit)
    assert js(driver, "return themegraphMap.nodes.length") == 5000
    assert js(driver, "return themegraphMap.edges.length") == len(data.edges) >= 20000
    # and it responds: a search focuses a node at once
    assert js(driver, "return themegraphMap.find('Author4321 (')") == "Work:w4321"
    js(driver, "themegraphMap.showEvidence('Work:w4321')")  # and its evidence opens
    assert "CITING SENTENCES (" in panel_text(driver)  # (sections are set in capitals)
    driver.save_screenshot(str(artefacts / "big.png"))
    assert_offline_and_clean(driver, path)


# --- evidence panel, matrix, link labels, studies, filters (issue #19) ------------------------


def panel_text(driver) -> str:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 5).until(lambda d: not d.find_element("id", "evidence").get_attribute("hidden"))
    return driver.find_element("id", "evidence-body").get_attribute("innerText")


def test_clicking_a_node_opens_its_evidence_panel_as_text(driver, pages, artefacts):
    from selenium.webdriver.common.by import By

    path, _ = pages["theory"]
    open_map(driver, path)
    click(driver, "Construct:theory/working-alliance/bonds")
    text = panel_text(driver)
    for expected in ("Bonds", "FINDINGS (1)", "Challenges: Forced work works against collaboration",
                     "This goes against the true collaboration.", "Dynamics of forced work", "Partner pressure",
                     f"“{IMG_PAYLOAD}”", "— PB · Ambivalence"):
        assert expected in text, expected
    body = driver.find_element(By.ID, "evidence-body")
    assert body.find_elements(By.CSS_SELECTOR, "img, script, a, b") == []
    driver.save_screenshot(str(artefacts / "theory-evidence.png"))
    js(driver, "document.getElementById('evidence-close').click()")
    assert driver.find_element(By.ID, "evidence").get_attribute("hidden") == "true"
    assert_view_fits(driver, "panel closed")
    assert_offline_and_clean(driver, path)

    path, _ = pages["citations"]
    open_map(driver, path)
    click(driver, "Work:work/bordin1979")
    text = panel_text(driver)
    assert "CITING SENTENCES (3)" in text and "Bordin (1979) alone." in text and "ms · Discussion · extends" in text
    assert_offline_and_clean(driver, path)


def test_participants_open_as_a_matrix_sortable_both_ways(driver, pages, artefacts):
    from selenium.webdriver.common.by import By

    path, data = pages["participants"]
    open_map(driver, path)
    assert driver.find_element(By.ID, "network").value_of_css_property("display") == "none"

    def table():
        return js(driver, "return Array.from(document.querySelectorAll('#matrix tr')).map(function (tr) {"
                          " return Array.from(tr.children).map(function (c) { return c.innerText.trim(); }); });")

    rows = table()
    assert [r[0] for r in rows[1:]] == ["PA (2)", "PB (1)", "PC (2)", "PD (2)"]
    assert rows[0][1:] == ["Dynamics of forced work (1)", "Ambivalence (2)", "Levels of coercion (1)",
                           "Being open (2)", "Giving choice (2)"]
    assert rows[4][1:] == ["", "", "", "2", "1"]  # PD
    driver.save_screenshot(str(artefacts / "matrix.png"))
    js(driver, "document.querySelectorAll('#matrix thead th.col button')[3].click()")  # by Being open
    assert [r[0] for r in table()[1:]][0] == "PD (2)"
    js(driver, "document.querySelectorAll('#matrix tbody th button')[0].click()")  # themes by PD's counts
    assert table()[0][1] == "Being open (2)"
    js(driver, "document.querySelector('#matrix th.corner button').click()")  # the map's own order
    assert table()[0][1] == "Dynamics of forced work (1)"
    js(driver, "document.querySelector(\"#matrix button[data-cell='Participant:ms/participant/pd "
               "Theme:ms/theme/being-open']\").click()")
    text = panel_text(driver)
    assert "PD — Being open" in text and "“I am very open about what I write in reports”" in text
    driver.save_screenshot(str(artefacts / "matrix-cell.png"))
    js(driver, "document.getElementById('view-graph').click()")
    assert shown(driver) == len(data.nodes)
    assert_view_fits(driver, "graph")
    assert_offline_and_clean(driver, path)


def test_theory_link_labels_show_on_hover_or_for_a_selected_node_only(driver, pages, artefacts):
    path, _ = pages["theory"]
    open_map(driver, path)
    labels = "return themegraphMap.edges.get().filter(function (e) { return e.label; }).map(function (e) { return e.id; })"
    assert js(driver, labels) == []
    driver.save_screenshot(str(artefacts / "theory-quiet.png"))
    click(driver, f"Finding:{STUDY}/finding/f1")
    expected = js(driver, f"return themegraphMap.network.getConnectedEdges('Finding:{STUDY}/finding/f1')"
                          ".filter(function (id) { return themegraphMap.edges.get(id).quiet; })")
    assert len(expected) == 3 and sorted(js(driver, labels)) == sorted(expected)
    driver.save_screenshot(str(artefacts / "theory-selected.png"))
    js(driver, "themegraphMap.network.unselectAll(); themegraphMap.network.emit('deselectNode', {nodes: []})")
    assert js(driver, labels) == []
    assert_offline_and_clean(driver, path)


def test_a_map_of_two_studies_outlines_and_filters_each(driver, tmp_path, artefacts):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    with open_store(db=str(tmp_path / "kb.db")) as store:
        for batch in map_batches(studies=(STUDY, "other")):
            store.apply(batch)
        data = build_map(store, "themes")
    write_html(data, tmp_path / "both.html")
    open_map(driver, tmp_path / "both.html")
    assert not driver.find_element(By.ID, "study-filter").get_attribute("hidden")
    Select(driver.find_element(By.ID, "study")).select_by_value("other")
    assert shown(driver) == sum(n.study == "other" for n in data.nodes) == 18
    assert driver.find_element(By.ID, "count").text == "18 of 36 nodes shown · study: other"
    assert_view_fits(driver, "one study")
    driver.save_screenshot(str(artefacts / "two-studies.png"))
    assert_offline_and_clean(driver, tmp_path / "both.html")


def test_a_filtered_map_opens_with_its_filter_chosen(driver, tmp_path, artefacts):
    from selenium.webdriver.common.by import By

    with open_store(db=str(tmp_path / "kb.db")) as store:
        for batch in map_batches():
            store.apply(batch)
        data = build_map(store, "theory", study=STUDY, stance="challenges")
    write_html(data, tmp_path / "challenges.html")
    open_map(driver, tmp_path / "challenges.html")
    assert js(driver, "return document.getElementById('stance').value") == "challenges"
    assert driver.find_element(By.ID, "subtitle").text.startswith("stance: challenges · shown: 3 themes, 1 finding")
    assert shown(driver) == len(data.nodes) == 7
    assert driver.find_element(By.ID, "count").text == "7 nodes · stance: challenges"
    driver.save_screenshot(str(artefacts / "challenges.png"))
    assert_offline_and_clean(driver, tmp_path / "challenges.html")


def test_tree_labels_stay_readable_and_never_overlap_at_any_zoom(driver, example_pages, artefacts):
    path = example_pages / "themes.html"
    finals = {"Dynamics of forced work", "Explicit terms of working", "Persuasive encouragement to engage",
              "Connecting with the human element", "Preservation and Protection"}

    def drawn():
        settled(driver)
        labels = js(driver, "return themegraphMap.drawnLabels().map(function (r) {"
                            " var n = themegraphMap.nodes.get(r.id); return [n.kind, n.label, r.px,"
                            " r.left, r.top, r.right, r.bottom]; })")
        for i, a in enumerate(labels):  # no two labels share a pixel
            for b in labels[i + 1 :]:
                assert not (a[3] < b[5] and b[3] < a[5] and a[4] < b[6] and b[4] < a[6]), (a, b)
        assert min(label[2] for label in labels) >= 11  # readable: 11 px or more on the screen
        return labels

    open_map(driver, path)
    first = drawn()
    assert finals <= {label for _, label, *_ in first}
    driver.save_screenshot(str(artefacts / "folded.png"))
    js(driver, "document.getElementById('unfold').click()")
    unfolded = drawn()
    assert finals <= {label for _, label, *_ in unfolded}
    codes_at_fit = sum(kind == "Code" for kind, *_ in unfolded)
    assert codes_at_fit > 0
    driver.save_screenshot(str(artefacts / "unfolded.png"))
    js(driver, "var m = themegraphMap; m.network.moveTo({position: m.network.getPosition("
               "'Theme:mandatory-therapy/theme/key-therapeutic-skills'), scale: 1})")
    close = drawn()
    assert sum(kind == "Code" for kind, *_ in close) >= 10  # zoomed in, the codes have room
    driver.save_screenshot(str(artefacts / "zoomed.png"))
    assert_offline_and_clean(driver, path)
