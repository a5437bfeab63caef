// Sequence panel: a Transformer's attention per head (query rows, key columns) and an LSTM's or GRU's gates over
// time for one validation sequence: their mean per step, and every unit (rows) at every step (columns).
(function () {
  "use strict";

  const GATES = {
    i: "input gate i", f: "forget gate f", g: "cell candidate g", o: "output gate o",
    r: "reset gate r", z: "update gate z", n: "new state n", h: "hidden state h",
  };
  const TANH = new Set(["g", "n", "h"]); // in [-1, 1]; the others are sigmoids in [0, 1]

  function cells(P, grid, count, className) {
    while (grid.children.length > count) grid.lastChild.remove();
    while (grid.children.length < count) {
      const figure = P.element("figure", className);
      figure.append(P.element("canvas", "map"), P.element("figcaption"));
      grid.appendChild(figure);
    }
    return [...grid.children];
  }

  async function attention(P, panel, d) {
    const part = panel.body.querySelector("[data-part=attention]");
    part.hidden = false;
    const atlas = await P.decodeAtlas(d);
    const top = Math.max(...atlas.hi) || 1; // one scale for all heads: rows are probabilities
    const figures = cells(P, part.querySelector(".maps-grid"), atlas.n, "head");
    figures.forEach((figure, k) => {
      P.paint(figure.querySelector("canvas"), atlas.maps[k], atlas.w, atlas.h, 0, top, "heat");
      figure.querySelector("figcaption").textContent = `head ${k + 1}`;
    });
    part.querySelector(".maps-title").textContent =
      `attention of the last layer, ${atlas.w} steps (row: query step, column: the steps it reads)`;
  }

  async function gates(P, panel, d) {
    const part = panel.body.querySelector("[data-part=gates]");
    part.hidden = false;
    const means = Object.entries(d.means).map(([name, y], k) => ({
      y, x: y.map((_, t) => t), mode: "lines", name: GATES[name] || name, line: { color: window.Curves.PALETTE[k] },
    }));
    Plotly.react(part.querySelector(".chart"), means, P.layout(`${d.cell}: mean gate activation per time step`, {
      xaxis: { title: { text: "time step" } } }), window.Curves.PLOT_CONFIG);
    const atlas = await P.decodeAtlas(d);
    const figures = cells(P, part.querySelector(".maps-grid"), atlas.n, "gate");
    figures.forEach((figure, k) => {
      const name = d.gates[k];
      const [lo, hi, map] = TANH.has(name) ? [-1, 1, "diverging"] : [0, 1, "heat"];
      P.paint(figure.querySelector("canvas"), atlas.maps[k], atlas.w, atlas.h, lo, hi, map);
      figure.querySelector("figcaption").textContent = `${GATES[name] || name} (${atlas.h} units × ${atlas.w} steps)`;
    });
  }

  document.addEventListener("descent:run", (event) => {
    const view = event.detail;
    const P = window.Panels;
    for (const [name, draw] of Object.entries({ attention, gates })) {
      const panel = P.panel(view.root, "sequence", (d) => draw(P, panel, d), name);
      if (panel) view.probes[name] = (step, data) => panel.update(data);
    }
  });
})();
