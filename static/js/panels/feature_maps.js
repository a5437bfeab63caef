// Feature maps panel: the probe input, every conv layer's maps for it and the first layer's kernels. Colours are
// diverging around 0 (blue negative, red positive) on a scale per map, per layer or global, as CNN Explainer offers.
(function () {
  "use strict";

  const bound = (atlas, m) => Math.max(Math.abs(atlas.lo[m]), Math.abs(atlas.hi[m])) || 1;
  const layerBound = (atlas) => Math.max(...atlas.lo.map((_, m) => bound(atlas, m)));

  // the maps of one atlas, each as values in [0, 1] for the colour map
  function normalized(atlas, scale, globalBound) {
    return atlas.maps.map((values, m) => {
      const b = scale === "map" ? bound(atlas, m) : scale === "layer" ? layerBound(atlas) : globalBound;
      return values.map((v) => (v + b) / (2 * b));
    });
  }

  function section(P, container, key, title) {
    let box = container.querySelector(`[data-layer="${CSS.escape(key)}"]`);
    if (!box) {
      box = P.element("div", "maps-layer");
      box.dataset.layer = key;
      box.append(P.element("div", "maps-title"), P.element("div", "maps-grid"));
      container.appendChild(box);
    }
    box.querySelector(".maps-title").textContent = title;
    return box.querySelector(".maps-grid");
  }

  // a 1-D layer's rows are ROW_PX tall, the whole heat map at most MAX_ROWS_PX: 25 channels take 150 px, 400
  // kernels 240 px (rows thinner than a pixel are averaged by the browser; hover names the channel)
  const ROW_PX = 6;
  const MAX_ROWS_PX = 240;

  // 2-D maps: one small canvas each; 1-D maps: one canvas per layer, a row per channel
  function drawMaps(P, grid, atlas, maps, colormap) {
    const rows = atlas.h === 1;
    const wanted = rows ? 1 : maps.length;
    while (grid.children.length > wanted) grid.lastChild.remove();
    while (grid.children.length < wanted) grid.appendChild(P.element("canvas", rows ? "map map-rows" : "map"));
    if (rows) {
      const values = new Float32Array(maps.length * atlas.w);
      maps.forEach((m, i) => values.set(m, i * atlas.w));
      const canvas = grid.children[0];
      P.paint(canvas, values, atlas.w, maps.length, 0, 1, colormap);
      canvas.style.height = `${Math.min(MAX_ROWS_PX, ROW_PX * maps.length)}px`;
      canvas.title = `${maps.length} channels (rows) × ${atlas.w} positions`;
    } else {
      maps.forEach((m, i) => {
        grid.children[i].title = `channel ${i}`;
        P.paint(grid.children[i], m, atlas.w, atlas.h, 0, 1, colormap);
      });
    }
  }

  document.addEventListener("descent:run", (event) => {
    const view = event.detail;
    const P = window.Panels;
    let token = 0;
    const panel = P.panel(view.root, "feature-maps", async (d) => {
      const mine = ++token;
      const container = panel.body.querySelector(".maps");
      const note = panel.body.querySelector(".maps-note");
      note.textContent = d.note || "";
      if (!d.layers || !d.layers.length) return;
      const scale = panel.body.querySelector("[name=map_scale]").value;
      const [input, kernels, ...layers] = await Promise.all(
        [d.input, d.kernels, ...d.layers].map((a) => (a ? P.decodeAtlas(a) : null)));
      if (mine !== token) return; // a newer reading is being drawn
      if (input) {
        const grid = section(P, container, "input", `input: validation sample ${input.sample}` +
          (input.label ? ` (${input.label})` : ""));
        const spans = input.maps.map((values, m) => values.map((v) => (v - input.lo[m]) / ((input.hi[m] - input.lo[m]) || 1)));
        drawMaps(P, grid, input, spans, "gray");
      }
      const globalBound = Math.max(...layers.map(layerBound));
      layers.forEach((atlas, i) => {
        const spec = d.layers[i];
        const shown = spec.channels > atlas.n ? ` (first ${atlas.n} of ${spec.channels})` : ` (${atlas.n})`;
        const grid = section(P, container, spec.name, `${spec.name}: maps${shown}`);
        drawMaps(P, grid, atlas, normalized(atlas, scale, globalBound), "diverging");
      });
      if (kernels) {
        const grid = section(P, container, "kernels", `kernels of ${d.kernels.name}: ${d.kernels.out} × ${d.kernels.in}`);
        drawMaps(P, grid, kernels, normalized(kernels, scale === "map" ? "map" : "layer", 1), "diverging");
      }
      panel.body.querySelector(".maps-step").textContent = `step ${window.Curves.number(d.step)}`;
    });
    if (!panel) return;
    panel.body.querySelector("[name=map_scale]").addEventListener("change", () => panel.redraw());
    view.probes.feature_maps = (step, data) => panel.update(data);
  });
})();
