// Curves shared by the run and compare pages: raw series kept in full, drawn with TensorBoard's
// debiased EMA smoothing, x by step / epoch / wall time, linear or log y.
(function () {
  "use strict";

  // TensorBoard's debiased EMA, with the weight following the step gap: a point `gap` steps after the last
  // one keeps s^(gap/unit) of it, where `unit` is the run's logging interval. A series logged at every point
  // smooths as TensorBoard's does; a validation point 500 steps after the previous one is barely pulled back.
  // Written as shown += w·(y − shown), w = (1−s')/(weights so far), which is the debiased EMA exactly and
  // leaves a constant series unchanged to the last digit. Non-finite values pass through and do not count.
  function smooth(values, s, steps = null, unit = 1) {
    if (!s) return values.slice();
    let shown = 0;
    let weight = 0; // 1 − Π s': what the debiasing divides by
    let previous = null;
    return values.map((y, i) => {
      if (y === null || !isFinite(y)) return y;
      const gap = steps && previous !== null ? Math.max(0, steps[i] - steps[previous]) / unit : 1;
      const kept = Math.pow(s, gap);
      weight = kept * weight + (1 - kept);
      shown = weight ? shown + ((1 - kept) / weight) * (y - shown) : y;
      previous = i;
      return shown;
    });
  }

  // the steps between logged points of a chart: its own setting, else the smallest gap any of its series shows
  function loggingUnit(series) {
    let unit = Infinity;
    for (const s of series) {
      const steps = s.data.step;
      for (let i = 1; i < steps.length; i++) if (steps[i] > steps[i - 1]) unit = Math.min(unit, steps[i] - steps[i - 1]);
    }
    return isFinite(unit) ? unit : 1;
  }
  const MARKERS_BELOW = 30; // a series with fewer points is drawn with markers: each one is a measurement

  // values of one series read at other steps (linear between its points; null outside them)
  function interpolate(steps, values, at) {
    let j = 0;
    return at.map((x) => {
      while (j < steps.length - 2 && steps[j + 1] < x) j++;
      if (!steps.length || x < steps[0] || x > steps[steps.length - 1]) return null;
      const k = Math.min(j + 1, steps.length - 1);
      const span = steps[k] - steps[j];
      if (!span) return values[j];
      const t = (x - steps[j]) / span;
      return values[j] === null || values[k] === null ? null : values[j] + t * (values[k] - values[j]);
    });
  }

  // indices of at most ~`max` points that keep each bucket's lowest and highest value (spikes stay visible),
  // the first and the last; null when every point fits. A 200 000-point history draws as fast as a short one.
  function thinned(values, max) {
    const n = values.length;
    if (n <= max) return null;
    const buckets = Math.max(1, Math.floor(max / 2));
    const size = n / buckets;
    const keep = [0];
    for (let b = 0; b < buckets; b++) {
      const from = Math.floor(b * size), to = Math.min(n, Math.floor((b + 1) * size));
      let lo = -1, hi = -1;
      for (let i = from; i < to; i++) {
        const y = values[i];
        if (y === null || !isFinite(y)) { lo = hi = i; break; } // a non-finite point is the news: keep it
        if (lo < 0 || y < values[lo]) lo = i;
        if (hi < 0 || y > values[hi]) hi = i;
      }
      if (lo >= 0) keep.push(Math.min(lo, hi), Math.max(lo, hi));
    }
    keep.push(n - 1);
    return [...new Set(keep)].sort((a, b) => a - b);
  }
  const pick = (values, index) => (index ? index.map((i) => values[i]) : values);
  const MAX_DRAWN = 1200; // points drawn per series: about two a pixel of a chart's width
  const MIN_GAP_MS = 250; // a live chart redraws at most 4 times a second, however fast points arrive

  // a legend beside the title overlaps it as soon as either is long (a val note, a member's name): every legend
  // goes under the plot, growing the chart by its rows
  function legendBelow(layout, names, width = 400) {
    if (!names.length) return layout;
    // rows of the legend: entries (~6 px a character and 40 px of symbol) packed into the chart's width
    let rows = 1, used = 0;
    for (const name of names) {
      const entry = 40 + 6 * String(name).length;
      if (used && used + entry > width) [rows, used] = [rows + 1, 0];
      used += entry;
    }
    layout.legend = { orientation: "h", x: 0, xanchor: "left", yref: "container", y: 0, yanchor: "bottom",
      font: { size: 10 } };
    layout.margin = { ...layout.margin, b: (layout.margin?.b ?? 40) + 24 + 16 * rows };
    layout.height = (layout.height ?? 260) + 24 + 16 * rows;
    return layout;
  }

  const PALETTE = ["#2563eb", "#ea580c", "#059669", "#db2777", "#7c3aed", "#ca8a04", "#0891b2", "#4b5563",
    "#dc2626", "#65a30d", "#9333ea", "#0d9488"];
  const X_TITLES = { step: "step", epoch: "epoch", time: "wall time (s)" };
  const PLOT_CONFIG = { displaylogo: false, responsive: true };
  const options = { smoothing: 0.6, x: "step", log: false, ignoreOutliers: true };
  const charts = [];

  class CurveChart {
    constructor(div, title, { log = false, height = 260, legend = true, draw = true, raw = false, unit = 0 } = {}) {
      this.div = div;
      this.unit = unit; // steps between logged points (the run's eval_every); 0 = read it off the data
      this.note = ""; // a line under the title (e.g. "val on 1 024 of 12 000 samples")
      this.raw = raw; // drawn as it is, whatever the smoothing slider says
      this.legend = legend;
      this.title = title;
      this.forceLog = log;
      this.height = height;
      this.series = []; // {key, label, color, dash, data: {step, epoch, time, value}, ema: {last, n}}
      charts.push(this);
      if (draw) this.redraw();
    }

    add(key, label, color, dash) {
      this.series.push({ key, label, color, dash, data: { step: [], epoch: [], time: [], value: [] } });
    }

    get(key) {
      return this.series.find((s) => s.key === key);
    }

    setData(key, data) {
      const series = this.get(key);
      if (series) series.data = { step: data.step.slice(), epoch: data.epoch.slice(), time: data.time.slice(), value: data.value.slice() };
      this.schedule();
    }

    append(key, step, epoch, time, value) {
      const series = this.get(key);
      if (!series) return;
      series.data.step.push(step);
      series.data.epoch.push(epoch);
      series.data.time.push(time);
      series.data.value.push(value);
      this.schedule();
    }

    schedule(gap = MIN_GAP_MS) {
      // however fast points arrive, the chart is drawn at most once per `gap` ms, on the page's frame queue
      window.Frames.schedule(this, () => this.redraw(), gap);
    }

    // repeated seeds: one mean line per group and a ±1 std band, on the first member's steps
    bandTraces(group, members) {
      const base = members[0].data;
      const xs = base[options.x];
      const columns = members.map((m) => interpolate(m.data.step, m.data.value, base.step));
      const mean = [], low = [], high = [];
      base.step.forEach((_, i) => {
        const ys = columns.map((c) => c[i]).filter((y) => y !== null && isFinite(y));
        if (!ys.length) { mean.push(null); low.push(null); high.push(null); return; }
        const m = ys.reduce((a, b) => a + b, 0) / ys.length;
        const sd = Math.sqrt(ys.reduce((a, b) => a + (b - m) ** 2, 0) / ys.length);
        mean.push(m); low.push(m - sd); high.push(m + sd);
      });
      const color = members[0].color;
      const s = options.smoothing;
      const unit = this.unit || loggingUnit(members);
      const smoothed = (ys) => smooth(ys, s, base.step, unit);
      return [
        { x: xs, y: smoothed(low), mode: "lines", line: { width: 0, color }, showlegend: false, hoverinfo: "skip" },
        { x: xs, y: smoothed(high), mode: "lines", line: { width: 0, color }, fill: "tonexty", opacity: 0.2,
          fillcolor: color + "33", showlegend: false, hoverinfo: "skip" },
        { x: xs, y: smoothed(mean), mode: xs.length < MARKERS_BELOW ? "lines+markers" : "lines",
          name: `${group} (mean of ${members.length})`, line: { color, width: 2 } },
      ];
    }

    traces() {
      if (this.groups) {
        const traces = [];
        for (const [group, keys] of Object.entries(this.groups)) {
          const members = keys.map((k) => this.get(k)).filter((m) => m && m.data.value.length);
          if (members.length) traces.push(...this.bandTraces(group, members));
        }
        return traces;
      }
      const traces = [];
      const unit = this.unit || loggingUnit(this.series);
      for (const s of this.series) {
        if (!s.data.value.length) continue;
        // smoothed over every point, then thinned for drawing
        const index = thinned(s.data.value, MAX_DRAWN);
        const x = pick(s.data[options.x], index);
        const smoothing = this.raw ? 0 : options.smoothing;
        const mode = s.data.value.length < MARKERS_BELOW ? "lines+markers" : "lines";
        if (smoothing > 0) {
          traces.push({ x, y: pick(s.data.value, index), mode, name: s.label + " (raw)", showlegend: false,
            hoverinfo: "skip", line: { color: s.color, width: 1 }, marker: { size: 4 }, opacity: 0.25 });
        }
        traces.push({ x, y: pick(smooth(s.data.value, smoothing, s.data.step, unit), index), mode, name: s.label,
          line: { color: s.color, width: s.dash ? 1.2 : 2, dash: s.dash || "solid" }, marker: { size: 5 } });
      }
      return traces;
    }

    redraw() {
      const log = this.forceLog || options.log;
      const title = this.note ? `${this.title}<br><span style="font-size:11px;color:#6b7280">${this.note}</span>` : this.title;
      // steps are whole numbers with their thousands split by a space (12 000), never 1.2e+04 or 12k
      const steps = options.x === "step" ? { tickformat: ",d", hoverformat: ",d" } : {};
      const layout = {
        title: { text: title, font: { size: 14 }, x: 0.02, xanchor: "left" }, separators: ". ",
        margin: { l: 54, r: 12, t: this.note ? 48 : 36, b: 40 }, height: this.height,
        xaxis: { title: { text: X_TITLES[options.x] }, ...steps }, yaxis: { type: log ? "log" : "linear", exponentformat: "e" },
        legend: { orientation: "h", x: 1, xanchor: "right", y: 1.02, yanchor: "bottom" },
        paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fff", uirevision: "keep", showlegend: this.legend,
      };
      const range = this.range(log);
      // an explicit autorange: under uirevision Plotly would otherwise keep the last range it was given
      if (range) layout.yaxis.range = range;
      else layout.yaxis.autorange = true;
      const traces = this.traces();
      const names = traces.filter((t) => t.showlegend !== false).map((t) => t.name);
      if (this.legend) legendBelow(layout, names, this.div.clientWidth || 400);
      // marked moments ({step, epoch, time, label}: a steer, static/js/steer.js) are dotted lines on every chart
      if (options.markers) layout.shapes = options.markers.map((m) => ({ type: "line", x0: m[options.x], x1: m[options.x],
        yref: "paper", y0: 0, y1: 1, line: { color: "#7c3aed", width: 1.5, dash: "dot" }, name: m.label }));
      Plotly.react(this.div, traces, layout, PLOT_CONFIG);
    }

    // with a diverged series on the chart the scale comes from the others alone; ignoring outliers, from the
    // 2nd to the 98th percentile of every point (TensorBoard's option); otherwise Plotly's own autorange
    range(log) {
      const diverged = this.series.some((s) => s.ignoreInRange);
      if (!diverged && !options.ignoreOutliers) return null;
      const ys = [];
      for (const s of this.series) {
        if (s.ignoreInRange) continue;
        // every point of a short series; of a long one every k-th (≤ 4000 each): percentiles barely move, and a
        // redraw of 30 series × 200 000 points does not sort six million numbers
        const values = s.data.value;
        const stride = options.ignoreOutliers ? Math.max(1, Math.floor(values.length / 4000)) : 1;
        for (let i = 0; i < values.length; i += stride) {
          const y = values[i];
          if (y !== null && isFinite(y) && (!log || y > 0)) ys.push(log ? Math.log10(y) : y);
        }
      }
      if (!ys.length) return null;
      ys.sort((a, b) => a - b);
      const at = (q) => ys[Math.min(ys.length - 1, Math.max(0, Math.round(q * (ys.length - 1))))];
      const [low, high] = options.ignoreOutliers && ys.length >= 50 ? [at(0.02), at(0.98)] : [ys[0], ys[ys.length - 1]];
      const pad = (high - low || Math.abs(high) || 1) * 0.08;
      return [low - pad, high + pad];
    }
  }

  function setOptions(changes) {
    Object.assign(options, changes);
    charts.forEach((chart) => chart.schedule(0)); // next frames, a few charts each: the slider stays smooth
  }

  // the controls bar (smoothing slider, x axis, log y) drives every chart on the page
  function bindControls(root) {
    if (!root) return;
    const slider = root.querySelector("[name=smoothing]");
    const shown = root.querySelector("[data-smoothing-value]");
    slider.addEventListener("input", () => {
      shown.textContent = Number(slider.value).toFixed(3);
      setOptions({ smoothing: Number(slider.value), ignoreOutliers: outliers.checked });
    });
    root.querySelector("[name=x_axis]").addEventListener("change", (e) => setOptions({ x: e.target.value }));
    root.querySelector("[name=log_y]").addEventListener("change", (e) => setOptions({ log: e.target.checked }));
    const outliers = root.querySelector("[name=ignore_outliers]");
    outliers.addEventListener("change", () => setOptions({ ignoreOutliers: outliers.checked }));
    setOptions({ smoothing: Number(slider.value), ignoreOutliers: outliers.checked });
  }

  // a number as the pages write it (app/templating.py's `number`): 12 000, never 1.2e+04; else 4 digits
  function number(value) {
    if (Number.isInteger(value) || Math.abs(value) >= 1000) return Math.round(value).toLocaleString("en").replace(/,/g, " ");
    return String(Number(value.toPrecision(4)));
  }

  window.Curves = { number, smooth, thinned, legendBelow, CurveChart, PALETTE, PLOT_CONFIG, options, setOptions, bindControls, charts };
})();
