// Race presets: a lesson of the notes set up as a race of the builder's current run. "Batch size 1 / 32 / full"
// races SGD, mini-batch and batch gradient descent for the same number of epochs (not steps: with equal steps BGD
// would see far more data), logging every step so BGD's few updates still draw a curve.
(function () {
  "use strict";

  const EPOCHS = 10;

  function setField(form, name, value) {
    const input = form.querySelector(`[name='${name}']`);
    if (input) input.value = value;
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("builder");
    const button = document.getElementById("race-preset-batch-size");
    if (!form || !button) return;
    button.addEventListener("click", () => {
      form.querySelectorAll("[data-race-optimizer]:checked").forEach((box) => (box.checked = false));
      setField(form, "train.steps", "");
      if (!form.querySelector("[name='train.epochs']").value) setField(form, "train.epochs", String(EPOCHS));
      setField(form, "train.eval_every", "1");
      document.getElementById("race-path").value = "train.batch_size";
      document.getElementById("race-values").value = "1, 32, full";
      form.dispatchEvent(new Event("change"));
      document.getElementById("race-button").click();
    });
  });
})();
