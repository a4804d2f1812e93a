import { InvalidArgumentError, type Command } from 'commander';
import { ComponentMatcher } from '../audit/component-matcher.js';
import { FlowJudge } from '../audit/flow-judge.js';
import type { ObservedSecurity } from '../audit/verdict.js';
import { parseAddress } from '../decode/ip-address.js';
import { addIdentityOptions, type IdentityCliOptions } from './identity-options.js';
import { requireOptions } from './option-errors.js';
import { writeOut } from './output.js';

interface FlowSpec {
  readonly clientAddress: string;
  readonly clientPort: number;
  readonly serverAddress: string;
  readonly serverPort: number;
  readonly protocol: string;
}

interface ExplainOptions extends IdentityCliOptions {
  flow: FlowSpec;
  security: ObservedSecurity['grade'];
}

/**
 * `flowaudit rules explain PROFILE --flow "10.0.0.5:43512 -> 10.0.1.7:20001/tcp"`: how a flow
 * would be judged, and why: the components each end matches (with the evidence) and the verdict.
 */
export function registerExplainCommand(rules: Command): void {
  const command = rules
    .command('explain')
    .description('show how a flow would be judged: the components of each end and the verdict with its reason')
    .argument('<rules>', 'rules file or shipped profile name')
    .option('--flow <spec>', 'CLIENT:PORT -> SERVER:PORT/PROTO, e.g. "10.0.0.5:43512 -> 10.0.1.7:20001/tcp" ([v6]:port for IPv6)', parseFlowSpec)
    .option('--security <grade>', 'what the capture would show: plaintext, tls or unknown', parseGrade, 'unknown');
  addIdentityOptions(command);
  requireOptions(command, '--flow');
  command.action(async (ref: string, options: ExplainOptions) => {
    const { loadMatrix, loadIdentities } = await import('./audit-commands.js');
    const matrix = loadMatrix(ref);
    const identities = loadIdentities(options, matrix);
    const matcher = new ComponentMatcher(matrix);
    const f = options.flow;
    const client = matcher.match(identities.identify(f.clientAddress));
    const server = matcher.match(identities.identify(f.serverAddress), f.serverPort);
    const security: ObservedSecurity = { grade: options.security, detail: `security given as ${options.security}` };
    const verdict = new FlowJudge(matrix).judge({ protocol: f.protocol, clientAddress: f.clientAddress, serverAddress: f.serverAddress, serverPort: f.serverPort, client, server, security });
    const at = (address: string, port: number): string => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`);
    const side = (label: string, address: string, matches: typeof client): string[] => [
      `${label} ${address}:`,
      ...(matches.length === 0 ? ['  no component'] : matches.map((m) => `  ${m.component}${m.context ? ' (context)' : ''}: ${m.via}`)),
    ];
    await writeOut(
      [
        `flow ${at(f.clientAddress, f.clientPort)} -> ${at(f.serverAddress, f.serverPort)}/${f.protocol} against ${matrix.name}`,
        ...side('client', f.clientAddress, client),
        ...side('server', f.serverAddress, server),
        `verdict: ${verdict.kind}${verdict.notice ? ' (notice)' : ''}`,
        `reason: ${verdict.reason}`,
      ].join('\n') + '\n',
    );
  });
}

const FLOW_SPEC = /^\s*(\[[^\]]+\]|[^\s:]+):(\d+)\s*->\s*(\[[^\]]+\]|[^\s:]+):(\d+)\/(tcp|udp)\s*$/i;

function parseFlowSpec(value: string): FlowSpec {
  const m = FLOW_SPEC.exec(value);
  if (m === null) throw new InvalidArgumentError('expected CLIENT:PORT -> SERVER:PORT/tcp|udp');
  const address = (text: string): string => {
    const bare = text.replace(/^\[|\]$/g, '');
    if (parseAddress(bare) === null) throw new InvalidArgumentError(`"${bare}" is not an IP address`);
    return bare;
  };
  const port = (text: string): number => {
    const n = Number(text);
    if (n < 1 || n > 65535) throw new InvalidArgumentError(`port ${text} is out of range`);
    return n;
  };
  return { clientAddress: address(m[1]), clientPort: port(m[2]), serverAddress: address(m[3]), serverPort: port(m[4]), protocol: m[5].toLowerCase() };
}

function parseGrade(value: string): ObservedSecurity['grade'] {
  if (value === 'plaintext' || value === 'tls' || value === 'unknown') return value;
  throw new InvalidArgumentError('expected plaintext, tls or unknown');
}
