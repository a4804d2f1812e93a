import { InvalidArgumentError, Option, type Command } from 'commander';
import { liveCaptureUnavailable } from '../capture/live-capture.js';
import { ebpfEngineUnavailable } from '../engine/ebpf-probe.js';
import { chooseEngine, ENGINE_REQUESTS, notEthernet, type EngineRequest } from '../engine/engine-choice.js';
import { parseListen } from '../export/listen-address.js';
import { UsageError } from '../usage-error.js';
import { VERSION } from './version.js';
import { addFlowTableOptions, flowTableOptions, PLAIN_PREFIX_BYTES, tunnelPorts, type FlowTableCliOptions } from './flow-table-options.js';
import { addIdentityOptions, addLiveIdentityOptions, type IdentityCliOptions, type LiveIdentityCliOptions } from './identity-options.js';
import { requireOptions } from './option-errors.js';
import { collect, integerFrom, nonNegativeNumber, positiveInteger, positiveNumber, powerOfTwoFrom, timerSeconds } from './option-parsers.js';

interface WatchOptions extends FlowTableCliOptions, IdentityCliOptions, LiveIdentityCliOptions {
  engine: EngineRequest;
  interface: string[];
  interfaceKind: string[];
  ebpfMaxFlows?: number;
  ebpfRingBytes?: number;
  filter: string;
  snaplen: number;
  bufferSize: number;
  rules: string;
  listen: string;
  'web.config.file'?: string;
  violationLog?: string;
  violationLogMaxSize: number;
  violationLogFiles: number;
  violationsStdout?: boolean;
  flushInterval: number;
  seenWindow: number;
  dnsGrace: number;
  logLevel: string;
}

const MIB = 1 << 20;

