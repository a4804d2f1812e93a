/**
 * What the eBPF loader (native/flowaudit.c) reports, decoded from its stream
 * (proto/flowaudit.proto; loader-stream.ts reads it). Shaped for the flow table's way in for
 * flow records: a flow carries its key, cumulative counters per direction, TCP flags, first and
 * last time and who sent the SYN; a payload chunk its flow key, direction and stream offset.
 */

/** Both ends of a flow; `a` is the lower (address bytes, port) pair, so both directions share it. */
export interface LoaderFlowKey {
  readonly ipVersion: 4 | 6;
  /** IANA protocol number. */
  readonly protocol: number;
  readonly a: LoaderEndpoint;
  readonly b: LoaderEndpoint;
}

export interface LoaderEndpoint {
  /** Dotted quad or RFC 5952 IPv6 text. */
  readonly address: string;
  /** TCP/UDP port; for ICMP the Zeek-style type/counterpart pair (docs/ebpf.md). */
  readonly port: number;
}

export interface LoaderDirectionCounters {
  readonly packets: number;
  /** IP-layer bytes, headers included, as the flow table counts them. */
  readonly bytes: number;
  /** OR of the TCP flags seen (FIN 0x01 ... CWR 0x80). */
  readonly tcpFlags: number;
}

/** Which end of the key did something; null when neither did (no SYN seen). */
export type LoaderSide = 'a' | 'b' | null;

/**
 * `live` a snapshot of a flow still counted in the kernel; the others are final counters: `idle`
 * (idle timeout), `evicted` (the map was nearly full), `stop` (the loader stops),
 * `interface-gone` (the interface that counted it was let go), `closed` (a TCP connection that
 * closed: quiet for the loader's --closed-timeout, or its tuple reused by a new connection).
 */
export type LoaderFlowEnd = 'live' | 'idle' | 'evicted' | 'stop' | 'interface-gone' | 'closed';

export interface LoaderHello {
  readonly kind: 'hello';
  readonly schemaVersion: number;
  /** `tcx` (links, gone with the loader) or `tc` (clsact filters). */
  readonly attachMode: string;
  readonly maxFlows: number;
  readonly ringBytes: number;
  readonly payloadLimit: number;
}

export interface LoaderFlow {
  readonly kind: 'flow';
  readonly key: LoaderFlowKey;
  readonly aToB: LoaderDirectionCounters;
  readonly bToA: LoaderDirectionCounters;
  /** The sender of the first SYN without ACK: the client. */
  readonly synSide: LoaderSide;
  /** The sender of the first SYN-ACK: the server. */
  readonly synAckSide: LoaderSide;
  /** Seconds since the epoch, as FlowRecord's times. */
  readonly firstSeen: number;
  readonly lastSeen: number;
  /** The interface that counts this flow (docs/ebpf.md, "Each packet once"). */
  readonly ifIndex: number;
  readonly end: LoaderFlowEnd;
}

export interface LoaderPayload {
  readonly kind: 'payload';
  readonly key: LoaderFlowKey;
  /** true: sent by `b` to `a`. */
  readonly bToA: boolean;
  /** Stream offset of data[0]: TCP bytes after the SYN (or the first segment seen); UDP payload bytes of earlier datagrams. */
  readonly offset: number;
  readonly data: Uint8Array;
}

/** Cumulative counters of the kernel side since the loader started. */
export interface LoaderCounters {
  readonly kind: 'counters';
  readonly packets: number;
  readonly duplicateHook: number;
  readonly ringReserveFailed: number;
  readonly mapFull: number;
  readonly evicted: number;
  readonly notIp: number;
  readonly truncated: number;
  readonly fragments: number;
  readonly fragmentWithoutFirst: number;
  readonly tooManyExtHeaders: number;
  /** Closed connections whose entry a new connection's SYN took over (reported `closed`). */
  readonly reusedTuples: number;
  /** The same with the ring buffer full: the new connection was counted in the old entry. */
  readonly reuseNotSplit: number;
  /** TCP packets of connections already reported closed and removed: not taken for new flows. */
  readonly lateAfterClose: number;
  /** Entries in the kernel's flow map at the sweep that sent these counters (a gauge, not cumulative). */
  readonly mapEntries: number;
}

export interface LoaderInterface {
  readonly kind: 'interface';
  readonly ifIndex: number;
  readonly name: string;
  /** true: our programs run on it now; false: let go. */
  readonly attached: boolean;
  readonly mode: string;
}

/** A problem the loader reports and survives (an interface it could not attach to). */
export interface LoaderError {
  readonly kind: 'error';
  readonly message: string;
}

export type LoaderEvent = LoaderHello | LoaderFlow | LoaderPayload | LoaderCounters | LoaderInterface | LoaderError;

/** What the loader's events are delivered to (the pipeline's LoaderFlowMapper). */
export interface LoaderEventSink {
  handle(event: LoaderEvent): void;
}
