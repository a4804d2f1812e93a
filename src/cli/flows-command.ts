import { InvalidArgumentError, type Command } from 'commander';
import { FLOW_LIST_FORMATS, flowListFormat } from '../export/flow-list-formats.js';
import { LineWriter } from '../export/line-writer.js';
import { FlowPipeline } from '../pipeline/flow-pipeline.js';
import { flowTableOptions, addFlowTableOptions, tunnelPorts, type FlowTableCliOptions } from './flow-table-options.js';
import { writeRunSummary } from '../export/run-summary.js';
import { writeOut } from './output.js';
import { readCaptures } from './read-captures.js';

interface FlowsOptions extends FlowTableCliOptions {
  format: string;
  keepGoing?: boolean;
  quiet?: boolean;
}

const NAMES = FLOW_LIST_FORMATS.map((f) => f.name);
/** "table, json or ndjson" */
const FORMAT_NAMES = `${NAMES.slice(0, -1).join(', ')} or ${NAMES[NAMES.length - 1]}`;

export function registerFlowsCommand(program: Command): void {
  const command = program
    .command('flows')
    .description('list the bidirectional flows in captures (pcap, pcapng, gzip, or - for stdin), with who initiated each')
    .argument('<files...>', 'capture files, read in order as one trace')
    .option('-f, --format <format>', FORMAT_NAMES, parseFormat, 'table')
    .option('-k, --keep-going', 'on a damaged file, warn and keep the packets before the damage')
    .option('-q, --quiet', 'no summary or progress on stderr');
  // Listing flows needs no payload: keep none unless asked (it shows as payload_kept).
  addFlowTableOptions(command, 0);
  command.action(async (files: string[], options: FlowsOptions) => {
    const format = flowListFormat(options.format)!;
    const lines = new LineWriter();
    const listing = format.open((line) => lines.add(line));
    // Flows streamed to the terminal the progress line is drawn on would run into it.
    const noProgress = options.quiet === true || (format.streams && process.stdout.isTTY === true);
    const pipeline = new FlowPipeline(listing, { table: flowTableOptions(options), tunnelPorts: tunnelPorts(options) });
    const result = await readCaptures(files, pipeline, options.keepGoing === true, noProgress);
    await lines.end();
    const rest = listing.finish(result);
    if (rest !== '') await writeOut(rest);
    writeRunSummary(result, options.quiet === true);
  });
}

function parseFormat(value: string): string {
  if (flowListFormat(value) === undefined) throw new InvalidArgumentError(`expected ${FORMAT_NAMES}`);
  return value;
}
