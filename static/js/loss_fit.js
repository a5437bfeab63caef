// Losses that do not fit the data's task are marked at the loss select (as networks that cannot read the data
// are at the network select); picking another data set whose task the chosen loss does not serve proposes the first
// loss that does, and says so. The task comes with the data set's fields (data-task), a loss's tasks with its entry.
(function () {
  "use strict";

  let proposal = ""; // shown under the loss select until the person picks a loss
  let proposing = false; // the change event below is this script's own, not the person's pick

  function task(form) {
    return form.querySelector("#section-dataset")?.dataset.task || "";
  }

  function mark(form) {
    const select = form.querySelector("#section-loss select.component");
    if (!select) return null;
    const wanted = task(form);
    let first = null;
    Array.from(select.options).forEach((option) => {
      option.dataset.name = option.dataset.name || option.textContent.trim();
      const tasks = (option.dataset.tasks || "").split(" ").filter(Boolean);
      const fits = !wanted || !tasks.length || tasks.includes(wanted);
      option.disabled = !fits;
      option.textContent = fits ? option.dataset.name : `${option.dataset.name} (${tasks.join(", ")} only)`;
      if (fits && !first) first = option;
    });
    return { select, first, wanted };
  }

  function note(form) {
    const section = form.querySelector("#section-loss");
    if (!section) return;
    let line = section.querySelector(".loss-proposal");
    if (!line) {
      line = Object.assign(document.createElement("p"), { className: "hint loss-proposal" });
      line.setAttribute("role", "status");
      section.querySelector("select.component").after(line);
    }
    line.textContent = proposal;
    line.hidden = !proposal;
  }

  function propose(form) {
    const found = mark(form);
    if (!found) return;
    const { select, first, wanted } = found;
    const chosen = select.selectedOptions[0];
    if (chosen && chosen.disabled && first) {
      const dataset = form.querySelector("#section-dataset select.component").value;
      proposal = `${chosen.dataset.name} needs ${chosen.dataset.tasks.split(" ").join(" or ")} data and ${dataset} ` +
        `is ${wanted}: proposed ${first.dataset.name} instead`;
      select.value = first.value;
      proposing = true;
      select.dispatchEvent(new Event("change", { bubbles: true })); // its fields follow (htmx)
      proposing = false;
    }
    note(form);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("builder");
    if (!form) return;
    mark(form);
    form.addEventListener("change", (event) => {
      if (!proposing && event.target.matches("#section-loss select.component")) proposal = "";
      if (event.target.matches("[name='dataset.params.upload_id']")) propose(form); // an upload's task is known
    });
    document.body.addEventListener("htmx:afterSwap", (event) => {
      const id = event.detail.target && event.detail.target.id;
      if (id === "section-dataset") propose(form);
      if (id === "section-loss") {
        mark(form);
        note(form);
      }
    });
  });
})();
