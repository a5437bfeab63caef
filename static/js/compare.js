// Overlay of several runs: one chart per metric, one colour per run; live members keep streaming.
import { setBadge, statuses } from "./api.js";
import { RunStream } from "./stream.js";
import { MemberGradients } from "./member_gradients.js";

const C = window.Curves;
const LOG = { lr: true, grad_norm: true };

document.addEventListener("DOMContentLoaded", async () => {
  const root = document.getElementById("compare");
  if (!root) return;
  const members = JSON.parse(root.dataset.members);
  const names = Object.fromEntries(Array.from(root.querySelectorAll("tr[data-member]")).map(
    (tr) => [tr.dataset.member, tr.querySelector("a").textContent]));
  C.bindControls(document.getElementById("curve-controls"));
  // a lesson's buttons switch the x axis through the same control the person would use
  document.querySelectorAll("[data-x-axis]").forEach((button) => button.addEventListener("click", () => {
    const select = document.querySelector("#curve-controls [name=x_axis]");
    select.value = button.dataset.xAxis;
    select.dispatchEvent(new Event("change"));
  }));
  // members that share a label are one variant over several seeds: drawn as a mean ± spread band
  const groups = {};
  root.querySelectorAll("tr[data-member]").forEach((tr) => (groups[tr.dataset.group] ||= []).push(tr.dataset.member));
  const banded = Object.values(groups).some((g) => g.length > 1);
  const colour = {};
  Object.values(groups).forEach((ids, g) => ids.forEach((id, i) =>
    (colour[id] = C.PALETTE[(banded ? g : members.indexOf(id)) % C.PALETTE.length])));
  root.querySelectorAll(".swatch").forEach((s) => (s.style.background = colour[s.closest("tr").dataset.member]));
  const charts = {};
  document.querySelectorAll("[data-chart]").forEach((div) => {
    const metric = div.dataset.chart;
    const chart = (charts[metric] = new C.CurveChart(div, metric,
      { log: !!LOG[metric], legend: banded, draw: false, unit: Number(root.dataset.evalEvery) || 0 }));
    members.forEach((id) => chart.add(id, names[id], colour[id]));
    if (banded) chart.groups = groups;
  });
  // every history first, then one draw per chart: each member's arrival would otherwise redraw them all
  const points = Math.max(200, Math.floor(6000 / members.length)); // charts are ~400 px wide
  const histories = await Promise.all(members.map(async (id) =>
    (await fetch(`/api/runs/${id}/history?max_points=${Math.min(2000, points)}`)).json()));
  const { active } = await statuses();
  // one gradient panel per member: a race's members carry the same per-layer norms as a single run
  const panels = Object.fromEntries(members.map((id) => [id, new MemberGradients(document.getElementById("member-gradients"),
    { id, name: names[id], colour: colour[id], unit: Number(root.dataset.evalEvery) || 0 })]));
  document.addEventListener("descent:member-metrics", (e) => panels[e.detail.id].append(e.detail.metrics));
  members.forEach((id, i) => {
    const history = histories[i];
    panels[id].setHistory(history.series);
    for (const [metric, chart] of Object.entries(charts)) {
      const series = history.series[metric];
      if (series) chart.get(id).data = series;
    }
    const row = root.querySelector(`tr[data-member="${id}"]`);
    // the history's status is newer than the page's: a member that ended meanwhile is not followed
    const status = history.status;
    if (active.includes(status)) follow(id, history.last_event_id, charts, row);
    else {
      setBadge(row.querySelector("[data-status]"), status);
      markDiverged(id, status, charts);
    }
  });
  Object.values(charts).forEach((chart) => chart.schedule());
  // a flag for tests and benches: every member's history is on the charts
  requestAnimationFrame(() => requestAnimationFrame(() => (document.body.dataset.ready = "true")));
});

function markDiverged(id, status, charts) {
  // a diverged member stays drawn but does not set the scale of the chart
  if (status !== "diverged") return;
  for (const chart of Object.values(charts)) {
    const series = chart.get(id);
    if (series) series.ignoreInRange = true;
    chart.schedule();
  }
}

function follow(id, after, charts, row) {
  const badge = row.querySelector("[data-status]");
  return new RunStream(id, {
    metrics: (m) => {
      for (const [metric, chart] of Object.entries(charts)) {
        if (metric in m.values) chart.append(id, m.step, m.epoch, m.time, m.values[metric]);
      }
      document.dispatchEvent(new CustomEvent("descent:member-metrics", { detail: { id, metrics: m } }));
    },
    status: (s) => setBadge(badge, s.status),
    done: (d) => {
      setBadge(badge, d.status);
      markDiverged(id, d.status, charts);
      for (const [key, value] of Object.entries(d.summary || {})) {
        const cell = row.querySelector(`[data-summary="${key}"]`);
        if (cell && typeof value === "number") cell.textContent = C.number(value);
      }
    },
  }, after);
}
