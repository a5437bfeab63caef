// Activations panel: per activation layer over training, on a fixed validation batch: the fraction of dead ReLUs
// (never positive), of saturated sigmoid/tanh units, and the mean and std of the outputs.
(function () {
  "use strict";

  const STATS = [
    ["dead", "dead ReLU fraction", { range: [0, 1] }],
    ["saturated", "saturated sigmoid/tanh fraction", { range: [0, 1] }],
    ["std", "std of the activations", {}],
    ["mean", "mean of the activations", {}],
  ];

  document.addEventListener("descent:run", (event) => {
    const view = event.detail;
    const P = window.Panels;
    const panel = P.panel(view.root, "activations", (d) => {
      const body = panel.body.querySelector(".panel-charts");
      for (const [key, title, yaxis] of STATS) {
        const layers = d.layers.filter((layer) => d.series[layer][key]);
        let div = body.querySelector(`[data-stat=${key}]`);
        if (!layers.length) {
          if (div) div.hidden = true;
          continue;
        }
        if (!div) {
          div = P.element("div", "chart");
          div.dataset.stat = key;
          body.appendChild(div);
        }
        div.hidden = false;
        const traces = layers.map((layer) => ({
          x: d.steps, y: d.series[layer][key], mode: "lines+markers", marker: { size: 4 },
          name: `${layer} (${d.kinds[layer] || "?"})`,
          line: { color: P.depthColor(d.layers.indexOf(layer), d.layers.length), width: 1.6 },
        }));
        const layout = window.Curves.legendBelow(P.layout(title, { xaxis: { title: { text: "step" } }, yaxis }),
          traces.map((t) => t.name), div.clientWidth || 400);
        Plotly.react(div, traces, layout, window.Curves.PLOT_CONFIG);
      }
    });
    if (panel) view.probes.activation_stats = (step, data) => panel.update(data);
  });
})();
