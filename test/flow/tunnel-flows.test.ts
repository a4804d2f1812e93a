import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { flowRecordJson } from '../../src/export/flow-record-json.js';
import { PipelineMetrics } from '../../src/export/pipeline-metrics.js';
import type { FlowRecord } from '../../src/flow/flow-record.js';
import { FlowTable } from '../../src/flow/flow-table.js';
import { PacketFlowSink } from '../../src/flow/packet-flow-sink.js';
import { ETHERTYPE, ethernet, ipv4, LINKTYPE, tcp, TCP_FLAGS } from '../../src/frame-builder.js';
import { exposedSeries } from '../support/exposition.js';
import { NODE_A, NODE_B, udpBetweenNodes, vxlanHeader } from '../support/tunnel-wrap.js';
import { RecordingSink } from '../support/recording-sink.js';

const POD_A = '10.244.1.5';
const POD_B = '10.244.2.9';

/** A pod-to-pod TCP segment in VXLAN between the pods' nodes (node A hosts pod A). */
function overVxlan(fromA: boolean, flags: number): Buffer {
  const [src, dst, srcPort, dstPort] = fromA ? [POD_A, POD_B, 40000, 8443] : [POD_B, POD_A, 8443, 40000];
  const pod = ethernet(ipv4({ src, dst, protocol: 6, payload: tcp({ srcPort, dstPort, flags, seq: 1 }) }), { etherType: ETHERTYPE.Ipv4 });
  return udpBetweenNodes(4789, Buffer.concat([vxlanHeader(4242), pod]), fromA ? 41000 : 42000, !fromA);
}

function run(frames: Buffer[]): { flows: FlowRecord[]; sink: PacketFlowSink; table: FlowTable } {
  const recording = new RecordingSink();
  const flows = recording.flows;
  const table = new FlowTable(recording, { payloadLimit: 0 });
  const sink = new PacketFlowSink(table);
  frames.forEach((frame, i) => sink.onPacket(frame, 0, frame.length, frame.length, LINKTYPE.Ethernet, 1_700_000_000 + i, 0));
  table.flush();
  return { flows, sink, table };
}

describe('flows carried in tunnels', () => {
  // Picked up at the SYN-ACK, sent by pod B from node B: the client is still pod A, on node A.
  const { flows, sink, table } = run([overVxlan(false, TCP_FLAGS.SYN | TCP_FLAGS.ACK), overVxlan(true, TCP_FLAGS.ACK), overVxlan(false, TCP_FLAGS.ACK)]);
  const inner = flows.find((f) => f.protocol === 6)!;
  const outer = flows.filter((f) => f.protocol === 17);

  it('audits the inner flow with the pods\' addresses, and says which tunnel carried it between which nodes', () => {
    expect(inner).toMatchObject({
      client: { address: POD_A, port: 40000 },
      server: { address: POD_B, port: 8443 },
      initiatorEvidence: 'syn-ack',
      toServer: { packets: 1 },
      toClient: { packets: 2 },
      tunnel: { type: 'vxlan', id: 4242, outerClient: NODE_A, outerServer: NODE_B },
      encapsulates: undefined,
    });
  });

  it('still reports the outer UDP flows between the nodes, marked as carrying the tunnel', () => {
    expect(outer.map((f) => [f.client.address, f.server.port, f.toServer.packets, f.encapsulates, f.tunnel])).toEqual([
      [NODE_B, 4789, 2, 'vxlan', undefined],
      [NODE_A, 4789, 1, 'vxlan', undefined],
    ]);
    // Every captured packet is counted once as captured, and once more inside its tunnel.
    expect(sink.decoder.reasonCounts()).toEqual({ ok: 3 });
    expect(table.stats.packets).toBe(6);
  });

  it('writes the tunnel and the carrier into flow JSON, the id under its own name', () => {
    expect(JSON.parse(flowRecordJson(inner)).tunnel).toEqual({ type: 'vxlan', vni: 4242, outer_client: NODE_A, outer_server: NODE_B });
    expect(JSON.parse(flowRecordJson(outer[0])).encapsulates).toBe('vxlan');
    const plain = JSON.parse(flowRecordJson({ ...inner, tunnel: undefined }));
    expect(Object.keys(plain)).not.toContain('tunnel');
    expect(Object.keys(plain)).not.toContain('encapsulates');
  });

  it('exports tunnel packets and the inner packets that did not decode as metrics', async () => {
    const registry = new Registry();
    const tunnels = { decapsulated: { vxlan: 3 }, notDecoded: { 'tunnel-too-deep': 2 } };
    const metrics = new PipelineMetrics(registry, 'test', () => ({
      decode: sink.decoder.reasonCounts(), tunnels, table: table.stats, liveFlows: 0, dns: { responses: 0, failures: 0, mappings: 0, lastFailure: '' }, dnsCacheAddresses: 0, captures: [],
    }));
    metrics.refresh();
    const series = exposedSeries(await registry.metrics());
    expect(series.get('flowaudit_tunnel_packets_total{tunnel="vxlan"}')).toBe(3);
    expect(series.get('flowaudit_tunnel_decode_errors_total{reason="tunnel-too-deep"}')).toBe(2);
    expect(series.get('flowaudit_packets_total')).toBe(3);
  });

  it('keeps each flow\'s tunnel through table growth, and a reused slot forgets it', () => {
    const recording = new RecordingSink();
    const flows = recording.flows;
    const grown = new FlowTable(recording, { payloadLimit: 0, initialCapacity: 2 });
    const packets = new PacketFlowSink(grown);
    const feed = (frame: Buffer, at: number) => packets.onPacket(frame, 0, frame.length, frame.length, LINKTYPE.Ethernet, at, 0);
    // Ten pod flows in VXLAN (VNI = the flow's number), more than the table's first two slots.
    for (let i = 0; i < 10; i++) {
      const pod = ethernet(ipv4({ src: POD_A, dst: POD_B, protocol: 6, payload: tcp({ srcPort: 41000 + i, dstPort: 8443, flags: TCP_FLAGS.SYN }) }), { etherType: ETHERTYPE.Ipv4 });
      feed(udpBetweenNodes(4789, Buffer.concat([vxlanHeader(i), pod])), 1_700_000_000);
    }
    grown.flush();
    const inner = flows.filter((f) => f.protocol === 6);
    expect(inner.map((f) => [f.client.port - 41000, f.tunnel?.id])).toEqual(Array.from({ length: 10 }, (_, i) => [i, i]));
    // Every flow ended: a plain flow now takes a slot a tunneled one had.
    flows.length = 0;
    feed(ethernet(ipv4({ src: POD_A, dst: POD_B, protocol: 6, payload: tcp({ srcPort: 50000, dstPort: 8443, flags: TCP_FLAGS.SYN }) }), { etherType: ETHERTYPE.Ipv4 }), 1_700_000_100);
    grown.flush();
    expect(flows.map((f) => [f.tunnel, f.encapsulates])).toEqual([[undefined, undefined]]);
  });
});
