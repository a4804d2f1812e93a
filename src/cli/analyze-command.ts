import { InvalidArgumentError, type Command } from 'commander';
import type { NdjsonRecords } from '../export/report-format.js';
import { addFlowTableOptions, type FlowTableCliOptions } from './flow-table-options.js';
import { addIdentityOptions, type IdentityCliOptions } from './identity-options.js';
import { requireOptions } from './option-errors.js';
import { collect, nonNegativeNumber, positiveInteger } from './option-parsers.js';

export interface AnalyzeOptions extends FlowTableCliOptions, IdentityCliOptions {
  rules: string;
  output: string[];
  ndjsonRecords: NdjsonRecords;
  failOnUnverified?: boolean;
  keepGoing?: boolean;
  quiet?: boolean;
  dnsGrace: number;
  metricsFile?: string;
  maxGroups: number;
}

/**
 * Finding groups the summary shows unless asked for more: with three lines a group, the summary
 * stays within 57 lines besides the matrix's connections (src/export/audit-text.ts).
 */
const DEFAULT_MAX_GROUPS = 15;

export function registerAnalyzeCommand(program: Command): void {
  const command = program
    .command('analyze')
    .description('audit the flows in captures against a connection matrix; exit 0 compliant, 1 violations, 2 bad input')
    .argument('<files...>', 'capture files (pcap, pcapng, gzip, - for stdin), read in order as one trace')
    .option('-r, --rules <file|profile>', 'rules file, or a shipped profile name (flowaudit rules list)')
    .option('-o, --output <path>', 'also write a report; format by extension: .txt (summary), .json (full), .ndjson (records), .xml (JUnit)', collect, [])
    .option('--ndjson-records <which>', 'NDJSON records: flows (every flow) or violations', parseRecords, 'flows')
    .option('--fail-on-unverified', 'count flows whose required security could not be proven as violations')
    .option('-k, --keep-going', 'on a damaged capture, warn and keep the packets before the damage')
    .option('--metrics-file <path>', 'also write Prometheus metrics in text format (for node_exporter\'s textfile collector)')
    .option('--dns-grace <seconds>', 'how long past its TTL a DNS answer still names its address', nonNegativeNumber, 600)
    .option('--max-groups <n>', 'finding groups the summary shows, most important first (a JSON report has them all)', positiveInteger, DEFAULT_MAX_GROUPS)
    .option('-q, --quiet', 'no capture summary or progress on stderr');
  addIdentityOptions(command);
  addFlowTableOptions(command);
  requireOptions(command, '--rules');
  // The audit's modules (YAML, JSON Schema, Prometheus) load when it runs, not at every start.
  command.action(async (files: string[], options: AnalyzeOptions) => (await import('./audit-commands.js')).runAnalyze(files, options));
}

function parseRecords(value: string): NdjsonRecords {
  if (value === 'flows' || value === 'violations') return value;
  throw new InvalidArgumentError('expected flows or violations');
}
