/** DNS for tests: the message builders are the ones the agent's warm-up uses (src/synth/dns-messages.ts). */
import type { DnsMessage, DnsParse } from '../../src/decode/dns-message.js';

/** The message, or a test failure naming why there is none. */
export function dnsOf(parse: DnsParse): DnsMessage {
  if (parse.kind !== 'dns') throw new Error(`not a DNS message: ${parse.reason}`);
  return parse;
}

export { header, pointer, question, rr, tcpFramed, wireName } from '../../src/synth/dns-messages.js';
