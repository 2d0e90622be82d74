// `orders graph`: the definition (ASL JSON on standard input) drawn as SVG on standard output, by the
// page's own drawing code and the project's pinned dagre.
"use strict";
const dagre = require("@dagrejs/dagre");
const { OrderGraph } = require("./static/graph.js");

let text = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (text += chunk));
process.stdin.on("end", () => process.stdout.write(OrderGraph.svg(JSON.parse(text), dagre) + "\n"));
