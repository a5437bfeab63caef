// Pictures on a run's diagram: each unit's output over the input plane under its node (the `neurons` probe, 2-D
// data), the weights between them as edges (width: magnitude, colour: sign), and a conv node's feature maps (the
// `feature_maps` probe) in a box under the diagram when the node is clicked.
import { nodeOf } from "./diagram.js";

const SVG = "http://www.w3.org/2000/svg";
const THUMB = 22; // px per unit picture
const GAP = 3;
const PER_ROW = 4;
const POSITIVE = "#ea580c";
const NEGATIVE = "#2563eb";

// grey (0..255 on each unit's own range) to blue, white, orange: TensorFlow Playground's colours
const FILTER = `<filter id="neuron-colors" color-interpolation-filters="sRGB"><feComponentTransfer>` +
  `<feFuncR type="table" tableValues="0.15 0.97 0.92"/><feFuncG type="table" tableValues="0.39 0.97 0.35"/>` +
  `<feFuncB type="table" tableValues="0.92 0.97 0.05"/></feComponentTransfer></filter>`;

const png = (b64) => "data:image/png;base64," + b64;

// one map of an atlas (maps stacked vertically, each h×w) as a nested svg showing only that map
function tile(layer, k, x, y, size, className) {
  const svg = document.createElementNS(SVG, "svg");
  for (const [key, value] of Object.entries({ x, y, width: size, height: size, viewBox: `0 ${k * layer.h} ${layer.w} ${layer.h}`,
    preserveAspectRatio: "none", class: className })) svg.setAttribute(key, value);
  const image = document.createElementNS(SVG, "image");
  image.setAttribute("href", png(layer.png));
  image.setAttribute("width", layer.w);
  image.setAttribute("height", layer.n * layer.h);
  image.setAttribute("preserveAspectRatio", "none");
  image.setAttribute("filter", "url(#neuron-colors)");
  image.style.imageRendering = "pixelated";
  svg.appendChild(image);
  return svg;
}

function box(node) {
  const rect = node.querySelector("rect.box");
  return { x: Number(rect.getAttribute("x")), y: Number(rect.getAttribute("y")), h: Number(rect.getAttribute("height")) };
}

export class NeuronView {
  constructor(host) {
    this.host = host;
    this.drawn = null; // layer names drawn, so a new reading only swaps the images
  }

  // where unit k of a node's picture sits
  place(node, k) {
    const { x, y, h } = box(node);
    return { x: x + 4 + (k % PER_ROW) * (THUMB + GAP), y: y + h + 6 + Math.floor(k / PER_ROW) * (THUMB + GAP) };
  }

  update(reading) {
    const svg = this.host.querySelector("svg.network");
    if (!svg || !reading || !reading.layers) return;
    const began = performance.now();
    const layers = reading.layers.filter((l) => nodeOf(svg, l.name));
    const key = layers.map((l) => `${l.name}:${l.units}`).join(",");
    if (this.drawn !== key) this.build(svg, layers, reading);
    for (const layer of layers) {
      const href = png(layer.png);
      svg.querySelectorAll(`g.neurons[data-of="${CSS.escape(layer.name)}"] image`).forEach((image) => image.setAttribute("href", href));
    }
    this.weights(svg, layers, reading.weights || {});
    this.host.dataset.neuronStep = String(reading.step);
    performance.measure("diagram:neurons", { start: began }); // bench/page_load.py reads what a redraw costs
  }

  build(svg, layers, reading) {
    svg.querySelectorAll("g.neurons, g.weights").forEach((g) => g.remove());
    if (!svg.querySelector("#neuron-colors")) svg.querySelector("defs").insertAdjacentHTML("beforeend", FILTER);
    const rows = Math.max(0, ...layers.map((l) => Math.ceil(l.units / PER_ROW)));
    const extra = rows * (THUMB + GAP) + 10;
    if (!svg.dataset.baseHeight) svg.dataset.baseHeight = svg.getAttribute("height");
    const height = Number(svg.dataset.baseHeight) + extra;
    svg.setAttribute("height", height);
    svg.setAttribute("viewBox", `0 0 ${svg.getAttribute("width")} ${height}`);
    const edges = document.createElementNS(SVG, "g");
    edges.setAttribute("class", "weights");
    svg.appendChild(edges);
    for (const layer of layers) {
      const node = nodeOf(svg, layer.name);
      const group = document.createElementNS(SVG, "g");
      group.setAttribute("class", "neurons");
      group.dataset.of = layer.name;
      for (let k = 0; k < layer.units; k++) {
        const at = this.place(node, k);
        const picture = tile(layer, k, at.x, at.y, THUMB, "neuron");
        const title = document.createElementNS(SVG, "title");
        title.textContent = `${layer.name} unit ${k} over the plane x₁ ∈ [${reading.extent[0]}, ${reading.extent[1]}], ` +
          `x₂ ∈ [${reading.extent[2]}, ${reading.extent[3]}]`;
        picture.appendChild(title);
        group.appendChild(picture);
      }
      svg.appendChild(group);
    }
    this.drawn = layers.map((l) => `${l.name}:${l.units}`).join(",");
  }

  // each Linear's weights, from the units of the layer drawn before it to its own units
  weights(svg, layers, weights) {
    const edges = svg.querySelector("g.weights");
    const lines = [];
    layers.forEach((layer, i) => {
      const matrix = weights[layer.name];
      if (!matrix || i === 0) return;
      const source = layers[i - 1];
      if (matrix[0].length !== source.units) return;
      const from = nodeOf(svg, source.name);
      const to = nodeOf(svg, layer.name);
      const largest = Math.max(1e-12, ...matrix.flat().map(Math.abs));
      matrix.forEach((row, out) => row.forEach((w, into) => {
        const a = this.place(from, into);
        const b = this.place(to, out);
        lines.push(`<line class="weight" data-w="${w}" x1="${a.x + THUMB}" y1="${a.y + THUMB / 2}" x2="${b.x}" y2="${b.y + THUMB / 2}"` +
          ` stroke="${w >= 0 ? POSITIVE : NEGATIVE}" stroke-width="${(0.2 + 2.8 * Math.abs(w) / largest).toFixed(2)}"/>`);
      }));
    });
    edges.innerHTML = lines.join("");
  }
}

// a conv node's feature maps for the probe input, under the diagram
export function showMaps(detail, reading, name) {
  const layer = reading && (reading.layers || []).find((l) => l.name === name);
  detail.hidden = !layer;
  if (!layer) return;
  const size = 44;
  const perRow = 16;
  const rows = Math.ceil(layer.n / perRow);
  detail.innerHTML = `<p class="muted">${name}: ${layer.n} of ${layer.channels} feature maps of the probe input at step ` +
    `${reading.step}</p><svg xmlns="${SVG}" width="${perRow * (size + 4)}" height="${rows * (size + 4)}"></svg>`;
  const svg = detail.querySelector("svg");
  for (let k = 0; k < layer.n; k++) {
    const map = tile(layer, k, (k % perRow) * (size + 4), Math.floor(k / perRow) * (size + 4), size, "map");
    map.querySelector("image").removeAttribute("filter"); // grey, as the feature-maps panel draws them
    svg.appendChild(map);
  }
}
