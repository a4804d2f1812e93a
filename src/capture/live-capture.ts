/**
 * Live capture with libpcap, through the optional dependency `cap` 0.2.1 as patched by
 * patches/cap+0.2.1.patch (applied and rebuilt by the postinstall script). The patch keeps the
 * receive buffer referenced from C++, adds stats() (pcap_stats), passes each packet's timestamp
 * and wire length, takes the snaplen, and turns a vanished interface into an 'error' event
 * instead of an abort. Packets go to the same PacketSink the file readers feed.
 *
 * `cap` is loaded lazily, at the first open() or liveCaptureUnavailable(), so this module loads
 * where cap is not installed (libpcap-dev was missing at `npm ci`, and npm skips a failed optional
 * dependency). FLOWAUDIT_CAP_MODULE, if set, names the module loaded instead of "cap" (a path or a
 * package name); the tests use it to simulate a missing or unpatched cap. It is read once.
 *
 * Capture runs on the main thread's event loop (cap polls libpcap's descriptor with libuv there;
 * the addon does not load in worker threads).
 */
import { createRequire } from 'node:module';
import type { PacketSink } from './packet-sink.js';

export interface LiveCaptureOptions {
  /** e.g. "eth0", "br0" or "any". */
  readonly interface: string;
  /** BPF filter (pcap-filter(7)), "" for none. */
  readonly filter: string;
  /** Bytes kept per packet, link-layer header included (1 to 262144). */
  readonly snaplen: number;
  /** Kernel capture buffer (the TPACKET_V3 ring) in bytes; the kernel may round it. */
  readonly bufferBytes: number;
}

/** libpcap's counters since open(), kept as plain numbers (pcap_stats' 32-bit counters wrap). */
export interface LiveCaptureStats {
  /** ps_recv: packets that passed the filter, including those dropped for lack of ring space. */
  readonly received: number;
  /** ps_drop: packets that passed the filter but found the ring full. */
  readonly droppedByKernel: number;
  /** ps_ifdrop: packets the interface dropped (rx_dropped since open; 0 for "any"). */
  readonly droppedByInterface: number;
}

/** A capture that cannot open or stopped; the message is one line starting with the interface. */
export class LiveCaptureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LiveCaptureError';
  }
}

/** What the patched cap offers (see patches/cap+0.2.1.patch). */
interface CapStats {
  readonly ps_recv: number;
  readonly ps_drop: number;
  readonly ps_ifdrop: number;
}

