/** Capture files as a source: read in order into the sink's packets, one summary per file. */
import { describe, expect, it } from 'vitest';
import { CaptureFilesSource } from '../../src/pipeline/capture-file-source.js';
import { FlowPipeline } from '../../src/pipeline/flow-pipeline.js';
import { readTrace } from '../../src/pipeline/read-flows.js';
import type { FlowRecord } from '../../src/flow/flow-record.js';
import { ethernet, ETHERTYPE, ipv4, LINKTYPE, TCP_FLAGS, tcp } from '../../src/frame-builder.js';
import { pcapFile, type PcapRecord } from '../support/capture-writer.js';
import { RecordingSink } from '../support/recording-sink.js';
import { tempDir } from '../support/temp-dir.js';

const temp = tempDir('source');
const SPEC = { endian: 'le' as const, linkType: LINKTYPE.Ethernet };

/** One TCP segment of 10.0.0.1:40000 -> 10.0.0.2:443 (or back), at second `second`. */
function segment(second: number, toServer: boolean, flags: number): PcapRecord {
  const ends = toServer ? { src: '10.0.0.1', dst: '10.0.0.2' } : { src: '10.0.0.2', dst: '10.0.0.1' };
  const ports = toServer ? { srcPort: 40000, dstPort: 443 } : { srcPort: 443, dstPort: 40000 };
  return { seconds: 1_700_000_000 + second, fraction: 0, data: ethernet(ipv4({ ...ends, protocol: 6, payload: tcp({ ...ports, flags }) }), { etherType: ETHERTYPE.Ipv4 }) };
}

describe('CaptureFilesSource', () => {
  it('delivers every file, in the order given, into sink.packets, and keeps one summary per file', async () => {
    const first = temp.write('first.pcap', pcapFile(SPEC, [segment(0, true, TCP_FLAGS.SYN), segment(1, false, TCP_FLAGS.SYN | TCP_FLAGS.ACK)]));
    const second = temp.write('second.pcap', pcapFile(SPEC, [segment(2, true, TCP_FLAGS.ACK)]));
    const packets = new RecordingSink();
    const source = new CaptureFilesSource([first, second]);

    await source.start({ packets });

    expect(packets.packets.map((p) => p.seconds - 1_700_000_000)).toEqual([0, 1, 2]);
    expect(source.stats().map((s) => [s.file, s.packets])).toEqual([[first, 2], [second, 1]]);
  });

  it('read as one trace, a connection that continues in the next file is one flow', async () => {
    const first = temp.write('rotated-1.pcap', pcapFile(SPEC, [segment(0, true, TCP_FLAGS.SYN), segment(1, false, TCP_FLAGS.SYN | TCP_FLAGS.ACK)]));
    const second = temp.write('rotated-2.pcap', pcapFile(SPEC, [segment(2, true, TCP_FLAGS.FIN | TCP_FLAGS.ACK)]));
    const flows: FlowRecord[] = [];

    const result = await readTrace([first, second], new FlowPipeline({ onFlow: (f) => flows.push(f) }));

    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({ initiatorEvidence: 'syn', client: { port: 40000 }, toServer: { packets: 2 }, toClient: { packets: 1 } });
    expect(result.captures.map((c) => c.packets)).toEqual([2, 1]);
    expect(result.table.flowsEmitted).toBe(1);
  });
});
