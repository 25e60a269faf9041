"""How fast is a 5,000-node, 20,000-edge map written, and how fast is it interactive?

A synthetic co-citation map (``bench.synthetic``: clustered works, two per sentence)
goes through the real pipeline: ``citations.assemble`` (Louvain clusters), ``layout.place``
and ``write_html``.  Baselines measured in the same run: ``json.dumps`` of the page's node
and edge lists (the least any writer must do), and, in headless Chromium, a bare page that
only parses the same JSON (the least any page must do before drawing).  Times are the best of
``--repeat`` runs.  Limits: build and write under 10 s, the PNG figure under 10 s, drawn and
interactive under 5 s, a node's evidence panel filled under 0.2 s; the exit status is 1 when
one is missed.  (These timings live here, not
in the tests, where a busy machine would make them flake.)

    .venv/bin/python bench/bench_maps.py [--nodes 5000] [--edges 20000] [--repeat 3] [--no-browser]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # run as a script: bench.synthetic; tests/browser.py

from bench.synthetic import literature  # noqa: E402
from themegraph.maps.citations import assemble  # noqa: E402
from themegraph.maps.figure import write_figure  # noqa: E402
from themegraph.maps.html import network, script_json, write_html  # noqa: E402
from themegraph.maps.layout import place  # noqa: E402

WRITE_LIMIT = 10.0
INTERACTIVE_LIMIT = 5.0
PANEL_LIMIT = 0.2
BARE_PAGE = (
    '<!DOCTYPE html><meta charset="utf-8"><script type="application/json" id="map-data">{data}</script>'
    '<script>var d = JSON.parse(document.getElementById("map-data").textContent);'
    "window.themegraphReady = performance.now();</script>"
)


def best_of(repeat: int, run) -> tuple[float, object]:
    """The fastest of ``repeat`` timed calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return min(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--edges", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-browser", action="store_true", help="skip the headless Chromium part")
    parser.add_argument("--keep", type=Path, help="write the page here too, to look at it")
    args = parser.parse_args()

    works, citations = literature(args.nodes, int(args.edges * 1.05))
    folder = Path(tempfile.mkdtemp(prefix="bench-maps-"))
    page = folder / "map.html"

    cluster, data = best_of(args.repeat, lambda: assemble(works, citations))
    layout, _ = best_of(args.repeat, lambda: place(data))
    write, _ = best_of(args.repeat, lambda: write_html(data, page))
    net = network(data)
    dump, _ = best_of(args.repeat, lambda: json.dumps([net["nodes"], net["edges"]]))
    figure, _ = best_of(args.repeat, lambda: write_figure(data, folder / "map.png", "png"))
    total = cluster + layout + write
    rows = [
        ("cluster (Louvain)", cluster, None, None),
        ("layout", layout, None, None),
        ("write HTML", write, dump, None),
        ("build + write", total, None, WRITE_LIMIT),
        ("figure (PNG, 300 dpi)", figure, None, WRITE_LIMIT),
    ]
    if not args.no_browser:
        drawn, parsed, panel = _browser(page, net, folder, args.repeat)
        rows.append(("browser: drawn, interactive", drawn, parsed, INTERACTIVE_LIMIT))
        rows.append(("browser: evidence panel opened", panel, None, PANEL_LIMIT))
    if args.keep:
        write_html(data, args.keep)

    print(f"map: {len(data.nodes):,} nodes, {len(data.edges):,} edges, {page.stat().st_size / 1e6:.1f} MB page")
    print(f"{'step':<30}{'seconds':>9}{'baseline':>10}{'ratio':>8}{'limit':>8}")
    missed = False
    for name, seconds, baseline, limit in rows:
        ratio = f"{seconds / baseline:.1f}x" if baseline else ""
        verdict = ""
        if limit:
            verdict = f"{limit:g} s " + ("ok" if seconds < limit else "MISSED")
            missed |= seconds >= limit
        base = f"{baseline:.3f}" if baseline else ""
        print(f"{name:<30}{seconds:>9.3f}{base:>10}{ratio:>8}  {verdict}")
    print("baselines: json.dumps of the node and edge lists; a bare page that only parses the same JSON")
    return 1 if missed else 0


def _browser(page: Path, net, folder: Path, repeat: int) -> tuple[float, float, float]:
    """Best time to a drawn network, to a parsed-JSON bare page, and to fill the evidence panel
    of the most-cited work (its citing sentences), in headless Chromium."""
    from browser import chromium, open_map, unavailable

    reason = unavailable()
    if reason:
        sys.exit(f"browser part: {reason} (or run with --no-browser)")
    bare = folder / "bare.html"
    bare.write_text(BARE_PAGE.format(data=script_json({"nodes": net["nodes"], "edges": net["edges"]})), encoding="utf-8")
    driver = chromium(folder / "profile")
    try:
        drawn = min(open_map(driver, page) for _ in range(repeat))
        first = net["nodes"][0]["id"]  # the most cited: the longest panel
        panel = min(
            driver.execute_script(
                "var t = performance.now(); themegraphMap.showEvidence(arguments[0]);"
                "document.getElementById('evidence-body').getBoundingClientRect();"  # laid out
                "return (performance.now() - t) / 1000;",
                first,
            )
            for _ in range(repeat)
        )
        parsed = min(open_map(driver, bare) for _ in range(repeat))
    finally:
        driver.quit()
    return drawn, parsed, panel


if __name__ == "__main__":
    sys.exit(main())
