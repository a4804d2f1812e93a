/**
 * The per-packet path allocates nothing in any framing: a child process decodes a frame of each
 * five million times under --trace-gc, after warming up, and V8 must not collect once (any object
 * per packet would fill the young generation within a few hundred thousand packets).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ethernet, ETHERTYPE, ipv4, LINKTYPE, llcSnap, mplsStack, nflog, pbbItag, ppp, PPP_PROTOCOL, pppoe, tcp } from '../../src/frame-builder.js';
import { ensureCliBuilt, REPO_ROOT } from '../support/tshark.js';

const packet = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6, payload: tcp({ srcPort: 40000, dstPort: 443, flags: 0x18, payload: Buffer.alloc(32, 0x17) }) });
const QINQ = [
  { tpid: ETHERTYPE.QinQ, vid: 1 },
  { tpid: ETHERTYPE.Vlan, vid: 2 },
];

const FRAMES: [string, number, Buffer][] = [
  ['MPLS', LINKTYPE.Ethernet, ethernet(mplsStack([16, 17, 18], packet), { etherType: ETHERTYPE.Mpls })],
  ['PPPoE over QinQ', LINKTYPE.Ethernet, ethernet(pppoe(ppp(packet, { protocol: PPP_PROTOCOL.Ipv4 })), { etherType: ETHERTYPE.PppoeSession, tags: QINQ })],
  ['LLC/SNAP', LINKTYPE.Ethernet, ethernet(llcSnap(ETHERTYPE.Ipv4, packet), { etherType: packet.length + 8 })],
  ['PBB', LINKTYPE.Ethernet, ethernet(pbbItag(7, ethernet(packet, { etherType: ETHERTYPE.Ipv4 })), { etherType: ETHERTYPE.PbbItag, tags: QINQ.slice(0, 1) })],
  ['PPP', LINKTYPE.Ppp, ppp(packet, { hdlc: true, protocol: PPP_PROTOCOL.Ipv4 })],
  ['NFLOG', LINKTYPE.Nflog, nflog(packet, { family: 2, endian: 'le' })],
];

const CHILD = `
const { PacketDecoder } = await import(process.argv[1]);
const frames = JSON.parse(process.argv[2]).map(([linkType, hex]) => [linkType, Buffer.from(hex, 'hex')]);
const decoder = new PacketDecoder();
const run = (n) => { for (const [linkType, frame] of frames) for (let i = 0; i < n; i++) if (decoder.decode(frame, 0, frame.length, linkType) !== 0) throw new Error('not decoded: link type ' + linkType); };
run(200000);
console.log('MEASURE');
run(5000000);
`;

describe('decoding every framing', () => {
  it('allocates nothing per packet: no garbage collection in 30 million decodes after warm-up', () => {
    ensureCliBuilt();
    const decoder = join(REPO_ROOT, 'dist/decode/packet-decoder.js');
    const frames = JSON.stringify(FRAMES.map(([, linkType, frame]) => [linkType, frame.toString('hex')]));
    const out = execFileSync(process.execPath, ['--trace-gc', '--input-type=module', '-e', CHILD, decoder, frames], { encoding: 'utf8' });
    const measured = out.slice(out.indexOf('MEASURE'));
    expect(out).toContain('MEASURE');
    const collections = measured.split('\n').filter((line) => /Scavenge|Mark-Compact|Minor/.test(line));
    expect(collections.length, collections[0]).toBe(0);
  }, 60_000);
});
