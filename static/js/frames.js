// One queue of pending draws for the whole page. Each key (a chart, a panel) keeps only its newest draw, runs no
// sooner than `gap` ms after its last one, and a frame runs draws only until its budget is spent: a burst of
// readings becomes several short frames, never one long task that would hold up a click.
(function () {
  "use strict";

  const BUDGET_MS = 12; // a frame stops taking draws after this much (it always takes one)
  const pending = new Map(); // key -> its newest draw; insertion order, so every key gets its turn
  const lastRun = new Map(); // key -> when it last drew
  const waiting = new Set(); // keys held back until their gap has passed
  let frame = null;

  function request() {
    if (frame === null && pending.size > waiting.size) frame = requestAnimationFrame(run);
  }

  function run() {
    frame = null;
    const began = performance.now();
    for (const [key, draw] of [...pending]) {
      if (waiting.has(key)) continue;
      if (performance.now() - began > BUDGET_MS) break;
      pending.delete(key);
      lastRun.set(key, performance.now());
      try {
        draw();
      } catch (error) {
        reportError(error); // one chart's failure leaves the others drawing
      }
    }
    request();
  }

  function schedule(key, draw, gap = 0) {
    pending.set(key, draw);
    if (waiting.has(key)) return;
    const wait = gap - (performance.now() - (lastRun.get(key) ?? -Infinity));
    if (wait <= 0) return request();
    waiting.add(key);
    setTimeout(() => {
      waiting.delete(key);
      request();
    }, wait);
  }

  window.Frames = { schedule };
})();
