import type { DirectionCounts, FlowFacts } from './flow-facts.js';

/** How the flow table decided which side opened the connection. */
export type InitiatorEvidence =
  /** The client sent the first SYN (without ACK). */
  | 'syn'
  /** No SYN was captured, but the SYN-ACK shows who answered. */
  | 'syn-ack'
  /** Mid-stream TCP: the well-known (or else lower) port is taken to be the server's. */
  | 'port-heuristic'
  /** Connectionless: the sender of the first packet seen. */
  | 'first-packet';

/** Why a flow record was emitted. */
export type FlowEndReason =
  | 'fin'
  | 'rst'
  | 'idle-timeout'
  /** A long-lived flow is reported every active-timeout interval; the next record continues it. */
  | 'active-timeout'
  /** The live-flow bound was reached and this flow was among the least recently active. */
  | 'evicted'
  /** A new SYN on the same 5-tuple started another connection. */
  | 'port-reuse'
  | 'end-of-capture'
  /**
   * Not an end: the flow is live and its evidence grew (first payload, a TLS handshake going on).
   * The live agent judges such snapshots as they happen; the flow's final record comes later.
   */
  | 'update';

export type TcpState = 'syn-sent' | 'established' | 'mid-stream' | 'fin-wait' | 'closed' | 'reset' | 'none';

/**
 * Why the kept payload prefix of a direction stops where it does: `end` the flow carried no more,
 * `limit` the prefix is full, `gap` a TCP segment was missing, `snaplen` the capture cut the
 * payload, `datagram` only the first datagram of a connectionless flow is kept, `budget` the
 * table's bound on prefix memory was reached, `tls-data` a TLS stream's handshake is over (a record
 * other than handshake, alert or change_cipher_spec begins: application data, nothing to keep).
 */
export type PayloadStop = 'end' | 'limit' | 'gap' | 'snaplen' | 'datagram' | 'budget' | 'tls-data';

export interface FlowEndpoint {
  readonly address: string;
  readonly port: number;
}

export interface FlowDirection extends DirectionCounts {
  /**
   * The first payload bytes, in sequence order, at most the table's payload limit. Borrowed: valid
   * only during FlowSink.onFlow (the buffer returns to a pool after), so parse it there, or copy.
   */
  readonly payload: Buffer;
}

/** The tunnel that carried a flow's packets (the flow was decapsulated), as of its first packet. */
export interface FlowTunnel {
  /** `vxlan`, `geneve`, `ip-in-ip`, `gre`, `erspan` or `gtp-u` (TUNNEL_NAMES). */
  readonly type: string;
  /** VNI (VXLAN, Geneve), GRE key, ERSPAN session or GTP-U TEID; undefined for IP-in-IP and GRE without a key. */
  readonly id: number | undefined;
  /** The outer addresses on the client's side and on the server's: the nodes the overlay runs between. */
  readonly outerClient: string;
  readonly outerServer: string;
}

/**
 * One bidirectional flow as the table hands it on (FlowFacts: `client` is the initiator and
 * `server` the responder), its directions with their payload prefixes.
 */
export interface FlowRecord extends FlowFacts<FlowEndpoint, FlowDirection> {
  /** IANA protocol number. */
  readonly protocol: number;
}

export interface FlowSink {
  /** A flow ended (or was cut at its active timeout): its final record. */
  onFlow(flow: FlowRecord): void;
  /**
   * A live flow's evidence changed since the last FlowTable.publishUpdates (endReason 'update').
   * Sinks that only want finished flows leave it out; the table then keeps no such state.
   */
  onFlowUpdate?(flow: FlowRecord): void;
}