interface CapHandle {
  /** Returns cap's link type name. Throws libpcap's message. */
  open(device: string, filter: string, bufferBytes: number, buffer: Buffer, snaplen: number, immediate: boolean): string;
  stats(): CapStats;
  close(): boolean;
  on(event: 'packet', listener: (capturedLength: number, truncated: boolean, seconds: number, nanos: number, wireLength: number) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeAllListeners(): unknown;
}

interface CapModule {
  readonly Cap: new () => CapHandle;
}

const CAP_MODULE_ENV = 'FLOWAUDIT_CAP_MODULE';
const INSTALL_HINT = 'live capture needs libpcap: apt-get install libpcap-dev (dnf install libpcap-devel), then npm ci';
/**
 * libpcap's words when the kernel refuses the packet socket (socket(AF_PACKET) gives EPERM without
 * CAP_NET_RAW; PCAP_ERROR_PERM's text says "permission").
 */
const PERMISSION_DENIED = /operation not permitted|permission/i;
const PRIVILEGE_HINT =
  'live capture needs the CAP_NET_RAW capability: run as root, or grant it (setcap cap_net_raw+ep on the node binary; in Kubernetes, securityContext.capabilities.add: [NET_RAW])';
const MAX_SNAPLEN = 262144;
/** Often enough that no pcap_stats counter wraps unseen (2^32 packets at 14.9 Mpps take 288 s). */
const STATS_REFRESH_MS = 60_000;

let loaded: CapModule | string | undefined;

/**
 * No cap handle may be collected: the patched cap's native destructor (~Pcap, run when GC
 * collects a handle) calls node::EmitAsyncDestroy from V8's weak callback, which crashes the
 * process (SIGSEGV) when an allocation started the collection: fewer than 100 captures opened,
 * closed and dropped under allocation pressure were enough. So every handle that was opened is
 * kept here once closed, without its listeners (the receive buffer and the sink can go), until
 * the process exits: an agent reopens a flapping interface once per 30 s at most. A handle whose
 * open failed holds nothing and is reused by the next open (`spareHandle`), so retries against
 * a missing interface keep nothing.
 */
const closedHandles: CapHandle[] = [];
let spareHandle: CapHandle | undefined;

function loadCap(): CapModule | string {
  if (loaded !== undefined) return loaded;
  const id = process.env[CAP_MODULE_ENV] || 'cap';
  const require = createRequire(import.meta.url);
  try {
    require.resolve(id);
  } catch {
    return (loaded = `${INSTALL_HINT} (the optional dependency cap is not installed)`);
  }
  try {
    const mod = require(id) as Partial<CapModule>;
    if (typeof mod.Cap !== 'function') return (loaded = `${INSTALL_HINT} (${id} is not the cap module)`);
    if (typeof mod.Cap.prototype.stats !== 'function') {
      return (loaded = 'cap is installed without flowaudit\'s patch (patches/cap+0.2.1.patch): run npm ci, or npx patch-package && npm rebuild cap');
    }
    return (loaded = mod as CapModule);
  } catch (err) {
    return (loaded = `${INSTALL_HINT} (cap did not load: ${firstLine(err)})`);
  }
}

/**
 * Null when live capture can work (the patched cap loaded), else one line saying what to install.
 * Privileges (CAP_NET_RAW) and interfaces are only checked by LiveCapture.open(), whose error
 * names the capability when the kernel refuses it.
 */
export function liveCaptureUnavailable(): string | null {
  const cap = loadCap();
  return typeof cap === 'string' ? cap : null;
}

/** cap's names for pcap_datalink() values, as the LINKTYPE_ numbers capture files use. */
const LINK_TYPES = new Map<string, number>([
  ['NULL', 0],
  ['ETHERNET', 1],
  ['RAW', 101], // DLT_RAW is 12 or 14 by platform; files say LINKTYPE_RAW
  ['LINKTYPE_LINUX_SLL', 113],
  ['IEEE802_11_RADIO', 127],
]);

/** cap says "Unknown linktype N" for the others; on Linux those DLT_ values equal their LINKTYPE_. */
function linkTypeNumber(name: string): number | undefined {
  const known = LINK_TYPES.get(name);
  if (known !== undefined) return known;
  const unknown = /^Unknown linktype (\d+)$/.exec(name);
  return unknown === null ? undefined : Number(unknown[1]);
}

export class LiveCapture {
  private closed = false;
  private readonly refreshTimer: NodeJS.Timeout;
  // pcap_stats' raw 32-bit counters at the last read, and the totals they add up to.
  private rawReceived = 0;
  private rawDropped = 0;
  private rawIfDropped = 0;
  private received = 0;
  private droppedByKernel = 0;
  private droppedByInterface = 0;

  private constructor(
    private readonly handle: CapHandle,
    readonly interfaceName: string,
    readonly linkType: number,
    buffer: Buffer,
    sink: PacketSink,
    onError: ((error: LiveCaptureError) => void) | undefined,
  ) {
    // One listener for the capture's life: per packet, only numbers cross into the sink.
    handle.on('packet', (capturedLength, _truncated, seconds, nanos, wireLength) => {
      sink.onPacket(buffer, 0, capturedLength, wireLength, linkType, seconds, nanos);
    });
    handle.on('error', (error) => {
      // The patched cap emits this when polling fails (the interface went away), before it
      // closes the pcap handle: the last counters are still readable.
      this.close();
      const stopped = new LiveCaptureError(`${interfaceName}: ${lowerFirst(error.message)}`);
      if (onError === undefined) throw stopped; // like an EventEmitter 'error' without a listener
      onError(stopped);
    });
    this.refreshTimer = setInterval(() => this.refreshStats(), STATS_REFRESH_MS);
    this.refreshTimer.unref();
  }

