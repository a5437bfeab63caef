// RunStream: one client for a run's event stream (GET /api/runs/{id}/events), used by the run, compare, landscape
// and lab pages. EventSource reconnects by itself and sends Last-Event-ID, so the server replays what was missed;
// an event seen before (ids only grow) is dropped, and the stream closes itself after `done`: the server ends the
// response then, and closing in the `error` that follows stops the reconnect (closing at `done` itself would abort
// a response still open, which the browser logs as a failed request).

const KINDS = ["metrics", "probe", "status", "steer", "done"];

export class RunStream {
  // handlers: {metrics, probe, status, done}(data, id); `after`: the last event id already drawn (from the history)
  constructor(runId, handlers, after = 0) {
    this.runId = runId;
    this.lastId = after;
    this.handlers = handlers;
    this.source = new EventSource(`/api/runs/${encodeURIComponent(runId)}/events?after=${after}`);
    for (const kind of KINDS) this.source.addEventListener(kind, (event) => this.receive(kind, event));
    this.source.addEventListener("error", () => {
      if (this.finished) this.close();
    });
  }

  receive(kind, event) {
    const id = Number(event.lastEventId);
    if (id && id <= this.lastId) return;
    if (id) this.lastId = id;
    const data = JSON.parse(event.data);
    if (kind === "done") {
      this.finished = true; // the server's end of the response comes next; the error it raises closes the stream
      setTimeout(() => this.close(), 5000); // and if it never comes, the stream is closed all the same
    }
    const handler = this.handlers[kind];
    if (handler) handler(data, id);
  }

  close() {
    this.source.close();
  }
}
