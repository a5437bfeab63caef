// A list of objects (the CNN's conv_layers, a run's steers) as rows: one row per item, a control per field of the layer's params
// model (the columns come from the server, so a new field shows up here with no edit). The JSON textarea stays the
// field the builder reads; the rows write it, and editing the JSON redraws the rows.
(function () {
  "use strict";

  function control(column, value, label) {
    let input;
    if (column.widget === "select") {
      input = document.createElement("select");
      const options = (column.optional ? [""] : []).concat(column.options);
      options.forEach((option) => input.add(new Option(option === "" ? "network's" : option, option)));
      input.value = value ?? "";
    } else {
      input = document.createElement("input");
      const numeric = column.widget === "integer" || column.widget === "number";
      input.type = numeric ? "number" : "text";
      if (numeric) input.step = column.widget === "integer" ? "1" : "any";
      if (column.minimum !== null) input.min = column.minimum;
      if (column.maximum !== null) input.max = column.maximum;
      input.value = value ?? "";
    }
    input.dataset.key = column.key;
    input.dataset.widget = column.widget;
    input.title = column.description;
    input.setAttribute("aria-label", label);
    return input;
  }

  function read(input) {
    const raw = input.value.trim();
    if (raw === "") return undefined; // a blank cell: the layer's default (or the server names the field)
    if (input.dataset.widget === "select") return raw;
    return isNaN(Number(raw)) ? raw : Number(raw); // padding is 'same', 'valid' or a number of cells
  }

  function write(editor) {
    const layers = Array.from(editor.querySelectorAll("tbody tr")).map((row) => {
      const layer = {};
      row.querySelectorAll("[data-key]").forEach((input) => {
        const value = read(input);
        if (value !== undefined) layer[input.dataset.key] = value;
      });
      return layer;
    });
    const json = editor.parentElement.querySelector("textarea");
    json.value = JSON.stringify(layers);
    json.dispatchEvent(new Event("input", { bubbles: true })); // the address, the plan and the touched mark follow
  }

  function draw(editor, layers) {
    const columns = JSON.parse(editor.dataset.columns);
    const table = document.createElement("table");
    table.className = "rows";
    const head = table.createTHead().insertRow();
    ["#", ...columns.map((c) => c.key), ""].forEach((text) => {
      const th = document.createElement("th");
      th.textContent = text.replace("_size", "");
      head.append(th);
    });
    const body = table.createTBody();
    layers.forEach((layer, i) => {
      const row = body.insertRow();
      row.insertCell().textContent = String(i + 1);
      columns.forEach((column) => {
        const value = column.key in layer ? layer[column.key] : column.value;
        row.insertCell().append(control(column, value, `${column.key} of row ${i + 1}`));
      });
      const remove = Object.assign(document.createElement("button"), { type: "button", textContent: "×",
                                                                         className: "link danger" });
      remove.dataset.remove = String(i);
      remove.setAttribute("aria-label", `remove row ${i + 1}`);
      remove.disabled = layers.length === 1;
      row.insertCell().append(remove);
    });
    const add = Object.assign(document.createElement("button"), { type: "button", textContent: "+ row",
                                                                    className: "link" });
    add.dataset.add = "true";
    add.setAttribute("aria-label", `add a row to ${editor.dataset.for.split(".").pop()}`);
    editor.replaceChildren(table, add);
  }

  function current(editor) {
    try {
      const layers = JSON.parse(editor.parentElement.querySelector("textarea").value);
      return Array.isArray(layers) && layers.every((l) => l && typeof l === "object") ? layers : null;
    } catch (err) {
      return null; // JSON being typed: the rows wait until it reads again
    }
  }

  function setUp(editor) {
    editor.dataset.ready = "true";
    draw(editor, current(editor) || []);
    editor.addEventListener("input", (event) => {
      event.stopPropagation(); // the cells have no names: the textarea's own input event tells the builder
      write(editor);
    });
    editor.addEventListener("change", (event) => {
      event.stopPropagation();
      write(editor);
    });
    editor.addEventListener("click", (event) => {
      const layers = current(editor) || [];
      if (event.target.dataset.add) layers.push({ ...(layers[layers.length - 1] || {}) });
      else if (event.target.dataset.remove) layers.splice(Number(event.target.dataset.remove), 1);
      else return;
      draw(editor, layers);
      write(editor);
      const focus = event.target.dataset.add ? editor.querySelector("[data-add]") : editor.querySelector("tbody input");
      if (focus) focus.focus(); // the button pressed is gone with the redraw: keep the keyboard in the editor
    });
    editor.parentElement.querySelector("textarea").addEventListener("input", (event) => {
      const layers = current(editor);
      if (event.isTrusted && layers) draw(editor, layers); // typed JSON: the rows follow
    });
  }

  function setUpAll() {
    document.querySelectorAll(".layer-rows:not([data-ready])").forEach(setUp);
  }

  document.addEventListener("DOMContentLoaded", setUpAll);
  document.addEventListener("htmx:afterSwap", setUpAll);
})();
