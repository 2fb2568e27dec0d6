// The operators' console: counts by state, the order list and one order's timeline
// (from the public API), and a diagram of every route drawn from the engine's route
// definitions, with live metrics. Data reaches the page only through textContent and
// attribute values, never as markup.
"use strict";

const STATES = ["PENDING", "VALIDATED", "ACCEPTED", "EXECUTING", "EXECUTED", "FAILED"];
const TERMINAL = new Set(["EXECUTED", "FAILED"]);
const REFRESH_MS = 2000;
const PAGE_SIZE = 20;
const SVG_NS = "http://www.w3.org/2000/svg";

// Diagram geometry, in SVG units.
const WIDTH = 460;
const HEADER = 66;
const ROW = 40;
const BOX = 28;
const INDENT = 26;
const BOX_CLASS = {
  "from": "from", "to": "endpoint", "wire-tap": "endpoint", "process": "process",
  "filter": "branch", "choice": "branch", "when": "branch", "otherwise": "branch",
  "idempotent-consumer": "branch", "on-exception": "error", "dead-letter": "error",
  "error-handler": "error",
};

const view = { status: "", next: null, timeline: null, routes: new Map() };

function element(tag, attributes = {}, text = undefined, namespace = null) {
  const node = namespace ? document.createElementNS(namespace, tag) : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function svgElement(tag, attributes = {}, text = undefined) {
  return element(tag, attributes, text, SVG_NS);
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
  const page = await getJson(`payment-orders?${query}`);
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
    const order = await getJson(`payment-orders/${encodeURIComponent(id)}`);
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
  const data = await getJson(`payment-orders/${encodeURIComponent(id)}/history`);
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

// -- routes -------------------------------------------------------------------------------
function flatten(graph, feeds) {
  // One row per box: {kind, label, depth, parent, previous} (indices into rows).
  const rows = [];
  const add = (kind, label, depth, parent, previous) => rows.push({ kind, label, depth, parent, previous }) - 1;
  const walk = (nodes, depth, parent, first) => {
    let previous = first;
    for (const node of nodes) {
      const targets = node.uris.flatMap((uri) => feeds.get(`${graph.route_id} ${uri}`) || []);
      const label = targets.length ? `${node.label}  → ${targets.join(", ")}` : node.label;
      const branch = node.kind === "when" || node.kind === "otherwise";
      const index = add(node.kind, label, depth, previous === null ? parent : null, branch ? null : previous);
      if (branch) rows[index].parent = parent;
      walk(node.steps, depth + 1, index, null);
      previous = branch ? null : index;
    }
  };
  const fedBy = [...feeds.entries()].filter(([, targets]) => targets.includes(graph.route_id))
    .map(([key]) => key.split(" ")[0]);
  const from = add("from", fedBy.length ? `${graph.from_uri}  ← ${fedBy.join(", ")}` : graph.from_uri, 0, null, null);
  walk(graph.steps, 0, null, from);
  const errors = rows.length;
  for (const error of graph.on_exceptions) {
    const retry = error.maximum_redeliveries ? `, retried ${error.maximum_redeliveries}×` : "";
    const index = add("on-exception", `${error.exceptions.join(", ")}: ${error.outcome}${retry}`, 0, null, null);
    walk(error.steps, 1, index, null);
  }
  const retry = graph.maximum_redeliveries ? `retried ${graph.maximum_redeliveries}×, then ` : "";
  if (graph.dead_letter_uri) {
    add("dead-letter", `${retry}dead letter ${graph.dead_letter_uri}`, 0, null, null);
  } else if (graph.maximum_redeliveries) {
    add("error-handler", `${retry}fail`, 0, null, null);
  }
  return { rows, errors };
}

function fit(text, width) {
  const limit = Math.floor((width - 70) / 6.3);
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}

function drawRoute(graph, index, feeds) {
  const { rows, errors } = flatten(graph, feeds);
  const gap = rows.length > errors ? 22 : 0;
  const top = (row) => HEADER + row * ROW + (row >= errors ? gap : 0);
  const height = top(rows.length) + 4;
  const svg = svgElement("svg", {
    viewBox: `0 0 ${WIDTH} ${height}`, width: WIDTH, height, role: "img",
    "aria-label": `route ${graph.route_id}`,
  });
  const marker = `arrow-${index}`;
  const defs = svgElement("defs");
  const head = svgElement("marker", {
    id: marker, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7,
    orient: "auto-start-reverse",
  });
  head.append(svgElement("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrowhead" }));
  defs.append(head);
  svg.append(defs, svgElement("text", { x: 8, y: 18, class: "title" }, graph.route_id));
  const source = graph.source === "python" ? "Python" : `YAML ${graph.source.split("/").pop()}`;
  svg.append(svgElement("text", { x: WIDTH - 8, y: 18, "text-anchor": "end", class: "source" }, source));
  const figures = {};
  const lines = [
    [["status", ""], ["completed", "completed"], ["failed", "failed"], ["in_flight", "in flight"]],
    [["mean_ms", "mean ms"], ["redelivered", "redelivered"], ["dead_lettered", "dead-lettered"]],
  ];
  lines.forEach((line, number) => {
    const metrics = svgElement("text", { x: 8, y: 36 + number * 15, class: "metrics" });
    line.forEach(([name, caption], position) => {
      if (caption) metrics.append(svgElement("tspan", {}, `${position ? " · " : ""}${caption} `));
      figures[name] = svgElement("tspan", { class: "value", "data-metric": name }, "–");
      metrics.append(figures[name]);
    });
    svg.append(metrics);
  });
  if (rows.length > errors) {
    svg.append(svgElement("text", { x: 8, y: top(errors) - 8, class: "error-title" }, "on error"));
  }
  const x = (row) => 8 + rows[row].depth * INDENT;
  const arrow = (d) => svg.append(svgElement("path", { d, class: "arrow", "marker-end": `url(#${marker})` }));
  rows.forEach((row, i) => {
    if (row.previous !== null) arrow(`M ${x(row.previous) + 10} ${top(row.previous) + BOX} V ${top(i)}`);
    if (row.parent !== null) {
      const down = x(row.parent) + 18;
      arrow(`M ${down} ${top(row.parent) + BOX} V ${top(i) + BOX / 2} H ${x(i)}`);
    }
    const box = svgElement("g", { class: `box ${BOX_CLASS[row.kind] || "note"}`, "data-kind": row.kind });
    const width = WIDTH - 8 - x(i);
    box.append(svgElement("title", {}, `${row.kind}: ${row.label}`));
    box.append(svgElement("rect", { x: x(i), y: top(i), width, height: BOX }));
    const text = svgElement("text", { x: x(i) + 8, y: top(i) + 18 });
    text.append(svgElement("tspan", { class: "kind" }, row.kind));
    if (row.label !== row.kind) text.append(svgElement("tspan", { dx: 6 }, fit(row.label, width)));
    box.append(text);
    svg.append(box);
  });
  return { svg, figures };
}

async function loadRoutes() {
  const map = await getJson("console/api/routes");
  const feeds = new Map();
  for (const link of map.links) {
    const key = `${link.source} ${link.uri}`;
    feeds.set(key, [...(feeds.get(key) || []), link.target]);
  }
  const container = document.getElementById("routes");
  container.replaceChildren();
  view.routes.clear();
  map.routes.forEach((graph, index) => {
    const { svg, figures } = drawRoute(graph, index, feeds);
    const card = element("article", { class: "route", "data-route-id": graph.route_id });
    card.append(svg);
    container.append(card);
    view.routes.set(graph.route_id, figures);
  });
}

async function refreshRouteMetrics() {
  const data = await getJson("console/api/routes/metrics");
  for (const [routeId, figures] of view.routes) {
    const metrics = data.metrics[routeId];
    const status = data.status[routeId] || "not running";
    figures.status.textContent = status;
    figures.status.setAttribute("class", `value status-${status}`);
    if (!metrics) continue;
    figures.completed.textContent = metrics.completed;
    figures.failed.textContent = metrics.failed;
    figures.in_flight.textContent = metrics.in_flight;
    figures.mean_ms.textContent = (metrics.processing_seconds_mean * 1000).toFixed(1);
    figures.redelivered.textContent = metrics.redelivered;
    figures.dead_lettered.textContent = metrics.dead_lettered;
  }
}

// -- refresh loop ---------------------------------------------------------------------------
function report(error) {
  showMessage(`Cannot reach the service: ${error.message}`);
}

async function refresh() {
  try {
    await Promise.all([
      refreshCounts(),
      refreshRouteMetrics(),
      view.timeline ? openTimeline(view.timeline) : null,
    ]);
    document.getElementById("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
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
  document.getElementById("search").addEventListener("submit", (event) => search(event).catch(report));
  document.getElementById("more").addEventListener("click", () => loadOrders(false).catch(report));
  try {
    await Promise.all([loadRoutes(), loadOrders(true)]);
  } catch (error) {
    report(error);
  }
  await refresh();
}

document.addEventListener("DOMContentLoaded", start);
