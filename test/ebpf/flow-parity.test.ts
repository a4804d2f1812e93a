/**
 * The eBPF engine against tcpdump on the same run: pods on a bridge and on routed veths, TLS,
 * HTTP and DNS pod to pod, pod to node and pod to outside. Every flow the loader reports (its
 * stream decoded by LoaderStreamDecoder) has the client, server, packets and IP-layer bytes per
 * direction that the flow table finds in a tcpdump recording taken inside the client pod, where
 * each packet passes once; a packet crossing two of our hooks (bridge pod to pod: two veths;
 * pod to outside: a veth and the outside link) is still counted once.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoaderFlow, LoaderPayload } from '../../src/engine/loader-events.js';
import type { FlowRecord } from '../../src/flow/flow-record.js';
import { readFlows } from '../../src/pipeline/read-flows.js';
import { gate } from '../support/tshark.js';
import { ebpfUnavailable, flowKeyText, LoaderProcess, streamOf } from './loader-process.js';
import { PODS, PodLab, sleep } from './pod-lab.js';
import { CLIENTS, makeTraffic, startServers } from './traffic.js';
import { newTempDir, type TempDir } from '../support/temp-dir.js';

const g = gate(ebpfUnavailable());
const RECORDED_STREAM = fileURLToPath(new URL('../fixtures/loader/pods.stream', import.meta.url));

interface Comparable {
  protocol: number;
  client: string;
  server: string;
  toServer: { packets: number; bytes: number };
  toClient: { packets: number; bytes: number };
}

function fromLoader(f: LoaderFlow): Comparable {
  // TCP: the SYN's sender is the client; UDP: the DNS server's port 53 side is the server.
  const clientIsA = f.synSide !== null ? f.synSide === 'a' : f.key.b.port === 53;
  const [c, s] = clientIsA ? [f.key.a, f.key.b] : [f.key.b, f.key.a];
  const [up, down] = clientIsA ? [f.aToB, f.bToA] : [f.bToA, f.aToB];
  return {
    protocol: f.key.protocol,
    client: `${c.address}:${c.port}`,
    server: `${s.address}:${s.port}`,
    toServer: { packets: up.packets, bytes: up.bytes },
    toClient: { packets: down.packets, bytes: down.bytes },
  };
}

function fromRecord(r: FlowRecord): Comparable {
  return {
    protocol: r.protocol,
    client: `${r.client.address}:${r.client.port}`,
    server: `${r.server.address}:${r.server.port}`,
    toServer: { packets: r.toServer.packets, bytes: r.toServer.bytes },
    toClient: { packets: r.toClient.packets, bytes: r.toClient.bytes },
  };
}

describe.skipIf(g.skip)(`eBPF engine: flows, initiators and counts equal tcpdump's${g.suffix}`, () => {
  let lab: PodLab;
  let loader: LoaderProcess;
  let dir: TempDir;
  const reference: FlowRecord[] = [];
  const payloads = new Map<string, { toServer: Buffer; toClient: Buffer }>();

  beforeAll(async () => {
    g.assertAvailable();
    dir = newTempDir('ebpf-parity');
    lab = await PodLab.create();
    await startServers(lab, dir.path);
    loader = await LoaderProcess.start(['-i', 'fa-e-*']);
    for (const name of ['fa-e-br', ...Object.values(PODS).map((p) => p.veth)]) await loader.waitInterface(name, true);
    const captures = await Promise.all(CLIENTS.map((pod) => lab.tcpdump(pod, dir.file(`${pod}.pcap`))));
    makeTraffic(lab);
    await sleep(500); // the last ACKs
    for (const c of captures) await c.stop();
    expect(await loader.stop()).toEqual({ code: 0, signal: null });
    // The recorded stream test/engine/loader-stream.test.ts replays (Do not edit; remade by this flag).
    if (process.env.FLOWAUDIT_UPDATE_FIXTURES === '1') writeFileSync(RECORDED_STREAM, Buffer.concat(loader.raw));
    for (const pod of CLIENTS) {
      await readFlows([dir.file(`${pod}.pcap`)], {
        onFlow(r) {
          // Each flow from its client's recording (a server pod's recording has it too).
          if ((r.protocol !== 6 && r.protocol !== 17) || r.client.address !== PODS[pod].address) return;
          reference.push(r);
          payloads.set(`${r.client.address}:${r.client.port}`, { toServer: Buffer.from(r.toServer.payload), toClient: Buffer.from(r.toClient.payload) });
        },
      }, { table: { payloadLimit: 4096 } });
    }
  }, 120_000);

  afterAll(async () => {
    await loader?.stop('SIGKILL');
    await lab?.destroy();
    dir?.remove();
  });

  it('decodes the whole stream without a problem', () => {
    expect(loader.problems.map(String)).toEqual([]);
    expect(loader.stderr).toBe('');
  });

  it('reports the flows of the recording, with their initiators and per-direction packets and bytes', () => {
    const sort = (a: Comparable, b: Comparable) => a.client.localeCompare(b.client);
    const ebpf = loader.lastFlows().filter((f) => f.key.protocol === 6 || f.key.protocol === 17).map(fromLoader).sort(sort);
    const pcap = reference.map(fromRecord).sort(sort);
    expect(pcap.map((f) => `${f.client.split(':')[0]} -> ${f.server}`).sort()).toEqual([
      '10.237.1.11 -> 10.237.1.12:8443', // TLS, bridge pod to pod
      '10.237.1.11 -> 10.237.1.1:8081', // pod to node
      '10.237.1.12 -> 10.237.2.11:53', // DNS, bridge pod to routed pod
      '10.237.2.11 -> 10.237.2.12:8080', // routed pod to pod
      '10.237.2.12 -> 10.237.9.2:8082', // pod to outside
    ]);
    expect(ebpf).toEqual(pcap);
    expect(loader.lastFlows().every((f) => f.end === 'stop')).toBe(true);
  });

  it('says a TCP flow was opened by the side that sent the SYN, and the SYN-ACK came from the other', () => {
    for (const f of loader.lastFlows().filter((f) => f.key.protocol === 6)) {
      expect(f.synSide).not.toBeNull();
      expect(f.synAckSide).toBe(f.synSide === 'a' ? 'b' : 'a');
    }
  });

  it('skips the second hook of packets that cross two (pod to pod on the bridge, pod to outside) and counts nothing dropped', () => {
    const counters = loader.events.filter((e) => e.kind === 'counters').at(-1)!;
    expect(counters.kind === 'counters' && counters.duplicateHook).toBeGreaterThan(0);
    expect(counters).toMatchObject({ ringReserveFailed: 0, mapFull: 0, evicted: 0, truncated: 0 });
  });

  it('sends the first payload bytes of each direction: the TLS ClientHello and ServerHello flight, the DNS query and answer', () => {
    const chunks = loader.events.filter((e): e is LoaderPayload => e.kind === 'payload');
    let compared = 0;
    for (const f of loader.lastFlows().filter((f) => f.key.protocol === 6 || f.key.protocol === 17)) {
      const c = fromLoader(f);
      const ts = payloads.get(c.client)!;
      const clientIsA = c.client === `${f.key.a.address}:${f.key.a.port}`;
      const toServer = streamOf(chunks, flowKeyText(f), !clientIsA);
      const toClient = streamOf(chunks, flowKeyText(f), clientIsA);
      // The same bytes as the flow table keeps: each exchange is below the limit, one datagram
      // each way, and a TLS direction stops after the header of its first application data record.
      expect(ts.toServer.length).toBeGreaterThan(0);
      expect(toServer).toEqual(ts.toServer);
      expect(toClient).toEqual(ts.toClient);
      compared++;
    }
    expect(compared).toBe(5);
    // The ClientHello crossed several segments (MTU 300 on the bridge pods).
    const tls = loader.lastFlows().find((f) => f.key.b.port === 8443 || f.key.a.port === 8443)!;
    expect(chunks.filter((c) => flowKeyText(c) === flowKeyText(tls) && c.bToA === (tls.synSide === 'b')).length).toBeGreaterThan(1);
  });
});
