// The lab page: optimizer paths animated over a contour, the gradient-check table and the LR range test.
import { encodeConfig, getJSON, postJSON, showErrors } from "./api.js";
import { RunStream } from "./stream.js";

const C = window.Curves;
const DATA = JSON.parse(document.getElementById("lab-data").textContent);
const $ = (id) => document.getElementById(id);
const BASE_TRACES = 2; // minima and start: path traces come after them
const DURATION_MS = 2000; // an animation takes this long whatever the steps: slow frames just show more each
const fmt = (v) => (v === null || v === undefined ? "—" : Number(v).toPrecision(3));
const exp = (v) => (v === null ? "not finite" : v.toExponential(2));

// ---- optimizer paths --------------------------------------------------------------------------------------
const plot = $("lab-plot");
let surface = null;
let start = null;
let animation = 0; // bumped to stop a running animation

function showStart() {
  $("start-point").textContent = `(${start[0].toFixed(3)}, ${start[1].toFixed(3)})`;
}

async function chooseSurface(name) {
  $("run-paths").disabled = true; // until the new contour is drawn, a run would land on the old one
  const grid = await (await fetch(`/api/lab/surfaces/${name}/grid?n=100`)).json();
  surface = DATA.surfaces.find((s) => s.name === name);
  start = surface.start.slice();
  showStart();
  $("surface-description").textContent = surface.description;
  const formula = $("surface-formula");
  if (window.katex) katex.render(surface.formula, formula, { throwOnError: false });
  else formula.textContent = surface.formula;
  $("path-steps").value = surface.steps;
  for (const box of document.querySelectorAll("[data-optimizer]")) {
    const name = box.dataset.optimizer;
    box.checked = name in surface.lrs;
    const lr = document.querySelector(`[data-lr-for="${name}"]`);
    lr.value = surface.lrs[name] ?? DATA.optimizers.find((o) => o.name === name).lr;
  }
  drawSurface(grid);
  plot.dataset.surface = name;
  $("run-paths").disabled = false;
}

// two stacked charts with one geometry: the contour below is drawn once per surface, the paths above redraw
// every frame (a redraw with the contour in the same chart would recompute it each time)
function surfaceLayout(top) {
  const axis = (range, extra) => ({ range, constrain: "domain", fixedrange: true, showgrid: false, zeroline: false,
    ...extra, ...(top ? { showticklabels: false, ticks: "" } : {}) });
  return {
    margin: { l: 40, r: 10, t: 10, b: 70, autoexpand: false }, height: 470, dragmode: false,
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", hovermode: "closest",
    showlegend: top, legend: { orientation: "h", x: 0, y: -0.07, yanchor: "top" },
    xaxis: axis(surface.box.x, {}), yaxis: axis(surface.box.y, { scaleanchor: "x" }),
  };
}

function drawSurface(grid) {
  animation += 1;
  const contour = { type: "contour", x: grid.x, y: grid.y, z: grid.z, ncontours: 30, showscale: false,
    colorscale: [[0, "#f8fafc"], [1, "#94a3b8"]], contours: { coloring: "heatmap" }, line: { width: 0.5, color: "#64748b" },
    hoverinfo: "skip" };
  Plotly.react($("lab-contour"), [contour], surfaceLayout(false), { ...C.PLOT_CONFIG, staticPlot: true });
  const minima = surface.minima;
  const layout = surfaceLayout(true);
  layout.annotations = surface.saddles.map(([x, y]) => ({ x, y, text: "saddle point", ax: 40, ay: -30, arrowcolor: "#6b7280" }));
  Plotly.react(plot, [
    { x: minima.map((m) => m[0]), y: minima.map((m) => m[1]), mode: "markers", name: "minima",
      marker: { symbol: "star", size: 13, color: "#facc15", line: { color: "#713f12", width: 1 } }, hoverinfo: "x+y" },
    { x: [start[0]], y: [start[1]], mode: "markers", name: "start", marker: { symbol: "x", size: 11, color: "#111827" },
      hoverinfo: "skip" },
  ], layout, { ...C.PLOT_CONFIG, displayModeBar: false });
  Plotly.purge($("lab-loss"));
}

