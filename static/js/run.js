// A run's page: history first (downsampled by the server), then the live stream from where it ended.
import { postJSON, problems, setBadge, statuses } from "./api.js";
import { RunStream } from "./stream.js";

const C = window.Curves;
const CHARTS = {
  loss: { title: "loss", series: [["train_loss", 0], ["val_loss", 1]] },
  acc: { title: "accuracy", series: [["train_acc", 0], ["val_acc", 1]] },
  // smoothed like the rest: the smoothing returns a constant lr unchanged to the last digit
  lr: { title: "learning rate", series: [["lr", 4]], log: true },
  grad: { title: "gradient norm (global)", series: [["grad_norm", 2]], log: true },
};

class RunView {
  constructor(root) {
    this.root = root;
    this.runId = root.dataset.run;
    this.total = Number(root.dataset.total) || 0;
    this.lastId = 0;
    this.charts = {};
    this.probes = {}; // name -> handler(step, data); panels register themselves here
    const unit = Number(root.dataset.evalEvery) || 0; // the logging interval: what the smoothing's s is per
    for (const [key, spec] of Object.entries(CHARTS)) {
      const div = root.querySelector(`[data-chart=${key}]`);
      if (key === "acc" && root.dataset.task === "regression") { div.remove(); continue; } // no accuracy to show
      const chart = new C.CurveChart(div, spec.title, { log: spec.log, raw: spec.raw, unit });
      spec.series.forEach(([name, color, dash]) => chart.add(name, name, C.PALETTE[color], dash));
      this.charts[key] = chart;
    }
    root.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      if (button) this.control(button.dataset.action);
      if (event.target.closest("button[data-continue]")) this.continueRun(null);
    });
    root.addEventListener("submit", (event) => {
      if (!event.target.matches("[data-continue-form]")) return;
      event.preventDefault();
      this.continueRun(event.target);
    });
  }

  async load() {
    const response = await fetch(`/api/runs/${this.runId}/history?max_points=2000`);
    const history = await response.json();
    this.lastId = history.last_event_id;
    for (const chart of Object.values(this.charts)) {
      for (const series of chart.series) {
        if (history.series[series.key]) chart.setData(series.key, history.series[series.key]);
      }
    }
    // panels that draw series by name prefix (per-layer norms) or from whole curves pick them up here
    document.dispatchEvent(new CustomEvent("descent:history", { detail: history }));
    for (const probe of Object.values(history.probes)) this.onProbe(probe);
    const loss = history.series.train_loss;
    if (loss) this.setProgress(loss.step[loss.step.length - 1]);
    const samples = history.series.val_samples;
    if (samples) samples.value.forEach((n) => this.noteSamples(n));
    if (this.root.dataset.terminal !== "true") this.followUnlessEnded();
  }

  // a run that ended while this page loaded has its `done` inside the history just read: the stream would have
  // nothing left to send (and reconnect forever), so the header is refreshed instead. Asked after the history,
  // a run still going now ends with a `done` the stream delivers.
  async followUnlessEnded() {
    const [run, { terminal }] = await Promise.all([fetch(`/api/runs/${this.runId}`).then((r) => r.json()), statuses()]);
    if (!terminal.includes(run.status)) return this.follow();
    this.refreshHeader();
  }

  follow() {
    this.stream = new RunStream(this.runId, {
      metrics: (m) => this.onMetrics(m),
      probe: (p) => this.onProbe(p),
      status: (s) => this.onStatus(s),
      steer: (s) => document.dispatchEvent(new CustomEvent("descent:steer", { detail: s })), // static/js/steer.js
      // when the run ends the server renders the header again, with its summary and exports
      done: (d) => { this.onStatus(d); this.refreshHeader(); },
    }, this.lastId);
  }

  refreshHeader() {
    htmx.ajax("GET", `/runs/${this.runId}?fragment=header`, { target: "#run-header", swap: "outerHTML" });
  }

  // a val curve read on a subset says so beside it: "val on 1 024 of 12 000 samples" (the first and the last
  // points read the whole split, so the largest count seen is the whole)
  noteSamples(n) {
    if (n === null || n === undefined) return;
    this.valSamples = this.valSamples || new Set();
    if (this.valSamples.has(n)) return;
    this.valSamples.add(n);
    const sizes = [...this.valSamples].sort((a, b) => a - b);
    if (sizes.length < 2) return;
    const note = `val on ${C.number(sizes[0])} of ${C.number(sizes[sizes.length - 1])} samples (first and last point: all)`;
    for (const key of ["loss", "acc"]) {
      const chart = this.charts[key];
      if (chart) { chart.note = note; chart.schedule(); }
    }
    this.root.dataset.valNote = note;
  }

  // a queued run's page showed "waiting for a worker" instead of empty axes; the charts appear once it starts
  stopWaiting() {
    document.getElementById("run-waiting")?.remove();
    const charts = document.getElementById("run-charts");
    if (!charts.hidden) return;
    charts.hidden = false;
    Object.values(this.charts).forEach((chart) => chart.redraw());
  }

  onMetrics(m) {
    this.stopWaiting();
    if ("val_samples" in m.values) this.noteSamples(m.values.val_samples);
    for (const chart of Object.values(this.charts)) {
      for (const series of chart.series) {
        if (series.key in m.values) chart.append(series.key, m.step, m.epoch, m.time, m.values[series.key]);
      }
    }
    this.setProgress(m.step);
    document.dispatchEvent(new CustomEvent("descent:metrics", { detail: m }));
  }

  onProbe(p) {
    const handler = this.probes[p.name];
    if (handler) handler(p.step, p.data);
  }

  setProgress(step) {
    const bar = document.getElementById("run-progress");
    if (bar && this.total) bar.style.width = Math.min(100, (100 * step) / this.total).toFixed(1) + "%";
  }

  onStatus(s) {
    setBadge(document.getElementById("run-status"), s.status);
    const waiting = document.getElementById("run-waiting");
    if (waiting && s.status !== waiting.dataset.status) this.stopWaiting();
    const device = document.getElementById("run-device");
    if (s.device && device) device.textContent = s.device;
    if (s.total_steps) this.total = s.total_steps;
  }

  // a resume (no form) picks up where the run stopped; the form asks for more steps and says what the lr
  // schedule does over them (extended or restarted: app/work/continuation.py)
  async continueRun(form) {
    const body = {};
    if (form) {
      body.steps = Number(form.elements.steps.value);
      if (form.elements.schedule) body.schedule = form.elements.schedule.value;
    }
    const answer = await postJSON(`/api/runs/${this.runId}/continue`, body);
    if (answer.status === 201) window.location.href = "/runs/" + answer.body.id;
    else this.say(answer.body.detail);
  }

  async control(action) {
    const answer = await postJSON(`/api/runs/${this.runId}/control`, { action });
    if (!answer.ok) this.say(answer.body.detail);
  }

  // a refused control or continuation is said under the buttons, not in a dialog
  say(detail) {
    const box = document.getElementById("run-control-error");
    if (box) box.textContent = problems(detail).map((p) => p.msg).join("; ");
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("live");
  if (!root) return;
  C.bindControls(document.getElementById("curve-controls"));
  const view = (window.descentRun = new RunView(root));
  document.dispatchEvent(new CustomEvent("descent:run", { detail: view })); // panels hook in here
  view.load();
});
