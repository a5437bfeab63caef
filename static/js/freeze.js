// Fine-tuning's freeze field as a checklist of the plan's layers: ticking a layer adds its prefix ("3.", which
// freezes 3.weight and 3.bias but not 30.weight) to start_from.freeze; the text field stays for any other prefix.
(function () {
  "use strict";

  const FIELD = "[name='start_from.freeze']";

  function prefixes(input) {
    return input.value.split(/[\s,]+/).filter(Boolean);
  }

  function render(form) {
    const input = form.querySelector(FIELD);
    if (!input) return;
    const rows = Array.from(document.querySelectorAll("#plan tr[data-freeze]"));
    if (!rows.length) return; // the plan is computing or shows an error: keep the last checklist
    let list = document.getElementById("freeze-list");
    if (!list) {
      list = document.createElement("fieldset");
      list.id = "freeze-list";
      list.className = "freeze-list";
      input.closest("label").after(list);
    }
    const chosen = new Set(prefixes(input));
    list.replaceChildren(Object.assign(document.createElement("legend"), { textContent: "freeze layers" }));
    rows.forEach((row) => {
      const [name, type] = Array.from(row.cells).map((cell) => cell.textContent.trim());
      const box = Object.assign(document.createElement("input"), { type: "checkbox", value: row.dataset.freeze });
      box.checked = row.dataset.freeze.split(" ").every((p) => chosen.has(p));
      const label = document.createElement("label");
      label.append(box, ` ${name} `, Object.assign(document.createElement("small"), {
        className: "muted", textContent: `${type} · ${row.cells[3].textContent.trim()} parameters`,
      }));
      list.append(label);
    });
  }

  function tick(form, box) {
    const input = form.querySelector(FIELD);
    const own = box.value.split(" ");
    const kept = prefixes(input).filter((p) => !own.includes(p));
    input.value = (box.checked ? [...kept, ...own] : kept).join(", ");
    input.dispatchEvent(new Event("input", { bubbles: true })); // the address and the plan follow
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("builder");
    if (!form) return;
    document.addEventListener("plan:updated", () => render(form));
    form.addEventListener("change", (event) => {
      if (event.target.closest("#freeze-list")) tick(form, event.target);
    });
  });
})();
