// The console page: the executions, and one execution as the Step Functions console's execution
// details page. Served by `orders local serve` (its data from ./api/, polled while shown), or written
// as one file by `orders local run --html` (its data inlined in #console-data).
"use strict";

const STATUSES = ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"];
const POLL_MS = 2000;
const embedded = document.getElementById("console-data");
const offline = embedded ? JSON.parse(embedded.textContent) : null;
const view = document.getElementById("view");
let timer = null;
let machine = null; // the definition and the state machine's ARN, read once

// h("td", {class: "x"}, "text", child...): an element, with text children as text (never as HTML).
function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (value !== null && value !== undefined) element.setAttribute(name, value);
  }
  element.append(...children.flat(Infinity).map((c) => (c instanceof Node ? c : String(c ?? ""))));
  return element;
}

async function api(path) {
  const response = await fetch(path);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

const data = {
  machine: async () => (machine ??= offline || (await api("api/definition"))),
  executions: async (status) =>
    offline
      ? offline.executions.filter((e) => !status || e.status === status)
      : (await api("api/executions" + (status ? "?status=" + status : ""))).executions,
  execution: async (arn) => (offline ? offline.details[arn] : api("api/execution?arn=" + encodeURIComponent(arn))),
};

const time = (text) => (text ? text.replace("T", " ").replace(/\.(\d{3})\d*/, ".$1") : "");
const seconds = (s) => (s === null || s === undefined ? "" : s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(2)} s`);
const json = (value) => (value === null || value === undefined ? "(none)" : JSON.stringify(value, null, 2));
const badge = (text) => h("span", { class: `status ${text || ""}` }, text || "");

function poll(refresh) {
  clearInterval(timer);
  timer = offline ? null : setInterval(refresh, POLL_MS);
  document.getElementById("live").textContent = offline ? "written by orders local run --html" : "live";
}

// --- The executions ---------------------------------------------------------------------------

async function showExecutions(status) {
  const filter = h(
    "select",
    { id: "status-filter", onchange: (e) => (location.hash = e.target.value ? `status=${e.target.value}` : "") },
    h("option", { value: "" }, "Any status"),
    STATUSES.map((s) => h("option", s === status ? { value: s, selected: "" } : { value: s }, s)),
  );
  const body = h("tbody");
  const count = h("span", { class: "muted" });
  view.replaceChildren(h("section", {}, h("h2", {}, "Executions ", count), h("p", {}, "Status: ", filter),
    h("table", { id: "executions" },
      h("thead", {}, h("tr", {}, ["Name", "Order key", "Status", "Outcome", "Started", "Duration"].map((c) => h("th", {}, c)))),
      body)));
  const refresh = async () => {
    const rows = await data.executions(status);
    count.textContent = `(${rows.length})`;
    body.replaceChildren(...rows.map((e) =>
      h("tr", { "data-name": e.name, "data-status": e.status },
        h("td", {}, h("a", { href: "#execution=" + encodeURIComponent(e.executionArn) }, e.name)),
        h("td", {}, e.key), h("td", {}, badge(e.status)), h("td", {}, badge(e.outcome)),
        h("td", {}, time(e.start)), h("td", {}, seconds(e.seconds)))));
  };
  poll(refresh);
  await refresh();
}

// --- One execution ----------------------------------------------------------------------------

async function showExecution(arn) {
  const { definition } = await data.machine();
  const render = async () => {
    const execution = await data.execution(arn);
    const selected = document.querySelector("tr.selected")?.dataset.index ?? 0;
    view.replaceChildren(
      h("h2", {}, h("a", { href: "#" }, "Executions"), " / ", execution.name, " ", badge(execution.status)),
      summary(execution),
      h("div", { class: "columns" }, graph(definition, execution), states(execution)),
      h("div", { class: "columns" }, record(execution), stateData(execution)),
      events(execution),
    );
    select(execution, Number(selected));
    if (execution.status !== "RUNNING") clearInterval(timer);
  };
  poll(render);
  await render();
}

function summary(e) {
  const rows = [["Status", badge(e.status)], ["Outcome", badge(e.outcome)], ["Order key", e.key],
    ["Started", time(e.start)], ["Ended", time(e.stop)], ["Duration", seconds(e.seconds)], ["ARN", e.executionArn]];
  if (e.error) rows.push(["Error", h("span", { class: "error" }, e.error)], ["Cause", h("span", { class: "error" }, e.cause)]);
  return h("section", { id: "summary", "data-arn": e.executionArn }, h("h3", {}, "Summary"), h("dl", {}, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    h("details", {}, h("summary", {}, "Execution input and output"), h("pre", {}, json(e.input)), h("pre", {}, json(e.output))));
}

function graph(definition, e) {
  const legend = ["succeeded", "retried", "caught", "failed", "running", "not-reached"].map((s) =>
    h("span", { class: s }, h("i"), s === "retried" ? "failed, then retried" : s.replace("-", " ")));
  const box = h("div", { id: "graph" });
  // The SVG is built as text by graph.js, every name in it escaped.
  box.innerHTML = OrderGraph.svg(definition, dagre, e.path);
  box.querySelectorAll(".node[data-state]").forEach((node) =>
    node.addEventListener("click", () => {
      const index = e.states.map((s) => s.name).lastIndexOf(node.dataset.state);
      if (index >= 0) select(e, index);
    }));
  return h("section", {}, h("h3", {}, "Graph"), h("div", { class: "legend" }, legend), box);
}

function states(e) {
  return h("section", {}, h("h3", {}, "States entered"),
    h("table", { id: "states" },
      h("thead", {}, h("tr", {}, ["State", "Status", "Type", "Resource", "Duration", "Attempts"].map((c) => h("th", {}, c)))),
      h("tbody", {}, e.states.map((s, i) =>
        h("tr", { class: "selectable", "data-index": i, "data-state": s.name, "data-status": s.status, onclick: () => select(e, i) },
          h("td", {}, s.name), h("td", { title: s.errors.join("\n") }, badge(s.status), s.caughtBy ? ` → ${s.caughtBy}` : ""),
          h("td", {}, s.type), h("td", {}, s.resource ?? ""), h("td", {}, seconds(s.seconds)), h("td", {}, s.attempts ?? ""))))));
}

function stateData(e) {
  return h("section", { id: "state-data" }, h("h3", {}, "Input and output: ", h("span", { id: "state-name" })),
    h("p", { class: "muted" }, "Select a state in the graph or the table."),
    h("h3", {}, "Input"), h("pre", { id: "state-input" }), h("h3", {}, "Output"), h("pre", { id: "state-output" }));
}

function select(e, index) {
  const state = e.states[index];
  if (!state) return;
  document.querySelectorAll("#states tr.selected, #graph .node.selected").forEach((n) => n.classList.remove("selected"));
  document.querySelector(`#states tr[data-index="${index}"]`)?.classList.add("selected");
  document.querySelectorAll("#graph .node[data-state]").forEach((n) => n.dataset.state === state.name && n.classList.add("selected"));
  document.getElementById("state-name").textContent = state.name;
  document.getElementById("state-input").textContent = json(state.input);
  document.getElementById("state-output").textContent = json(state.output);
}

