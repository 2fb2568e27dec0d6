// Route diagrams: one SVG per route, drawn from its graph (GET console/api/routes): the
// endpoint it reads, its steps top to bottom with nested steps indented, then its error
// handling. Text is set with textContent only.

const SVG_NS = "http://www.w3.org/2000/svg";
const WIDTH = 460;
const HEADER = 66;
const ROW = 40;
const BOX = 28;
const INDENT = 26;
const BOX_CLASS = {
  "from": "from", "to": "endpoint", "toD": "endpoint", "wireTap": "endpoint",
  "enrich": "endpoint", "recipientList": "endpoint", "process": "process",
  "filter": "branch", "choice": "branch", "when": "branch", "otherwise": "branch",
  "split": "branch", "multicast": "branch", "loop": "branch", "aggregate": "branch",
  "doTry": "branch", "doCatch": "branch", "doFinally": "branch",
  "idempotentConsumer": "branch", "on-exception": "error", "dead-letter": "error",
  "error-handler": "error",
};
const BRANCHES = new Set(["when", "otherwise", "doCatch", "doFinally"]);
const METRIC_LINES = [
  [["status", ""], ["completed", "completed"], ["failed", "failed"], ["in_flight", "in flight"]],
  [["mean_ms", "mean ms"], ["redelivered", "redelivered"], ["dead_lettered", "dead-lettered"]],
];

function svgElement(tag, attributes = {}, text = undefined) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

// The boxes in drawing order: {kind, label, depth, parent, previous}; parent and
// previous are row indices (an arrow from each), or null. `errors` is the first row
// of the error handling.
function rowsOf(graph, links) {
  const rows = [];
  const add = (kind, label, depth, parent = null, previous = null) =>
    rows.push({ kind, label, depth, parent, previous }) - 1;
  const walk = (nodes, depth, parent, first) => {
    let previous = first;
    for (const node of nodes) {
      const targets = links
        .filter((link) => link.source === graph.route_id && node.uris.includes(link.uri))
        .map((link) => link.target);
      const label = targets.length ? `${node.label}  → ${targets.join(", ")}` : node.label;
      const branch = BRANCHES.has(node.kind);
      // A step follows the one before it; the first of a nesting, or a branch, its parent.
      const index = branch || previous === null
        ? add(node.kind, label, depth, parent)
        : add(node.kind, label, depth, null, previous);
      walk(node.steps, depth + 1, index, null);
      previous = branch ? null : index;
    }
  };
  const feeders = links.filter((link) => link.target === graph.route_id).map((l) => l.source);
  const from = feeders.length ? `${graph.from_uri}  ← ${feeders.join(", ")}` : graph.from_uri;
  walk(graph.steps, 0, null, add("from", from, 0));
  const errors = rows.length;
  for (const error of graph.on_exceptions) {
    const retry = error.maximum_redeliveries ? `, retried ${error.maximum_redeliveries}×` : "";
    const clause = `${error.exceptions.join(", ")}: ${error.outcome}${retry}`;
    walk(error.steps, 1, add("on-exception", clause, 0), null);
  }
  const retry = graph.maximum_redeliveries ? `retried ${graph.maximum_redeliveries}×, then ` : "";
  if (graph.dead_letter_uri) {
    add("dead-letter", `${retry}dead letter ${graph.dead_letter_uri}`, 0);
  } else if (graph.maximum_redeliveries) {
    add("error-handler", `${retry}fail`, 0);
  }
  return { rows, errors };
}

function fit(text, width) {
  const limit = Math.floor((width - 70) / 6.3);
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}

function header(svg, graph) {
  svg.append(svgElement("text", { x: 8, y: 18, class: "title" }, graph.route_id));
  const source = graph.source === "python" ? "Python" : `YAML ${graph.source.split("/").pop()}`;
  svg.append(svgElement("text", { x: WIDTH - 8, y: 18, "text-anchor": "end", class: "source" },
    source));
  const figures = {};
  METRIC_LINES.forEach((line, number) => {
    const metrics = svgElement("text", { x: 8, y: 36 + number * 15, class: "metrics" });
    line.forEach(([name, caption], position) => {
      if (caption) metrics.append(svgElement("tspan", {}, `${position ? " · " : ""}${caption} `));
      figures[name] = svgElement("tspan", { class: "value", "data-metric": name }, "–");
      metrics.append(figures[name]);
    });
    svg.append(metrics);
  });
  return figures;
}

function arrowHead(id) {
  const defs = svgElement("defs");
  const head = svgElement("marker", {
    id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7,
    orient: "auto-start-reverse",
  });
  head.append(svgElement("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrowhead" }));
  defs.append(head);
  return defs;
}

// The route's SVG, and the elements its live figures go into (see showMetrics).
export function drawRoute(graph, index, links) {
  const { rows, errors } = rowsOf(graph, links);
  const gap = rows.length > errors ? 22 : 0;
  const top = (row) => HEADER + row * ROW + (row >= errors ? gap : 0);
  const x = (row) => 8 + rows[row].depth * INDENT;
  const height = top(rows.length) + 4;
  const svg = svgElement("svg", {
    viewBox: `0 0 ${WIDTH} ${height}`, width: WIDTH, height, role: "img",
    "aria-label": `route ${graph.route_id}`,
  });
  const marker = `arrow-${index}`;
  svg.append(arrowHead(marker));
  const figures = header(svg, graph);
  if (gap) svg.append(svgElement("text", { x: 8, y: top(errors) - 8, class: "error-title" },
    "on error"));
  const arrow = (d) => svg.append(
    svgElement("path", { d, class: "arrow", "marker-end": `url(#${marker})` }));
  rows.forEach((row, i) => {
    if (row.previous !== null) {
      arrow(`M ${x(row.previous) + 10} ${top(row.previous) + BOX} V ${top(i)}`);
    }
    if (row.parent !== null) {
      arrow(`M ${x(row.parent) + 18} ${top(row.parent) + BOX} V ${top(i) + BOX / 2} H ${x(i)}`);
    }
    const width = WIDTH - 8 - x(i);
    const box = svgElement("g", { class: `box ${BOX_CLASS[row.kind] || "note"}`,
      "data-kind": row.kind });
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

// Puts a route's state and metrics (GET console/api/routes/metrics) into its diagram.
export function showMetrics(figures, status, metrics) {
  figures.status.textContent = status;
  figures.status.setAttribute("class", `value status-${status}`);
  if (!metrics) return;
  for (const name of ["completed", "failed", "in_flight", "redelivered", "dead_lettered"]) {
    figures[name].textContent = metrics[name];
  }
  figures.mean_ms.textContent = (metrics.processing_seconds_mean * 1000).toFixed(1);
}
