// A run's page: history first (downsampled by the server), then the live stream from where it ended.
(function () {
  "use strict";

  const C = window.Curves;
  const TERMINAL = JSON.parse(document.body.dataset.statuses).terminal; // from engine/status.py, via base.html
  const CHARTS = {
    loss: { title: "loss", series: [["train_loss", 0], ["val_loss", 1]] },
    acc: { title: "accuracy", series: [["train_acc", 0], ["val_acc", 1]] },
    // never smoothed: a schedule's steps are the point, and an EMA of a constant wobbles in its last digits
    lr: { title: "learning rate", series: [["lr", 4]], log: true, raw: true },
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
        const more = event.target.closest("button[data-continue]");
        if (more) this.continueRun(more.dataset.more === "true");
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
      const run = await (await fetch(`/api/runs/${this.runId}`)).json();
      if (!TERMINAL.includes(run.status)) return this.follow();
      htmx.ajax("GET", `/runs/${this.runId}?fragment=header`, { target: "#run-header", swap: "outerHTML" });
    }

    follow() {
      // htmx-ext-sse owns the connection (and its reconnects); every new source gets our listeners
      this.root.addEventListener("htmx:sseOpen", (event) => this.attach(event.detail.source));
      this.root.setAttribute("hx-ext", "sse");
      this.root.setAttribute("sse-connect", `/api/runs/${this.runId}/events?after=${this.lastId}`);
      this.root.setAttribute("sse-close", "done");
      htmx.process(this.root);
    }

    attach(source) {
      for (const kind of ["metrics", "probe", "status", "done"]) {
        source.addEventListener(kind, (event) => this.receive(kind, event));
      }
      // when the run ends the server renders the header again, with its summary and exports
      source.addEventListener("done", () => {
        htmx.ajax("GET", `/runs/${this.runId}?fragment=header`, { target: "#run-header", swap: "outerHTML" });
      });
    }

    receive(kind, event) {
      const id = Number(event.lastEventId);
      if (id && id <= this.lastId) return; // a reconnect replays nothing twice
      if (id) this.lastId = id;
      const data = JSON.parse(event.data);
      if (kind === "metrics") this.onMetrics(data);
      else if (kind === "probe") this.onProbe(data);
      else this.onStatus(data);
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

    onMetrics(m) {
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
      const badge = document.getElementById("run-status");
      if (badge) {
        badge.textContent = s.status;
        badge.className = "badge status-" + s.status;
      }
      const device = document.getElementById("run-device");
      if (s.device && device) device.textContent = s.device;
      if (s.total_steps) this.total = s.total_steps;
    }

    async continueRun(askSteps) {
      const body = {};
      if (askSteps) {
        const steps = window.prompt("Train until which step?", String(this.total * 2));
        if (!steps) return;
        body.steps = Number(steps);
      }
      const response = await fetch(`/api/runs/${this.runId}/continue`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      });
      const answer = await response.json();
      if (response.status === 201) window.location.href = "/runs/" + answer.id;
      else alert(typeof answer.detail === "string" ? answer.detail : JSON.stringify(answer.detail));
    }

    async control(action) {
      const response = await fetch(`/api/runs/${this.runId}/control`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ action }),
      });
      if (!response.ok) alert((await response.json()).detail || response.statusText);
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
})();
