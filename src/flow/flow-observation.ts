/**
 * Flows as an in-kernel aggregator delivers them (the eBPF engine: a per-flow map read in
 * batches, payload bytes through a ring buffer), the flow table's second way in beside packets
 * (FlowTable.addObservation and addPayloadChunk). The shapes follow what the loader's protobuf
 * stream gives cheaply: raw 16-byte addresses, plain numbers, one Buffer per payload chunk.
 *
 * A kernel entry is one flow as the aggregator keys it, from its first packet until the kernel
 * drops it (`ended`). Its counters are cumulative over the entry's life: each observation repeats
 * them, grown. The entry's endpoints are A, the sender of its first packet, and B.
 */

/** TCP flag classes an aggregator records per direction (bits of ObservedDirection.tcpFlags). */
export const SEEN_SYN = 1;
/** SYN with ACK: the responder's answer. */
export const SEEN_SYN_ACK = 2;
export const SEEN_FIN = 4;
export const SEEN_RST = 8;

/** The flow's key as the kernel keyed it; addresses IPv4-mapped for IPv4 (::ffff:a.b.c.d). */
export interface ObservedFlowKey {
  readonly ipVersion: 4 | 6;
  /** IANA protocol number. */
  readonly protocol: number;
  /** The sender of the entry's first packet: 16 bytes, network order. */
  readonly addressA: Uint8Array;
  /** TCP, UDP and SCTP ports; for ICMP the message's port equivalents (src/decode/icmp-port-equivalents.ts). */
  readonly portA: number;
  readonly addressB: Uint8Array;
  readonly portB: number;
}

/** One direction's cumulative counters. */
export interface ObservedDirection {
  readonly packets: number;
  /** IP-layer bytes (headers included), as the packet path counts them. */
  readonly bytes: number;
  /** SEEN_* bits of every packet so far. */
  readonly tcpFlags: number;
}

/** A kernel entry's counters as one batch read them: cumulative since the entry began. */
export interface FlowObservation extends ObservedFlowKey {
  /** The entry's first and latest packet, seconds since the epoch. */
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly aToB: ObservedDirection;
  readonly bToA: ObservedDirection;
  /** The side whose SYN (without ACK) the kernel saw first: who opened the connection. */
  readonly synFrom?: 'a' | 'b';
  /** ICMP and ICMPv6: the first message's type and code. */
  readonly icmp?: { readonly type: number; readonly code: number };
  /** Later IP fragments attributed to the flow (cumulative); 0 when the kernel does not track them. */
  readonly laterFragments?: number;
  /**
   * This is the entry's last observation: the kernel dropped it (closed, idle or map full). The
   * next observation of the same key is a new entry; the flow itself still ends by the table's
   * rules (FIN, RST, timeouts), as a flow built from packets does.
   */
  readonly ended?: boolean;
}

/**
 * Payload bytes of one direction of a flow, as the kernel copied them from one packet. Chunks of a
 * direction come in stream order (repeats and overlaps are skipped); one that starts past the bytes
 * kept so far is a gap and stops that direction, as a missing TCP segment does.
 */
export interface PayloadChunk extends ObservedFlowKey {
  /** Sent by B (else by A). */
  readonly fromB: boolean;
  /**
   * TCP: where `bytes` start in the direction's byte stream (0: its first payload byte, the one
   * after the SYN when the kernel saw it). A datagram: 0, and only a flow's first one is kept.
   */
  readonly offset: number;
  readonly bytes: Buffer;
  /**
   * The packet's payload length on the wire from `offset` on: more than bytes.length when the
   * kernel copied only part of it (the direction then stops, `snaplen`).
   */
  readonly length: number;
  /** When the packet was seen, seconds since the epoch. */
  readonly time: number;
}

/** What the table did not take of what it was given: each a count, never an exception. */
export interface ObservationStats {
  observations: number;
  chunks: number;
  /** Observations and chunks with a field out of range (address not 16 bytes, negative counter, ...): dropped. */
  rejected: number;
  /** An entry's counters went backwards, or its first packet moved: the kernel began it anew unseen (loader restart, map eviction); its counters are taken whole. */
  restarted: number;
  /** Entries whose counters were forgotten at the bound on entries without an `ended` (maxFlows). */
  forgotten: number;
}
