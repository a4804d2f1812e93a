/**
 * Packet for packet, flowaudit's capture reader against an independent one: the `pcap-parser`
 * package for classic microsecond pcap (plain, SLL2, and gzip through zlib), and for the files
 * pcap-parser cannot read (pcapng, nanosecond pcap) the same bytes as the pcap they were converted
 * from plus tshark's own timestamps and lengths, digit for digit.
 */
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../src/capture/read-capture.js';
import { RecordingSink, type RecordedPacket } from '../support/recording-sink.js';
import { COMMITTED_CAPTURES, gate, missingTools, tsharkFrames, type CommittedCapture } from '../support/tshark.js';

async function ours(capture: CommittedCapture): Promise<RecordedPacket[]> {
  const sink = new RecordingSink();
  const summary = await readCapture(capture.path, sink);
  expect(summary.damage).toBeUndefined();
  expect(summary.packets).toBe(sink.packets.length);
  return sink.packets;
}

interface PcapParserPacket {
  header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number };
  data: Buffer;
}

interface PcapParserEmitter {
  on(event: 'globalHeader', listener: (h: { linkLayerType: number }) => void): this;
  on(event: 'packet', listener: (p: PcapParserPacket) => void): this;
  on(event: 'end', listener: () => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
}

const pcapParser = createRequire(import.meta.url)('pcap-parser') as { parse(input: string | Readable): PcapParserEmitter };

/** pcap-parser's old event API, collected: the link type and every packet. */
function theirs(capture: CommittedCapture): Promise<{ linkType: number; packets: PcapParserPacket[] }> {
  return new Promise((resolve, reject) => {
    const input = capture.compressed ? createReadStream(capture.path).pipe(createGunzip()) : capture.path;
    const packets: PcapParserPacket[] = [];
    let linkType = -1;
    pcapParser
      .parse(input)
      .on('globalHeader', (h) => (linkType = h.linkLayerType))
      .on('packet', (p) => packets.push({ header: { ...p.header }, data: Buffer.from(p.data) }))
      .on('error', reject)
      .on('end', () => resolve({ linkType, packets }));
  });
}

const tools = gate(missingTools(['tshark']));
const byName = (name: string) => COMMITTED_CAPTURES.find((c) => c.name === name)!;

describe.each(COMMITTED_CAPTURES.filter((c) => c.pcapParser))('$name against pcap-parser', (capture) => {
  it('delivers the same packets: bytes, lengths, timestamps, link type', async () => {
    const [mine, reference] = await Promise.all([ours(capture), theirs(capture)]);
    expect([reference.linkType]).toEqual(capture.linkTypes);
    expect(reference.packets.length).toBeGreaterThan(100);
    expect(mine).toHaveLength(reference.packets.length);
    mine.forEach((p, i) => {
      const r = reference.packets[i];
      const at = `packet ${i + 1}`;
      expect(p.data.equals(r.data), `${at} bytes`).toBe(true);
      expect(p.data.length, at).toBe(r.header.capturedLength);
      expect(p.originalLength, at).toBe(r.header.originalLength);
      expect(p.linkType, at).toBe(reference.linkType);
      expect([p.seconds, p.nanos], at).toEqual([r.header.timestampSeconds, r.header.timestampMicroseconds * 1000]);
    });
  });
});

describe('files pcap-parser cannot read', () => {
  // traffic-nanos.pcap is the recording, tcpdump rewrote it as the microsecond traffic.pcap, and
  // editcap converted each to pcapng: all four hold the same packet bytes, so pcap-parser's
  // reading of traffic.pcap is the reference for the three it cannot read. Timestamps: below.
  it.each(['traffic.pcapng', 'traffic-nanos.pcap', 'traffic-nanos.pcapng'])('%s holds the bytes pcap-parser reads from traffic.pcap', async (name) => {
    const [mine, reference] = await Promise.all([ours(byName(name)), theirs(byName('traffic.pcap'))]);
    expect(mine).toHaveLength(reference.packets.length);
    mine.forEach((p, i) => {
      expect(p.data.equals(reference.packets[i].data), `packet ${i + 1} bytes`).toBe(true);
      expect(p.originalLength, `packet ${i + 1}`).toBe(reference.packets[i].header.originalLength);
      expect(p.linkType).toBe(1);
    });
  });

  it.skipIf(tools.skip)(`every file's timestamps and lengths equal tshark's frame.time_epoch, frame.len and frame.cap_len, to the digit${tools.suffix}`, async () => {
    tools.assertAvailable();
    for (const capture of COMMITTED_CAPTURES) {
      const mine = await ours(capture);
      const frames = tsharkFrames(capture.path);
      expect(mine.length, capture.name).toBe(frames.length);
      mine.forEach((p, i) => {
        const f = frames[i];
        const at = `${capture.name} packet ${i + 1}`;
        // tshark prints nine fraction digits whatever the file's resolution.
        expect(`${p.seconds}.${String(p.nanos).padStart(9, '0')}`, at).toBe(f['frame.time_epoch']);
        expect([p.data.length, p.originalLength], at).toEqual([Number(f['frame.cap_len']), Number(f['frame.len'])]);
      });
    }
  });
});
