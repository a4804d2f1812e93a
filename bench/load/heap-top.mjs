#!/usr/bin/env node
// Summarises a V8 heap snapshot (node --heapsnapshot-signal=SIGUSR2, then kill -USR2 PID): the
// total self size by object type and constructor, and the largest single objects with their first
// retainers (who holds them, through which property), so that big Maps and arrays can be named.
// Typed arrays' contents are outside the V8 heap (process.memoryUsage().arrayBuffers); their
// backing stores show here as 'system / JSArrayBufferData' entries when V8 reports them.
//
//   node --max-old-space-size=8192 bench/load/heap-top.mjs FILE.heapsnapshot [--top 25]
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const top = Number(args[args.indexOf('--top') + 1] || 25);
const snap = JSON.parse(readFileSync(args[0], 'utf8'));
const meta = snap.snapshot.meta;
const nf = meta.node_fields.length;
const ef = meta.edge_fields.length;
const NODE_TYPE = meta.node_fields.indexOf('type');
const NODE_NAME = meta.node_fields.indexOf('name');
const NODE_SIZE = meta.node_fields.indexOf('self_size');
const NODE_EDGES = meta.node_fields.indexOf('edge_count');
const EDGE_TYPE = meta.edge_fields.indexOf('type');
const EDGE_NAME = meta.edge_fields.indexOf('name_or_index');
const EDGE_TO = meta.edge_fields.indexOf('to_node');
const nodeTypes = meta.node_types[0];
const edgeTypes = meta.edge_types[0];
const { nodes, edges, strings } = snap;
const count = nodes.length / nf;

const firstEdge = new Uint32Array(count + 1);
for (let i = 0, e = 0; i < count; i++) {
  firstEdge[i] = e;
  e += nodes[i * nf + NODE_EDGES] * ef;
  firstEdge[i + 1] = e;
}
// One strong retainer per node (the first found), enough to name what holds a big object.
const retainer = new Int32Array(count).fill(-1);
const retainerEdge = new Int32Array(count).fill(-1);
for (let i = 0; i < count; i++) {
  for (let e = firstEdge[i]; e < firstEdge[i + 1]; e += ef) {
    const type = edgeTypes[edges[e + EDGE_TYPE]];
    if (type === 'weak' || type === 'shortcut') continue;
    const to = edges[e + EDGE_TO] / nf;
    if (retainer[to] === -1) {
      retainer[to] = i;
      retainerEdge[to] = e;
    }
  }
}
const typeOf = (i) => nodeTypes[nodes[i * nf + NODE_TYPE]];
const nameOf = (i) => strings[nodes[i * nf + NODE_NAME]];
const label = (i) => {
  const t = typeOf(i);
  const n = nameOf(i);
  return t === 'object' || t === 'closure' ? n : `${t} ${n.length > 40 ? `${n.slice(0, 40)}...` : n}`;
};
const edgeLabel = (e) => {
  const type = edgeTypes[edges[e + EDGE_TYPE]];
  const n = edges[e + EDGE_NAME];
  return type === 'element' || type === 'hidden' ? `[${n}]` : strings[n];
};

const byLabel = new Map();
let total = 0;
for (let i = 0; i < count; i++) {
  const size = nodes[i * nf + NODE_SIZE];
  total += size;
  const key = `${typeOf(i)}: ${typeOf(i) === 'object' || typeOf(i) === 'closure' ? nameOf(i) : typeOf(i) === 'string' || typeOf(i) === 'concatenated string' || typeOf(i) === 'number' ? '' : nameOf(i).slice(0, 50)}`;
  const agg = byLabel.get(key) ?? { size: 0, n: 0 };
  agg.size += size;
  agg.n++;
  byLabel.set(key, agg);
}
const mib = (b) => (b / 1048576).toFixed(1).padStart(7);
console.log(`${args[0]}: ${count} nodes, ${(total / 1048576).toFixed(1)} MiB self size in all`);
console.log('\nself size by type and constructor (MiB, count)');
for (const [key, a] of [...byLabel].sort((x, y) => y[1].size - x[1].size).slice(0, top)) console.log(`${mib(a.size)}  ${String(a.n).padStart(9)}  ${key}`);

console.log('\nlargest objects and who holds them');
const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => nodes[b * nf + NODE_SIZE] - nodes[a * nf + NODE_SIZE]).slice(0, top);
for (const i of order) {
  const path = [];
  for (let n = i, depth = 0; retainer[n] !== -1 && depth < 4; n = retainer[n], depth++) path.push(`${edgeLabel(retainerEdge[n])} of ${label(retainer[n])}`);
  console.log(`${mib(nodes[i * nf + NODE_SIZE])}  ${label(i)}  <- ${path.join(' <- ')}`);
}
