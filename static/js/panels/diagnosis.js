// Fit diagnosis beside the curves, computed here from the train and validation curves (no probe needed):
// over-fitting when the val loss (a trailing mean, so one noisy evaluation does not decide) has climbed off an
// earlier minimum or sits well above the train loss (or accuracy does),
// under-fitting when the train loss has not come down to half of where it started, a good fit otherwise.
(function () {
  "use strict";

  const finite = (values) => values.filter((v) => v !== null && isFinite(v));
  const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
  const pct = (x) => `${x >= 0 ? "+" : ""}${Math.round(100 * x)}%`;

  function diagnose(curves) {
    const val = curves.val_loss;
    const train = finite(curves.train_loss.value);
    const points = val.value.map((v, i) => [val.step[i], v]).filter(([, v]) => v !== null && isFinite(v));
    if (points.length < 3 || train.length < 3) return null;
    const tail = Math.max(1, Math.round(train.length / 10));
    const trainEnd = mean(train.slice(-tail));
    const trainStart = train[0];
    const span = Math.max(3, Math.ceil(points.length / 5));
    const trailing = points.map((_, i) => mean(points.slice(Math.max(0, i - span + 1), i + 1).map((p) => p[1])));
    const valEnd = trailing[trailing.length - 1];
    const best = trailing.indexOf(Math.min(...trailing));
    const [bestStep, valMin] = [points[best][0], trailing[best]];
    const gap = (valEnd - trainEnd) / Math.max(Math.abs(trainEnd), 1e-12);
    const trainAcc = finite(curves.train_acc.value).pop();
    const valAcc = finite(curves.val_acc.value).pop();
    const accGap = trainAcc !== undefined && valAcc !== undefined ? trainAcc - valAcc : null;
    const facts = [`train loss ${trainEnd.toPrecision(3)}`, `val loss ${valEnd.toPrecision(3)} (${pct(gap)})`];
    if (accGap !== null) facts.push(`accuracy ${(100 * trainAcc).toFixed(1)}% train, ${(100 * valAcc).toFixed(1)}% val`);
    const quarter = points.slice(-Math.max(2, Math.ceil(points.length / 4)));
    const falling = quarter[quarter.length - 1][1] < quarter[0][1] * 0.98;

    // the minimum must lie before the latest window: a curve still coming down is not over-fitting
    if (valEnd > valMin * 1.1 + 1e-6 && best < points.length - span) {
      return ["over", "over-fitting", `val loss ${pct(valEnd / valMin - 1)} above its minimum at step ${bestStep} ` +
        "while the model keeps fitting the training set: stop earlier, regularize or add data", facts];
    }
    if ((accGap !== null && accGap > 0.1) || (gap > 0.5 && valEnd - trainEnd > 0.05 * Math.abs(trainStart))) {
      return ["over", "over-fitting", "validation is much worse than training: the model memorises the training set",
        facts];
    }
    if (trainEnd > 0.5 * trainStart || (trainAcc !== undefined && trainAcc < 0.75)) {
      return ["under", "under-fitting", "the training loss is still high: a bigger model, a better lr or more " +
        "steps" + (falling ? " (it is still falling)" : ""), facts];
    }
    return ["good", "good fit", "train and validation agree" + (falling ? "; val loss still falling" : ""), facts];
  }

  window.Diagnosis = { diagnose };

  document.addEventListener("descent:run", (event) => {
    const box = event.detail.root.querySelector("#fit-diagnosis");
    if (!box) return;
    const KEYS = ["train_loss", "val_loss", "train_acc", "val_acc"];
    const curves = Object.fromEntries(KEYS.map((k) => [k, { step: [], value: [] }]));

    function show() {
      window.Panels.schedule("diagnosis", () => {
        const found = diagnose(curves);
        if (!found) return;
        const [kind, label, advice, facts] = found;
        box.hidden = false;
        box.className = "diagnosis fit-" + kind;
        box.replaceChildren(window.Panels.element("b", "", label), ` ${facts.join(" · ")} — ${advice}`);
        box.dataset.fit = kind;
      });
    }

    document.addEventListener("descent:history", (e) => {
      for (const key of KEYS) {
        const data = e.detail.series[key];
        if (data) curves[key] = { step: data.step.slice(), value: data.value.slice() };
      }
      show();
    });
    document.addEventListener("descent:metrics", (e) => {
      for (const key of KEYS) {
        if (!(key in e.detail.values)) continue;
        curves[key].step.push(e.detail.step);
        curves[key].value.push(e.detail.values[key]);
      }
      if ("val_loss" in e.detail.values) show();
    });
  });
})();
