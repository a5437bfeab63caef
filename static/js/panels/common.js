// Shared by the "inside the run" panels: collapsible panels drawn on the page's frame queue (and only while open),
// probe images (one grayscale PNG per layer, each map with its own min/max) decoded to values, colour maps.
(function () {
  "use strict";

  const schedule = window.Frames.schedule;
  const GAP_MS = 500;

  // several probes may share one panel: each passes its own key
  function panel(root, id, draw, key = id) {
    const details = root.querySelector(`#panel-${id}`);
    if (!details) return null;
    let latest = null;
    const state = {
      details,
      body: details.querySelector(".panel-body"),
      update(data) {
        latest = { ...latest, ...data }; // fields sent once (points, the input image) stay, as in the history
        details.hidden = false;
        if (details.open) schedule(key, () => draw(latest), GAP_MS);
      },
      redraw() {
        if (latest && details.open) schedule(key, () => draw(latest), GAP_MS);
      },
    };
    details.addEventListener("toggle", () => {
      if (!details.open) return;
      details.querySelectorAll(".js-plotly-plot").forEach((div) => Plotly.Plots.resize(div));
      state.redraw();
    });
    return state;
  }

  // an atlas {png, n, h, w, lo, hi} -> {n, h, w, lo, hi, maps: [Float32Array of h·w real values]}
  const decoded = new Map(); // png -> promise: an image sent once (the input, test samples) is decoded once
  function decodeAtlas(atlas) {
    if (decoded.has(atlas.png)) return decoded.get(atlas.png);
    if (decoded.size > 64) decoded.delete(decoded.keys().next().value);
    const promise = new Promise((resolve, reject) => {
      const image = new Image();
      image.onload = () => {
        const canvas = document.createElement("canvas");
        canvas.width = image.width;
        canvas.height = image.height;
        const ctx = canvas.getContext("2d", { willReadFrequently: true });
        ctx.drawImage(image, 0, 0);
        const rgba = ctx.getImageData(0, 0, image.width, image.height).data;
        const size = atlas.h * atlas.w;
        const maps = [];
        for (let m = 0; m < atlas.n; m++) {
          const values = new Float32Array(size);
          const span = (atlas.hi[m] - atlas.lo[m]) / 255;
          for (let i = 0; i < size; i++) values[i] = atlas.lo[m] + rgba[4 * (m * size + i)] * span;
          maps.push(values);
        }
        resolve({ ...atlas, maps });
      };
      image.onerror = reject;
      image.src = "data:image/png;base64," + atlas.png;
    });
    decoded.set(atlas.png, promise);
    return promise;
  }

  function decodeBytes(b64) {
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  }

  // colour maps: t in [0, 1] -> [r, g, b]
  const lerp = (a, b, t) => a + (b - a) * t;
  const mix = (c0, c1, t) => [lerp(c0[0], c1[0], t), lerp(c0[1], c1[1], t), lerp(c0[2], c1[2], t)];
  const BLUE = [37, 99, 235], RED = [220, 38, 38], WHITE = [255, 255, 255], INK = [17, 24, 39];
  const COLORMAPS = {
    gray: (t) => [255 * t, 255 * t, 255 * t],
    diverging: (t) => (t < 0.5 ? mix(BLUE, WHITE, t * 2) : mix(WHITE, RED, t * 2 - 1)), // negative blue, 0 white
    heat: (t) => (t < 0.5 ? mix(WHITE, BLUE, t * 2) : mix(BLUE, INK, t * 2 - 1)),
  };

  // values (row-major, width × height) onto a canvas, value lo at t = 0 and hi at t = 1
  function paint(canvas, values, width, height, lo, hi, colormap = "diverging") {
    if (canvas.width !== width) canvas.width = width;
    if (canvas.height !== height) canvas.height = height;
    const ctx = canvas.getContext("2d");
    const image = ctx.createImageData(width, height);
    const color = COLORMAPS[colormap];
    const span = hi - lo || 1;
    for (let i = 0; i < width * height; i++) {
      const t = Math.min(1, Math.max(0, (values[i] - lo) / span));
      const [r, g, b] = color(t);
      image.data[4 * i] = r;
      image.data[4 * i + 1] = g;
      image.data[4 * i + 2] = b;
      image.data[4 * i + 3] = 255;
    }
    ctx.putImageData(image, 0, 0);
  }

  // first layer blue, last red: depth order is what vanishing gradients are about
  function depthColor(index, count) {
    const t = count > 1 ? index / (count - 1) : 0;
    return `hsl(${Math.round(220 - 215 * t)}, 70%, 45%)`;
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // the legend under the plot (in the bottom margin), never beside the title where a long one overlaps it
  const LAYOUT = {
    margin: { l: 50, r: 10, t: 30, b: 60 }, height: 250, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fff",
    legend: { orientation: "h", x: 0, xanchor: "left", yref: "container", y: 0, yanchor: "bottom", font: { size: 10 } },
  };
  function layout(title, extra = {}) {
    return { ...LAYOUT, title: { text: title, font: { size: 13 }, x: 0.02, xanchor: "left" }, ...extra };
  }

  window.Panels = { schedule, panel, decodeAtlas, decodeBytes, paint, depthColor, element, layout, COLORMAPS };
})();
