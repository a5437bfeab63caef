// Decision boundary panel: the class-score grid as a heatmap under the training points.
(function () {
  "use strict";

  function decode(b64) {
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  }

  document.addEventListener("descent:run", (event) => {
    const view = event.detail;
    const div = view.root.querySelector("[data-chart=boundary]");
    if (!div) return;
    let points = null;
    view.probes.decision_boundary = (step, d) => {
      div.hidden = false;
      if (d.points) points = d.points;
      const bytes = decode(d.z);
      const z = [];
      for (let r = 0; r < d.n; r++) {
        const row = Array.from(bytes.subarray(r * d.n, (r + 1) * d.n));
        z.push(d.z_kind === "probability" ? row.map((v) => v / 255) : row);
      }
      const lin = (a, b) => Array.from({ length: d.n }, (_, i) => a + ((b - a) * i) / (d.n - 1));
      const colors = window.Curves.PALETTE;
      const traces = [{
        type: "heatmap", x: lin(d.x0, d.x1), y: lin(d.y0, d.y1), z, showscale: false, opacity: 0.55, hoverinfo: "skip",
        zmin: 0, zmax: d.z_kind === "probability" ? 1 : d.n_classes - 1,
        colorscale: d.z_kind === "probability"
          ? [[0, colors[0]], [0.5, "#ffffff"], [1, colors[1]]]
          : colors.slice(0, d.n_classes).map((c, i) => [i / Math.max(1, d.n_classes - 1), c]),
      }];
      if (points) {
        for (let k = 0; k < d.n_classes; k++) {
          const idx = points.label.map((l, i) => (l === k ? i : -1)).filter((i) => i >= 0);
          traces.push({
            type: "scatter", mode: "markers", name: "class " + k, x: idx.map((i) => points.x[i]),
            y: idx.map((i) => points.y[i]), marker: { size: 5, color: colors[k], line: { color: "#fff", width: 0.5 } },
          });
        }
      }
      Plotly.react(div, traces, {
        title: { text: `decision boundary · step ${window.Curves.number(step)}`, font: { size: 14 }, x: 0.02, xanchor: "left" },
        margin: { l: 44, r: 12, t: 36, b: 64 }, height: 364, paper_bgcolor: "rgba(0,0,0,0)",
        xaxis: { title: { text: "x₁" } }, yaxis: { title: { text: "x₂" }, scaleanchor: "x" },
        legend: { orientation: "h", x: 0, xanchor: "left", yref: "container", y: 0, yanchor: "bottom" },
      }, window.Curves.PLOT_CONFIG);
    };
  });
})();
