/**
 * How `rules explain` judges one flow without a capture, and says why: what names the server, the
 * components each end matches (with the evidence), the context components it only fits as an
 * address, and the verdict with its reason. The same matcher and judge the audit runs.
 */
import type { EndpointIdentity, IdentityProvider, NameEvidence } from '../identity/endpoint-identity.js';
import { ComponentMatcher, type ComponentMatch } from './component-matcher.js';
import { FlowJudge } from './flow-judge.js';
import { normaliseHostname } from './glob.js';
import type { Matrix } from './matrix.js';
import type { ObservedSecurity } from './verdict.js';

/** The flow to judge. The server is an address, or only a hostname. */
export interface FlowSpec {
  readonly clientAddress: string;
  readonly clientPort: number;
  readonly server: { readonly address: string; readonly hostname?: undefined } | { readonly address?: undefined; readonly hostname: string };
  readonly serverPort: number;
  readonly protocol: 'tcp' | 'udp';
}

export interface ExplainRequest {
  readonly flow: FlowSpec;
  /** What the capture would show. */
  readonly security: ObservedSecurity;
  /** False when the security is the default (unknown), not given: the output says so. */
  readonly securityGiven: boolean;
  /** The server name a TLS ClientHello asks for. */
  readonly sni?: string;
  /** Names DNS answers give the server address. */
  readonly dnsNames: readonly string[];
}

/** A name given on the command line, with the option that gave it. */
interface GivenName extends NameEvidence {
  readonly option: string;
}

/** The explanation, one line each. */
export function explainFlow(matrix: Matrix, identities: IdentityProvider, request: ExplainRequest): string[] {
  const matcher = new ComponentMatcher(matrix);
  const f = request.flow;
  const names = givenNames(request);
  const serverIdentity = f.server.address === undefined ? unaddressed(f.server.hostname) : identities.identify(f.server.address);
  const serverAddress = f.server.address ?? f.server.hostname;
  const client = matcher.match(identities.identify(f.clientAddress));
  const server = matcher.match(serverIdentity, f.serverPort, names);
  const security = request.sni === undefined ? request.security : { ...request.security, serverName: normaliseHostname(request.sni) };
  const verdict = new FlowJudge(matrix).judge({ protocol: f.protocol, clientAddress: f.clientAddress, serverAddress, serverPort: f.serverPort, client, server, security });
  return [
    `flow ${at(f.clientAddress, f.clientPort)} -> ${at(serverAddress, f.serverPort)}/${f.protocol} against ${matrix.name}`,
    `client ${at(f.clientAddress, f.clientPort)}:`,
    ...components(client),
    `server ${at(serverAddress, f.serverPort)}:`,
    ...(f.server.address === undefined ? ['  no address given: judged as an external address'] : []),
    ...names.map((n) => `  named ${n.name} by ${n.source === 'sni' ? 'the TLS SNI' : 'a DNS answer'} (${n.option})`),
    ...components(server),
    `security: ${security.detail}${request.securityGiven ? '' : ' (no --security given)'}`,
    `verdict: ${verdict.kind}${verdict.notice ? ' (notice)' : ''}`,
    `reason: ${verdict.reason}`,
  ];
}

/** The server's names as the audit learns them from traffic: the --flow hostname and --dns-name as DNS answers, --sni as the SNI. */
function givenNames(request: ExplainRequest): GivenName[] {
  const hostname = request.flow.server.hostname;
  return [
    ...(hostname === undefined ? [] : [{ name: hostname, source: 'dns' as const, option: '--flow' }]),
    ...request.dnsNames.map((name) => ({ name: normaliseHostname(name), source: 'dns' as const, option: '--dns-name' })),
    ...(request.sni === undefined ? [] : [{ name: normaliseHostname(request.sni), source: 'sni' as const, option: '--sni' }]),
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
