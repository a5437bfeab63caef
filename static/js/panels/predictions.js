// Predictions panel: the fitted curve (1-D regression), forecasts (sequences), the validation confusion matrix
// and a grid of test samples with the predicted class (green when right, red when wrong).
(function () {
  "use strict";

  const config = () => window.Curves.PLOT_CONFIG;
  const colors = () => window.Curves.PALETTE;

  function part(panel, name) {
    const div = panel.body.querySelector(`[data-part=${name}]`);
    div.hidden = false;
    return div;
  }

  function fitCurve(P, panel, d) {
    const div = part(panel, "fit_curve");
    const x = Array.from({ length: d.n }, (_, i) => d.x0 + ((d.x1 - d.x0) * i) / (d.n - 1));
    const traces = [];
    if (d.points) {
      traces.push({ x: d.points.train.x, y: d.points.train.y, mode: "markers", name: "train",
        marker: { size: 4, color: "#9ca3af" } });
      traces.push({ x: d.points.val.x, y: d.points.val.y, mode: "markers", name: "validation",
        marker: { size: 4, color: colors()[1] } });
    }
    traces.push({ x, y: d.y, mode: "lines", name: "prediction", line: { color: colors()[0], width: 2.5 } });
    Plotly.react(div, traces, P.layout("fitted curve", { height: 300, xaxis: { title: { text: "x" } } }), config());
  }

  function forecast(P, panel, d) {
    if (!d.series || !d.predictions) return;
    const div = part(panel, "forecast");
    const traces = [];
    let offset = 0;
    d.series.windows.forEach((window_, i) => {
      const t = window_.length;
      const future = d.series.targets[i].map((_, k) => offset + t + k);
      const first = i === 0;
      traces.push({ x: window_.map((_, k) => offset + k), y: window_, mode: "lines", name: "input window",
        line: { color: "#9ca3af" }, showlegend: first, legendgroup: "w" });
      traces.push({ x: future, y: d.series.targets[i], mode: "markers", name: "true future",
        marker: { color: colors()[2], size: 8 }, showlegend: first, legendgroup: "t" });
      traces.push({ x: future, y: d.predictions[i], mode: "markers", name: "forecast",
        marker: { color: colors()[0], size: 8, symbol: "x" }, showlegend: first, legendgroup: "p" });
      offset += t + d.series.targets[i].length + 4;
    });
    Plotly.react(div, traces, P.layout("forecasts on validation windows", { height: 260 }), config());
    const scatter = part(panel, "forecast_scatter");
    const all = d.series.scatter_true.concat(d.scatter_predicted);
    const lo = Math.min(...all);
    const hi = Math.max(...all);
    Plotly.react(scatter, [
      { x: d.series.scatter_true, y: d.scatter_predicted, mode: "markers", name: "validation", marker: { size: 4 } },
      { x: [lo, hi], y: [lo, hi], mode: "lines", name: "perfect", line: { dash: "dot", color: "#9ca3af" } },
    ], P.layout("predicted vs true (next value)", {
      height: 260, xaxis: { title: { text: "true" } }, yaxis: { title: { text: "predicted" } } }), config());
  }

  function confusion(P, panel, d) {
    const div = part(panel, "confusion_matrix");
    Plotly.react(div, [{
      type: "heatmap", z: d.matrix, x: d.classes, y: d.classes, colorscale: [[0, "#ffffff"], [1, "#1d4ed8"]], showscale: false,
      texttemplate: "%{z}", hovertemplate: "true %{y}, predicted %{x}: %{z}<extra></extra>",
    }], P.layout(`confusion matrix (${d.samples} validation samples)`, {
      // automargin: long class names (horizontal_stripes) push the plot aside instead of being cut off
      height: 340, xaxis: { title: { text: "predicted", standoff: 6 }, type: "category", automargin: true, tickangle: -30 },
      yaxis: { title: { text: "true" }, autorange: "reversed", type: "category", automargin: true } }), config());
  }

  async function samples(P, panel, d) {
    if (!d.samples || !d.predicted) return;
    const grid = part(panel, "test_samples").querySelector(".sample-grid");
    const s = d.samples;
    const atlas = s.kind === "image" ? await P.decodeAtlas(s) : null;
    const fresh = grid.dataset.drawn !== (s.png || "signal"); // the samples never change: painted once
    grid.dataset.drawn = s.png || "signal";
    while (grid.children.length > s.labels.length) grid.lastChild.remove();
    s.labels.forEach((label, i) => {
      let cell = grid.children[i];
      if (!cell) {
        cell = P.element("figure", "sample");
        cell.append(P.element("canvas"), P.element("figcaption"));
        grid.appendChild(cell);
      }
      const canvas = cell.querySelector("canvas");
      if (!fresh) {
        // only the caption changes
      } else if (atlas) {
        const values = atlas.maps[i];
        P.paint(canvas, values, atlas.w, atlas.h, atlas.lo[i], atlas.hi[i], "gray");
      } else {
        sparkline(canvas, s.values[i]);
      }
      const predicted = d.predicted[i];
      const caption = cell.querySelector("figcaption");
      caption.textContent = `${s.classes[predicted] ?? predicted} ${Math.round(100 * d.confidence[i])}%`;
      caption.title = `true: ${s.classes[label] ?? label}`;
      cell.className = "sample " + (predicted === label ? "right" : "wrong");
    });
  }

  function sparkline(canvas, values) {
    canvas.width = 80;
    canvas.height = 40;
    const ctx = canvas.getContext("2d");
    const lo = Math.min(...values);
    const span = Math.max(...values) - lo || 1;
    ctx.clearRect(0, 0, 80, 40);
    ctx.beginPath();
    values.forEach((v, k) => ctx.lineTo((80 * k) / (values.length - 1), 38 - (36 * (v - lo)) / span));
    ctx.strokeStyle = "#1f2937";
    ctx.stroke();
  }

  document.addEventListener("descent:run", (event) => {
    const view = event.detail;
    const P = window.Panels;
    const draws = { fit_curve: fitCurve, forecast, confusion_matrix: confusion, test_samples: samples };
    for (const [name, draw] of Object.entries(draws)) {
      const panel = P.panel(view.root, "predictions", (d) => draw(P, panel, d), name);
      if (panel) view.probes[name] = (step, data) => panel.update(data);
    }
  });
})();
