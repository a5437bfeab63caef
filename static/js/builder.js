// The builder: forms rendered from the params models; the browser only turns them into RunConfig JSON.
import { encodeConfig, postJSON, showErrors } from "./api.js";

(function () {
  "use strict";

  // what a field holds, or {problem} when it holds nothing usable: a blank or non-numeric field is an error next to
  // it, never replaced by a default the person did not see; only an optional field may be empty (it means none)
  function parseValue(input) {
    const type = input.dataset.type;
    const raw = input.value.trim();
    if (type === "boolean") return input.checked;
    if (input.validity && input.validity.badInput) return { problem: "not a number" }; // the browser's own "1e"
    if (raw === "") {
      if (!type || input.dataset.optional === "true") return undefined; // the run's name, a section left at none
      if (type === "list") return []; // an empty list is a value; the server says whether it may be empty
      return { problem: "required" };
    }
    if (type === "integer" || type === "number") return isNaN(Number(raw)) ? { problem: "not a number" } : Number(raw);
    if (type === "json") {
      try {
        return JSON.parse(raw);
      } catch (err) {
        return raw; // the server names the field and says what is wrong
      }
    }
    if (type === "list") {
      const items = raw.split(/[\s,]+/).filter(Boolean);
      // a list of names stays text: "1." is a layer's prefix, not the number 1
      return input.dataset.item === "string" ? items : items.map((v) => (isNaN(Number(v)) ? v : Number(v)));
    }
    if (type === "auto") return isNaN(Number(raw)) ? raw : Number(raw);
    return raw;
  }

  function setPath(target, path, value) {
    const keys = path.split(".");
    let node = target;
    keys.slice(0, -1).forEach((key) => (node = node[key] = node[key] || {}));
    node[keys[keys.length - 1]] = value;
  }

  // every control is named by its dotted path in the RunConfig JSON (optimizer.params.lr, train.steps);
  // fields that hold nothing usable are left out of the config and listed in `problems` as {loc, msg}
  function collectConfig(form, problems = []) {
    const config = {};
    const off = [];
    form.querySelectorAll("[data-type=enable]").forEach((box) => {
      if (box.checked) setPath(config, box.name, {});
      else off.push(box.name + ".");
    });
    form.querySelectorAll("[name]").forEach((input) => {
      if (input.type === "file" || input.dataset.type === "enable" || off.some((p) => input.name.startsWith(p))) return;
      const value = parseValue(input);
      if (value && value.problem) problems.push({ loc: input.name.split("."), msg: value.problem });
      else if (value !== undefined) setPath(config, input.name, value);
    });
    for (const [key, spec] of Object.entries(config)) {
      if (spec && typeof spec === "object" && "name" in spec && key !== "train") {
        if (spec.name === "") delete config[key]; // an optional section left at "none"
        else spec.params = spec.params || {};
      }
    }
    return config;
  }

  function syncUrl(form) {
    // the builder's whole state lives in the address, so a link recreates the experiment; the lab and a new
    // sweep open on it too
    const query = "?config=" + encodeConfig(collectConfig(form));
    history.replaceState(null, "", "/" + query);
    document.querySelectorAll("a[data-carries-config]").forEach((link) => (link.href = link.pathname + query));
  }

  // the form's errors: each beside its field, all of them in the box under the form
  const formErrors = (form, detail) => showErrors(document.getElementById("form-errors"), detail, form);

  function filterNetworks(form) {
    const dataset = form.querySelector("#section-dataset select.component");
    const network = form.querySelector("#section-model select.component");
    if (!dataset || !network) return;
    const kind = dataset.selectedOptions[0] && dataset.selectedOptions[0].dataset.kind;
    let firstOk = null;
    Array.from(network.options).forEach((option) => {
      const ok = !kind || kind === "any" || !option.dataset.accepts || option.dataset.accepts.split(" ").includes(kind);
      option.disabled = !ok;
      if (ok && !firstOk) firstOk = option;
    });
    if (network.selectedOptions[0] && network.selectedOptions[0].disabled && firstOk) {
      network.value = firstOk.value;
      network.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  // a network's default sizes follow the data set: when the data changes its fields are fetched again, sized
  // for the new data, keeping the ones the person typed into
  function refreshNetwork(form) {
    const model = form.querySelector("#section-model");
    if (!model) return;
    const keep = {};
    model.querySelectorAll("[data-touched]").forEach((input) => {
      const value = parseValue(input);
      if (value !== undefined && !(value && value.problem)) keep[input.name.split(".").pop()] = value;
    });
    const query = new URLSearchParams({ "model.name": model.querySelector("select.component").value });
    form.querySelectorAll("#section-dataset [name]").forEach((input) => {
      if (input.type !== "file" && (input.type !== "checkbox" || input.checked)) query.set(input.name, input.value);
    });
    query.set("keep", JSON.stringify(keep));
    htmx.ajax("GET", "/partials/params/model?" + query, { target: "#section-model", swap: "outerHTML" }).then(() => {
      Object.keys(keep).forEach((key) => {
        const input = form.querySelector(`[name="model.params.${key}"]`);
        if (input) input.dataset.touched = "true";
      });
    });
  }

  // the formulas of the notes, typeset by the vendored KaTeX
  function renderMath(root) {
    if (!window.katex) return;
    root.querySelectorAll("code.formula:not([data-typeset])").forEach((el) => {
      const tex = el.textContent;
      try {
        katex.render(tex, el, { throwOnError: false, displayMode: false });
        el.dataset.typeset = "true";
        el.title = tex;
      } catch (err) { /* leave the TeX source readable */ }
    });
  }

  let planTimer = null;
  let planAsked = 0; // the latest request's number; an older answer that arrives after it is dropped
  function refreshPlan(form) {
    // the network's table and the advice follow every edit, a moment after typing stops
    clearTimeout(planTimer);
    planTimer = setTimeout(async () => {
      // the planner answers in parallel processes: a slow answer to an older config must not replace a newer one
      const asked = ++planAsked;
      const response = await fetch("/partials/plan", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(collectConfig(form)),
      });
      const text = await response.text();
      if (asked !== planAsked) return;
      const plan = document.getElementById("plan");
      plan.innerHTML = text;
      plan.dispatchEvent(new CustomEvent("plan:updated", { bubbles: true })); // the freeze checklist follows it
    }, 250);
  }

  // the form's own problems, shown next to their fields; true when there are none
  function checkFields(form) {
    const problems = [];
    collectConfig(form, problems);
    formErrors(form, problems);
    return problems.length === 0;
  }

  function changed(form) {
    if (!checkFields(form)) return; // the address and the plan keep the last config that was whole
    syncUrl(form);
    refreshPlan(form);
  }

  // a race: the builder's config is the base; each ticked optimizer (or each value of one setting) a variant
  function raceVariants(form) {
    const ticked = Array.from(form.querySelectorAll("[data-race-optimizer]:checked")).map((box) => {
      const name = box.dataset.raceOptimizer;
      const lr = Number(form.querySelector(`[data-race-lr="${name}"]`).value);
      return { optimizer: { name, params: isNaN(lr) ? {} : { lr } } };
    });
    if (ticked.length) return ticked;
    const path = document.getElementById("race-path").value.trim();
    const raw = document.getElementById("race-values").value.trim();
    if (!path || !raw) return [];
    const values = path.endsWith("hidden_layers")
      ? raw.split(";").map((v) => v.split(/[\s,]+/).filter(Boolean).map(Number))
      : raw.split(/\s*,\s*/).map((v) => (isNaN(Number(v)) ? v : Number(v)));
    return values.map((value) => {
      const variant = {};
      const keys = path.split(".");
      if (keys[keys.length - 1] === "name") setPath(variant, keys[0], { name: value, params: {} });
      else setPath(variant, path, value);
      return variant;
    });
  }

  async function startRace(form) {
    const error = document.getElementById("race-error");
    if (!checkFields(form)) return;
    const variants = raceVariants(form);
    if (variants.length < 2) {
      showErrors(error, "tick at least two optimizers, or give a setting at least two values");
      return;
    }
    const config = collectConfig(form);
    const seedText = document.getElementById("race-seeds").value.trim();
    const seeds = seedText ? seedText.split(/[\s,]+/).filter(Boolean).map(Number) : null;
    const { status, body } = await postJSON("/api/comparisons", { name: config.name || null, base: config, variants, seeds });
    if (status === 201) window.location.href = "/compare/" + body.id;
    else showErrors(error, body.detail);
  }

  // an event dispatched on the form itself has the form as its target, and form.name is then the form's control
  // named "name" (an element), not a string
  function fieldName(target) {
    return typeof target.name === "string" ? target.name : "";
  }

  function initBuilder(form) {
    document.getElementById("race-button").addEventListener("click", () => startRace(form));
    filterNetworks(form);
    renderMath(form);
    changed(form);
    form.addEventListener("input", (event) => {
      if (fieldName(event.target).startsWith("model.params.")) event.target.dataset.touched = "true";
      changed(form);
    });
    form.addEventListener("change", (event) => {
      const dataParam = fieldName(event.target).startsWith("dataset.params.");
      if (dataParam) refreshNetwork(form); // an image size or a class count changes what fits
      changed(form);
    });
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
        formErrors(form, "that file is not a configuration JSON: " + err.message);
      }
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!checkFields(form)) return;
      const button = document.getElementById("train-button");
      button.disabled = true;
      const { status, body } = await postJSON("/api/runs", collectConfig(form));
      if (status === 201) {
        window.location.href = "/runs/" + body.id;
        return;
      }
      formErrors(form, body.detail);
      button.disabled = false;
    });
    // a section's fields answer for one component: an answer that arrives after the person picked another (or
    // that a data-set refresh asked for before the pick) is dropped, so the fields always match the select
    document.body.addEventListener("htmx:beforeSwap", (event) => {
      const target = event.detail.target;
      const select = target && target.id && target.id.startsWith("section-") && target.querySelector("select.component");
      if (!select || !event.detail.xhr.responseURL) return;
      const asked = new URL(event.detail.xhr.responseURL).searchParams.get(select.name);
      if (asked !== null && asked !== select.value) event.detail.shouldSwap = false;
    });
    document.body.addEventListener("htmx:afterSwap", (event) => {
      filterNetworks(form);
      renderMath(form);
      if (event.detail.target && event.detail.target.id === "section-dataset") refreshNetwork(form);
      changed(form);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("builder");
    if (form) initBuilder(form);
  });
})();
