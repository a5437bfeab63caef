// Networks that train badly at the optimizer's default lr carry a suggested one in the catalog (transformer,
// rnn, alexnet: 1e-3). Picking such a network sets the lr field to it, unless the person typed an lr themselves;
// picking another network puts back the lr it replaced. The hint under the field says what happened.
(function () {
  "use strict";

  const LR = '[name="optimizer.params.lr"]';
  let typed = false; // the person edited the lr: leave it alone from then on
  let replaced = null; // the lr this script overwrote, to restore

  function suggestion(form) {
    const option = form.querySelector("#section-model select.component")?.selectedOptions[0];
    return option?.dataset.suggestedLr ? Number(option.dataset.suggestedLr) : null;
  }

  function hint(input, text) {
    let note = input.parentElement.querySelector(".lr-suggestion");
    if (!note) {
      note = document.createElement("small");
      note.className = "hint lr-suggestion";
      input.parentElement.appendChild(note);
    }
    note.textContent = text;
    note.hidden = !text;
  }

  function apply(form) {
    const input = form.querySelector(LR);
    if (!input || typed) return;
    const suggested = suggestion(form);
    const network = form.querySelector("#section-model select.component")?.value;
    if (suggested !== null) {
      if (Number(input.value) !== suggested) {
        replaced = replaced ?? input.value;
        input.value = String(suggested);
        input.dispatchEvent(new Event("input", { bubbles: true })); // the link and the plan follow
      }
      hint(input, `lr ${suggested} suggested for ${network}`);
    } else if (replaced !== null) {
      input.value = replaced;
      replaced = null;
      input.dispatchEvent(new Event("input", { bubbles: true }));
      hint(input, "");
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("builder");
    if (!form) return;
    form.addEventListener("input", (event) => {
      if (event.isTrusted && event.target.matches(LR)) {
        typed = true;
        hint(event.target, "");
      }
    });
    // a new network (or a new optimizer, whose lr field comes back at its default) arrives by an htmx swap
    document.body.addEventListener("htmx:afterSwap", (event) => {
      apply(form);
    });
  });
})();
