// A run's diagram while it trains: each node tinted by its layer's gradient norm (log scale, one legend), from
// the run's history first and then from every logged point the page receives.
import { NeuronView, showMaps } from "./diagram_pictures.js";

const PALE = [255, 247, 236]; // a layer whose gradient is the smallest of the network at this point
const DEEP = [179, 0, 0]; // the largest
const PREFIX = "grad_norm/";

const mix = (t) => `rgb(${PALE.map((p, i) => Math.round(p + (DEEP[i] - p) * t)).join(",")})`;
const exponent = (v) => v.toExponential(1).replace("e+", "e");

// the node a parameter's metric belongs to: the longest module name that is the parameter's own or its owner's
export function ownerOf(layer, names) {
  let best = null;
  for (const name of names) {
    if ((layer === name || layer.startsWith(name + ".")) && (!best || name.length > best.length)) best = name;
  }
  return best;
}

function legend(host) {
  let box = host.parentElement.querySelector(".diagram-legend");
  if (!box) {
    box = document.createElement("div");
    box.className = "diagram-legend";
    box.innerHTML = `<span>gradient norm per layer (log):</span><span data-legend=min></span>` +
      `<span class="ramp" style="background: linear-gradient(to right, ${mix(0)}, ${mix(0.5)}, ${mix(1)})"></span>` +
      `<span data-legend=max></span><span data-legend=step class="muted"></span>`;
    host.after(box);
  }
  return box;
}

export class GradientTint {
  constructor(host) {
    this.host = host;
    // by module path and by the probes' name for it ("3" and "fc.1"): metrics use the latter where there is one
    this.nodes = new Map([...host.querySelectorAll("[data-layer]")].flatMap((el) =>
      [[el.dataset.layer, el], ...(el.dataset.shown ? [[el.dataset.shown, el]] : [])]));
    this.names = [...this.nodes.keys()];
    this.owner = new Map(); // metric layer -> node name, found once
    this.step = -1;
  }

  /** Tint from one logged point's values ({"grad_norm/<layer>": number}); a node's norm joins its tensors'. */
  update(step, values) {
    if (step < this.step) return; // the history read at start is older than a live point already drawn
    const began = performance.now();
    const squares = new Map();
    for (const [key, value] of Object.entries(values)) {
      if (!key.startsWith(PREFIX) || value === null || !(value >= 0)) continue;
      const layer = key.slice(PREFIX.length);
      if (!this.owner.has(layer)) this.owner.set(layer, this.nodes.get(ownerOf(layer, this.names)));
      const node = this.owner.get(layer);
      if (node) squares.set(node, (squares.get(node) || 0) + value * value);
    }
    if (!squares.size) return;
    this.step = step;
    this.host.dataset.tintStep = String(step);
    const norms = new Map([...squares].map(([node, s]) => [node, Math.sqrt(s)]));
    const logs = [...norms.values()].filter((v) => v > 0).map(Math.log10);
    const low = Math.min(...logs);
    const high = Math.max(...logs);
    for (const [el, norm] of norms) {
      const t = norm > 0 && high > low ? (Math.log10(norm) - low) / (high - low) : norm > 0 ? 1 : 0;
      el.dataset.grad = String(norm);
      el.dataset.tint = t.toFixed(3);
      el.querySelector("rect.box").style.fill = mix(t);
      el.querySelector("title").textContent = el.querySelector("title").textContent.replace(/ · ‖g‖.*$/, "") +
        ` · ‖g‖ ${exponent(norm)} at step ${step}`;
    }
    const box = legend(this.host);
    box.querySelector("[data-legend=min]").textContent = exponent(10 ** low);
    box.querySelector("[data-legend=max]").textContent = exponent(10 ** high);
    box.querySelector("[data-legend=step]").textContent = `step ${step}`;
    performance.measure("diagram:tint", { start: began });
  }
}

// the last logged point of every grad_norm series in a history ({series: {name: {step, value}}})
function lastPoint(history) {
  const values = {};
  let step = 0;
  for (const [name, column] of Object.entries(history.series || {})) {
    if (!name.startsWith(PREFIX) || !column.value.length) continue;
    values[name] = column.value[column.value.length - 1];
    step = Math.max(step, column.step[column.step.length - 1]);
  }
  return { step, values };
}

// a probe's readings reach `handler` too, beside the panel that already listens for them (run.js keeps one each)
function listen(name, handler) {
  const view = window.descentRun;
  if (!view) return;
  const before = view.probes[name];
  view.probes[name] = (step, data) => {
    if (before) before(step, data);
    handler(data);
  };
}

export async function attach(host, root, architecture) {
  const tint = new GradientTint(host);
  const neurons = new NeuronView(host);
  const detail = document.createElement("div");
  detail.id = "diagram-detail";
  detail.className = "diagram-detail";
  detail.hidden = true;
  host.after(detail);
  let maps = null; // the latest feature_maps reading
  document.addEventListener("descent:metrics", (event) => tint.update(event.detail.step, event.detail.values));
  listen("neurons", (data) => neurons.update(data));
  listen("feature_maps", (data) => {
    maps = data.layers && data.layers.length ? data : maps;
    if (detail.dataset.layer) showMaps(detail, maps, detail.dataset.layer); // the node clicked, on newer maps
  });
  host.addEventListener("click", (event) => {
    const node = event.target.closest("[data-layer]");
    if (!node || !/Conv/.test(node.dataset.type)) return;
    detail.dataset.layer = node.dataset.shown || node.dataset.layer; // as the feature_maps probe names it
    showMaps(detail, maps, detail.dataset.layer);
  });
  const history = await (await fetch(`/api/runs/${root.dataset.run}/history?max_points=50`)).json();
  const { step, values } = lastPoint(history);
  tint.update(step, values);
  const probes = history.probes || {};
  if (probes.neurons && !host.dataset.neuronStep) neurons.update(probes.neurons.data);
  if (probes.feature_maps && !maps) maps = probes.feature_maps.data;
  if (detail.dataset.layer) showMaps(detail, maps, detail.dataset.layer); // clicked before the history came
  return { tint, neurons, architecture };
}
