import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../src/capture/read-capture.js';
import { LINKTYPE } from '../../src/frame-builder.js';
import { epb, idb, shb } from '../support/capture-writer.js';
import { RecordingSink } from '../support/recording-sink.js';
import { tempDir } from '../support/temp-dir.js';

const temp = tempDir('capture');
const packets = [1, 2, 3].map((n) => Buffer.alloc(20 * n, n));
const capture = Buffer.concat([shb('le'), idb('le', { linkType: LINKTYPE.Raw }), ...packets.map((data) => epb('le', { data }))]);

describe('named pipes', () => {
  it.each([false, true])('reads a capture from a FIFO, which cannot seek (gzip %s)', async (gzip) => {
    const fifo = join(temp.path, `fifo-${gzip}`);
    execFileSync('mkfifo', [fifo]);
    // The writer opens in the thread pool, so the reader's blocking open on this thread meets it.
    const writing = writeFile(fifo, gzip ? gzipSync(capture) : capture);
    const sink = new RecordingSink();
    const summary = await readCapture(fifo, sink);
    await writing;
    expect(summary).toMatchObject({ format: 'pcapng', compressed: gzip, packets: 3 });
    expect(sink.packets.map((p) => p.data)).toEqual(packets);
  });
});

describe('paths that are not captures', () => {
  it('rejects a directory with a system-style error naming it', async () => {
    await expect(readCapture(temp.path, new RecordingSink())).rejects.toMatchObject({ code: 'EISDIR', path: temp.path });
  });

  it('passes on the system error for a missing file', async () => {
    const path = join(temp.path, 'missing.pcap');
    await expect(readCapture(path, new RecordingSink())).rejects.toMatchObject({ code: 'ENOENT', path });
  });
});
