// Histograms panel: per layer, a heat strip of the weights and one of log10|gradient|: steps run left to right,
// bins bottom (low) to top (high); each column is scaled to its own peak, so it shows where the mass sits.
(function () {
  "use strict";

  function strip(P, cell, title, data, bins, note) {
    let canvas = cell.querySelector("canvas");
    if (!canvas) {
      cell.append(P.element("div", "strip-title"), P.element("canvas", "strip"), P.element("div", "strip-axis"));
      canvas = cell.querySelector("canvas");
    }
    const columns = data.steps.length;
    const z = P.decodeBytes(data.z);
    // column-major on the wire; the canvas wants rows, highest bin on top
    const values = new Float32Array(columns * bins);
    for (let c = 0; c < columns; c++) {
      for (let b = 0; b < bins; b++) values[(bins - 1 - b) * columns + c] = z[c * bins + b];
    }
    P.paint(canvas, values, columns, bins, 0, 255, "heat");
    cell.querySelector(".strip-title").textContent = `${title} · ${note(data.lo)} … ${note(data.hi)}`;
    cell.querySelector(".strip-axis").textContent = `step ${window.Curves.number(data.steps[0])} … ${window.Curves.number(data.steps[columns - 1])}`;
  }

  document.addEventListener("descent:run", (event) => {
    const view = event.detail;
    const P = window.Panels;
    const panel = P.panel(view.root, "histograms", (d) => {
      const grid = panel.body.querySelector(".strips");
      for (const layer of d.layers) {
        let row = grid.querySelector(`[data-layer="${CSS.escape(layer)}"]`);
        if (!row) {
          row = P.element("div", "strip-row");
          row.dataset.layer = layer;
          row.append(P.element("div", "strip-name", layer), P.element("div", "strip-cell"), P.element("div", "strip-cell"));
          grid.appendChild(row);
        }
        const [weights, grads] = row.querySelectorAll(".strip-cell");
        if (d.weights[layer]) strip(P, weights, "weights", d.weights[layer], d.bins, (v) => v.toPrecision(2));
        if (d.grads[layer]) strip(P, grads, "log₁₀|gradient|", d.grads[layer], d.bins, (v) => v.toFixed(0));
      }
    });
    if (panel) view.probes.histograms = (step, data) => panel.update(data);
  });
})();
