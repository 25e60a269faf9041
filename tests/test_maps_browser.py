"""The map pages in a real browser (headless Chromium): drawn, offline, searchable, safe.

Skips locally without chromium/chromedriver/selenium; under CI=true their absence fails.
Screenshots of every page are saved in the test's tmp_path (look at them: a map that renders
but reads badly is a bug too).
"""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import EXAMPLE
from test_maps import HREF_TITLE, IMG_PAYLOAD, SCRIPT_PAYLOAD, STUDY, codebook_batch, map_batches

from themegraph.graph.open import open_store
from themegraph.loaders.study import read_study
from themegraph.maps import KINDS, build_map, write_html
from browser import chromium, open_map, requests, unavailable
from themegraph.maps.citations import assemble
from themegraph.maps.layout import TREE_ASPECT, place, tree_positions, tree_row
from bench.synthetic import literature

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
def test_every_map_draws_all_its_nodes_offline(driver, pages, kind, tmp_path):
    path, data = pages[kind]
    open_map(driver, path)  # how fast: bench/bench_maps.py
    assert js(driver, "return themegraphMap.nodes.length") == len(data.nodes)
    assert shown(driver) == len(data.nodes)  # nothing folded at this size
    assert js(driver, "return themegraphMap.edges.length") == len(data.edges)
    legend = js(driver, "return document.getElementById('legend').textContent")
    assert data.legend[0].label in legend
    driver.save_screenshot(str(tmp_path / f"{kind}.png"))
    assert_offline_and_clean(driver, path)


@pytest.mark.parametrize("size", WINDOWS.values(), ids=WINDOWS.keys())
@pytest.mark.parametrize("kind", KINDS)
def test_the_first_view_shows_every_node_clear_of_the_legend(driver, pages, example_pages, kind, size, tmp_path):
    with window(driver, size):
        for name, path in (("test", pages[kind][0]), ("example", example_pages / f"{kind}.html")):
            open_map(driver, path)
            driver.save_screenshot(str(tmp_path / f"{name}-{kind}.png"))
            assert_view_fits(driver, name)


@pytest.mark.parametrize("kind", KINDS)
def test_the_view_is_fitted_again_when_the_window_changes_size(driver, example_pages, kind):
    # drawn in a short window that then grows taller, as `chromium --screenshot` does
    with window(driver, (1400, 700)):
        open_map(driver, example_pages / f"{kind}.html")
        assert_view_fits(driver, "opened")
        for name, size in WINDOWS.items():
            driver.set_window_size(*size)
            assert_view_fits(driver, name)


def test_folding_unfolding_and_fit_show_every_node(driver, example_pages, tmp_path):
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
    driver.save_screenshot(str(tmp_path / "folded.png"))
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


def test_tooltips_show_hostile_quotes_as_text_and_run_nothing(driver, pages, tmp_path):
    from selenium.webdriver.common.by import By

    path, _ = pages["themes"]
    open_map(driver, path)
    text = hover(driver, f"Theme:{STUDY}/theme/ambivalence")
    assert "Ambivalence" in text and "3 extracts" in text
    assert IMG_PAYLOAD in text and SCRIPT_PAYLOAD in text and "— PA" in text
    tip = driver.find_element(By.ID, "tip")
    assert tip.find_elements(By.CSS_SELECTOR, "img, script, a") == []
    driver.save_screenshot(str(tmp_path / "themes-tooltip.png"))
    assert_offline_and_clean(driver, path)

    path, _ = pages["citations"]
    open_map(driver, path)
    text = hover(driver, "Work:work/evil2020")
    assert HREF_TITLE in text and "Evil (2020) <b>bold</b>" in text
    assert tip_elements(driver) == []
    driver.save_screenshot(str(tmp_path / "citations-tooltip.png"))
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
    Select(driver.find_element(By.ID, "theme")).select_by_value(f"{STUDY}/theme/being-open")
    assert shown(driver) == len(pages["participants-open"][1].nodes)
    assert "of 9 nodes shown" in driver.find_element(By.ID, "count").text
    assert_offline_and_clean(driver, path)


def test_the_page_lays_the_tree_out_exactly_as_python_does(driver, tmp_path):
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
    driver.save_screenshot(str(tmp_path / "folded.png"))
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
    driver.save_screenshot(str(tmp_path / "unfolded.png"))
    assert_offline_and_clean(driver, tmp_path / "big-themes.html")


@pytest.mark.slow
def test_a_map_of_5000_nodes_and_20000_edges_is_drawn_and_answers(driver, tmp_path):
    works, citations = literature(5000, 21000)
    data = place(assemble(works, citations))
    path = tmp_path / "big.html"
    write_html(data, path)
    open_map(driver, path)  # how fast: bench/bench_maps.py (5 s limit)
    assert js(driver, "return themegraphMap.nodes.length") == 5000
    assert js(driver, "return themegraphMap.edges.length") == len(data.edges) >= 20000
    # and it responds: a search focuses a node at once
    assert js(driver, "return themegraphMap.find('Author4321 (')") == "Work:w4321"
    driver.save_screenshot(str(tmp_path / "big.png"))
    assert_offline_and_clean(driver, path)
