// The loss landscape page: start a landscape job, follow its stream for progress, draw the result.
import { postJSON, showErrors, statuses } from "./api.js";
import { RunStream } from "./stream.js";

const $ = (id) => document.getElementById(id);
const root = $("landscape");
const RUN = root.dataset.run;
const CONFIG = { responsive: true, displaylogo: false };
const log10 = (v) => (v === null || v <= 0 ? null : Math.log10(v));
let stream = null;

function status(text) {
  $("landscape-status").textContent = text;
}

function progress(fraction) {
  $("landscape-progress-bar").hidden = fraction === null;
  $("landscape-progress").style.width = `${Math.round((fraction || 0) * 100)}%`;
}

function drawLine(result) {
  Plotly.react($("landscape-line"), [
    { x: result.alphas, y: result.train_loss, mode: "lines+markers", name: "train loss (subset)" },
    { x: result.alphas, y: result.val_loss, mode: "lines+markers", name: "val loss" },
  ], {
    title: { text: "loss along (1−α)·θ_init + α·θ_final", font: { size: 13 } }, height: 420,
    margin: { l: 54, r: 12, t: 36, b: 40 }, paper_bgcolor: "rgba(0,0,0,0)",
    xaxis: { title: { text: "α (0 = initial weights, 1 = final weights)" } },
    yaxis: { title: { text: "loss" }, type: "log", exponentformat: "e" },
    shapes: [0, 1].map((x) => ({ type: "line", x0: x, x1: x, yref: "paper", y0: 0, y1: 1, line: { dash: "dot", color: "#9ca3af" } })),
  }, CONFIG);
}

function drawSlice(result) {
  // colour by log10 loss: a sharp wall would otherwise swamp the basin in one colour
  const z = result.loss.map((row) => row.map(log10));
  const kind = result.kind === "pca" ? `PCA (${result.directions.explained_variance.map((v) => `${(v * 100).toFixed(1)}%`).join(", ")} of the path's variance)`
    : "filter-normalized random directions";
  const traces = [{ type: "contour", x: result.xs, y: result.ys, z, colorscale: "Viridis", name: "log10 loss",
    contours: { coloring: "heatmap" }, colorbar: { title: { text: "log10 loss" } } }];
  if (result.path) {
    traces.push({ x: result.path.x, y: result.path.y, text: result.path.steps.map((s) => `step ${window.Curves.number(s)}`), mode: "lines+markers",
      name: "optimizer path", line: { color: "#ef4444", width: 2 }, marker: { size: 4 } });
  }
  traces.push({ x: [0], y: [0], mode: "markers", name: "final weights", marker: { symbol: "star", size: 12, color: "#facc15" } });
  Plotly.react($("landscape-contour"), traces, {
    title: { text: `2-D slice: ${kind}`, font: { size: 13 } }, height: 460, showlegend: false,
    margin: { l: 50, r: 10, t: 36, b: 40 }, paper_bgcolor: "rgba(0,0,0,0)",
    xaxis: { title: { text: "direction 1" } }, yaxis: { title: { text: "direction 2" } },
  }, CONFIG);
  Plotly.react($("landscape-surface"), [{ type: "surface", x: result.xs, y: result.ys, z, colorscale: "Viridis", showscale: false }], {
    title: { text: "log10 loss surface", font: { size: 13 } }, height: 460, margin: { l: 0, r: 0, t: 36, b: 0 },
    paper_bgcolor: "rgba(0,0,0,0)", scene: { zaxis: { title: { text: "log10 loss" } } },
  }, CONFIG);
}

// Li et al.'s figure 7: |λmin/λmax| of the slice's Hessian, blue where it is convex, yellow where it curves
// down as much as up; a ResNet without skip connections turns yellow in patches, with them it stays blue
function drawCurvature(result) {
  const c = result.curvature;
  const note = $("landscape-curvature-note");
  if (!c || c.nonconvex_share === null) {
    note.textContent = "";
    return;
  }
  Plotly.react($("landscape-curvature"), [{ type: "heatmap", x: result.xs, y: result.ys, z: c.ratio, zmin: 0, zmax: 1,
    colorscale: [[0, "#1e3a8a"], [c.threshold, "#3b82f6"], [0.5, "#a3e635"], [1, "#facc15"]],
    colorbar: { title: { text: "|λmin/λmax|" } }, hovertemplate: "|λmin/λmax| %{z:.2f}<extra></extra>" }], {
    title: { text: "convexity: |λmin/λmax| of the slice's Hessian", font: { size: 13 } }, height: 400,
    margin: { l: 50, r: 10, t: 36, b: 40 }, paper_bgcolor: "rgba(0,0,0,0)",
    xaxis: { title: { text: "direction 1" } }, yaxis: { title: { text: "direction 2" } },
  }, CONFIG);
  note.textContent = `${(100 * c.nonconvex_share).toFixed(1)}% of the grid is markedly non-convex ` +
    `(λmin < 0 and |λmin/λmax| > ${c.threshold}); ${c.local_minima} grid-local minima. A smooth basin has ` +
    "0% and one minimum; a net without skip connections, deep enough, gets patches and several.";
}

function draw(result) {
  // only the charts of this kind of landscape take room on the page
  const line = result.kind === "interpolation";
  $("landscape-line").hidden = !line;
  document.querySelectorAll(".landscape-charts").forEach((div) => (div.hidden = line));
  if (line) drawLine(result);
  else {
    drawSlice(result);
    drawCurvature(result);
  }
  const centre = result.kind === "interpolation" ? result.final_loss : result.centre_loss;
  status(`${result.kind} landscape of step ${window.Curves.number(result.step)} (job ${result.id || "just finished"}); loss at the final weights ${Number(centre).toPrecision(4)}`);
}

async function follow(jobId) {
  if (stream) stream.close();
  progress(0);
  const { endedEarly } = await statuses();
  stream = new RunStream(jobId, {
    metrics: (m) => progress(m.values.progress),
    probe: (probe) => probe.name === "landscape" && draw({ id: jobId, ...probe.data }),
    status: (s) => {
      if (endedEarly.includes(s.status)) status(`${s.status}: ${s.message}`);
      else if (s.message) status(s.message);
    },
    done: () => progress(null),
  });
}

async function start(kind) {
  const body = { kind, n: Number($("landscape-n").value), span: Number($("landscape-span").value),
    samples: Number($("landscape-samples").value) };
  const answer = await postJSON(`/api/runs/${RUN}/landscape`, body);
  showErrors($("landscape-errors"), answer.ok ? null : answer.body.detail, root);
  if (!answer.ok) return;
  status(`queued ${kind} landscape (job ${answer.body.id})`);
  follow(answer.body.id);
}

for (const button of document.querySelectorAll("[data-kind]")) {
  button.addEventListener("click", () => start(button.dataset.kind));
}

// open with the newest interpolation and the newest 2-D slice, if there are any (oldest first: the newest wins)
(async function latest() {
  const found = await (await fetch(`/api/runs/${RUN}/landscapes`)).json();
  const slices = found.filter((r) => r.kind !== "interpolation");
  for (const result of [...found.filter((r) => r.kind === "interpolation"), ...slices.slice(-1)]) draw(result);
})();
