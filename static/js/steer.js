// Steering a run mid-flight: the form in the run header posts /api/runs/{id}/steer; every `steer` event (from the
// history, then live) becomes a dotted marker on every chart of the page.
const root = document.getElementById("live");
const marked = [];

function mark(steers) {
  const C = window.Curves;
  for (const steer of steers) {
    if (marked.some((m) => m.step === steer.step && m.label === label(steer))) continue;
    // the epoch and time of a steer are those of the point logged at or just before its step
    const near = nearest(steer.step);
    marked.push({ step: steer.step, epoch: near.epoch, time: near.time, label: label(steer) });
  }
  root.dataset.steers = String(marked.length);
  if (C) C.setOptions({ markers: marked.slice() });
}

const label = (steer) => Object.entries(steer.values).map(([k, v]) => `${k} → ${v}`).join(", ");

function nearest(step) {
  const view = window.descentRun;
  const chart = view && view.charts.loss;
  const series = chart && chart.get && chart.get("train_loss");
  const data = series && series.data;
  if (!data || !data.step.length) return { epoch: null, time: null };
  let i = data.step.length - 1;
  while (i > 0 && data.step[i] > step) i--;
  return { epoch: data.epoch[i], time: data.time[i] };
}

async function send(form) {
  const error = document.getElementById("steer-error");
  const body = {};
  for (const input of form.querySelectorAll("input[name]")) {
    if (input.value.trim() !== "") body[input.name] = Number(input.value);
  }
  const probes = form.querySelector("[name=probes]").value;
  if (probes) body.probes = probes === "true";
  const response = await fetch(`/api/runs/${root.dataset.run}/steer`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  const answer = await response.json();
  if (response.ok) {
    error.textContent = "";
    form.querySelectorAll("input[name]").forEach((input) => {
      if (input.value.trim() !== "") input.placeholder = input.value;
      input.value = "";
    });
    return;
  }
  error.textContent = Array.isArray(answer.detail)
    ? answer.detail.map((e) => e.loc.filter((p) => p !== "body").join(".") + ": " + e.msg).join("; ") : answer.detail;
}

if (root) {
  document.addEventListener("descent:history", (event) => mark(event.detail.steers || []));
  document.addEventListener("descent:steer", (event) => mark([event.detail]));
  document.addEventListener("submit", (event) => {
    if (event.target.id !== "steer") return;
    event.preventDefault();
    send(event.target);
  });
}
