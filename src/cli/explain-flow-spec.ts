import { InvalidArgumentError } from 'commander';
import type { FlowSpec } from '../audit/explain-flow.js';
import { normaliseHostname } from '../audit/glob.js';
import { parseAddress } from '../net/ip-address.js';

const FLOW_SPEC = /^\s*(\[[^\]]+\]|[^\s:]+):(\d+)\s*->\s*(\[[^\]]+\]|[^\s:]+):(\d+)\/(tcp|udp)\s*$/i;
/** A DNS name: dot-separated labels of letters, digits and '-', an optional trailing dot. */
const HOSTNAME = /^(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i;

/** commander parser for `--flow "CLIENT:PORT -> SERVER:PORT/PROTO"`. */
export function parseFlowSpec(value: string): FlowSpec {
  const m = FLOW_SPEC.exec(value);
  if (m === null) throw new InvalidArgumentError('expected CLIENT:PORT -> SERVER:PORT/tcp|udp (SERVER an address or a hostname)');
  return {
    clientAddress: address(unbracket(m[1])),
    clientPort: port(m[2]),
    server: serverEnd(unbracket(m[3])),
    serverPort: port(m[4]),
    protocol: m[5].toLowerCase() as 'tcp' | 'udp',
  };
}

function unbracket(text: string): string {
  return text.replace(/^\[|\]$/g, '');
}

function serverEnd(text: string): FlowSpec['server'] {
  if (parseAddress(text) !== null) return { address: text };
  if (HOSTNAME.test(text)) return { hostname: normaliseHostname(text) };
  throw new InvalidArgumentError(`"${text}" is neither an IP address nor a hostname`);
}

function address(text: string): string {
  if (parseAddress(text) === null) throw new InvalidArgumentError(`"${text}" is not an IP address`);
  return text;
}

function port(text: string): number {
  const n = Number(text);
  if (n < 1 || n > 65535) throw new InvalidArgumentError(`port ${text} is out of range`);
  return n;
}
