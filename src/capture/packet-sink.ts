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
  /** For a gzip stream error: the compressed bytes zlib had consumed when it failed. */
  readonly compressedOffset?: number;
}

/**
 * What a reader read past rather than stop at, counted per kind with where it first occurs:
 * breaks of the format that tshark and tcpdump too read with a warning, and entries past a
 * memory bound.
 */
export interface CaptureWarning {
  readonly kind: 'pcap-version' | 'captured-length-exceeds-original' | 'fraction-out-of-range' | 'names-not-kept';
  /** Where the first one is. */
  readonly offset: number;
  /** The first one, as a message. */
  readonly reason: string;
  count: number;
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
  warnings: CaptureWarning[];
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
    warnings: [],
  };
}

/** Counts one more warning of `kind`; the first one's offset and message, made by `reason`, are kept. */
export function addWarning(summary: CaptureSummary, kind: CaptureWarning['kind'], offset: number, reason: () => string): void {
  for (const w of summary.warnings) {
    if (w.kind === kind) {
      w.count++;
      return;
    }
  }
  summary.warnings.push({ kind, offset, reason: reason(), count: 1 });
}

/**
 * A record whose captured length exceeds its original length: tcpdump prints "Invalid header:
 * len(L) < caplen(C)" and tshark marks the frame malformed; both read it, and so do we.
 */
export function addCapturedBeyondOriginal(summary: CaptureSummary, offset: number, capturedLength: number, originalLength: number): void {
  addWarning(summary, 'captured-length-exceeds-original', offset, () => `captured length ${capturedLength} exceeds the original length ${originalLength}`);
}
