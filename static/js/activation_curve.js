// The activation lesson: a unit's curve f(x) and its slope f'(x) over [−6, 6] (computed by the engine, served in the
// catalog), with the pre-activations a layer really receives drawn under it: where they sit on the flat parts,
// sigmoid saturates and ReLU is dead, and backprop multiplies by the slope found there.
(function () {
  "use strict";

  let curves = null;
  function load() {
    // one fetch per page; the server builds the catalog once
    curves = curves || fetch("/api/catalog").then((r) => r.json()).then((catalog) =>
      Object.fromEntries(catalog.activations.filter((a) => a.curve).map((a) => [a.name, a.curve])));
    return curves;
  }

  // histogram: counts over `range` in equal bins (end bins hold everything beyond), or null for the curve alone
  function draw(div, name, curve, histogram = null, range = [-6, 6], title = null) {
    const traces = [
      { x: curve.x, y: curve.y, name: `${name}(x)`, mode: "lines", line: { color: "#2563eb", width: 2 } },
      { x: curve.x, y: curve.dy, name: `${name}′(x)`, mode: "lines", line: { color: "#dc2626", width: 1.6, dash: "dot" } },
    ];
    const layout = {
      title: { text: title || `${name}: value and slope`, font: { size: 13 }, x: 0.02, xanchor: "left" },
      height: histogram ? 300 : 220, margin: { l: 44, r: 10, t: 30, b: 34 },
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fff",
      legend: { orientation: "h", x: 1, xanchor: "right", y: 1.02, yanchor: "bottom", font: { size: 10 } },
      xaxis: { range, title: { text: histogram ? "pre-activation x" : "x" }, zeroline: true },
      yaxis: { domain: histogram ? [0.36, 1] : [0, 1], zeroline: true },
    };
    if (histogram) {
      const total = histogram.reduce((a, b) => a + b, 0) || 1;
      const width = (range[1] - range[0]) / histogram.length;
      traces.push({
        type: "bar", x: histogram.map((_, i) => range[0] + (i + 0.5) * width), y: histogram.map((c) => c / total),
        width, yaxis: "y2", name: "share of pre-activations", marker: { color: "#6b7280" },
      });
      layout.yaxis2 = { domain: [0, 0.28], anchor: "x", rangemode: "tozero", tickformat: ".0%" };
    }
    Plotly.react(div, traces, layout, window.Curves.PLOT_CONFIG);
  }

  window.ActivationCurve = { load, draw };
})();

// the builder: the chosen network's activation, redrawn as the person picks another
(function () {
  "use strict";

  function refresh() {
    const box = document.getElementById("activation-lesson");
    const select = document.querySelector("#builder [name='model.params.activation']");
    const name = select && select.value;
    window.ActivationCurve.load().then((curves) => {
      box.hidden = !curves[name];
      if (curves[name]) window.ActivationCurve.draw(document.getElementById("activation-curve"), name, curves[name]);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!document.getElementById("activation-lesson")) return;
    refresh();
    document.getElementById("builder").addEventListener("change", refresh);
    document.body.addEventListener("htmx:afterSwap", refresh);
  });
})();
