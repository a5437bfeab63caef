// Gradients panel: grad_norm/<layer>, weight_norm/<layer> and update_ratio/<layer>, one trace per layer coloured
// by depth, on the page's curve controls (smoothing, x axis). Series are found by prefix, live and from history.
(function () {
  "use strict";

  const THROTTLE_MS = 1000; // many layers × three charts: redrawn a few times a second, not at every point
  const KINDS = [
    ["grad_norm/", "gradient norm", "grad", true],
    ["weight_norm/", "weight norm", "weight", false],
    ["update_ratio/", "‖Δw‖ / ‖w‖ per step (≈1e-3 is typical)", "update", true],
  ];

  document.addEventListener("descent:run", (event) => {
    const view = event.detail;
    const details = view.root.querySelector("#panel-gradients");
    if (!details) return;
    const P = window.Panels;
    const C = window.Curves;
    const layers = []; // layer names in the order the model defines them
    const charts = {}; // prefix -> CurveChart, made on first open (a closed panel costs nothing to feed)
    const stored = {}; // metric name -> {step, epoch, time, value}

    function drawSoon() {
      // each chart on its own turn of the frame queue: three charts never make one long task
      if (details.open) Object.values(charts).forEach((chart) => chart.schedule(THROTTLE_MS));
    }

    function ensureSeries(name) {
      if (stored[name]) return stored[name];
      stored[name] = { step: [], epoch: [], time: [], value: [] };
      const layer = name.slice(name.indexOf("/") + 1);
      if (!layers.includes(layer)) {
        layers.push(layer);
        details.hidden = false;
        details.querySelector("[data-layer-count]").textContent = `${layers.length} layers`;
      }
      if (Object.keys(charts).length) addToChart(name);
      return stored[name];
    }

    function addToChart(name) {
      const [prefix] = KINDS.find(([p]) => name.startsWith(p));
      const chart = charts[prefix];
      const layer = name.slice(prefix.length);
      if (chart.get(name)) return;
      chart.add(name, layer, P.depthColor(layers.indexOf(layer), layers.length));
      chart.setData(name, stored[name]);
    }

    function build() {
      const body = details.querySelector(".panel-body");
      for (const [prefix, title, key, log] of KINDS) {
        const div = P.element("div", "chart");
        div.dataset.chart = "layers-" + key;
        body.appendChild(div);
        // a legend of many layers would crowd out the plot; hovering names them, colours go blue to red by depth
        charts[prefix] = new C.CurveChart(div, title, { log, height: 260, legend: layers.length <= 8 });
      }
      // colours follow depth, so they are set once every layer is known
      for (const name of Object.keys(stored)) addToChart(name);
      for (const chart of Object.values(charts)) {
        chart.series.forEach((s) => (s.color = P.depthColor(layers.indexOf(s.label), layers.length)));
        chart.schedule();
      }
    }

    details.addEventListener("toggle", () => {
      if (!details.open) return;
      if (!Object.keys(charts).length) build();
      else drawSoon();
    });

    document.addEventListener("descent:history", (e) => {
      for (const [name, data] of Object.entries(e.detail.series)) {
        if (!KINDS.some(([prefix]) => name.startsWith(prefix))) continue;
        const series = ensureSeries(name);
        for (const key of ["step", "epoch", "time", "value"]) series[key] = data[key].slice();
        for (const chart of Object.values(charts)) if (chart.get(name)) chart.setData(name, series);
      }
    });

    document.addEventListener("descent:metrics", (e) => {
      const m = e.detail;
      for (const [name, value] of Object.entries(m.values)) {
        if (!KINDS.some(([prefix]) => name.startsWith(prefix))) continue;
        const series = ensureSeries(name);
        series.step.push(m.step);
        series.epoch.push(m.epoch);
        series.time.push(m.time);
        series.value.push(value);
        // a chart keeps its own copy of the data (setData copies): appended to here, drawn on the throttle
        for (const chart of Object.values(charts)) {
          const drawn = chart.get(name);
          if (!drawn) continue;
          for (const key of ["step", "epoch", "time"]) drawn.data[key].push(m[key]);
          drawn.data.value.push(value);
        }
      }
      drawSoon();
    });
  });
})();