  /**
   * Opens `options.interface` and starts delivering packets to `sink.onPacket(data, offset,
   * capturedLength, originalLength, linkType, tsSeconds, tsNanos)` from the event loop. linkType is
   * the LINKTYPE_ number (1 Ethernet, 113 Linux SLL for "any", ...), as the file readers pass it.
   *
   * libpcap runs in TPACKET_V3 (not immediate mode): the kernel hands packets over a block at a
   * time, when a block is full or 1 s old, so a quiet interface delivers up to a second late.
   *
   * `onError` hears of a capture that stopped after opening (the interface disappeared); the
   * capture is closed by then. Without it, that error is thrown from the event loop, as an
   * EventEmitter 'error' without a listener would be. Throws LiveCaptureError if it cannot open.
   */
  static open(options: LiveCaptureOptions, sink: PacketSink, onError?: (error: LiveCaptureError) => void): LiveCapture {
    const name = options.interface;
    if (!Number.isInteger(options.snaplen) || options.snaplen < 1 || options.snaplen > MAX_SNAPLEN) {
      throw new LiveCaptureError(`${name}: snaplen must be an integer from 1 to ${MAX_SNAPLEN} (got ${options.snaplen})`);
    }
    if (!Number.isInteger(options.bufferBytes) || options.bufferBytes < 1 || options.bufferBytes > 0x7fffffff) {
      throw new LiveCaptureError(`${name}: buffer size must be an integer from 1 to ${0x7fffffff} bytes (got ${options.bufferBytes})`);
    }
    const cap = loadCap();
    if (typeof cap === 'string') throw new LiveCaptureError(`${name}: ${cap}`);
    // The one receive buffer: cap copies each packet into it before calling back (the patch
    // keeps it referenced from C++ too, so it lives exactly as long as the capture).
    const buffer = Buffer.alloc(options.snaplen);
    const handle = spareHandle ?? new cap.Cap();
    spareHandle = undefined;
    let linkName: string;
    try {
      linkName = handle.open(name, options.filter, options.bufferBytes, buffer, options.snaplen, false);
    } catch (err) {
      // The patched open() closes its pcap handle on failure: the handle is as new.
      spareHandle = handle;
      const reason = lowerFirst(firstLine(err));
      throw new LiveCaptureError(`${name}: ${reason}${PERMISSION_DENIED.test(reason) ? `: ${PRIVILEGE_HINT}` : ''}`);
    }
    const linkType = linkTypeNumber(linkName);
    if (linkType === undefined) {
      handle.close();
      closedHandles.push(handle);
      throw new LiveCaptureError(`${name}: unexpected link type from cap: ${linkName}`);
    }
    return new LiveCapture(handle, name, linkType, buffer, sink, onError);
  }

  /**
   * libpcap's counters since open(). On Linux, ps_recv counts every packet that passed the filter,
   * dropped ones included, so once the ring is drained received = delivered + droppedByKernel;
   * packets still in the ring are counted but not yet delivered. After close(), the last values.
   */
  stats(): LiveCaptureStats {
    this.refreshStats();
    return { received: this.received, droppedByKernel: this.droppedByKernel, droppedByInterface: this.droppedByInterface };
  }

  /** Stops capturing (packets still in the kernel ring are not delivered). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.refreshStats();
    this.closed = true;
    clearInterval(this.refreshTimer);
    this.handle.close();
    this.handle.removeAllListeners();
    closedHandles.push(this.handle);
  }

  private refreshStats(): void {
    if (this.closed) return;
    let raw: CapStats;
    try {
      raw = this.handle.stats();
    } catch {
      return; // keep the last values: libpcap could not read its counters this time
    }
    // Unsigned 32-bit differences, so a counter that wrapped still adds what it counted.
    this.received += (raw.ps_recv - this.rawReceived) >>> 0;
    this.droppedByKernel += (raw.ps_drop - this.rawDropped) >>> 0;
    this.droppedByInterface += (raw.ps_ifdrop - this.rawIfDropped) >>> 0;
    this.rawReceived = raw.ps_recv;
    this.rawDropped = raw.ps_drop;
    this.rawIfDropped = raw.ps_ifdrop;
  }
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n', 1)[0].trim();
}

function lowerFirst(text: string): string {
  return text.length > 1 && /^[A-Z][a-z]/.test(text) ? text[0].toLowerCase() + text.slice(1) : text;
}
