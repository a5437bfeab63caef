// Sweeps: the new-sweep form posts to /api/sweeps; the results page draws a parallel-coordinates plot
// of the finished trials and redraws it each time htmx swaps in a fresher results fragment.
import { postJSON, showErrors } from "./api.js";

(function () {
  "use strict";

  const KINDS_WITH_RANGE = ["log_uniform", "uniform", "int_uniform"];

  // "16, 32, 64" or "[16], [32, 32]" read as JSON; "cosine, step" fall back to plain strings
  function parseValues(text) {
    try {
      return JSON.parse(`[${text}]`);
    } catch (e) {
      return text.split(",").map((s) => s.trim()).filter((s) => s);
    }
  }

  function spaceFrom(form) {
    const space = {};
    form.querySelectorAll("[data-dimension]").forEach((row) => {
      const path = row.querySelector("[name=path]").value.trim();
      if (!path) return;
      const kind = row.querySelector("[name=kind]").value;
      const values = parseValues(row.querySelector("[name=values]").value);
      space[path] = { [kind]: KINDS_WITH_RANGE.includes(kind) ? values.map(Number) : values };
    });
    return space;
  }

  async function submit(event) {
    event.preventDefault();
    const form = event.target;
    const errors = document.getElementById("sweep-errors");
    const button = document.getElementById("sweep-start");
    const body = {
      base: JSON.parse(document.getElementById("sweep-base").textContent),
      space: spaceFrom(form),
      trials: Number(form.elements.trials.value),
      seed: Number(form.elements.seed.value),
      metric: form.elements.metric.value,
      sampler: form.elements.sampler.value,
      pruner: form.elements.pruner.value,
    };
    // form.name is the form's own name attribute; the input is in form.elements
    const name = form.elements.name.value.trim();
    if (name) body.name = name;
    button.disabled = true;
    showErrors(errors, null);
    const { status, body: answer } = await postJSON("/api/sweeps", body);
    if (status === 201) {
      window.location.href = `/sweeps/${answer.id}`;
      return;
    }
    button.disabled = false;
    showErrors(errors, answer.detail);
  }

  function draw() {
    const root = document.getElementById("sweep-results");
    const div = document.getElementById("parcoords");
    if (!root || !div) return;
    const axes = JSON.parse(root.dataset.axes);
    const metric = axes[axes.length - 1].values;
    const line = metric.length
      // the best trials are drawn brightest: reversed for a loss, where lower is better
      ? { color: metric, colorscale: "Viridis", reversescale: root.dataset.metric === "val_loss", showscale: true }
      : {};
    const trace = { type: "parcoords", line, dimensions: axes };
    const layout = { margin: { l: 70, r: 70, t: 50, b: 30 }, height: 360 };
    Plotly.react(div, [trace], layout, { displaylogo: false, responsive: true });
    drawOptuna().finally(() => { document.body.dataset.ready = "true"; });
  }

  // Optuna's optimization history and hyper-parameter importances: Plotly figures the server builds with
  // optuna.visualization, drawn here with the page's own Plotly
  async function drawOptuna() {
    const box = document.getElementById("optuna");
    if (!box) return;
    const response = await fetch(box.dataset.figures);
    if (!response.ok) return;
    const figures = await response.json();
    const config = { displaylogo: false, responsive: true };
    const fit = (layout) => ({ ...layout, height: 320, margin: { l: 60, r: 20, t: 40, b: 50 } });
    Plotly.react("optuna-history", figures.history.data, fit(figures.history.layout), config);
    if (figures.importances) {
      Plotly.react("optuna-importances", figures.importances.data, fit(figures.importances.layout), config);
    }
    document.getElementById("optuna-why").textContent = figures.why;
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("sweep-form");
    if (form) form.addEventListener("submit", submit);
    draw();
  });
  // an outerHTML swap replaces the plot's div too, so every settle redraws
  document.addEventListener("htmx:afterSettle", draw);
})();
