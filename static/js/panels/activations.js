// Activations panel: per activation layer over training, on a fixed validation batch: the fraction of dead ReLUs
// (never positive), of saturated sigmoid/tanh units, and the mean and std of the outputs; then each unit's curve and
// slope with the layer's latest pre-activation histogram under it, and batch norm's batch vs running statistics.
(function () {
  "use strict";

  const STATS = [
    ["dead", "dead ReLU fraction", { range: [0, 1] }],
    ["saturated", "saturated sigmoid/tanh fraction", { range: [0, 1] }],
    ["std", "std of the activations", {}],
    ["mean", "mean of the activations", {}],
  ];
  const MAX_CURVES = 4;
  const MAX_NORMS = 4;

  function chartIn(P, parent, key) {
    let div = parent.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (!div) {
      div = P.element("div", "chart");
      div.dataset.key = key;
      parent.appendChild(div);
    }
    return div;
  }

  function part(P, body, name) {
    let node = body.querySelector(`[data-part=${name}]`);
    if (!node) {
      node = P.element("div", "panel-charts");
      node.dataset.part = name;
      body.appendChild(node);
    }
    return node;
  }

  function evenly(items, limit) {
    if (items.length <= limit) return items;
    const picks = new Set(Array.from({ length: limit }, (_, i) => Math.round((i * (items.length - 1)) / (limit - 1))));
    return [...picks].map((i) => items[i]);
  }

  function drawStats(P, body, d) {
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
  }

  async function drawCurves(P, body, d) {
    if (!d.inputs || !d.functions) return; // a reading from before the lesson existed
    const curves = await window.ActivationCurve.load();
    const node = part(P, body, "functions");
    const step = d.steps[d.steps.length - 1];
    for (const layer of evenly(d.layers.filter((l) => curves[d.functions[l]] && d.inputs[l]), MAX_CURVES)) {
      const name = d.functions[layer];
      window.ActivationCurve.draw(chartIn(P, node, layer), name, curves[name], d.inputs[layer], d.input_range,
        `layer ${layer} (${name}): its inputs at step ${step}`);
    }
  }

  function drawNorms(P, body, d) {
    const layers = evenly(Object.keys(d.batch_norm || {}), MAX_NORMS);
    if (!layers.length) return;
    const node = part(P, body, "batch-norm");
    for (const layer of layers) {
      const s = d.batch_norm[layer];
      const channels = s.batch_mean.map((_, i) => i);
      const dot = (y, name, color, axis, open) => ({
        x: channels, y, name, mode: "markers", yaxis: axis, showlegend: axis === "y",
        marker: { color, size: 7, symbol: open ? "circle-open" : "circle" },
      });
      const traces = [
        dot(s.batch_mean, "this batch (training normalizes with it)", "#dc2626", "y", false),
        dot(s.running_mean, "running average (eval normalizes with it)", "#2563eb", "y", true),
        dot(s.batch_var, "this batch", "#dc2626", "y2", false),
        dot(s.running_var, "running average", "#2563eb", "y2", true),
      ];
      const layout = P.layout(`batch norm ${layer}: per-channel mean (top) and variance (bottom)`, {
        height: 300, xaxis: { title: { text: "channel" } },
        yaxis: { domain: [0.55, 1] }, yaxis2: { domain: [0, 0.42], anchor: "x", rangemode: "tozero" },
      });
      Plotly.react(chartIn(P, node, layer), traces, layout, window.Curves.PLOT_CONFIG);
    }
  }

  document.addEventListener("descent:run", (event) => {
    const view = event.detail;
    const P = window.Panels;
    const panel = P.panel(view.root, "activations", (d) => {
      drawStats(P, panel.body.querySelector(".panel-charts"), d);
      drawCurves(P, panel.body, d);
      drawNorms(P, panel.body, d);
    });
    if (panel) view.probes.activation_stats = (step, data) => panel.update(data);
  });
})();
