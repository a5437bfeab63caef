// The runs list: rename, tag, delete, and overlay the ticked runs.
import { postJSON, problems } from "./api.js";

(function () {
  "use strict";

  async function edit(runId, field, current) {
    const answer = window.prompt(field === "tags" ? "Tags, separated by commas" : "Name", current);
    if (answer === null) return;
    const body = field === "tags" ? { tags: answer.split(",").map((t) => t.trim()).filter(Boolean) } : { name: answer.trim() || null };
    const reply = await postJSON(`/api/runs/${runId}`, body, "PATCH");
    if (!reply.ok) alert(problems(reply.body.detail).map((p) => `${p.field}: ${p.msg}`).join("\n"));
    htmx.trigger("#run-filters", "change");
  }

  function picked() {
    return Array.from(document.querySelectorAll("#runs-table input.pick:checked")).map((box) => box.value);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const table = document.getElementById("runs-table");
    const compare = document.getElementById("compare-selected");
    if (!table) return;
    table.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-edit]");
      if (button) edit(button.closest("tr").dataset.run, button.dataset.edit, button.dataset.value);
    });
    table.addEventListener("change", () => (compare.disabled = picked().length < 2));
    compare.addEventListener("click", () => (window.location.href = "/compare?runs=" + picked().join(",")));
    // a deleted row answers 204, which htmx does not swap: remove it here
    document.body.addEventListener("htmx:afterRequest", (event) => {
      if (event.detail.requestConfig.verb === "delete" && event.detail.successful) event.detail.elt.closest("tr").remove();
    });
  });
})();