function clearPaths() {
  animation += 1;
  const kept = plot.data.length;
  if (kept > BASE_TRACES) return Plotly.deleteTraces(plot, [...Array(kept - BASE_TRACES).keys()].map((i) => i + BASE_TRACES));
  return Promise.resolve();
}

// Plotly fires a click on the chart after its own drag handling; convert the pixel to data coordinates
plot.addEventListener("click", async (event) => {
  const layout = plot._fullLayout;
  if (!layout || !surface) return;
  const rect = plot.getBoundingClientRect();
  const px = event.clientX - rect.left - layout.xaxis._offset;
  const py = event.clientY - rect.top - layout.yaxis._offset;
  if (px < 0 || py < 0 || px > layout.xaxis._length || py > layout.yaxis._length) return;
  start = [layout.xaxis.p2l(px), layout.yaxis.p2l(py)];
  showStart();
  await clearPaths();
  Plotly.restyle(plot, { x: [[start[0]]], y: [[start[1]]] }, [1]);
});

async function runPaths() {
  const chosen = [...document.querySelectorAll("[data-optimizer]:checked")].map((box) => ({
    name: box.dataset.optimizer,
    params: { lr: Number(document.querySelector(`[data-lr-for="${box.dataset.optimizer}"]`).value) },
  }));
  showErrors($("path-errors"), null);
  if (!chosen.length) return showErrors($("path-errors"), "tick at least one optimizer");
  const steps = Number($("path-steps").value);
  const noise = Number($("path-noise").value) || 0;
  const seed = Number($("path-seed").value) || 0;
  const request = { surface: surface.name, start, steps, optimizers: chosen };
  const { status, body } = await postJSON("/api/lab/paths", { ...request, noise, seed });
  if (status !== 200) return showErrors($("path-errors"), body.detail);
  // with a noisy gradient the exact paths are drawn too, faint, so the two can be compared
  const exact = noise > 0 ? (await postJSON("/api/lab/paths", request)).body : null;
  animate(body, noise > 0 ? ` σ=${noise}` : "", exact);
}

