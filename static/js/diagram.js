// The network diagram: one SVG node per row of the plan ("What this builds"), edges for the data flow, residual
// arcs, Inception's branches, a recurrent loop, a Siamese net's shared weights. Drawn in the builder (redrawn when
// the plan changes) and at the top of a run page (where diagram_live.js tints and fills the nodes).
import { layout } from "./diagram_layout.js";

const SVG = "http://www.w3.org/2000/svg";
const W = 108; // node width
const H = 48;
const COL = 132; // column pitch
const LANE = 66; // lane pitch
const PAD = 14;
const RAISE = 34; // room above the main lane for identity arcs and loops

const escape = (text) => String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
export const shapeText = (shape) => (Array.isArray(shape) ? shape.join("×") : "");
const short = (name) => (name.length > 13 ? "…" + name.slice(-12) : name);
const compact = (n) => (n >= 1e6 ? (n / 1e6).toFixed(1) + "M" : n >= 1e3 ? (n / 1e3).toFixed(1) + "k" : String(n));

// what kind of layer a node is, for its colour
const KINDS = [
  [/Conv/, "conv"], [/Linear|Bilinear/, "linear"], [/Norm/, "norm"], [/LSTM|GRU|RNN/, "recurrent"],
  [/Attention/, "attention"], [/Pool/, "pool"], [/Dropout/, "dropout"], [/Identity|Flatten/, "plumbing"],
];
const kindOf = (type) => (KINDS.find(([re]) => re.test(type)) || [null, "activation"])[1];

function place(plan, top, raised) {
  const x = (col) => PAD + col * COL;
  const y = (lane) => PAD + (raised ? RAISE : 0) + (lane - top) * LANE;
  return { x, y };
}

function nodeMarkup(node, at, twin = false, shown = {}) {
  const { row } = node;
  const x = at.x(node.col);
  const y = at.y(node.lane);
  if (!row) {
    const joinLike = node.id !== "input";
    if (joinLike) {
      const cx = x + W / 2;
      return `<g class="join" data-join="${escape(node.id)}"><circle cx="${cx}" cy="${y + H / 2}" r="${node.label === "+" ? 11 : 16}"/>` +
        `<text x="${cx}" y="${y + H / 2 + 4}">${escape(node.label || "+")}</text></g>`;
    }
    const label = twin || node.label;
    return `<g class="node input"><rect x="${x}" y="${y}" width="${W}" height="${H}" rx="6"/>` +
      `<text class="type" x="${x + 8}" y="${y + 17}">${escape(label)}</text>` +
      `<text class="shape" x="${x + 8}" y="${y + 33}">${escape(shapeText(node.shape))}</text></g>`;
  }
  const attrs = twin ? `class="node twin kind-${kindOf(row.type)}"`
    : `class="node kind-${kindOf(row.type)}" data-layer="${escape(row.name)}" data-type="${escape(row.type)}" tabindex="0"` +
      (shown[row.name] ? ` data-shown="${escape(shown[row.name])}"` : "");
  const params = row.parameters ? ` · ${compact(row.parameters)}` : "";
  return `<g ${attrs}><title>${escape(row.name)}: ${escape(row.type)} → ${escape(shapeText(row.output_shape))}` +
    `${row.parameters ? ", " + row.parameters + " parameters" : ""}</title>` +
    `<rect class="box" x="${x}" y="${y}" width="${W}" height="${H}" rx="6"/>` +
    `<text class="type" x="${x + 8}" y="${y + 15}">${escape(row.type.slice(0, 16))}</text>` +
    `<text class="shape" x="${x + 8}" y="${y + 29}">${escape(shapeText(row.output_shape))}</text>` +
    `<text class="name" x="${x + 8}" y="${y + 42}">${escape(short(row.name))}${params}</text></g>`;
}

// a node's left and right middle and its top centre, for the paths between nodes
function ports(node, at) {
  const x = at.x(node.col);
  const y = at.y(node.lane);
  return { left: [x, y + H / 2], right: [x + W, y + H / 2], top: [x + W / 2, y], bottom: [x + W / 2, y + H] };
}

function curve([x1, y1], [x2, y2]) {
  const bend = Math.max(18, (x2 - x1) / 2);
  return `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`;
}

