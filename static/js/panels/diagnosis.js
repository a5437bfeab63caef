// The fit verdict beside the curves. It is computed once, in the engine (engine/fit.py), from train and val read
// alike at the same steps, and arrives as the run's `fit` reading: this file only shows it.
(function () {
  "use strict";

  function show(box, verdict) {
    box.hidden = false;
    box.className = "diagnosis fit-" + verdict.kind;
    box.dataset.fit = verdict.kind;
    box.dataset.step = verdict.step;
    box.replaceChildren(window.Panels.element("b", "", verdict.label), ` ${verdict.facts.join(" · ")} — ${verdict.reason}`);
  }

  document.addEventListener("descent:run", (event) => {
    const view = event.detail;
    const box = view.root.querySelector("#fit-diagnosis");
    if (box) view.probes.fit = (step, verdict) => window.Panels.schedule("diagnosis", () => show(box, verdict));
  });
})();
