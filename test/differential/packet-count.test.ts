/**
 * Per file, flowaudit reads as many packets as tshark does, and decodes as IP exactly the frames
 * tshark dissects as IPv4 or IPv6.
 */
import { describe, expect, it } from 'vitest';
import { COMMITTED_CAPTURES, flowauditFlows, gate, ipBytes, missingTools, tsharkFrameCount, tsharkFrames } from '../support/tshark.js';

const tools = gate(missingTools(['tshark']));

describe.each(COMMITTED_CAPTURES)('$name', (capture) => {
  it.skipIf(tools.skip)(`has tshark's packet count${tools.suffix}`, () => {
    tools.assertAvailable();
    const ours = flowauditFlows([capture.path]);
    const frames = tsharkFrameCount(capture.path);
    expect(frames).toBeGreaterThan(100); // the fixture is the whole recording, not an empty file
    expect(ours.captures).toHaveLength(1);
    expect(ours.captures[0]).toMatchObject({ format: capture.format, compressed: capture.compressed, packets: frames });
  });

  it.skipIf(tools.skip)(`decodes as IP the frames tshark sees as IPv4/IPv6, and accounts for every packet${tools.suffix}`, () => {
    tools.assertAvailable();
    const ours = flowauditFlows([capture.path]);
    const ipFrames = tsharkFrames(capture.path).filter((r) => ipBytes(r) !== null).length;
    const total = Object.values(ours.decode).reduce((a, b) => a + b, 0);
    expect(total).toBe(ours.captures[0].packets);
    expect(ours.decode.ok).toBe(ipFrames);
    // Every decoded packet lands in exactly one flow.
    const inFlows = ours.flows.reduce((n, f) => n + f.toServer.packets + f.toClient.packets, 0);
    expect(inFlows).toBe(ipFrames);
  });
});
