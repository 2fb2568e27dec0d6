// The operators' console: counts by state, every client's orders and one order's
// timeline (console/api/orders, the API's read side for operators), every client's
// payment files and one file's transfers, the newest dead letters and the last reconciliation, and a diagram of every route drawn from the engine's route
// definitions, with live metrics. Data reaches the page only through textContent and
// attribute values, never as markup.
import { drawRoute, showMetrics } from "./diagram.js";

const STATES = [
  "PENDING", "VALIDATED", "ACCEPTED", "SCHEDULED", "EXECUTING", "EXECUTED", "FAILED", "CANCELLED",
];
const TERMINAL = new Set(["EXECUTED", "FAILED"]);
const REFRESH_MS = 2000;
const PAGE_SIZE = 20;
const view = {
  status: "", next: null, timeline: null, file: null, routes: new Map(), offline: false,
};

function element(tag, attributes = {}, text = undefined) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) {
    let detail = `${response.status} ${response.statusText}`;
    try { detail = (await response.json()).detail || detail; } catch { /* not JSON */ }
    const error = new Error(detail);
    error.status = response.status;
    throw error;
  }
  return response.json();
}

function showMessage(text) {
  const message = document.getElementById("message");
  message.textContent = text || "";
  message.hidden = !text;
}

// -- counts -----------------------------------------------------------------------------
function buildTiles() {
  const tiles = document.getElementById("counts");
  for (const state of ["", ...STATES]) {
    const tile = element("button", {
      type: "button", class: state ? `tile state-${state}` : "tile total", "data-state": state,
    });
    tile.append(element("span", { class: "count" }, "–"), element("span", {}, state || "all"));
    tile.addEventListener("click", () => filterBy(state));
    tiles.append(tile);
  }
}

async function refreshCounts() {
  const data = await getJson("console/api/counts");
  for (const tile of document.querySelectorAll("#counts .tile")) {
    const state = tile.dataset.state;
    tile.querySelector(".count").textContent = state ? data.counts[state] : data.total;
  }
}

// -- orders -------------------------------------------------------------------------------
function orderRow(order) {
  const row = element("tr", { "data-order-id": order.id });
  const open = element("button", { type: "button", class: "order-id" }, order.id);
  open.addEventListener("click", () => openTimeline(order.id).catch(report));
  row.append(
    element("td"),
    element("td"),
    element("td", { class: "num" }, `${order.amount} ${order.currency}`),
    element("td", {}, new Date(order.createdAt).toLocaleString()),
  );
  row.cells[0].append(open);
  row.cells[1].append(element("span", { class: `badge state-${order.status}` }, order.status));
  return row;
}

async function loadOrders(reset) {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (view.status) query.set("status", view.status);
  if (!reset && view.next) query.set("after", view.next);
  const page = await getJson(`console/api/orders?${query}`);
  const body = document.querySelector("#orders tbody");
  if (reset) body.replaceChildren();
  body.append(...page.items.map(orderRow));
  view.next = page.next;
  document.getElementById("more").hidden = !page.next;
}

async function findOrder(id) {
  const body = document.querySelector("#orders tbody");
  document.getElementById("more").hidden = true;
  try {
    const order = await getJson(`console/api/orders/${encodeURIComponent(id)}`);
    body.replaceChildren(orderRow(order));
    await openTimeline(order.id);
  } catch (error) {
    if (error.status !== 404) throw error;
    body.replaceChildren();
    showMessage(`No payment order ${id}`);
  }
}

function filterBy(state) {
  view.status = state;
  document.getElementById("search-status").value = state;
  document.getElementById("search-id").value = "";
  loadOrders(true).catch(report);
}

async function search(event) {
  event.preventDefault();
  showMessage("");
  const id = document.getElementById("search-id").value.trim();
  view.status = document.getElementById("search-status").value;
  await (id ? findOrder(id) : loadOrders(true));
}

// -- timeline -----------------------------------------------------------------------------
async function openTimeline(id) {
  const data = await getJson(`console/api/orders/${encodeURIComponent(id)}/history`);
  view.timeline = TERMINAL.has(data.status) ? null : data.id;
  document.getElementById("timeline").hidden = false;
  document.getElementById("timeline-id").textContent = data.id;
  const steps = document.getElementById("timeline-steps");
  steps.replaceChildren(...data.history.map((transition) => {
    const item = element("li", { class: `state-${transition.status}` });
    item.append(
      element("span", { class: "status" }, transition.status),
      element("time", { datetime: transition.at }, new Date(transition.at).toLocaleString()),
      element("span", { class: "reason" }, transition.reason || ""),
    );
    return item;
  }));
}

// -- dead letters and reconciliation (python app.py dead-letters / reconcile) ---------------
function rows(selector, items, cells) {
  document.querySelector(`${selector} tbody`).replaceChildren(...items.map((item) => {
    const row = element("tr");
    row.append(...cells(item).map((text) => element("td", {}, text ?? "–")));
    return row;
  }));
}

// A 404 says the source is off (the embedded default, no RECONCILE_PERIOD): its detail is shown.
async function loadOrSay(url, note) {
  try {
    return await getJson(url);
  } catch (error) {
    if (error.status !== 404) throw error;
    document.getElementById(note).textContent = error.message;
    return null;
  }
}

