// Descent's browser side: the builder's JSON, and live charts fed by the run's event stream.
(function () {
  "use strict";

  // ---------------------------------------------------------------- builder
  function parseValue(input) {
    const type = input.dataset.type;
    const raw = input.value.trim();
    if (type === "boolean") return input.checked;
    if (raw === "") return undefined; // empty means "the default"
    if (type === "integer" || type === "number") return Number(raw);
    if (type === "list") return raw.split(/[\s,]+/).filter(Boolean).map((v) => (isNaN(Number(v)) ? v : Number(v)));
    if (type === "auto") return isNaN(Number(raw)) ? raw : Number(raw);
    return raw;
  }

  function setPath(target, path, value) {
    const keys = path.split(".");
    let node = target;
    keys.slice(0, -1).forEach((key) => (node = node[key] = node[key] || {}));
    node[keys[keys.length - 1]] = value;
  }

  // every control is named by its dotted path in the RunConfig JSON (optimizer.params.lr, train.steps)
  function collectConfig(form) {
    const config = {};
    const off = [];
    form.querySelectorAll("[data-type=enable]").forEach((box) => {
      if (box.checked) setPath(config, box.name, {});
      else off.push(box.name + ".");
    });
    form.querySelectorAll("[name]").forEach((input) => {
      if (input.type === "file" || input.dataset.type === "enable" || off.some((p) => input.name.startsWith(p))) return;
      const value = parseValue(input);
      if (value !== undefined) setPath(config, input.name, value);
    });
    for (const [key, spec] of Object.entries(config)) {
      if (spec && typeof spec === "object" && "name" in spec && key !== "train") {
        if (spec.name === "") delete config[key]; // an optional section left at "none"
        else spec.params = spec.params || {};
      }
    }
    return config;
  }

  function encodeConfig(config) {
    const bytes = new TextEncoder().encode(JSON.stringify(config));
    return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function syncUrl(form) {
    // the builder's whole state lives in the address, so a link recreates the experiment
    history.replaceState(null, "", "/?config=" + encodeConfig(collectConfig(form)));
  }

  function showErrors(form, detail) {
    form.querySelectorAll(".error").forEach((el) => (el.textContent = ""));
    form.querySelectorAll(".invalid").forEach((el) => el.classList.remove("invalid"));
    const box = document.getElementById("form-errors");
    const lines = [];
    (Array.isArray(detail) ? detail : [{ loc: [], msg: String(detail) }]).forEach((err) => {
      const loc = (err.loc || []).filter((p) => p !== "body");
      const key = loc.join(".");
      lines.push((key ? key + ": " : "") + err.msg);
      // the most specific input that the location names gets the message
      for (let n = loc.length; n > 0; n--) {
        const slot = form.querySelector(`[data-error-for="${loc.slice(0, n).join(".")}"]`);
        if (slot) {
          slot.textContent = err.msg;
          const input = slot.parentElement.querySelector("input, select");
          if (input) input.classList.add("invalid");
          break;
        }
      }
    });
    box.textContent = lines.join("\n");
    box.hidden = lines.length === 0;
  }

  function filterNetworks(form) {
    const dataset = form.querySelector("#section-dataset select.component");
    const network = form.querySelector("#section-model select.component");
    if (!dataset || !network) return;
    const kind = dataset.selectedOptions[0] && dataset.selectedOptions[0].dataset.kind;
    let firstOk = null;
    Array.from(network.options).forEach((option) => {
      const ok = !kind || !option.dataset.accepts || option.dataset.accepts.split(" ").includes(kind);
      option.disabled = !ok;
      if (ok && !firstOk) firstOk = option;
    });
    if (network.selectedOptions[0] && network.selectedOptions[0].disabled && firstOk) {
      network.value = firstOk.value;
      network.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  function initBuilder(form) {
    filterNetworks(form);
    syncUrl(form);
    form.addEventListener("input", () => syncUrl(form));
    form.addEventListener("change", () => syncUrl(form));
    document.getElementById("copy-link").addEventListener("click", async (event) => {
      syncUrl(form);
      try {
        await navigator.clipboard.writeText(window.location.href);
        event.target.textContent = "Link copied";
      } catch (err) {
        window.prompt("Copy this link", window.location.href);
      }
    });
    document.getElementById("import-config").addEventListener("change", async (event) => {
      const file = event.target.files[0];
      if (!file) return;
      try {
        window.location.href = "/?config=" + encodeConfig(JSON.parse(await file.text()));
      } catch (err) {
        showErrors(form, "that file is not a configuration JSON: " + err.message);
      }
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = document.getElementById("train-button");
      button.disabled = true;
      try {
        const response = await fetch("/api/runs", {
          method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify(collectConfig(form)),
        });
        const body = await response.json();
        if (response.status === 201) {
          window.location.href = "/runs/" + body.id;
          return;
        }
        showErrors(form, body.detail);
      } catch (err) {
        showErrors(form, "could not reach the server: " + err);
      } finally {
        button.disabled = false;
      }
    });
    document.body.addEventListener("htmx:afterSwap", () => {
      filterNetworks(form);
      syncUrl(form);
    });
  }

  // ---------------------------------------------------------------- live run
  const COLORS = { train: "#2563eb", val: "#ea580c", batch: "#94a3b8", lr: "#7c3aed", grad: "#059669" };
  const CHARTS = {
    loss: { title: "loss", traces: [["train_loss", COLORS.train], ["val_loss", COLORS.val], ["batch_loss", COLORS.batch, "dot"]] },
    acc: { title: "accuracy", traces: [["train_acc", COLORS.train], ["val_acc", COLORS.val]] },
    lr: { title: "learning rate", traces: [["lr", COLORS.lr]], log: true },
    grad: { title: "gradient norm (global)", traces: [["grad_norm", COLORS.grad]], log: true },
  };
  const CLASS_COLORS = ["#2563eb", "#ea580c", "#059669", "#db2777", "#7c3aed", "#ca8a04", "#0891b2", "#4b5563", "#dc2626", "#65a30d"];
  const PLOT_CONFIG = { displaylogo: false, responsive: true };

  function layoutFor(title, log) {
    return {
      title: { text: title, font: { size: 14 }, x: 0.02, xanchor: "left" }, margin: { l: 50, r: 12, t: 36, b: 40 }, height: 260,
      xaxis: { title: { text: "step" } }, yaxis: { type: log ? "log" : "linear" },
      legend: { orientation: "h", x: 1, xanchor: "right", y: 1.02, yanchor: "bottom" }, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fff",
    };
  }

  class RunView {
    constructor(root) {
      this.root = root;
      this.total = Number(root.dataset.total) || 0;
      this.lastId = 0;
      this.pending = {};
      this.frame = null;
      this.seen = {};
      this.points = null;
      for (const [key, spec] of Object.entries(CHARTS)) {
        const div = root.querySelector(`[data-chart=${key}]`);
        const traces = spec.traces.map(([name, color, dash]) => ({
          x: [], y: [], name: name, mode: "lines", line: { color: color, width: dash ? 1 : 2, dash: dash || "solid" },
        }));
        Plotly.newPlot(div, traces, layoutFor(spec.title, spec.log), PLOT_CONFIG);
        this.pending[key] = spec.traces.map(() => ({ x: [], y: [] }));
      }
      root.addEventListener("click", (event) => {
        const button = event.target.closest("button[data-action]");
        if (button) this.control(button.dataset.action);
      });
    }

    async load() {
      const response = await fetch(`/api/runs/${this.root.dataset.run}/history?max_points=2000`);
      const history = await response.json();
      this.lastId = history.last_event_id;
      for (const [key, spec] of Object.entries(CHARTS)) {
        const div = this.root.querySelector(`[data-chart=${key}]`);
        const update = { x: [], y: [] };
        spec.traces.forEach(([name]) => {
          const s = history.series[name];
          update.x.push(s ? s.step : []);
          update.y.push(s ? s.value : []);
        });
        Plotly.restyle(div, update, spec.traces.map((_, i) => i));
      }
      for (const probe of Object.values(history.probes)) this.onProbe(probe);
      const loss = history.series.train_loss;
      if (loss && this.total) this.setProgress(loss.step[loss.step.length - 1]);
      if (this.root.dataset.terminal !== "true") this.follow();
    }

    follow() {
      // htmx-ext-sse owns the connection (and its reconnects); every new source gets our listeners
      this.root.addEventListener("htmx:sseOpen", (event) => this.attach(event.detail.source));
      this.root.setAttribute("hx-ext", "sse");
      this.root.setAttribute("sse-connect", `/api/runs/${this.root.dataset.run}/events?after=${this.lastId}`);
      this.root.setAttribute("sse-close", "done");
      htmx.process(this.root);
    }

    setProgress(step) {
      const bar = document.getElementById("run-progress");
      if (bar && this.total) bar.style.width = Math.min(100, (100 * step) / this.total).toFixed(1) + "%";
    }

    attach(source) {
      for (const kind of ["metrics", "probe", "status", "done"]) {
        source.addEventListener(kind, (event) => this.receive(kind, event));
      }
      // when the run ends the server renders the header again, with its summary and exports
      source.addEventListener("done", () => {
        htmx.ajax("GET", `/runs/${this.root.dataset.run}?fragment=header`, { target: "#run-header", swap: "outerHTML" });
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

    onMetrics(m) {
      for (const [key, spec] of Object.entries(CHARTS)) {
        spec.traces.forEach(([name], i) => {
          if (name in m.values) {
            this.pending[key][i].x.push(m.step);
            this.pending[key][i].y.push(m.values[name]);
            this.seen[key] = true;
          }
        });
      }
      this.setProgress(m.step);
      this.schedule();
    }

    schedule() {
      // points are drawn at most once per frame, however fast they arrive
      if (this.frame === null) this.frame = requestAnimationFrame(() => this.flush());
    }

    flush() {
      this.frame = null;
      for (const key of Object.keys(CHARTS)) {
        const buffers = this.pending[key];
        if (!buffers.some((b) => b.x.length)) continue;
        const div = this.root.querySelector(`[data-chart=${key}]`);
        Plotly.extendTraces(div, { x: buffers.map((b) => b.x), y: buffers.map((b) => b.y) }, buffers.map((_, i) => i));
        this.pending[key] = buffers.map(() => ({ x: [], y: [] }));
      }
    }

    onProbe(p) {
      if (p.name === "decision_boundary") this.drawBoundary(p.step, p.data);
    }

    drawBoundary(step, d) {
      const div = this.root.querySelector("[data-chart=boundary]");
      div.hidden = false;
      if (d.points) this.points = d.points;
      const bytes = Uint8Array.from(atob(d.z), (c) => c.charCodeAt(0));
      const z = [];
      for (let r = 0; r < d.n; r++) {
        const row = Array.from(bytes.subarray(r * d.n, (r + 1) * d.n));
        z.push(d.z_kind === "probability" ? row.map((v) => v / 255) : row);
      }
      const lin = (a, b) => Array.from({ length: d.n }, (_, i) => a + ((b - a) * i) / (d.n - 1));
      const heat = {
        type: "heatmap", x: lin(d.x0, d.x1), y: lin(d.y0, d.y1), z: z, showscale: false, opacity: 0.55, hoverinfo: "skip",
        zmin: 0, zmax: d.z_kind === "probability" ? 1 : d.n_classes - 1,
        colorscale: d.z_kind === "probability"
          ? [[0, CLASS_COLORS[0]], [0.5, "#ffffff"], [1, CLASS_COLORS[1]]]
          : CLASS_COLORS.slice(0, d.n_classes).map((c, i) => [i / Math.max(1, d.n_classes - 1), c]),
      };
      const traces = [heat];
      if (this.points) {
        for (let k = 0; k < d.n_classes; k++) {
          const idx = this.points.label.map((l, i) => (l === k ? i : -1)).filter((i) => i >= 0);
          traces.push({
            type: "scatter", mode: "markers", name: "class " + k, x: idx.map((i) => this.points.x[i]),
            y: idx.map((i) => this.points.y[i]), marker: { size: 5, color: CLASS_COLORS[k], line: { color: "#fff", width: 0.5 } },
          });
        }
      }
      const layout = layoutFor(`decision boundary · step ${step}`);
      layout.height = 340;
      layout.xaxis = { title: { text: "x₁" } };
      layout.yaxis = { title: { text: "x₂" }, scaleanchor: "x" };
      Plotly.react(div, traces, layout, PLOT_CONFIG);
    }

    onStatus(s) {
      const badge = document.getElementById("run-status");
      if (badge) {
        badge.textContent = s.status;
        badge.className = "badge status-" + s.status;
      }
      if (s.device) {
        const device = document.getElementById("run-device");
        if (device) device.textContent = s.device;
      }
      if (s.total_steps) this.total = s.total_steps;
    }

    async control(action) {
      const response = await fetch(`/api/runs/${this.root.dataset.run}/control`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ action: action }),
      });
      if (!response.ok) {
        const body = await response.json();
        alert(body.detail || response.statusText);
      }
    }
  }

  function init() {
    const form = document.getElementById("builder");
    if (form) initBuilder(form);
    const root = document.getElementById("live");
    if (root) {
      const view = (window.descentRun = new RunView(root));
      view.load();
    }
  }

  document.addEventListener("DOMContentLoaded", init);
})();
