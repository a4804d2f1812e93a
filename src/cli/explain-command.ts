import { Option, type Command } from 'commander';
import type { ObservedSecurity } from '../audit/verdict.js';
import type { FlowSpec } from '../audit/explain-flow.js';
import { parseFlowSpec } from './explain-flow-spec.js';
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

/**
 * `flowaudit rules explain PROFILE --flow "10.0.0.5:43512 -> 10.0.1.7:20001/tcp"`: how a flow
 * would be judged, and why (src/audit/explain-flow.ts).
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
    const { loadMatrix, loadIdentities, explainFlow } = await import('./audit-commands.js');
    const matrix = loadMatrix(ref);
    const request = {
      flow: options.flow,
      security: options.security,
      securityGiven: options.security !== UNKNOWN_SECURITY,
      ...(options.sni === undefined ? {} : { sni: options.sni }),
      dnsNames: options.dnsName,
    };
    await writeOut(explainFlow(matrix, loadIdentities(options, matrix), request).join('\n') + '\n');
  });
}
