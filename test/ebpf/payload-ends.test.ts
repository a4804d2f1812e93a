/**
 * Where the payload the kernel sends for a flow direction ends: a TLS direction after the header
 * of the record that ends its handshake (TLS 1.3 and 1.2, each direction spanning several
 * segments at MTU 300, 64 KiB of application data after it), a plaintext one at the payload
 * limit, and a DNS answer over TCP whole. Each stream equals what the flow table keeps of the
 * same connection on a tcpdump recording in the client pod.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDnsTcpMessages } from '../../src/decode/dns-message.js';
import type { LoaderCounters, LoaderFlow, LoaderPayload } from '../../src/engine/loader-events.js';
import type { FlowRecord } from '../../src/flow/flow-record.js';
import { readFlows } from '../../src/pipeline/read-flows.js';
import { dnsOf } from '../support/dns-messages.js';
import { gate } from '../support/tshark.js';
import { ebpfUnavailable, flowKeyText, LoaderProcess, streamOf } from './loader-process.js';
import { NODE_BRIDGE_ADDRESS, PODS, PodLab, sleep, type PodName } from './pod-lab.js';
import { DNS_TCP_CLIENT, DNS_TCP_SERVER, HTTP_SERVER, writeServerCertificate } from './traffic.js';
import { newTempDir, type TempDir } from '../support/temp-dir.js';

const g = gate(ebpfUnavailable());
const LIMIT = 4096;
const DNS_RECORDS = 60;
const TLS_APPLICATION_DATA = 23;

interface Streams {
  readonly toServer: Buffer;
  readonly toClient: Buffer;
  /** Payload chunks each way. */
  readonly chunks: { readonly toServer: number; readonly toClient: number };
}