async function animate(results, suffix = "", exact = null) {
  await clearPaths();
  const run = animation;
  const label = (r) => `${r.name} lr=${r.params.lr}${suffix}${r.diverged ? " (diverged)" : ""}`;
  if (exact) {
    await Plotly.addTraces(plot, exact.map((r, i) => ({
      x: r.path.map((p) => p[0]), y: r.path.map((p) => p[1]), mode: "lines", name: `${r.name} exact gradient`,
      meta: "exact", hoverinfo: "skip", opacity: 0.55,
      line: { color: C.PALETTE[i % C.PALETTE.length], width: 1.5, dash: "dot" },
    })));
  }
  const offset = plot.data.length;
  await Plotly.addTraces(plot, results.map((r, i) => ({
    x: [], y: [], mode: "lines+markers", name: label(r), meta: "path", hovertemplate: `${r.name} %{x:.3f}, %{y:.3f}<extra></extra>`,
    line: { color: C.PALETTE[i % C.PALETTE.length], width: 2 }, marker: { size: 3 },
  })));
  drawLoss(results, label);
  const indices = results.map((_, i) => i + offset);
  const longest = Math.max(...results.map((r) => r.path.length));
  const began = performance.now();
  let shown = 0;
  const tick = async () => {
    if (run !== animation) return;
    const next = Math.min(longest, Math.max(shown + 1, Math.ceil((longest * (performance.now() - began)) / DURATION_MS)));
    const slices = results.map((r) => r.path.slice(shown, next));
    shown = next;
    await Plotly.extendTraces(plot, { x: slices.map((s) => s.map((p) => p[0])), y: slices.map((s) => s.map((p) => p[1])) }, indices);
    if (shown < longest) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

function drawLoss(results, label) {
  // the scale comes from the points inside the view box: a path that ran off (the saddle) would flatten the rest
  const box = surface.box;
  const inside = (p) => p[0] >= box.x[0] && p[0] <= box.x[1] && p[1] >= box.y[0] && p[1] <= box.y[1];
  const seen = results.flatMap((r) => r.loss.filter((_, i) => inside(r.path[i])));
  const positive = results.every((r) => r.loss.every((v) => v > 0));
  const scaled = seen.map((v) => (positive ? Math.log10(v) : v));
  const pad = (Math.max(...scaled) - Math.min(...scaled)) * 0.05 || 1;
  const traces = results.map((r, i) => ({ y: r.loss, mode: "lines", name: label(r), line: { color: C.PALETTE[i % C.PALETTE.length] } }));
  Plotly.react($("lab-loss"), traces, {
    title: { text: "f along each path", font: { size: 13 } }, margin: { l: 50, r: 10, t: 30, b: 36 }, height: 470,
    xaxis: { title: { text: "step" } }, showlegend: false, paper_bgcolor: "rgba(0,0,0,0)",
    yaxis: { type: positive ? "log" : "linear", exponentformat: "e",
      ...(seen.length ? { range: [Math.min(...scaled) - pad, Math.max(...scaled) + pad] } : {}) },
  }, C.PLOT_CONFIG);
}

// ---- the run configuration shared by the gradient check and the range test -------------------------------
function readConfig(box) {
  try {
    return JSON.parse($("config-json").value);
  } catch (error) {
    showErrors(box, `the configuration is not valid JSON: ${error.message}`);
    return null;
  }
}

// ---- gradient check ---------------------------------------------------------------------------------------
async function runGradcheck() {
  const box = $("gradcheck-errors");
  showErrors(box, null);
  const config = readConfig(box);
  if (!config) return;
  $("gradcheck-result").innerHTML = '<p class="muted">checking…</p>';
  $("run-gradcheck").disabled = true;
  const { status, body } = await postJSON("/api/lab/gradcheck", config).finally(() => ($("run-gradcheck").disabled = false));
  if (status !== 200) {
    $("gradcheck-result").innerHTML = "";
    return showErrors(box, body.detail);
  }
  const rows = body.tensors.map((t) => `<tr><td>${t.name}</td><td>[${t.shape.join(", ")}]</td><td>${t.checked}</td>
    <td class="${t.max_relative_error !== null && t.max_relative_error < body.threshold ? "verdict-ok" : "verdict-bad"}">${exp(t.max_relative_error)}</td></tr>`);
  $("gradcheck-result").innerHTML = `<p class="${body.ok ? "verdict-ok" : "verdict-bad"}" id="gradcheck-verdict">
    ${body.ok ? "gradients agree" : "gradients disagree"}: max relative error ${exp(body.max_relative_error)}
    (ε = ${body.eps}, batch ${body.batch})</p>
    <table class="grads"><tr><th>tensor</th><th>shape</th><th>checked</th><th>max relative error</th></tr>${rows.join("")}</table>`;
}

// ---- LR range test ----------------------------------------------------------------------------------------
let rangeConfig = null;
let rangeStream = null;

async function startRange() {
  const box = $("range-errors");
  showErrors(box, null);
  rangeConfig = readConfig(box);
  if (!rangeConfig) return;
  const request = { config: rangeConfig, min_lr: Number($("range-min").value), max_lr: Number($("range-max").value),
    steps: Number($("range-steps").value) };
  const { status, body } = await postJSON("/api/lab/lr-range", request);
  if (status !== 201) return showErrors(box, body.detail);
  $("range-status").innerHTML = `run <a href="/runs/${body.run_id}">${body.run_id}</a> ${body.status}`;
  $("range-weights").textContent = `sweeping from ${body.weights}`;
  followRange(body.run_id);
}

// the run's own stream says when there is more to read: the reading is asked for at most every READ_GAP_MS
// while points arrive, and once more when the run is done
const READ_GAP_MS = 500;
function followRange(runId) {
  if (rangeStream) rangeStream.close();
  let asked = 0;
  const soon = () => {
    if (asked) return;
    asked = setTimeout(() => { asked = 0; readRange(runId); }, READ_GAP_MS);
  };
  // the stream can end before the store holds the run's end (a write the database refused is retried behind it):
  // the last reading is asked for again, less and less often, until the store says the run has ended
  const last = async (gap = READ_GAP_MS) => {
    const body = await readRange(runId);
    if (body && !body.complete && rangeStream === stream) setTimeout(() => last(Math.min(2 * gap, 5000)), gap);
  };
  const stream = new RunStream(runId, { metrics: soon, done: () => { clearTimeout(asked); last(); } });
  rangeStream = stream;
}

// reads may answer out of order (one asked at a point, the next at the end): an older answer never replaces a newer
let rangeReads = 0;
let rangeShown = 0;

// the reading, drawn; returns its body (null when the server refused: the error is shown instead)
async function readRange(runId) {
  const ticket = ++rangeReads;
  const { ok, body } = await getJSON(`/api/lab/lr-range/${runId}`);
  if (ticket < rangeShown) return body;
  rangeShown = ticket;
  const link = `run <a href="/runs/${runId}">${runId}</a>`;
  if (!ok) {
    showErrors($("range-errors"), body.detail);
    return null;
  }
  if (!body.ready) {
    $("range-status").innerHTML = `${link}: ${body.detail}`;
    return body;
  }
  $("range-status").innerHTML = `${link} ${body.status}, ${body.lr.length} steps`;
  drawRange(body);
  return body;
}

function drawRange(reading) {
  const chart = $("range-chart");
  chart.hidden = false;
  const mark = (lr, color, dash) => ({ type: "line", xref: "x", yref: "paper", x0: lr, x1: lr, y0: 0, y1: 1, line: { color, dash, width: 1.5 } });
  const shown = reading.smoothed.slice(0, reading.stop_index);
  const values = shown.concat(reading.loss.slice(0, reading.stop_index)).filter((v) => v !== null && isFinite(v));
  const top = Math.max(...shown) * 1.1;
  Plotly.react(chart, [
    { x: reading.lr, y: reading.loss, mode: "lines", name: "loss", line: { color: C.PALETTE[0], width: 1 }, opacity: 0.35 },
    { x: reading.lr, y: reading.smoothed, mode: "lines", name: "smoothed (β = 0.98)", line: { color: C.PALETTE[0], width: 2 } },
  ], {
    margin: { l: 54, r: 12, t: 16, b: 40 }, height: 320, paper_bgcolor: "rgba(0,0,0,0)",
    xaxis: { type: "log", title: { text: "learning rate" }, exponentformat: "e" },
    yaxis: { title: { text: "loss" }, range: [Math.min(...values) * 0.95, top] },
    shapes: [mark(reading.suggested_lr, "#dc2626", "solid"), mark(reading.alternative_lr, "#6b7280", "dash")],
    legend: { orientation: "h", y: 1.08 },
  }, C.PLOT_CONFIG);
  const suggested = Number(reading.suggested_lr.toPrecision(2));
  $("range-suggestion").hidden = false;
  $("suggested-lr").textContent = suggested;
  $("alternative-lr").textContent = `(steepest descent; the minimum / 10 would give ${fmt(reading.alternative_lr)})`;
  $("use-lr").dataset.lr = suggested;
}

$("use-lr").addEventListener("click", () => {
  const config = structuredClone(rangeConfig);
  config.optimizer.params = { ...(config.optimizer.params || {}), lr: Number($("use-lr").dataset.lr) };
  window.location.href = "/?config=" + encodeConfig(config);
});

$("import-config").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (file) $("config-json").value = JSON.stringify(JSON.parse(await file.text()), null, 2);
});
$("surface").addEventListener("change", (event) => chooseSurface(event.target.value));
$("run-paths").addEventListener("click", runPaths);
$("run-gradcheck").addEventListener("click", runGradcheck);
$("run-range").addEventListener("click", startRange);
chooseSurface($("surface").value);
if ($("lab").dataset.autorun === "true") runGradcheck();
