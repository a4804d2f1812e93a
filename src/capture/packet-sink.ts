/**
 * Where capture readers deliver packets. One call per packet with plain numbers, so the hot path
 * allocates nothing: `data[offset .. offset + capturedLength)` is valid only during the call.
 */
export interface PacketSink {
  onPacket(
    data: Buffer,
    offset: number,
    capturedLength: number,
    originalLength: number,
    linkType: number,
    timestampSeconds: number,
    timestampNanos: number,
  ): void;
}

/** Per-interface counters a pcapng Interface Statistics Block reports (the last one wins). */
export interface InterfaceStatistics {
  receivedByInterface?: number;
  droppedByInterface?: number;
  droppedByOs?: number;
  acceptedByFilter?: number;
  deliveredToUser?: number;
}

export interface CaptureInterface {
  readonly linkType: number;
  readonly snapLength: number;
  name?: string;
  statistics?: InterfaceStatistics;
}

/** The damage that stopped a `--keep-going` read: everything before `offset` was delivered. */
export interface CaptureDamage {
  readonly offset: number;
  readonly reason: string;
}

/** What a whole read saw, for the run's summary. */
export interface CaptureSummary {
  readonly file: string;
  format: 'pcap' | 'pcapng' | 'unknown';
  compressed: boolean;
  packets: number;
  bytes: number;
  /** Packets whose captured length is below their length on the wire (snaplen cut them). */
  truncatedPackets: number;
  sections: number;
  interfaces: CaptureInterface[];
  /** Name Resolution Block entries: address text -> names, as the capturing tool wrote them. */
  resolvedNames: Map<string, string[]>;
  /** Blocks of types we do not interpret (custom, unknown), skipped by their length. */
  skippedBlocks: number;
  damage?: CaptureDamage;
}

export function emptySummary(file: string): CaptureSummary {
  return {
    file,
    format: 'unknown',
    compressed: false,
    packets: 0,
    bytes: 0,
    truncatedPackets: 0,
    sections: 0,
    interfaces: [],
    resolvedNames: new Map(),
    skippedBlocks: 0,
  };
}