function arcMarkup(arc, byId, at) {
  const from = ports(byId.get(arc.from), at);
  const to = ports(byId.get(arc.to), at);
  const label = arc.label ? `<title>residual: ${escape(arc.label)}</title>` : "<title>residual (skip connection)</title>";
  if (!arc.via.length) {
    // the identity path above the block: out of the input's top, into the sum's top
    const lift = from.top[1] - RAISE + 6;
    const d = `M${from.top[0]},${from.top[1]} C${from.top[0]},${lift} ${to.top[0]},${lift} ${to.top[0]},${to.top[1] + H / 2 - 11}`;
    return `<path class="arc skip" data-from="${escape(arc.from)}" data-to="${escape(arc.to)}" d="${d}">${label}</path>`;
  }
  // through the shortcut's own layers below the block
  const via = arc.via.map((id) => ports(byId.get(id), at));
  const first = via[0];
  const last = via[via.length - 1];
  const down = `M${from.bottom[0]},${from.bottom[1]} C${from.bottom[0]},${first.left[1]} ${first.left[0] - 20},${first.left[1]} ${first.left[0]},${first.left[1]}`;
  const between = via.slice(1).map((p, k) => ` M${via[k].right[0]},${via[k].right[1]} L${p.left[0]},${p.left[1]}`).join("");
  const up = ` M${last.right[0]},${last.right[1]} C${last.right[0] + 20},${last.right[1]} ${to.bottom[0]},${last.right[1]} ${to.bottom[0]},${to.bottom[1] - H / 2 + 11}`;
  return `<path class="arc skip" data-from="${escape(arc.from)}" data-to="${escape(arc.to)}" d="${down}${between}${up}">${label}</path>`;
}

function loopMarkup(node, at) {
  const { top } = ports(node, at);
  const [x, y] = top;
  return `<g class="loop"><path class="arc recurrent" d="M${x + 20},${y} C${x + 26},${y - RAISE} ${x - 26},${y - RAISE} ${x - 20},${y}" marker-end="url(#diagram-arrow)"/>` +
    `<text x="${x}" y="${y - RAISE + 8}">${escape(node.loop)}</text><title>the hidden state feeds back at every time step</title></g>`;
}

/** The node of a layer named by its module path ("3") or as the probes name it ("fc.1"). */
export function nodeOf(host, name) {
  const quoted = CSS.escape(name);
  return host.querySelector(`[data-layer="${quoted}"]`) || host.querySelector(`[data-shown="${quoted}"]`);
}

/** Draw `architecture` (a plan's architecture: layers and structure) into `host`; returns the layout. */
export function drawDiagram(host, architecture) {
  const started = performance.now();
  const plan = layout(architecture);
  const at = place(plan, plan.top, plan.raised);
  const byId = new Map(plan.nodes.map((n) => [n.id, n]));
  const strip = (plan.bottom - plan.top + 1) * LANE + (plan.raised ? RAISE : 0);
  const copies = plan.twins ? plan.twins.length : 1;
  const width = PAD * 2 + plan.columns * COL;
  const height = PAD * 2 + copies * strip + (copies - 1) * 18;
  const parts = [];
  for (const edge of plan.edges) {
    const from = ports(byId.get(edge.from), at);
    const to = ports(byId.get(edge.to), at);
    const d = edge.kind === "added" ? `M${from.bottom[0]},${from.bottom[1]} L${to.top[0]},${to.top[1]}` : curve(from.right, to.left);
    parts.push(`<path class="edge ${edge.kind}" data-from="${escape(edge.from)}" data-to="${escape(edge.to)}" d="${d}" marker-end="url(#diagram-arrow)"/>`);
  }
  plan.arcs.forEach((arc) => parts.push(arcMarkup(arc, byId, at)));
  plan.nodes.filter((n) => n.loop).forEach((n) => parts.push(loopMarkup(n, at)));
  if (plan.twins) byId.get("input").label = plan.twins[0];
  plan.nodes.forEach((n) => parts.push(nodeMarkup(n, at, false, architecture.names || {})));
  if (plan.twins) {
    // the same network again for each other input: its twins hold no weights of their own
    for (let copy = 1; copy < copies; copy++) {
      const dy = copy * (strip + 18);
      const shifted = { x: at.x, y: (lane) => at.y(lane) + dy };
      parts.push(`<g class="twin-copy">`);
      plan.edges.forEach((edge) => {
        const from = ports(byId.get(edge.from), shifted);
        const to = ports(byId.get(edge.to), shifted);
        parts.push(`<path class="edge twin" d="${curve(from.right, to.left)}"/>`);
      });
      plan.nodes.forEach((n) => parts.push(nodeMarkup(n, shifted, n.id === "input" ? plan.twins[copy] : true)));
      plan.nodes.filter((n) => n.row && n.row.parameters).forEach((n) => {
        const [x, y] = ports(n, at).bottom;
        parts.push(`<path class="shared" d="M${x},${y + (copy - 1) * (strip + 18)} L${x},${y + dy - H}"><title>shared weights: one tensor</title></path>`);
      });
      parts.push(`</g>`);
    }
    parts.push(`<text class="shared-label" x="${PAD}" y="${height - 4}">one set of weights embeds every input (shared)</text>`);
  }
  host.innerHTML = `<svg xmlns="${SVG}" class="network" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img"` +
    ` aria-label="network diagram: ${architecture.layers.length} layers"><defs><marker id="diagram-arrow" viewBox="0 0 8 8" refX="7" refY="4"` +
    ` markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L8,4 L0,8 z"/></marker></defs>${parts.join("")}</svg>`;
  host.dataset.drawMs = (performance.now() - started).toFixed(2);
  host.dataset.nodes = String(plan.nodes.filter((n) => n.row).length);
  host.dispatchEvent(new CustomEvent("diagram:drawn", { bubbles: true, detail: { architecture, layout: plan } }));
  return plan;
}

