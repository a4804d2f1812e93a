import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CaptureFormatError } from '../../src/capture/capture-error.js';
import { readCapture } from '../../src/capture/read-capture.js';
import { LINKTYPE } from '../../src/frame-builder.js';
import { epb, idb, pcapFile, shb } from '../support/capture-writer.js';
import { RecordingSink } from '../support/recording-sink.js';
import { tempDir } from '../support/temp-dir.js';

const temp = tempDir('capture');

const records = [1, 2, 3].map((n) => ({ seconds: n, fraction: n, data: Buffer.alloc(40 + n, n) }));
const pcap = pcapFile({ endian: 'be', linkType: LINKTYPE.Raw }, records);
const pcapng = Buffer.concat([shb('le'), idb('le', { linkType: LINKTYPE.Raw }), ...records.map((r) => epb('le', { timestamp: BigInt(r.seconds) * 1_000_000n, data: r.data }))]);

describe('gzip-compressed captures', () => {
  it.each([
    ['pcap', pcap, 'trace.pcap'],
    ['pcapng', pcapng, 'trace.pcapng'],
    ['pcap', pcap, 'no-extension'],
  ])('recognises gzip by its magic, not its name (%s as %s)', async (format, bytes, name) => {
    const sink = new RecordingSink();
    const summary = await readCapture(temp.write(name, gzipSync(bytes)), sink);
    expect(summary).toMatchObject({ format, compressed: true, packets: 3 });
    expect(sink.packets.map((p) => p.data)).toEqual(records.map((r) => r.data));
  });

  it('reads a plain capture named .gz as plain', async () => {
    const summary = await readCapture(temp.write('plain.pcap.gz', pcap), new RecordingSink());
    expect(summary).toMatchObject({ format: 'pcap', compressed: false, packets: 3 });
  });

  it('reads a capture larger than one read chunk through gunzip', async () => {
    const many = Array.from({ length: 30_000 }, (_, i) => ({ seconds: i, fraction: 0, data: Buffer.alloc(150, i & 0xff) }));
    const bytes = pcapFile({ endian: 'le', linkType: LINKTYPE.Raw }, many);
    expect(bytes.length).toBeGreaterThan(4 << 20);
    const sink = new RecordingSink();
    const summary = await readCapture(temp.write('big.pcap.gz', gzipSync(bytes, { level: 1 })), sink);
    expect(summary.packets).toBe(many.length);
    expect(many.findIndex((r, i) => sink.packets[i].seconds !== r.seconds || !sink.packets[i].data.equals(r.data))).toBe(-1);
  });

  it('reports damage inside the decompressed capture at its decompressed offset, and says so', async () => {
    const cut = pcap.subarray(0, pcap.length - 3);
    const path = temp.write('cut-inside.pcap.gz', gzipSync(cut));
    const lastRecord = 16 + records[2].data.length;
    const reason = `file ends inside a record (${lastRecord - 3} of ${lastRecord} bytes present)`;
    const error = await readCapture(path, new RecordingSink()).catch((err: unknown) => err);
    expect((error as CaptureFormatError).message).toBe(`${path}: decompressed offset ${pcap.length - lastRecord}: ${reason}`);

    const sink = new RecordingSink();
    const summary = await readCapture(path, sink, { keepGoing: true });
    expect(summary.damage).toEqual({ offset: pcap.length - lastRecord, reason });
    expect(sink.packets).toHaveLength(2);
  });

  it('turns a broken gzip stream into a CaptureFormatError, keeping what was decompressed with keepGoing', async () => {
    const gz = gzipSync(pcap);
    const path = temp.write('cut-stream.gz', gz.subarray(0, gz.length - 8)); // drop the CRC and size trailer
    const error = await readCapture(path, new RecordingSink()).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CaptureFormatError);
    // Every byte of the capture itself was decompressed before zlib noticed the missing trailer,
    // having read every byte of the file.
    expect((error as CaptureFormatError).message).toBe(`${path}: decompressed offset ${pcap.length}, compressed offset ${gz.length - 8}: gzip stream: unexpected end of file`);

    const sink = new RecordingSink();
    const summary = await readCapture(path, sink, { keepGoing: true });
    expect(summary.damage).toEqual({ offset: pcap.length, reason: 'gzip stream: unexpected end of file', compressedOffset: gz.length - 8 });
    expect(sink.packets).toHaveLength(3);
  });

  it('rejects corrupt deflate data as a CaptureFormatError naming both offsets', async () => {
    const gz = Buffer.from(gzipSync(pcap));
    for (let i = 10; i < 30; i++) gz[i] ^= 0x5a;
    const path = temp.write('corrupt.gz', gz);
    const error = await readCapture(path, new RecordingSink()).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CaptureFormatError);
    // zlib fails on the first block, before it has consumed any input or produced any output.
    expect((error as CaptureFormatError).message).toMatch(new RegExp(`^${path}: decompressed offset 0, compressed offset 0: gzip stream: \\S`));
  });

  it('names the compressed offset where zlib noticed damage deep in a large stream', async () => {
    // Stored (incompressible) bytes in the middle: a flipped byte there shows only at the CRC.
    const noise = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 2654435761) >>> 24));
    const big = pcapFile({ endian: 'le', linkType: LINKTYPE.Raw }, [{ seconds: 1, fraction: 0, data: noise.subarray(0, 60_000) }, { seconds: 2, fraction: 0, data: noise.subarray(60_000, 120_000) }]);
    const gz = Buffer.from(gzipSync(big, { level: 0 }));
    gz[gz.length >> 1] ^= 0xff;
    const error = (await readCapture(temp.write('crc.gz', gz), new RecordingSink()).catch((err: unknown) => err)) as CaptureFormatError;
    expect(error.reason).toBe('gzip stream: incorrect data check');
    expect(error.compressedOffset).toBeGreaterThan(gz.length >> 1);
    expect(error.compressedOffset).toBeLessThanOrEqual(gz.length);
  });
});