describe.skipIf(g.skip)(`eBPF engine: where each direction's payload ends${g.suffix}`, () => {
  let lab: PodLab;
  let loader: LoaderProcess;
  let dir: TempDir;
  /** By server port and TLS version (8443/1.3, 8443/1.2, 8081, 53): the loader's streams and the flow table's. */
  const loaderStreams = new Map<string, Streams>();
  const tableStreams = new Map<string, { toServer: Buffer; toClient: Buffer }>();
  const clients = new Map<string, string>();

  beforeAll(async () => {
    g.assertAvailable();
    dir = newTempDir('ebpf-payload');
    writeFileSync(dir.file('big.bin'), Buffer.alloc(64 << 10, 'flowaudit '));
    writeServerCertificate(dir.path);
    lab = await PodLab.create();
    lab.spawn('b2', ['sh', '-c', `cd ${dir.path} && exec openssl s_server -accept 8443 -WWW -cert cert.pem -key key.pem`]);
    lab.spawn('node', ['python3', '-c', HTTP_SERVER, NODE_BRIDGE_ADDRESS, '8081', dir.path]);
    lab.spawn('r1', ['python3', '-c', DNS_TCP_SERVER, String(DNS_RECORDS)]);
    await lab.waitListening('b2', 'tcp', 8443);
    await lab.waitListening('node', 'tcp', 8081);
    await lab.waitListening('r1', 'tcp', 53);
    loader = await LoaderProcess.start(['-i', 'fa-e-*', '--payload-limit', String(LIMIT)]);
    for (const name of ['fa-e-br', PODS.b1.veth, PODS.b2.veth, PODS.r1.veth]) await loader.waitInterface(name, true);
    const captures = [await lab.tcpdump('b1', dir.file('b1.pcap')), await lab.tcpdump('b2', dir.file('b2.pcap'))];
    // One connection at a time, each known by its client port (the order of the SYNs).
    const exchanges: [string, PodName, string[]][] = [
      ['8443/1.3', 'b1', ['curl', '-sk', '--max-time', '10', '--tlsv1.3', '-o', '/dev/null', `https://${PODS.b2.address}:8443/big.bin`]],
      ['8443/1.2', 'b1', ['curl', '-sk', '--max-time', '10', '--tls-max', '1.2', '-o', '/dev/null', `https://${PODS.b2.address}:8443/big.bin`]],
      ['8081', 'b1', ['curl', '-s', '--max-time', '10', '-o', '/dev/null', `http://${NODE_BRIDGE_ADDRESS}:8081/big.bin`]],
      ['53', 'b2', ['python3', '-c', DNS_TCP_CLIENT, PODS.r1.address]],
    ];
    for (const [name, pod, args] of exchanges) {
      const r = lab.exec(pod, args);
      if (r.status !== 0) throw new Error(`${name} from ${pod} failed: ${r.stderr.trim()}`);
      await sleep(200); // its last ACKs, before the next connection's SYN
    }
    for (const c of captures) await c.stop();
    expect(await loader.stop()).toEqual({ code: 0, signal: null });

    const tcp = loader.lastFlows().filter((f) => f.key.protocol === 6).sort((x, y) => x.firstSeen - y.firstSeen);
    expect(tcp).toHaveLength(exchanges.length);
    const chunks = loader.events.filter((e): e is LoaderPayload => e.kind === 'payload');
    tcp.forEach((f: LoaderFlow, i) => {
      const clientIsA = f.synSide === 'a';
      const client = clientIsA ? f.key.a : f.key.b;
      const count = (bToA: boolean) => chunks.filter((c) => flowKeyText(c) === flowKeyText(f) && c.bToA === bToA).length;
      clients.set(`${client.address}:${client.port}`, exchanges[i][0]);
      loaderStreams.set(exchanges[i][0], {
        toServer: streamOf(chunks, flowKeyText(f), !clientIsA),
        toClient: streamOf(chunks, flowKeyText(f), clientIsA),
        chunks: { toServer: count(!clientIsA), toClient: count(clientIsA) },
      });
    });
    await readFlows([dir.file('b1.pcap'), dir.file('b2.pcap')], {
      onFlow(r: FlowRecord) {
        const name = clients.get(`${r.client.address}:${r.client.port}`);
        if (name !== undefined && r.protocol === 6) tableStreams.set(name, { toServer: Buffer.from(r.toServer.payload), toClient: Buffer.from(r.toClient.payload) });
      },
    }, { table: { payloadLimit: LIMIT, plainPayloadLimit: LIMIT } });
  }, 120_000);

  afterAll(async () => {
    await loader?.stop('SIGKILL');
    await lab?.destroy();
    dir?.remove();
  });

  it('sends the same bytes of every direction as the flow table keeps, and loses none', () => {
    expect([...tableStreams.keys()].sort()).toEqual(['53', '8081', '8443/1.2', '8443/1.3']);
    for (const [name, table] of tableStreams) {
      const sent = loaderStreams.get(name)!;
      expect({ name, toServer: sent.toServer.toString('hex') }).toEqual({ name, toServer: table.toServer.toString('hex') });
      expect({ name, toClient: sent.toClient.toString('hex') }).toEqual({ name, toClient: table.toClient.toString('hex') });
    }
    const counters = loader.events.filter((e): e is LoaderCounters => e.kind === 'counters').at(-1)!;
    expect(counters.ringReserveFailed).toBe(0);
  });

  it('stops a TLS direction after the header of its first application data record (1.3 and 1.2), well before the limit', () => {
    for (const name of ['8443/1.3', '8443/1.2']) {
      const sent = loaderStreams.get(name)!;
      for (const stream of [sent.toServer, sent.toClient]) {
        expect(stream[0]).toBe(22); // a handshake record first
        expect(stream[stream.length - 5]).toBe(TLS_APPLICATION_DATA);
        expect(stream.length).toBeLessThan(LIMIT / 2);
      }
      // The walk followed record headers across segments (MTU 300 on the bridge pods).
      expect(sent.chunks.toServer).toBeGreaterThan(1);
    }
    // TLS 1.2's server flight is plaintext: certificate and all, over several segments.
    expect(loaderStreams.get('8443/1.2')!.chunks.toClient).toBeGreaterThan(1);
    expect(loaderStreams.get('8443/1.2')!.toClient.length).toBeGreaterThan(loaderStreams.get('8443/1.3')!.toClient.length);
  });

  it('sends a plaintext direction up to the payload limit', () => {
    const http = loaderStreams.get('8081')!;
    expect(http.toServer.subarray(0, 4).toString()).toBe('GET ');
    expect(http.toClient.length).toBe(LIMIT);
  });

  it('sends a DNS answer over TCP whole, across segments: every record reaches user space', () => {
    const dns = loaderStreams.get('53')!;
    expect(dns.chunks.toClient).toBeGreaterThan(1);
    const [query] = parseDnsTcpMessages(dns.toServer);
    expect(dnsOf(query)).toMatchObject({ id: 0x5678, response: false, question: { name: 'fa-e.test', type: 1 } });
    const answers = parseDnsTcpMessages(dns.toClient);
    expect(answers).toHaveLength(1);
    const answer = dnsOf(answers[0]);
    expect(answer).toMatchObject({ id: 0x5678, response: true });
    expect(answer.incomplete).toBeUndefined();
    expect(answer.answers.map((a) => a.address)).toEqual(Array.from({ length: DNS_RECORDS }, (_, i) => `192.0.2.${i + 1}`));
  });
});