async function loadDeadLetters() {
  const data = await loadOrSay("console/api/dead-letters", "letters-note");
  const items = data ? data.items : [];
  if (data) {
    document.getElementById("letters-note").textContent = items.length
      ? `the newest ${items.length}; python app.py dead-letters redrive OFFSET sends one again`
      : "none";
  }
  rows("#letters", items, (letter) => [
    letter.offset, letter.key, new Date(letter.failedAt).toLocaleString(),
    `${letter.exceptionType || "?"}: ${letter.exceptionMessage || ""}`,
  ]);
}

async function refreshReconciliation() {
  const report = await loadOrSay("console/api/reconciliation", "reconciliation-note");
  if (!report) return;
  document.getElementById("reconciliation-note").textContent =
    `${new Date(report.at).toLocaleString()}: ${report.orders} orders, ${report.bookings} ` +
    `bookings, ${report.matched} matched, ${report.in_flight.length} in flight, ` +
    `${report.mismatches.length} mismatches`;
  rows("#mismatches", report.mismatches, (found) => [found.kind, found.order_id, found.detail]);
}

// -- payment files ------------------------------------------------------------------------
async function loadFiles() {
  const data = await loadOrSay("console/api/files", "files-note");
  const items = data ? data.items : [];
  if (data) {
    document.getElementById("files-note").textContent = items.length
      ? `the newest ${items.length}, of every client` : "none yet";
  }
  document.querySelector("#files tbody").replaceChildren(...items.map((file) => {
    const row = element("tr", { "data-file-id": file.id });
    const open = element("button", { type: "button", class: "file-id" }, file.messageId);
    open.addEventListener("click", () => openFile(file.id).catch(report));
    row.append(
      element("td", {}, new Date(file.receivedAt).toLocaleString()),
      element("td", {}, file.clientId),
      element("td"),
      element("td", { class: "num" }, file.numberOfTransactions),
      element("td", {}, file.split),
    );
    row.cells[2].append(open);
    return row;
  }));
}

async function openFile(id) {
  const file = await getJson(`console/api/files/${encodeURIComponent(id)}`);
  view.file = file.id;
  document.getElementById("file").hidden = false;
  document.getElementById("file-message-id").textContent = file.messageId;
  const counts = Object.entries(file.transactionsByStatus).map(([s, n]) => `${n} ${s}`);
  document.getElementById("file-note").textContent =
    `${file.message}, group status ${file.groupStatus}: ${counts.join(", ")}`;
  document.querySelector("#transfers tbody").replaceChildren(...file.transactions.map((t) => {
    const row = element("tr");
    row.append(
      element("td", { class: "mono" }, t.endToEndId),
      element("td", { class: "num" }, `${t.amount ?? "–"} ${t.currency ?? ""}`),
      element("td"),
      element("td", {}, t.reason ? `${t.reason} ${t.detail ?? ""}` : "–"),
      element("td"),
    );
    row.cells[2].append(element("span", { class: `badge state-${t.status}` }, t.status));
    if (t.orderId) {
      const open = element("button", { type: "button", class: "order-id" }, t.orderId);
      open.addEventListener("click", () => openTimeline(t.orderId).catch(report));
      row.cells[4].append(open);
    }
    return row;
  }));
}

// -- routes -------------------------------------------------------------------------------
async function loadRoutes() {
  const map = await getJson("console/api/routes");
  const container = document.getElementById("routes");
  container.replaceChildren();
  view.routes.clear();
  map.routes.forEach((graph, index) => {
    const { svg, figures } = drawRoute(graph, index, map.links);
    const card = element("article", { class: "route", "data-route-id": graph.route_id });
    card.append(svg);
    container.append(card);
    view.routes.set(graph.route_id, figures);
  });
}

async function refreshRouteMetrics() {
  const data = await getJson("console/api/routes/metrics");
  for (const [routeId, figures] of view.routes) {
    showMetrics(figures, data.status[routeId] || "not running", data.metrics[routeId]);
  }
}

// -- refresh loop ---------------------------------------------------------------------------
function report(error) {
  view.offline = true;
  showMessage(`Cannot reach the service: ${error.message}`);
}

async function refresh() {
  try {
    await Promise.all([
      refreshCounts(),
      refreshRouteMetrics(),
      refreshReconciliation(),
      view.timeline ? openTimeline(view.timeline) : null,
      view.file ? openFile(view.file) : null,
    ]);
    document.getElementById("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
    if (view.offline) showMessage("");
    view.offline = false;
  } catch (error) {
    report(error);
  } finally {
    setTimeout(refresh, REFRESH_MS);
  }
}

async function start() {
  buildTiles();
  const select = document.getElementById("search-status");
  select.append(...STATES.map((state) => element("option", { value: state }, state)));
  document.getElementById("search")
    .addEventListener("submit", (event) => search(event).catch(report));
  document.getElementById("more").addEventListener("click", () => loadOrders(false).catch(report));
  document.getElementById("letters-reload")
    .addEventListener("click", () => loadDeadLetters().catch(report));
  document.getElementById("files-reload")
    .addEventListener("click", () => loadFiles().catch(report));
  try {
    await Promise.all([loadRoutes(), loadOrders(true), loadDeadLetters(), loadFiles()]);
  } catch (error) {
    report(error);
  }
  await refresh();
}

document.addEventListener("DOMContentLoaded", start);
