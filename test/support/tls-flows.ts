import type { FlowRecord, PayloadStop } from '../../src/flow/flow-record.js';
import { readFlows } from '../../src/pipeline/read-flows.js';
import { RecordingSink } from './recording-sink.js';

/** One flow of a capture with copies of its payload prefixes and what a parser made of them. */
export interface ParsedFlow<T> {
  readonly id: number;
  readonly protocol: number;
  readonly clientPort: number;
  readonly serverPort: number;
  readonly toServer: { readonly payload: Buffer; readonly payloadStop: PayloadStop };
  readonly toClient: { readonly payload: Buffer; readonly payloadStop: PayloadStop };
  readonly parsed: T;
}

/**
 * Reads a capture through the real pipeline (reader, decoder, flow table) and runs `parse` on each
 * flow, its payload prefixes copied by the recording sink; the copies are kept for later framing tests.
 */
export async function parseCaptureFlows<T>(path: string, parse: (flow: FlowRecord) => T, payloadLimit = 4096): Promise<ParsedFlow<T>[]> {
  const recording = new RecordingSink();
  await readFlows([path], recording, { table: { payloadLimit } });
  const flows = recording.flows.map((flow) => ({
    id: flow.id,
    protocol: flow.protocol,
    clientPort: flow.client.port,
    serverPort: flow.server.port,
    toServer: { payload: flow.toServer.payload, payloadStop: flow.toServer.payloadStop },
    toClient: { payload: flow.toClient.payload, payloadStop: flow.toClient.payloadStop },
    parsed: parse(flow),
  }));
  return flows.sort((a, b) => a.id - b.id);
}

/** A flow's first bytes each way, as the TLS property tests damage them. */
export interface HandshakeSeed {
  readonly client: Buffer;
  readonly server: Buffer;
}

/**
 * The real handshakes of the committed captures, one per TCP flow: openssl and curl, TLS 1.0 to
 * 1.3 (tls-handshakes.pcap), and the edge cases (tls-edge-cases.pcap: an SSLv2-format hello, a
 * warning alert before the ServerHello, a TLS 1.3 draft, a SOCKS5 exchange).
 */
export async function handshakeSeeds(): Promise<HandshakeSeed[]> {
  const seeds: HandshakeSeed[] = [];
  for (const name of ['tls-handshakes.pcap', 'tls-edge-cases.pcap']) {
    const flows = await parseCaptureFlows(new URL(`../fixtures/tls/${name}`, import.meta.url).pathname, () => null, 4096);
    for (const f of flows) seeds.push({ client: f.toServer.payload, server: f.toClient.payload });
  }
  return seeds;
}
