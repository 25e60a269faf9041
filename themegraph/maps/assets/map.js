/* ThemeGraph map page.
 *
 * Reads the map from the JSON block #map-data and draws it with vis-network.  Every piece of
 * text from the study (labels, tooltips, legend, filter names) reaches the page through
 * textContent or the canvas, never as markup.  Tooltips are our own element, not vis's popup.
 * The theme/stance rule in passes() is the one themegraph/maps/filters.py applies at build time.
 */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("map-data").textContent);
  var TIP_ROLES = { h: true, m: true, p: true, q: true, a: true };
  var SWATCHES = { dot: true, square: true, diamond: true, triangle: true, star: true, line: true, dashed: true };
  var COLOUR = /^#[0-9a-fA-F]{6}$/;

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  // --- model ---------------------------------------------------------------------------------
  var byId = new Map();
  var children = new Map();
  data.nodes.forEach(function (n) {
    byId.set(n.id, n);
    (n.parents || []).forEach(function (p) {
      if (!children.has(p)) children.set(p, []);
      children.get(p).push(n.id);
    });
  });
  var state = { theme: "", stance: "", study: "", collapsed: new Set(data.collapsed), visible: new Set() };

  function passes(n) {
    if (state.study && n.study && n.study !== state.study) return false;
    if (state.theme && n.themes && n.themes.indexOf(state.theme) < 0) return false;
    if (state.stance && n.stances && n.stances.indexOf(state.stance) < 0) return false;
    return true;
  }

  /* Which nodes are shown: a node is folded away when it has parents and every one of them is
     folded or collapsed (parents come before their children in data.nodes); a shown node also
     passes the filters.  An edge is shown when both its ends are and it passes the stance filter. */
  function computeShown() {
    var folded = new Set();
    var visible = new Set();
    data.nodes.forEach(function (n) {
      var ps = (n.parents || []).filter(function (p) { return byId.has(p); });
      if (ps.length && ps.every(function (p) { return folded.has(p) || state.collapsed.has(p); })) folded.add(n.id);
      else if (passes(n)) visible.add(n.id);
    });
    state.visible = visible;
  }

  // --- tree layout: a line-by-line port of layout.tree_positions (themes map) ------------------
  var T = data.tree;

  function treePositions(hidden) {
    var shown = [];
    data.nodes.forEach(function (n) { if (!hidden.has(n.id)) shown.push(n.id); });
    var shownSet = new Set(shown);
    var children = new Map();
    var roots = [];
    shown.forEach(function (i) { children.set(i, []); });
    shown.forEach(function (i) {
      var parent = (byId.get(i).parents || []).find(function (p) { return shownSet.has(p) && p !== i; });
      if (parent !== undefined) children.get(parent).push(i); else roots.push(i);
    });
    var pos = new Map();
    var seen = new Set();
    var blocks = [];
    roots.concat(shown).forEach(function (root) {
      if (seen.has(root)) return;
      var cursor = { y: 0 };
      var members = [];
      lay(root, 0, children, pos, seen, cursor, members);
      var width = members.reduce(function (m, id) { return Math.max(m, pos.get(id)[0]); }, -Infinity) + T.leaf;
      blocks.push({ members: members, width: width, height: cursor.y });
    });
    var x = 0;
    (blocks.length ? treeColumns(blocks) : []).forEach(function (column) {
      var y = 0;
      column.forEach(function (b) {
        blocks[b].members.forEach(function (m) { pos.set(m, [pos.get(m)[0] + x, pos.get(m)[1] + y]); });
        y += blocks[b].height + T.block;
      });
      x += Math.max.apply(null, column.map(function (b) { return blocks[b].width; })) + T.block;
    });
    return pos;
  }

  function lay(node, depth, children, pos, seen, cursor, members) {
    seen.add(node);
    members.push(node);
    var kids = children.get(node).filter(function (k) { return !seen.has(k); });
    if (!kids.length) {
      pos.set(node, [depth * T.column, cursor.y]);
      cursor.y += byId.get(node).row;
      return pos.get(node)[1];
    }
    var ys = [];
    var leaves = [];
    function flush() {
      var cols = Math.max(1, Math.floor(Math.sqrt(leaves.length / 4) + 0.5));
      var perCol = Math.ceil(leaves.length / cols);
      var row = Math.max.apply(null, leaves.map(function (leaf) { return byId.get(leaf).row; }));
      leaves.forEach(function (leaf, i) {
        pos.set(leaf, [(depth + 1) * T.column + Math.floor(i / perCol) * T.leaf, cursor.y + (i % perCol) * row]);
        seen.add(leaf);
        members.push(leaf);
      });
      ys.push(cursor.y, cursor.y + (perCol - 1) * row);
      cursor.y += perCol * row;
      leaves = [];
    }
    kids.forEach(function (kid) {
      if (children.get(kid).some(function (k) { return !seen.has(k); })) {
        if (leaves.length) flush();
        ys.push(lay(kid, depth + 1, children, pos, seen, cursor, members));
      } else {
        leaves.push(kid);
      }
    });
    if (leaves.length) flush();
    cursor.y += T.gap;
    pos.set(node, [depth * T.column, (Math.min.apply(null, ys) + Math.max.apply(null, ys)) / 2]);
    return pos.get(node)[1];
  }

  function treeColumns(blocks) {
    var total = blocks.reduce(function (t, b) { return t + b.height; }, 0);
    var best = [blocks.map(function (_, i) { return i; })];
    var bestScore = Infinity;
    for (var k = 1; k <= blocks.length; k++) {
      var columns = [[]];
      var height = 0;
      blocks.forEach(function (b, i) {
        if (columns[columns.length - 1].length && height + b.height > total / k && columns.length < k) {
          columns.push([]);
          height = 0;
        }
        columns[columns.length - 1].push(i);
        height += b.height + T.block;
      });
      var width = columns.reduce(function (w, col) {
        return w + Math.max.apply(null, col.map(function (i) { return blocks[i].width; }));
      }, 0) + T.block * (columns.length - 1);
      var tallest = Math.max.apply(null, columns.map(function (col) {
        return col.reduce(function (h, i) { return h + blocks[i].height; }, 0) + T.block * (col.length - 1);
      }));
      var score = Math.abs(Math.log(Math.max(width, 1) / Math.max(tallest, 1) / T.aspect));
      if (score < bestScore - 1e-9) { best = columns; bestScore = score; }
    }
    return best;
  }

  /* Lay the shown part of the tree out again (after folding or filtering). */
  function relayout() {
    if (!T) return;
    var hidden = new Set();
    data.nodes.forEach(function (n) { if (!state.visible.has(n.id)) hidden.add(n.id); });
    var pos = treePositions(hidden);
    var moved = [];
    pos.forEach(function (p, id) { moved.push({ id: id, x: p[0], y: p[1] }); });
    nodes.update(moved);
  }

  function foldLabel(n) {
    var kids = children.get(n.id);
    if (kids && state.collapsed.has(n.id)) return { label: n.label + "  ▸ " + kids.length, borderWidth: 3 };
    return { label: n.label, borderWidth: 1 };
  }

  computeShown();
  /* A tree's labels are drawn by the page, not by vis (see "labels by zoom" below): vis keeps
     them, transparent, so that it still measures them when it fits the view. */
  var QUIET_FONT = { color: "rgba(0,0,0,0)", strokeWidth: 0 };
  var nodes = new vis.DataSet(data.nodes.map(function (n) {
    var item = Object.assign({}, n, foldLabel(n));
    if (T) item.font = Object.assign({}, n.font || {}, QUIET_FONT);
    return item;
  }));
  // link labels (a finding's stance) are drawn only for a hovered link or a selected node's links
  var edges = new vis.DataSet(data.edges.map(function (e) {
    var copy = Object.assign({}, e);
    if (copy.label) { copy.quiet = copy.label; copy.label = ""; }
    return copy;
  }));
  var nodeView = new vis.DataView(nodes, { filter: function (n) { return state.visible.has(n.id); } });
  var edgeView = new vis.DataView(edges, {
    filter: function (e) {
      return state.visible.has(e.from) && state.visible.has(e.to) && (!state.stance || !e.stance || e.stance === state.stance);
    },
  });

  var container = $("network");
  var options = data.options;
  options.physics.enabled = data.physics;
  var network = new vis.Network(container, { nodes: nodeView, edges: edgeView }, options);

  // --- view ----------------------------------------------------------------------------------
  /* The view shows every shown node, labels included, until the reader zooms, pans, drags or
     searches.  vis's fit() alone misses labels: it measures a label only when it draws it, so
     on opening and after a relayout it fits to the nodes' shapes or to where labels were.
     Hence fit, draw (every node is then on the canvas and gets measured; nothing is painted
     before this script yields), fit again.  vis rescales rather than refits when the canvas
     changes size, and physics moves nodes after vis's own fit, so both refit too. */
  var fitted = true;

  function fitView(animate) {
    var from = { position: network.getViewPosition(), scale: network.getScale() };
    network.fit();
    network.redraw();
    network.fit();
    fitted = true;
    if (animate) {
      var to = { position: network.getViewPosition(), scale: network.getScale(), animation: { duration: 300 } };
      network.moveTo(from);
      network.moveTo(to);
    }
  }

  function keepFitted() { if (fitted) fitView(false); }
  // created after vis's own observer, so it runs once vis has resized the canvas, before painting
  var size = container.clientWidth + "x" + container.clientHeight;
  new ResizeObserver(function () {
    var now = container.clientWidth + "x" + container.clientHeight;
    if (now !== size) { size = now; keepFitted(); }  // (not on the first report: opening fits)
  }).observe(container);
  network.on("stabilized", function () { setTimeout(keepFitted, 0); });  // once vis's physics step is over
  ["zoom", "dragStart"].forEach(function (ev) { network.on(ev, function () { fitted = false; }); });

  /* Apply the fold state and filters: a tree is laid out again; the view is fitted unless told not to. */
  function refresh(keepView) {
    computeShown();
    var changed = [];
    data.nodes.forEach(function (n) {
      if (children.has(n.id)) changed.push(Object.assign({ id: n.id }, foldLabel(n)));
    });
    if (changed.length) nodes.update(changed);
    relayout();
    nodeView.refresh();
    edgeView.refresh();
    countShown();
    if (matrix && matrix.shown()) matrix.draw();
    if (!keepView) fitView(true);
  }

  /* "n of N nodes shown", and the filters in force (the subtitle says what a map was built with). */
  function countShown() {
    var shown = nodeView.length;
    var filters = [];
    ["study", "theme", "stance"].forEach(function (name) {
      var select = $(name);
      if (state[name] && select.selectedIndex > 0) {
        filters.push(name + ": " + select.options[select.selectedIndex].text.trim());
      }
    });
    $("count").textContent = (shown === data.nodes.length
      ? data.nodes.length + " nodes"
      : shown + " of " + data.nodes.length + " nodes shown") + (filters.length ? " · " + filters.join(" · ") : "");
  }

  // --- labels by zoom (tree maps) ------------------------------------------------------------
  /* Every label is drawn at a fixed size on the screen (final themes largest), with a white
     halo, in order of rank: final themes, then deeper themes, then codes; a label that would
     overlap one already drawn (or leave the canvas) is left out.  Zoomed out, the themes stay
     legible and the codes give way; zooming in makes room and their labels appear. */
  var LABEL_PX = [15, 13, 12];
  var CODE_PX = 11;
  var LABEL_MAX_PX = 170;
  var drawnLabels = [];

  function labelLines(ctx, text, px) {
    ctx.font = px + "px " + data.options.nodes.font.face;
    var lines = [];
    var line = "";
    String(text).split(/\s+/).forEach(function (word) {
      var next = line ? line + " " + word : word;
      if (line && ctx.measureText(next).width > LABEL_MAX_PX) { lines.push(line); line = word; } else line = next;
    });
    if (line) lines.push(line);
    return lines;
  }

  function drawTreeLabels(ctx) {
    var scale = network.getScale();
    var ranked = [];
    nodeView.forEach(function (n) { ranked.push(n); });
    ranked.sort(function (a, b) { return (b.font && b.font.size || 14) - (a.font && a.font.size || 14); });
    var positions = network.getPositions(ranked.map(function (n) { return n.id; }));
    var canvas = container.getBoundingClientRect();
    var placed = [];
    ctx.save();
    ctx.setTransform(window.devicePixelRatio || 1, 0, 0, window.devicePixelRatio || 1, 0, 0);
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    ranked.forEach(function (n) {
      if (!positions[n.id]) return;  // not in the network (yet)
      var size = n.font && n.font.size || 14;
      var px = n.kind === "Code" ? CODE_PX : size >= 28 ? LABEL_PX[0] : size >= 20 ? LABEL_PX[1] : LABEL_PX[2];
      var lines = labelLines(ctx, n.label, px);
      var width = Math.max.apply(null, lines.map(function (l) { return ctx.measureText(l).width; }));
      var at = network.canvasToDOM(positions[n.id]);
      var radius = (n.size || 10) * scale;
      var height = lines.length * px * 1.2;
      // a node with shown children: its label below it; a leaf: beside it, clear of its row's
      // neighbours (right, else left); whichever place first fits the canvas and clears the rest
      var leaf = !(children.get(n.id) || []).some(function (k) { return state.visible.has(k); });
      var spots = {
        right: { left: at.x + radius + 4, top: at.y - height / 2, align: "left" },
        left: { left: at.x - radius - 4 - width, top: at.y - height / 2, align: "right" },
        below: { left: at.x - width / 2, top: at.y + radius + 3, align: "center" },
      };
      var order = leaf ? ["right", "left", "below"] : ["below", "right", "left"];
      var rect = null;
      for (var s = 0; s < order.length && !rect; s++) {
        var spot = spots[order[s]];
        var r = { left: spot.left - 2, right: spot.left + width + 2, top: spot.top, bottom: spot.top + height };
        if (r.left < 0 || r.top < 0 || r.right > canvas.width || r.bottom > canvas.height) continue;
        var clear = placed.every(function (o) {
          return !(r.left < o.right && o.left < r.right && r.top < o.bottom && o.top < r.bottom);
        });
        if (clear) { rect = r; rect.spot = spot; }
      }
      if (!rect) return;
      placed.push(rect);
      ctx.font = (n.kind === "Theme" && size >= 28 ? "600 " : "") + px + "px " + data.options.nodes.font.face;
      var spot = rect.spot;
      ctx.textAlign = spot.align;
      var x = spot.align === "left" ? spot.left : spot.align === "right" ? spot.left + width : at.x;
      lines.forEach(function (l, k) {
        ctx.lineWidth = 3;
        ctx.strokeStyle = "#ffffff";
        ctx.strokeText(l, x, spot.top + k * px * 1.2);
        ctx.fillStyle = "#1f2933";
        ctx.fillText(l, x, spot.top + k * px * 1.2);
      });
      delete rect.spot;
      rect.id = n.id;
      rect.px = px;
    });
    ctx.restore();
    drawnLabels = placed;
  }
  if (T) network.on("afterDrawing", drawTreeLabels);

  // --- evidence panel ------------------------------------------------------------------------
  /* Clicking a node shows its audit trail (or, lacking one, its tooltip) as text beside the map. */
  var TRAIL_ROLES = { h: true, s: true, m: true, p: true, q: true, a: true };
  var panel = $("evidence");
  var panelBody = $("evidence-body");
  function showEvidence(id) {
    var n = byId.get(id);
    if (!n) return;
    var trail = n.trail || [];
    // a trail that opens with a heading stands alone; any other continues the tooltip
    showLines(trail.length && trail[0][0] === "h" ? trail : (n.tip || []).concat(trail), id);
  }
  function showLines(lines, id) {
    if (!lines || !lines.length) return;
    panelBody.replaceChildren();
    lines.forEach(function (line) {
      panelBody.appendChild(el("div", "trail-" + (TRAIL_ROLES[line[0]] ? line[0] : "p"), line[1]));
    });
    panel.hidden = false;
    panel.scrollTop = 0;
    panel.setAttribute("data-node", id);
  }
  function hideEvidence() { panel.hidden = true; panel.removeAttribute("data-node"); }
  $("evidence-close").addEventListener("click", hideEvidence);
  document.addEventListener("keydown", function (ev) { if (ev.key === "Escape") hideEvidence(); });

  // --- matrix view (matrix.js) ----------------------------------------------------------------
  var matrix = data.matrix ? themegraphMatrix({
    data: data, state: state, el: el, $: $, COLOUR: COLOUR, showLines: showLines, container: container, fitView: fitView,
  }) : null;

  // --- folding -------------------------------------------------------------------------------
  network.on("click", function (p) {
    if (p.nodes.length === 1) showEvidence(p.nodes[0]);
    if (p.nodes.length === 1 && children.has(p.nodes[0])) {
      var id = p.nodes[0];
      if (state.collapsed.has(id)) state.collapsed.delete(id); else state.collapsed.add(id);
      refresh();
    }
  });
  var foldable = Array.from(children.keys());
  $("unfold").hidden = $("fold").hidden = foldable.length === 0;
  $("unfold").addEventListener("click", function () { state.collapsed.clear(); refresh(); });
  $("fold").addEventListener("click", function () { state.collapsed = new Set(foldable); refresh(); });

  // --- filters -------------------------------------------------------------------------------
  function fillSelect(select, items) {
    items.forEach(function (item) {
      var o = el("option", null, item.text);
      o.value = item.value;
      select.appendChild(o);
    });
  }
  fillSelect($("theme"), (data.themeOptions || []).map(function (t) {
    return { value: t[0], text: "\u2003".repeat(t[2]) + t[1] };
  }));
  fillSelect($("stance"), (data.stanceOptions || []).map(function (s) { return { value: s, text: s }; }));
  fillSelect($("study"), (data.studyOptions || []).map(function (s) { return { value: s, text: s }; }));
  $("study-filter").hidden = !(data.studyOptions || []).length;
  $("study").addEventListener("change", function (ev) { state.study = ev.target.value; refresh(); });
  $("theme-filter").hidden = !(data.themeOptions || []).length;
  $("stance-filter").hidden = !(data.stanceOptions || []).length;
  // a map built with --theme/--stance opens with that filter chosen (its data holds nothing else)
  state.theme = $("theme").value = (data.applied || {}).theme || "";
  state.stance = $("stance").value = (data.applied || {}).stance || "";
  $("theme").addEventListener("change", function (ev) { state.theme = ev.target.value; refresh(); });
  $("stance").addEventListener("change", function (ev) { state.stance = ev.target.value; refresh(); });

  var physics = $("physics");
  physics.checked = data.physics;
  physics.addEventListener("change", function () { network.setOptions({ physics: { enabled: physics.checked } }); });
  $("fit").addEventListener("click", function () { fitView(true); });

  // --- search --------------------------------------------------------------------------------
  var lowered = data.nodes.map(function (n) { return n.label.toLowerCase(); });
  var labels = $("labels");
  Array.from(new Set(data.nodes.map(function (n) { return n.label; }))).sort().forEach(function (label) {
    var o = document.createElement("option");
    o.value = label;
    labels.appendChild(o);
  });
  var search = { query: null, matches: [], at: -1 };

  function say(text) { $("status").textContent = text; }

  function reveal(n) {
    if (state.visible.has(n.id)) return;
    if (!passes(n)) {
      state.theme = state.stance = state.study = "";
      $("theme").value = $("stance").value = $("study").value = "";
    }
    var todo = (n.parents || []).slice();
    while (todo.length) {
      var p = todo.pop();
      state.collapsed.delete(p);
      if (byId.has(p)) todo = todo.concat(byId.get(p).parents || []);
    }
    refresh(true);
  }

  /* Find the next node whose label contains the query (case-insensitive), show and focus it. */
  function find(query) {
    var q = String(query || "").trim().toLowerCase();
    if (!q) { say(""); return null; }
    if (q !== search.query) {
      search.query = q;
      search.at = -1;
      search.matches = [];
      lowered.forEach(function (label, i) { if (label.indexOf(q) >= 0) search.matches.push(data.nodes[i]); });
    }
    if (!search.matches.length) { say("No node matches “" + String(query).trim() + "”"); return null; }
    search.at = (search.at + 1) % search.matches.length;
    var n = search.matches[search.at];
    reveal(n);
    network.selectNodes([n.id]);
    fitted = false;
    network.focus(n.id, { scale: Math.max(network.getScale(), 1.1), animation: { duration: 400 } });
    say((search.at + 1) + " of " + search.matches.length + ": " + n.label);
    return n.id;
  }
  var box = $("search");
  box.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { ev.preventDefault(); find(box.value); } });
  box.addEventListener("change", function () { find(box.value); });
  $("find").addEventListener("click", function () { find(box.value); });

  // --- legend --------------------------------------------------------------------------------
  var legend = $("legend");
  var section = null;
  data.legend.forEach(function (item) {
    if (item.section !== section) {
      section = item.section;
      legend.appendChild(el("h2", null, section));
    }
    var row = el("div", "legend-row");
    var swatch = el("span", "sw sw-" + (SWATCHES[item.shape] ? item.shape : "dot"));
    if (COLOUR.test(item.color)) swatch.style.setProperty("--c", item.color);
    row.appendChild(swatch);
    row.appendChild(el("span", "legend-label", item.label));
    legend.appendChild(row);
  });
  if (data.note) legend.appendChild(el("p", "note", data.note));
  legend.appendChild(el("p", "note", "Hover a node or link for details; click a node for its evidence" +
    (foldable.length ? " (a theme also folds or unfolds what is under it: ▸ n, n folded)." : ".")));

  // --- tooltips ------------------------------------------------------------------------------
  var tip = $("tip");
  function hideTip() { tip.hidden = true; }
  function showTip(lines, pointer) {
    if (!lines || !lines.length) { hideTip(); return; }
    tip.replaceChildren();
    lines.forEach(function (line) {
      tip.appendChild(el("div", "tip-" + (TIP_ROLES[line[0]] ? line[0] : "p"), line[1]));
    });
    tip.hidden = false;
    var frame = container.getBoundingClientRect();
    var x = frame.left + pointer.DOM.x + 14;
    var y = frame.top + pointer.DOM.y + 14;
    if (x + tip.offsetWidth > window.innerWidth - 8) x = Math.max(8, x - tip.offsetWidth - 28);
    if (y + tip.offsetHeight > window.innerHeight - 8) y = Math.max(8, window.innerHeight - tip.offsetHeight - 8);
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  }
  network.on("hoverNode", function (p) { var n = byId.get(p.node); showTip(n && n.tip, p.pointer); });
  network.on("hoverEdge", function (p) {
    var e = edges.get(p.edge);
    showTip(e && e.tip, p.pointer);
    if (e && e.quiet) edges.update({ id: e.id, label: e.quiet });
  });
  var labelled = new Set();  // links whose label a selection shows
  function labelLinks() {
    var want = new Set();
    network.getSelectedNodes().forEach(function (id) {
      network.getConnectedEdges(id).forEach(function (e) { want.add(e); });
    });
    var changes = [];
    edges.forEach(function (e) {
      if (!e.quiet) return;
      var on = want.has(e.id);
      if (on !== labelled.has(e.id) || (!on && e.label)) changes.push({ id: e.id, label: on ? e.quiet : "" });
    });
    labelled = want;
    if (changes.length) edges.update(changes);
  }
  network.on("blurEdge", function (p) {
    var e = edges.get(p.edge);
    if (e && e.quiet && !labelled.has(e.id)) edges.update({ id: e.id, label: "" });
  });
  ["selectNode", "deselectNode"].forEach(function (ev) { network.on(ev, labelLinks); });
  ["blurNode", "blurEdge", "dragStart", "zoom"].forEach(function (ev) { network.on(ev, hideTip); });

  // --- ready ---------------------------------------------------------------------------------
  fitView(false);
  function ready() {
    window.themegraphReady = performance.now();
    document.body.setAttribute("data-ready", "1");
  }
  network.once("afterDrawing", function () {
    if (matrix) matrix.show(true);  // the graph is drawn (and measured) first, then the matrix shown
    ready();
  });
  countShown();
  window.themegraphMap = {
    network: network, nodes: nodes, edges: edges, nodeView: nodeView, edgeView: edgeView,
    find: find, state: state, refresh: refresh, treePositions: treePositions, showEvidence: showEvidence,
    showView: matrix ? matrix.show : function () {}, drawnLabels: function () { return drawnLabels.slice(); },
  };
})();