export function registerWatchCommand(program: Command): void {
  const command = program
    .command('watch')
    .description('run as an agent: capture live, judge flows as they happen, serve Prometheus metrics, log violations (SIGHUP reloads rules, SIGTERM flushes and exits)')
    .addOption(new Option('--engine <engine>', 'ebpf: flows counted in the kernel (needs CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON, Linux 5.8+); pcap: libpcap; auto: ebpf where it can run, else pcap').choices(ENGINE_REQUESTS).default('auto'))
    .option('-i, --interface <name>', 'interface to capture on, or "any" (repeatable); with the eBPF engine a pattern such as \'veth*\', followed as interfaces come and go', collect, [])
    .option('--interface-kind <kind>', 'eBPF engine: also attach to every interface of this link kind, e.g. veth (repeatable)', collect, [])
    // The loader's own bounds (native/flowaudit.c); the memory each costs: docs/ebpf.md "Maps".
    .option('--ebpf-max-flows <n>', 'eBPF engine: entries of the kernel flow map, preallocated at 208 bytes each (default 65536: 13 MiB)', integerFrom(1024, 16_777_216))
    .option('--ebpf-ring-bytes <bytes>', 'eBPF engine: size of the payload ring buffer, a power of two (default 1048576)', powerOfTwoFrom(4096, 1_073_741_824))
    .option('-r, --rules <file|profile>', 'rules file, or a shipped profile name (flowaudit rules list)')
    .option('-f, --filter <bpf>', 'BPF capture filter (pcap-filter syntax)', '')
    .option('--snaplen <bytes>', 'bytes captured per packet (TLS handshakes need whole segments)', positiveInteger, 65535)
    .option('--buffer-size <MiB>', 'kernel capture buffer per interface', positiveInteger, 32)
    .option('--listen <[host]:port>', 'address of /metrics, /healthz and /readyz', checkListen, ':9847')
    .option('--web.config.file <file>', 'exporter-toolkit web config: TLS, client certificates, basic auth')
    .option('--violation-log <file>', 'append violation records (NDJSON, as analyze writes them) to this file')
    .option('--violation-log-max-size <MiB>', 'rotate the violation log at this size', positiveInteger, 100)
    .option('--violation-log-files <n>', 'rotated violation logs kept', nonNegativeInteger, 5)
    .option('--violations-stdout', 'also write violation records to stdout')
    .option('--flush-interval <seconds>', 'longest a violation record waits before it is written', timerSeconds, 1)
    .option('--seen-window <seconds>', 'an expected connection counts as seen (flowaudit_rule_seen) if used this recently', positiveNumber, 600)
    .option('--dns-grace <seconds>', 'how long past its TTL a DNS answer still names its address', nonNegativeNumber, 600)
    .option('--log-level <level>', 'log level: fatal, error, warn, info, debug', 'info');
  addIdentityOptions(command);
  addLiveIdentityOptions(command);
  addFlowTableOptions(command);
  requireOptions(command, '--rules');
  command.action(async (options: WatchOptions, given: Command) => {
    if (options.interface.length === 0) throw new UsageError('watch: name an interface to capture on: --interface NAME (or any)');
    // The agent's modules (Prometheus, pino, TLS, YAML) load when it runs, not at every start.
    const { loadWebConfig } = await import('../export/web-config.js');
    // Checked whole before anything starts: a bad header or key pair is exit 2 here, not a crash later.
    const webConfig = options['web.config.file'] === undefined ? undefined : loadWebConfig(options['web.config.file']);
    const choice = chooseEngine(options.engine, {
      ebpfUnavailable: options.engine === 'pcap' ? null : ebpfEngineUnavailable(),
      captureFilter: options.filter !== '',
      notFollowed: options.engine === 'pcap' ? null : notEthernet(options.interface),
    });
    if (choice.engine === null) throw new UsageError(`watch --engine ebpf: ${choice.why}`);
    if (choice.engine === 'ebpf') {
      // Options of libpcap's capture that the eBPF engine has no use for: said, not ignored.
      for (const [name, key] of [['--snaplen', 'snaplen'], ['--buffer-size', 'bufferSize']] as const) {
        if (given.getOptionValueSource(key) === 'cli') throw new UsageError(`watch: ${name} is libpcap's; the engine is ebpf (${choice.why})`);
      }
    }
    if (choice.engine === 'pcap') {
      const ebpfOnly = [['--interface-kind', options.interfaceKind.length > 0], ['--ebpf-max-flows', options.ebpfMaxFlows !== undefined], ['--ebpf-ring-bytes', options.ebpfRingBytes !== undefined]] as const;
      for (const [name, given] of ebpfOnly) if (given) throw new UsageError(`watch: ${name} needs the eBPF engine; the engine is pcap (${choice.why})`);
      const unavailable = liveCaptureUnavailable();
      if (unavailable !== null) throw new UsageError(unavailable);
    }
    // Read and checked before anything starts: a missing service account or a bad kubeconfig is exit 2 here.
    const kubernetes = options.kubernetes === true || options.kubeconfig !== undefined ? await import('../identity/kubernetes-identities.js') : undefined;
    const liveIdentities = kubernetes?.kubernetesIdentities(options.kubeconfig);
    const { Agent, agentLogger, ebpfSources, libpcapSources, LoaderStartError, runUntilSignalled } = await import('../agent/index.js');
    const log = agentLogger(options.logLevel);
    const sources =
      choice.engine === 'ebpf'
        ? ebpfSources({ interfaces: options.interface, kinds: options.interfaceKind, maxFlows: options.ebpfMaxFlows, ringBytes: options.ebpfRingBytes })
        : libpcapSources(options.interface.map((name) => ({ interface: name, filter: options.filter, snaplen: options.snaplen, bufferBytes: options.bufferSize * MIB })));
    const start = Agent.start({
      sources,
      rules: options.rules,
      identities: options,
      ...(liveIdentities === undefined ? {} : { liveIdentities }),
      table: { ...flowTableOptions(options), plainPayloadLimit: PLAIN_PREFIX_BYTES },
      tunnelPorts: tunnelPorts(options),
      listen: options.listen,
      ...(webConfig === undefined ? {} : { webConfig }),
      ...(options.violationLog === undefined ? {} : { violationLog: { path: options.violationLog, maxBytes: options.violationLogMaxSize * MIB, maxFiles: options.violationLogFiles } }),
      violationsToStdout: options.violationsStdout === true,
      flushIntervalSeconds: options.flushInterval,
      seenWindowSeconds: options.seenWindow,
      dnsGraceSeconds: options.dnsGrace,
      version: VERSION,
    }, log);
    // A loader that dies before it starts (a capability the probe could not see, a kernel that refuses the programs): one line, exit 2.
    // So does an API server that refuses the service account (401, 403: a missing ClusterRole).
    const agent = await start.catch((err: unknown) => {
      if (err instanceof LoaderStartError) throw new UsageError(`watch --engine ${options.engine}: ${err.message}`);
      if (kubernetes !== undefined && err instanceof kubernetes.KubernetesApiError) throw new UsageError(`watch --kubernetes: ${err.message}`);
      throw err;
    });
    // Logged once started: a start that fails says only its one error line.
    log.info({ engine: choice.engine, why: choice.why }, 'engine chosen');
    await runUntilSignalled(agent, log);
  });
}

function checkListen(value: string): string {
  try {
    parseListen(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return value;
}

function nonNegativeInteger(value: string): number {
  return value === '0' ? 0 : positiveInteger(value);
}
