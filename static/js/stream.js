// RunStream: one client for a run's event stream (GET /api/runs/{id}/events), used by the run, compare, landscape
// and lab pages. EventSource reconnects by itself and sends Last-Event-ID, so the server replays what was missed;
// an event seen before (ids only grow) is dropped, and the stream closes itself at `done`.

const KINDS = ["metrics", "probe", "status", "steer", "done"];

export class RunStream {
  // handlers: {metrics, probe, status, done}(data, id); `after`: the last event id already drawn (from the history)
  constructor(runId, handlers, after = 0) {
    this.runId = runId;
    this.lastId = after;
    this.handlers = handlers;
    this.source = new EventSource(`/api/runs/${encodeURIComponent(runId)}/events?after=${after}`);
    for (const kind of KINDS) this.source.addEventListener(kind, (event) => this.receive(kind, event));
  }

  receive(kind, event) {
    const id = Number(event.lastEventId);
    if (id && id <= this.lastId) return;
    if (id) this.lastId = id;
    const data = JSON.parse(event.data);
    if (kind === "done") this.close(); // before the handler: a finished stream would otherwise be re-opened
    const handler = this.handlers[kind];
    if (handler) handler(data, id);
  }

  close() {
    this.source.close();
  }
}