// builder: which fields of the network's form answer for a layer of this type (first found wins the scroll)
const FIELDS = [
  [/Conv/, ["conv_layers", "conv_channels", "width", "channels", "blocks_per_stage", "bottleneck"]],
  [/LSTM|GRU|RNN/, ["hidden_size", "num_layers", "bidirectional", "nonlinearity", "output"]],
  [/Attention/, ["nhead", "d_model"]],
  [/Linear/, ["hidden_layers", "d_model", "dim_feedforward", "hidden_size"]],
  [/Norm/, ["norm", "batch_norm"]], [/Dropout/, ["dropout"]], [/Pool/, ["pool", "blocks"]],
  [/Identity/, ["skip_connections"]],
];

export function fieldsFor(form, type, name) {
  const section = form.querySelector("#section-model");
  if (!section) return [];
  const wanted = (FIELDS.find(([re]) => re.test(type)) || [null, ["activation"]])[1].slice();
  if (/\.(body|shortcut)\b/.test(name)) wanted.push("skip_connections", "blocks_per_stage");
  const found = wanted.map((key) => section.querySelector(`[name="model.params.${key}"]`)).filter(Boolean)
    .map((input) => input.closest(".field") || input);
  return found.length ? found : [section];
}

function highlight(elements) {
  document.querySelectorAll(".diagram-highlight").forEach((el) => el.classList.remove("diagram-highlight"));
  elements.forEach((el) => el.classList.add("diagram-highlight"));
  elements[0].scrollIntoView({ behavior: "smooth", block: "center" });
  setTimeout(() => elements.forEach((el) => el.classList.remove("diagram-highlight")), 2500);
}

function selected(host, node) {
  host.querySelectorAll(".node.selected").forEach((el) => el.classList.remove("selected"));
  node.classList.add("selected");
}

// the builder: the plan partial carries its architecture as JSON; every new plan is drawn again
function followPlan(host, plan, form) {
  const redraw = () => {
    const data = plan.querySelector("script.plan-architecture");
    if (data) drawDiagram(host, JSON.parse(data.textContent));
    host.hidden = !data;
  };
  new MutationObserver(redraw).observe(plan, { childList: true });
  redraw();
  const open = (event) => {
    const node = event.target.closest("[data-layer]");
    if (!node || (event.type === "keydown" && event.key !== "Enter")) return;
    selected(host, node);
    highlight(fieldsFor(form, node.dataset.type, node.dataset.layer));
  };
  host.addEventListener("click", open);
  host.addEventListener("keydown", open);
}

// a run page: the plan of the run's own config, then the live layers on top of it
async function followRun(host, root) {
  const config = await (await fetch(`/api/runs/${root.dataset.run}/config`)).json();
  const response = await fetch("/api/plans", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(config),
  });
  if (!response.ok) { host.closest("section").hidden = true; return; }
  const plan = await response.json();
  drawDiagram(host, plan.architecture);
  host.addEventListener("click", (event) => {
    const node = event.target.closest("[data-layer]");
    if (node) selected(host, node);
  });
  const live = await import("./diagram_live.js");
  live.attach(host, root, plan.architecture);
}

function start() {
  const host = document.getElementById("network-diagram");
  if (!host) return;
  const plan = document.getElementById("plan");
  const run = document.getElementById("live");
  if (plan) followPlan(host, plan, document.getElementById("builder"));
  else if (run) followRun(host, run);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
