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

export interface FlowDirection {
  readonly packets: number;
  /** IP-layer bytes (headers included), independent of the link layer the capture used. */
  readonly bytes: number;
  /**
   * The first payload bytes, in sequence order, at most the table's payload limit. Borrowed: valid
   * only during FlowSink.onFlow (the buffer returns to a pool after), so parse it there, or copy.
   */
  readonly payload: Buffer;
  readonly payloadStop: PayloadStop;
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
 * One bidirectional flow as the table hands it on. `client` is the initiator and `server` the
 * responder; `initiatorEvidence` says how sure that is. Times are seconds since the epoch.
 */
export interface FlowRecord {
  /** Unique within a run, in the order flows began. */
  readonly id: number;
  readonly ipVersion: 4 | 6;
  /** IANA protocol number. */
  readonly protocol: number;
  readonly client: FlowEndpoint;
  readonly server: FlowEndpoint;
  readonly initiatorEvidence: InitiatorEvidence;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly toServer: FlowDirection;
  readonly toClient: FlowDirection;
  readonly tcpState: TcpState;
  readonly endReason: FlowEndReason;
  /** True when an earlier record of the same connection ended at an active timeout. */
  readonly continued: boolean;
  /** Later IP fragments attributed to this flow through their first fragment. */
  readonly laterFragments: number;
  /** ICMP and ICMPv6 flows: the type and code of the first message (the client's). */
  readonly icmp?: { readonly type: number; readonly code: number };
  /** The tunnel that carried this flow: it was decapsulated, its addresses are the inner ones. */
  readonly tunnel?: FlowTunnel;
  /** The tunnel this flow's packets carry (TUNNEL_NAMES): it is an overlay's outer flow. */
  readonly encapsulates?: string;
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
