// What every page says to the server: JSON posts, errors shown next to the fields they name, a config as a link,
// and the run statuses as /api/catalog serves them (engine/status.py: no page keeps its own list).

// {ok, status, body}; a body that is not JSON (a proxy's error page) becomes {detail: its first words}
export function postJSON(url, body, method = "POST") {
  return requestJSON(url, { method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
}

export function getJSON(url) {
  return requestJSON(url, {});
}

async function requestJSON(url, init) {
  let response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    return { ok: false, status: 0, body: { detail: `could not reach the server: ${error.message}` } };
  }
  const text = await response.text();
  try {
    return { ok: response.ok, status: response.status, body: text ? JSON.parse(text) : {} };
  } catch {
    return { ok: response.ok, status: response.status, body: { detail: text.slice(0, 300) || response.statusText } };
  }
}

// FastAPI's detail (a list of {loc, msg} or one sentence) as [{field: "optimizer.params.lr", msg}]
export function problems(detail) {
  const list = Array.isArray(detail) ? detail : [{ loc: [], msg: detail === undefined ? "request failed" : String(detail) }];
  return list.map((e) => ({ field: (e.loc || []).filter((part) => part !== "body").join("."), msg: e.msg }));
}

// every message in `box` ("field: message" a line), and each beside its field where `scope` has a slot for it
// (data-error-for="<dotted path>", the most specific one the path names); nothing to show clears them
export function showErrors(box, detail, scope = null) {
  if (scope) {
    scope.querySelectorAll("[data-error-for]").forEach((slot) => (slot.textContent = ""));
    scope.querySelectorAll(".invalid").forEach((input) => input.classList.remove("invalid"));
  }
  const found = detail === null ? [] : problems(detail);
  for (const { field, msg } of found) {
    const parts = field ? field.split(".") : [];
    for (let n = parts.length; scope && n > 0; n--) {
      const slot = scope.querySelector(`[data-error-for="${CSS.escape(parts.slice(0, n).join("."))}"]`);
      if (!slot) continue;
      slot.textContent = msg;
      const input = slot.parentElement.querySelector("input, select, textarea");
      if (input) input.classList.add("invalid");
      break;
    }
  }
  if (box) {
    box.textContent = found.map(({ field, msg }) => (field ? `${field}: ${msg}` : msg)).join("\n");
    box.hidden = found.length === 0;
  }
  return found.length;
}

// a RunConfig as the builder's ?config= link carries it: base64url of its UTF-8 JSON (app/links.py reads it)
export function encodeConfig(config) {
  const bytes = new TextEncoder().encode(JSON.stringify(config));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

let catalogPromise = null;
export function catalog() {
  catalogPromise ||= fetch("/api/catalog").then((response) => response.json());
  return catalogPromise;
}

// {names, active, terminal, endedEarly, fault, meaning: {name: sentence}}, read once per page
let statusPromise = null;
export function statuses() {
  statusPromise ||= catalog().then(({ statuses: all }) => {
    const names = (test) => all.filter(test).map((s) => s.name);
    return {
      names: all.map((s) => s.name), active: names((s) => !s.terminal), terminal: names((s) => s.terminal),
      endedEarly: names((s) => s.ended_early), fault: names((s) => s.fault),
      meaning: Object.fromEntries(all.map((s) => [s.name, s.description])),
    };
  });
  return statusPromise;
}

// a badge the server rendered (templates/partials/badge.html) shows a newer status
export async function setBadge(badge, status) {
  if (!badge) return;
  badge.textContent = status;
  badge.className = `badge status-${status}`;
  badge.dataset.status = status;
  badge.title = (await statuses()).meaning[status] || "";
}
