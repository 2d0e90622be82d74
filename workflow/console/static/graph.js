// The state machine's graph: states and transitions read from the ASL definition, placed by dagre
// (@dagrejs/dagre, from the project's node_modules), drawn as SVG text. The same code runs in the
// console page and in node (`orders graph`), so both draw the same picture.
(function (exports) {
  "use strict";

  const NODE_HEIGHT = 34;
  const CHAR_WIDTH = 7.8; // the labels' monospace font, 13px: 0.6em a character
  const START = "start";
  const END = "end";
  const STYLE = `
    .graph text { font: 13px ui-monospace, "DejaVu Sans Mono", monospace; fill: #16191f; }
    .graph .node rect { fill: #fff; stroke: #879596; stroke-width: 1.5; }
    .graph .terminal rect { fill: #f2f3f3; }
    .graph .succeeded rect { fill: #e9f7ec; stroke: #1d8102; }
    .graph .retried rect { fill: #fff7e0; stroke: #d38b00; stroke-width: 2.5; }
    .graph .caught rect { fill: #ffede0; stroke: #e65c00; stroke-width: 2.5; }
    .graph .failed rect { fill: #fdecea; stroke: #d13212; stroke-width: 2.5; }
    .graph .running rect { fill: #e8f2fc; stroke: #0073bb; }
    .graph .not-reached rect { fill: #fff; stroke: #d5dbdb; stroke-dasharray: 4 3; }
    .graph .not-reached text { fill: #879596; }
    .graph .edge path { fill: none; stroke: #879596; stroke-width: 1.5; }
    .graph .edge.catch path { stroke-dasharray: 6 4; }
    .graph .edge.taken path { stroke: #16191f; stroke-width: 2.5; }
    .graph .arrow { fill: #879596; }`;

  const id = (name) => "state:" + name;

  // Every transition the definition allows, one per pair of states: Next, a Choice's rules and
  // Default, Catch; End, Succeed and Fail lead to the end.
  function transitions(definition) {
    const found = new Map();
    const add = (from, to, kind, why) => {
      const key = JSON.stringify([from, to]);
      const edge = found.get(key) || { from, to, kinds: new Set(), why: [] };
      edge.kinds.add(kind);
      edge.why.push(why);
      found.set(key, edge);
    };
    add(START, id(definition.StartAt), "next", "start");
    for (const [name, state] of Object.entries(definition.States)) {
      if (state.Next) add(id(name), id(state.Next), "next", "Next");
      for (const rule of state.Choices || []) add(id(name), id(rule.Next), "next", "Choice");
      if (state.Default) add(id(name), id(state.Default), "next", "Default");
      for (const c of state.Catch || []) add(id(name), id(c.Next), "catch", "Catch " + c.ErrorEquals.join(", "));
      if (state.End || state.Type === "Succeed" || state.Type === "Fail") add(id(name), END, "next", "end");
    }
    return [...found.values()];
  }

  function layout(definition, dagre) {
    const graph = new dagre.graphlib.Graph();
    graph.setGraph({ rankdir: "TB", nodesep: 36, ranksep: 44, marginx: 12, marginy: 12 });
    graph.setDefaultEdgeLabel(() => ({}));
    const box = (label) => ({ label, width: label.length * CHAR_WIDTH + 32, height: NODE_HEIGHT });
    graph.setNode(START, box("Start"));
    for (const name of Object.keys(definition.States)) graph.setNode(id(name), box(name));
    graph.setNode(END, box("End"));
    for (const edge of transitions(definition)) graph.setEdge(edge.from, edge.to, edge);
    dagre.layout(graph);
    return graph;
  }

  const escape = (text) =>
    String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

  // `path` (optional) is what one execution did: {states: {name: status}, transitions: [[from, to]]},
  // with null for the start and the end.
  function svg(definition, dagre, path) {
    const graph = layout(definition, dagre);
    const statuses = (path && path.states) || {};
    const taken = new Set(
      ((path && path.transitions) || []).map(([from, to]) =>
        JSON.stringify([from === null ? START : id(from), to === null ? END : id(to)]),
      ),
    );
    const width = Math.ceil(graph.graph().width);
    const height = Math.ceil(graph.graph().height);
    const out = [
      `<svg xmlns="http://www.w3.org/2000/svg" class="graph" width="${width}" height="${height}" ` +
        `viewBox="0 0 ${width} ${height}"><style>${STYLE}</style>`,
      '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" ' +
        'orient="auto-start-reverse"><path class="arrow" d="M0,0 L10,5 L0,10 z"/></marker></defs>',
    ];
    for (const e of graph.edges()) {
      const edge = graph.edge(e);
      const kind = edge.kinds.has("next") ? "next" : "catch";
      const points = edge.points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" L");
      const isTaken = taken.has(JSON.stringify([e.v, e.w])) ? " taken" : "";
      out.push(
        `<g class="edge ${kind}${isTaken}" data-from="${escape(e.v)}" data-to="${escape(e.w)}">` +
          `<title>${escape(edge.why.join("; "))}</title><path d="M${points}" marker-end="url(#arrow)"/></g>`,
      );
    }
    for (const node of graph.nodes()) {
      const { x, y, width: w, height: h, label } = graph.node(node);
      const terminal = node === START || node === END;
      const name = terminal ? "" : node.slice(id("").length);
      const status = terminal ? "terminal" : statuses[name] || (path ? "not-reached" : "");
      const type = terminal ? "" : definition.States[name].Type;
      out.push(
        `<g class="node ${status}" ${terminal ? `data-terminal="${node}"` : `data-state="${escape(name)}"`} ` +
          `data-status="${status}" transform="translate(${(x - w / 2).toFixed(1)},${(y - h / 2).toFixed(1)})">` +
          `<title>${escape(terminal ? label : `${name} (${type})${status ? ": " + status : ""}`)}</title>` +
          `<rect width="${w}" height="${h}" rx="${terminal ? h / 2 : 6}"/>` +
          `<text x="${w / 2}" y="${h / 2 + 4.5}" text-anchor="middle">${escape(label)}</text></g>`,
      );
    }
    out.push("</svg>");
    return out.join("\n");
  }

  exports.OrderGraph = { transitions, svg };
})(typeof module === "object" ? module.exports : window);