function record(e) {
  return h("section", { id: "record" }, h("h3", {}, "The order's record (DynamoDB)"), h("pre", {}, json(e.record)),
    h("h3", {}, "Notification ", h("span", { class: "muted" }, e.notification ? `(${e.notification.source})` : "")),
    h("pre", {}, json(e.notification)));
}

function events(e) {
  return h("section", {}, h("h3", {}, `Events (${e.events.length})`),
    h("table", { id: "events" },
      h("thead", {}, h("tr", {}, ["ID", "Type", "Step", "Elapsed", "Timestamp", "Details"].map((c) => h("th", {}, c)))),
      h("tbody", {}, e.events.map((v) =>
        h("tr", { class: /Failed|TimedOut/.test(v.type) ? "failed" : "" },
          h("td", {}, v.id), h("td", {}, v.type), h("td", {}, v.state), h("td", {}, `${v.elapsedMs} ms`),
          h("td", {}, time(v.timestamp)),
          h("td", {}, Object.keys(v.details).length ? h("pre", {}, json(v.details)) : ""))))));
}

// --- Routing: #execution=ARN, #status=S, or the list ------------------------------------------

async function route() {
  const [name, value] = location.hash.slice(1).split("=");
  try {
    document.getElementById("machine").textContent = (await data.machine()).stateMachineArn;
    if (name === "execution") await showExecution(decodeURIComponent(value));
    else await showExecutions(name === "status" ? value : "");
  } catch (error) {
    clearInterval(timer);
    view.replaceChildren(h("section", { class: "error", id: "problem" }, String(error.message || error)));
  }
}

window.addEventListener("hashchange", route);
route();
