import { tsharkFields } from './tls-dns-tools.js';

/** What tshark's TLS dissector shows of one connection's handshake, keyed for comparison with ours. */
export interface TsharkTlsFlow {
  /** Handshake message types, in order, of each direction's plaintext packets. */
  readonly clientTypes: number[];
  readonly serverTypes: number[];
  readonly clientHelloVersion?: number;
  readonly serverName?: string;
  readonly supportedVersions?: number[];
  readonly cipherSuiteCount?: number;
  readonly alpn?: string[];
  readonly serverHelloVersion?: number;
  readonly selectedVersion?: number;
  readonly cipherSuite?: number;
  readonly serverAlpn?: string;
  /** certificates_length of the client's Certificate message. */
  readonly clientCertificatesLength?: number;
}

const FIELDS = [
  'tcp.srcport',
  'tcp.dstport',
  'tls.handshake.type',
  'tls.handshake.version',
  'tls.handshake.extensions_server_name',
  'tls.handshake.extensions.supported_version',
  'tls.handshake.ciphersuite',
  'tls.handshake.certificates_length',
  'tls.handshake.extensions_alpn_str',
];

const nums = (field: string): number[] => (field === '' ? [] : field.split(',').map((v) => Number(v)));

/**
 * tshark's dissection of every TLS connection in a capture, keyed by the client's port. `ports`
 * are the servers' ports, decoded as `dissector` (TLS unless told, e.g. `smtp` for a TLS that
 * starts after STARTTLS) whatever the heuristics think.
 */
export function tsharkTlsFlows(path: string, ports: readonly number[], dissector: (port: number) => string = () => 'tls'): Map<number, TsharkTlsFlow> {
  const decodeAs = ports.flatMap((p) => ['-d', `tcp.port==${p},${dissector(p)}`]);
  const rows = tsharkFields(path, FIELDS, [...decodeAs, '-Y', 'tls.handshake']);
  const flows = new Map<number, { -readonly [K in keyof TsharkTlsFlow]: TsharkTlsFlow[K] }>();
  const serverPorts = new Set(ports);
  for (const [src, dst, types, versions, sni, supported, suites, certLengths, alpn] of rows) {
    const fromClient = serverPorts.has(Number(dst));
    const clientPort = Number(fromClient ? src : dst);
    let f = flows.get(clientPort);
    if (f === undefined) flows.set(clientPort, (f = { clientTypes: [], serverTypes: [] }));
    const typeList = nums(types);
    if (fromClient) {
      f.clientTypes.push(...typeList);
      if (typeList.includes(1) && f.clientHelloVersion === undefined) {
        f.clientHelloVersion = nums(versions)[0];
        if (sni !== '') f.serverName = sni;
        if (supported !== '') f.supportedVersions = nums(supported);
        f.cipherSuiteCount = nums(suites).length;
        if (alpn !== '') f.alpn = alpn.split(',');
      }
      if (typeList.includes(11) && f.clientCertificatesLength === undefined) f.clientCertificatesLength = nums(certLengths)[0];
    } else {
      f.serverTypes.push(...typeList);
      if (typeList.includes(2) && f.serverHelloVersion === undefined) {
        f.serverHelloVersion = nums(versions)[0];
        if (supported !== '') f.selectedVersion = nums(supported)[0];
        f.cipherSuite = nums(suites)[0];
        if (alpn !== '') f.serverAlpn = alpn;
      }
    }
  }
  return flows;
}
