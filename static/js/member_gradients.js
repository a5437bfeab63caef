// The compare page's per-member gradient panels: each member's grad_norm/<layer>, one trace per layer coloured by
// depth (first blue, last red), drawn when its panel is opened; live members keep appending.
const C = window.Curves;
const PREFIX = "grad_norm/";

export class MemberGradients {
  constructor(container, { id, name, colour, unit }) {
    this.layers = {}; // layer name -> {step, epoch, time, value}, in the model's order
    this.chart = null;
    this.unit = unit;
    this.details = document.createElement("details");
    this.details.className = "panel";
    this.details.dataset.memberGradients = id;
    this.details.hidden = true; // until the member has per-layer norms
    const summary = document.createElement("summary");
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = colour;
    this.count = document.createElement("span");
    this.count.className = "muted";
    summary.append(swatch, ` ${name} `, this.count);
    this.body = document.createElement("div");
    this.body.className = "panel-body";
    this.details.append(summary, this.body);
    container.appendChild(this.details);
    this.title = `gradient norm per layer · ${name}`;
    this.details.addEventListener("toggle", () => this.details.open && this.draw());
  }

  layer(name) {
    const layer = name.slice(PREFIX.length);
    if (!this.layers[layer]) {
      this.layers[layer] = { step: [], epoch: [], time: [], value: [] };
      this.details.hidden = false;
      this.count.textContent = `${Object.keys(this.layers).length} layers`;
      if (this.chart) this.chart = null; // a new layer changes every colour: built again at the next draw
    }
    return this.layers[layer];
  }

  setHistory(series) {
    for (const [name, data] of Object.entries(series)) {
      if (!name.startsWith(PREFIX)) continue;
      const layer = this.layer(name);
      for (const key of ["step", "epoch", "time", "value"]) layer[key] = data[key].slice();
    }
  }

  append(m) {
    let added = false;
    for (const [name, value] of Object.entries(m.values)) {
      if (!name.startsWith(PREFIX)) continue;
      const layer = this.layer(name);
      layer.step.push(m.step);
      layer.epoch.push(m.epoch);
      layer.time.push(m.time);
      layer.value.push(value);
      added = true;
    }
    if (added && this.details.open) this.draw();
  }

  draw() {
    const names = Object.keys(this.layers);
    if (!this.chart) {
      this.body.replaceChildren();
      const div = document.createElement("div");
      div.className = "chart";
      div.dataset.chart = "member-grad";
      this.body.appendChild(div);
      this.chart = new C.CurveChart(div, this.title, { log: true, legend: names.length <= 8, draw: false, unit: this.unit });
      names.forEach((layer, i) => this.chart.add(layer, layer, window.Panels.depthColor(i, names.length)));
    }
    // the chart draws from these arrays on its own frame (CurveChart.schedule), a few times a second at most
    names.forEach((layer) => (this.chart.get(layer).data = this.layers[layer]));
    this.chart.schedule();
  }
}
