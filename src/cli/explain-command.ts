import { Option, type Command } from 'commander';
import { ComponentMatcher, type ComponentMatch } from '../audit/component-matcher.js';
import { FlowJudge } from '../audit/flow-judge.js';
import { normaliseHostname } from '../audit/glob.js';
import type { ObservedSecurity } from '../audit/verdict.js';
import type { EndpointIdentity, NameEvidence } from '../identity/endpoint-identity.js';
import { parseFlowSpec, type FlowSpec } from './explain-flow-spec.js';
import { parseSecurity, SECURITY_VALUES, UNKNOWN_SECURITY } from './explain-security.js';
import { addIdentityOptions, type IdentityCliOptions } from './identity-options.js';
import { requireOptions } from './option-errors.js';
import { collect } from './option-parsers.js';
import { writeOut } from './output.js';

interface ExplainOptions extends IdentityCliOptions {
  flow: FlowSpec;
  security: ObservedSecurity;
  sni?: string;
  dnsName: string[];
}

/** A name given on the command line, with the option that gave it. */
interface GivenName extends NameEvidence {
  readonly option: string;
}

/**
 * `flowaudit rules explain PROFILE --flow "10.0.0.5:43512 -> 10.0.1.7:20001/tcp"`: how a flow
 * would be judged, and why: what names the server, the components each end matches (with the
 * evidence), the context components it only fits as an address, and the verdict with its reason.
 */
export function registerExplainCommand(rules: Command): void {
  const command = rules
    .command('explain')
    .description('show how a flow would be judged: the components of each end and the verdict with its reason')
    .argument('<rules>', 'rules file or shipped profile name')
    .option('--flow <spec>', 'CLIENT:PORT -> SERVER:PORT/PROTO, e.g. "10.0.0.5:43512 -> 10.0.1.7:20001/tcp" ([v6]:port for IPv6; SERVER may be a hostname, as a DNS answer names it)', parseFlowSpec)
    .addOption(new Option('--security <grade>', `what the capture would show: ${SECURITY_VALUES.join(', ')}`).argParser(parseSecurity).default(UNKNOWN_SECURITY, 'unknown'))
    .option('--sni <name>', "the server name the client's TLS ClientHello asks for")
    .option('--dns-name <name>', 'a name a DNS answer gives the server address (repeatable)', collect, []);
  addIdentityOptions(command);
  requireOptions(command, '--flow');
  command.action(async (ref: string, options: ExplainOptions) => {
    const { loadMatrix, loadIdentities } = await import('./audit-commands.js');
    const matrix = loadMatrix(ref);
    const identities = loadIdentities(options, matrix);
    const matcher = new ComponentMatcher(matrix);
    const f = options.flow;
    const names = givenNames(options);
    const serverIdentity = f.server.address === undefined ? unaddressed(f.server.hostname) : identities.identify(f.server.address);
    const serverAddress = f.server.address ?? f.server.hostname;
    const client = matcher.match(identities.identify(f.clientAddress));
    const server = matcher.match(serverIdentity, f.serverPort, names);
    const security = options.sni === undefined ? options.security : { ...options.security, serverName: normaliseHostname(options.sni) };
    const verdict = new FlowJudge(matrix).judge({ protocol: f.protocol, clientAddress: f.clientAddress, serverAddress, serverPort: f.serverPort, client, server, security });
    await writeOut(
      [
        `flow ${at(f.clientAddress, f.clientPort)} -> ${at(serverAddress, f.serverPort)}/${f.protocol} against ${matrix.name}`,
        `client ${at(f.clientAddress, f.clientPort)}:`,
        ...components(client),
        `server ${at(serverAddress, f.serverPort)}:`,
        ...(f.server.address === undefined ? ['  no address given: judged as an external address'] : []),
        ...names.map((n) => `  named ${n.name} by ${n.source === 'sni' ? 'the TLS SNI' : 'a DNS answer'} (${n.option})`),
        ...components(server),
        `security: ${security.detail}${options.security === UNKNOWN_SECURITY ? ' (no --security given)' : ''}`,
        `verdict: ${verdict.kind}${verdict.notice ? ' (notice)' : ''}`,
        `reason: ${verdict.reason}`,
      ].join('\n') + '\n',
    );
  });
}

/** The server's names as the audit learns them from traffic: the --flow hostname and --dns-name as DNS answers, --sni as the SNI. */
function givenNames(options: ExplainOptions): GivenName[] {
  const hostname = options.flow.server.hostname;
  return [
    ...(hostname === undefined ? [] : [{ name: hostname, source: 'dns' as const, option: '--flow' }]),
    ...options.dnsName.map((name) => ({ name: normaliseHostname(name), source: 'dns' as const, option: '--dns-name' })),
    ...(options.sni === undefined ? [] : [{ name: normaliseHostname(options.sni), source: 'sni' as const, option: '--sni' }]),
  ];
}

/** A server known only by name: no inventory or Kubernetes object has it, and a name found by DNS is taken as external. */
function unaddressed(hostname: string): EndpointIdentity {
  return { address: hostname, internal: false, kubernetes: [], inventory: [], names: [] };
}

/**
 * An end's components, one line each with the evidence; then, on one line, the components it only
 * fits as an address of its class (`internal: true`, `external: true`: "API clients, from
 * anywhere"), which say nothing of who it is and are context, not matches.
 */
function components(matches: readonly ComponentMatch[]): string[] {
  const identified = matches.filter((m) => m.identified);
  const lines = identified.length === 0 ? ['  no component'] : identified.map((m) => `  ${m.component}${m.context ? ' (context)' : ''}: ${m.via}`);
  const catchAlls = matches.filter((m) => !m.identified);
  if (catchAlls.length > 0) lines.push(`  context: ${catchAlls.map((m) => m.component).join(', ')} (any ${catchAlls[0].via})`);
  return lines;
}

function at(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
