/** A watch stream's lines, however the chunks fall, with lines past the bound skipped and counted. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readLines } from '../../src/identity/watch-lines.js';

function feed(chunks: readonly string[], max: number, end = true): { calls: [string[], number][]; done: Promise<{ rest: string }> } {
  const stream = new PassThrough();
  const calls: [string[], number][] = [];
  const done = readLines(stream, max, (lines, skipped) => void calls.push([[...lines], skipped]));
  for (const chunk of chunks) stream.write(chunk);
  if (end) stream.end();
  return { calls, done };
}

describe('readLines', () => {
  it('hands on the whole lines of each chunk, joining lines split across chunks', async () => {
    const { calls, done } = feed(['{"a":1}\n{"b"', ':2}\n{"c":3}\n{"d"'], 100);
    expect(await done).toEqual({ rest: '{"d"' });
    expect(calls).toEqual([
      [['{"a":1}'], 0],
      [['{"b":2}', '{"c":3}'], 0],
    ]);
  });

  it('skips a line past the bound, within one chunk or across several, and goes on after it', async () => {
    const long = 'x'.repeat(30);
    const { calls, done } = feed([`ok1\n${long}\nok2\n${long.slice(0, 15)}`, long.slice(15), `${long}\nok3\n`], 20);
    expect(await done).toEqual({ rest: '' });
    expect(calls).toEqual([
      [['ok1', 'ok2'], 1],
      [['ok3'], 1],
    ]);
  });

  it('rejects a stream cut before its end', async () => {
    const stream = new PassThrough();
    const done = readLines(stream, 100, () => {});
    stream.write('{"a":');
    stream.destroy();
    await expect(done).rejects.toThrow('the connection was cut');
  });
});
