// The builder's "starting" line: asks /healthz each second and goes away once the workers can take a run.
(function () {
  "use strict";

  async function check() {
    const line = document.getElementById("workers-starting");
    if (!line) return;
    try {
      const health = await (await fetch("/healthz")).json();
      if (health.status !== "starting") return line.remove();
    } catch (error) {
      // the server may be restarting too: ask again
    }
    setTimeout(check, 1000);
  }
  check();
})();
