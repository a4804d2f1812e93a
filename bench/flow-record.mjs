// What one flow record costs `flows -f ndjson` (src/export/flow-record-json.ts): the flows of a
// capture are read once and kept, then written as records ROUNDS times over, the whole record and
// its parts (Community ID, ISO times) timed apart. Run after `npm run build`:
//   node bench/flow-record.mjs CAPTURE [ROUNDS]
import { readFlows } from '../dist/pipeline/read-flows.js';
import { flowRecordJson } from '../dist/export/flow-record-json.js';
import { ipProtocolName } from '../dist/net/ip-protocol.js';
import { flowCommunityId } from '../dist/export/community-id.js';
import { isoTime } from '../dist/export/iso-time.js';

const capture = process.argv[2];
const rounds = Number(process.argv[3] ?? 20);
const flows = [];
await readFlows([capture], { onFlow: (f) => flows.push(f) });

/** Nanoseconds per flow of `each`, the median of `rounds` passes over every flow. */
function time(each) {
  const passes = [];
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < flows.length; i++) sink += each(i).length;
    passes.push(Number(process.hrtime.bigint() - start) / flows.length);
  }
  if (sink === 0) throw new Error('nothing written');
  passes.sort((a, b) => a - b);
  return Math.round(passes[passes.length >> 1]);
}

console.log(JSON.stringify({
  flows: flows.length,
  recordNs: time((i) => flowRecordJson(flows[i])),
  communityIdNs: time((i) => flowCommunityId(ipProtocolName(flows[i].protocol), flows[i])),
  isoTimesNs: time((i) => isoTime(flows[i].firstSeen) + isoTime(flows[i].lastSeen)),
}));
