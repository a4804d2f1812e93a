import { InvalidArgumentError, type Command } from 'commander';
import { flowJsonLine } from '../export/flow-json.js';
import { LineWriter } from '../export/line-writer.js';
import { FlowTableText } from '../export/flow-table-text.js';
import type { FlowRecord } from '../flow/flow-record.js';
import { FlowPipeline } from '../pipeline/pipeline.js';
import { flowTableOptions, addFlowTableOptions, tunnelPorts, type FlowTableCliOptions } from './flow-table-options.js';
import { writeRunSummary } from '../export/run-summary.js';
import { writeOut } from './output.js';
import { readCaptures } from './read-captures.js';

interface FlowsOptions extends FlowTableCliOptions {
  format: 'table' | 'json' | 'ndjson';
  keepGoing?: boolean;
  quiet?: boolean;
}

export function registerFlowsCommand(program: Command): void {
  const command = program
    .command('flows')
    .description('list the bidirectional flows in captures (pcap, pcapng, gzip, or - for stdin), with who initiated each')
    .argument('<files...>', 'capture files, read in order as one trace')
    .option('-f, --format <format>', 'table, json or ndjson', parseFormat, 'table')
    .option('-k, --keep-going', 'on a damaged file, warn and keep the packets before the damage')
    .option('-q, --quiet', 'no summary or progress on stderr');
  // Listing flows needs no payload: keep none unless asked (it shows as payloadKept).
  addFlowTableOptions(command, 0);
  command.action(async (files: string[], options: FlowsOptions) => {
    // NDJSON streams flows as they end; table and JSON are sorted by start, so they keep each
    // flow's text (never the records) until the end.
    const lines = new LineWriter();
    const table = new FlowTableText();
    const json: { readonly start: number; readonly id: number; readonly line: string }[] = [];
    const sink = {
      onFlow(flow: FlowRecord): void {
        if (options.format === 'ndjson') lines.add(flowJsonLine(flow));
        else if (options.format === 'table') table.add(flow);
        else json.push({ start: flow.firstSeen, id: flow.id, line: flowJsonLine(flow) });
      },
    };
    // NDJSON streamed to the terminal the progress line is drawn on would run into it.
    const noProgress = options.quiet === true || (options.format === 'ndjson' && process.stdout.isTTY === true);
    const pipeline = new FlowPipeline(sink, { table: flowTableOptions(options), tunnelPorts: tunnelPorts(options) });
    const result = await readCaptures(files, pipeline, options.keepGoing === true, noProgress);
    if (options.format === 'table') {
      await writeOut(table.render());
    } else if (options.format === 'json') {
      json.sort((a, b) => a.start - b.start || a.id - b.id);
      await writeOut(`{"flows":[${json.map((j) => j.line).join(',\n')}],\n${JSON.stringify(result, mapReplacer).slice(1)}\n`);
    } else {
      await lines.end();
    }
    writeRunSummary(result, options.quiet === true);
  });
}

function parseFormat(value: string): FlowsOptions['format'] {
  if (value === 'table' || value === 'json' || value === 'ndjson') return value;
  throw new InvalidArgumentError('expected table, json or ndjson');
}

/** Name-resolution maps serialise as plain objects. */
function mapReplacer(_key: string, value: unknown): unknown {
  return value instanceof Map ? Object.fromEntries(value) : value;
}
