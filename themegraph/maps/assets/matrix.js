/* ThemeGraph map page: the matrix view, for a map that has one (participants x themes).
 *
 * Loaded with map.js, in the same inline script; map.js calls themegraphMatrix(page) with what
 * the view shares with the graph (the data, the filter state, the evidence panel, the view).
 * Like map.js, it puts every piece of text in with textContent.
 */
function themegraphMatrix(page) {
  "use strict";

  /* A heatmap the page opens with where the map has one: extracts per cell, rows and columns
     sortable (click a theme for the participants who speak to it most, a participant for the
     themes they speak to most, the corner for the map's own order), a cell's quotes on click.
     The theme filter applies as in the graph: rows and columns whose node is shown. */
  var M = page.data.matrix;
  var state = page.state, el = page.el, $ = page.$, COLOUR = page.COLOUR;
  var matrixBox = $("matrix");
  var sortBy = { row: null, column: null };

  function count(r, c) { var cell = M.cells[r.id + " " + c.id]; return cell ? cell.n : 0; }

  function drawMatrix() {
    var rows = M.rows.filter(function (r) { return state.visible.has(r.id); });
    var cols = M.columns.filter(function (c) { return state.visible.has(c.id); });
    if (sortBy.column) rows.sort(function (a, b) { return count(b, sortBy.column) - count(a, sortBy.column) || a.label.localeCompare(b.label); });
    if (sortBy.row) cols.sort(function (a, b) { return count(sortBy.row, b) - count(sortBy.row, a) || a.label.localeCompare(b.label); });
    var most = 1;
    rows.forEach(function (r) { cols.forEach(function (c) { most = Math.max(most, count(r, c)); }); });
    var table = el("table");
    var head = el("tr");
    var corner = el("th", "corner");
    var reset = el("button", null, "participant \\ theme");
    reset.type = "button";
    reset.title = "The map's own order";
    reset.addEventListener("click", function () { sortBy = { row: null, column: null }; drawMatrix(); });
    corner.appendChild(reset);
    head.appendChild(corner);
    cols.forEach(function (c) {
      var th = el("th", "col" + (sortBy.column === c ? " sorted" : ""));
      var b = el("button", null, "\u2003".repeat(c.depth) + c.label + " (" + c.total + ")");
      b.type = "button";
      b.title = "Sort participants by " + c.label;
      if (COLOUR.test(c.color)) b.style.setProperty("--c", c.color);
      b.addEventListener("click", function () { sortBy.column = c; drawMatrix(); });
      th.appendChild(b);
      head.appendChild(th);
    });
    var thead = el("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    var body = el("tbody");
    rows.forEach(function (r) {
      var tr = el("tr");
      var th = el("th", sortBy.row === r ? "sorted" : "");
      var b = el("button", null, r.label + " (" + r.total + ")");
      b.type = "button";
      b.title = "Sort themes by " + r.label;
      b.addEventListener("click", function () { sortBy.row = r; drawMatrix(); });
      th.appendChild(b);
      tr.appendChild(th);
      cols.forEach(function (c) {
        var n = count(r, c);
        var td = el("td");
        var cell = el("button", null, n ? String(n) : "");
        cell.type = "button";
        cell.setAttribute("data-cell", r.id + " " + c.id);
        if (n) {
          var share = 0.12 + 0.88 * n / most;
          cell.style.background = "rgba(31, 41, 51, " + share.toFixed(3) + ")";
          cell.style.color = share > 0.5 ? "#fff" : "#1f2933";
          cell.title = r.label + " — " + c.label + ": " + n;
          cell.addEventListener("click", function () { page.showLines(M.cells[r.id + " " + c.id].trail, r.id + " " + c.id); });
        } else {
          cell.disabled = true;
        }
        td.appendChild(cell);
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    table.appendChild(body);
    matrixBox.replaceChildren(table);
  }

  function showView(matrix) {
    matrixBox.hidden = !matrix;
    page.container.style.display = matrix ? "none" : "";
    $("view-matrix").setAttribute("aria-pressed", String(matrix));
    $("view-graph").setAttribute("aria-pressed", String(!matrix));
    if (matrix) drawMatrix(); else page.fitView(false);
  }

  $("views").hidden = false;
  $("view-matrix").addEventListener("click", function () { showView(true); });
  $("view-graph").addEventListener("click", function () { showView(false); });
  return { draw: drawMatrix, show: showView, shown: function () { return !matrixBox.hidden; } };
}
