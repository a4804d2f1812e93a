/**
 * Plaintext starts that upgrade to TLS, made for the tests: `openssl s_client -starttls PROTOCOL`
 * and curl through HTTP CONNECT and SOCKS5 proxies, against small servers run here that speak
 * each protocol's preamble and then wrap the socket in real TLS (node:tls), or refuse. Each case is
 * one TCP connection recorded through loopback-exchange.ts, on its protocol's usual server port
 * (so tshark dissects it without hints) and a client port of its own, in
 * test/fixtures/tls/tls-upgrades.pcap (FLOWAUDIT_UPDATE_FIXTURES=1 rewrites it, see
 * test/decode/tls-upgrade-captures.test.ts).
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { type Chunk, exchangesPcap, type LoopbackClient, recordExchange, startOpensslServer } from './loopback-exchange.js';
import { makeTestPki, type TestPki } from './test-pki.js';

/** What a step waits for (the bytes received since the last step), what it answers, and whether TLS follows. */
interface Step {
  readonly until: (received: string) => boolean;
  readonly reply: Buffer | string;
  readonly then?: 'tls';
  /** Bytes the step reads; what came with them (a ClientHello sent without waiting) goes to TLS. */
  readonly consumes?: number;
}

interface Dialogue {
  readonly greeting?: string | Buffer;
  readonly steps: readonly Step[];
}

/** A step waiting for a whole line holding `command` (upper case). */
const line = (command: string) => (s: string) => s.toUpperCase().includes(command) && s.endsWith('\n');
const bytes = (n: number) => (s: string) => Buffer.byteLength(s, 'latin1') >= n;

/** A MySQL 8 protocol-10 greeting whose capabilities offer CLIENT_SSL (0x0800). */
function mysqlGreeting(): Buffer {
  const payload = Buffer.concat([
    Buffer.from([0x0a]),
    Buffer.from('8.0.36\0', 'latin1'),
    Buffer.from([1, 0, 0, 0]), // thread id
    Buffer.from('saltsalt', 'latin1'),
    Buffer.from([0]),
    Buffer.from([0xff, 0xff]), // capabilities, lower: CLIENT_SSL among them
    Buffer.from([0x21, 0x02, 0x00]), // charset, status
    Buffer.from([0xff, 0xdf]), // capabilities, upper
    Buffer.from([21]),
    Buffer.alloc(10),
    Buffer.from('saltsaltsalt\0', 'latin1'),
    Buffer.from('mysql_native_password\0', 'latin1'),
  ]);
  return Buffer.concat([Buffer.from([payload.length & 0xff, payload.length >> 8, 0, 0]), payload]);
}

const STARTTLS_OID = '1.3.6.1.4.1.1466.20037';
/** ExtendedResponse for message 1: resultCode, empty matchedDN and diagnosticMessage. */
const ldapResponse = (result: number): Buffer => Buffer.from([0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0a, 0x01, result, 0x04, 0x00, 0x04, 0x00]);
const XMPP_STREAM = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='fa1' from='chat.flowaudit.test' version='1.0'>";
const XMPP_FEATURES = "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>";

const DIALOGUES = {
  smtp: { greeting: '220 mail.flowaudit.test ESMTP\r\n', steps: [{ until: line('EHLO'), reply: '250-mail.flowaudit.test\r\n250 STARTTLS\r\n' }, { until: line('STARTTLS'), reply: '220 2.0.0 Ready to start TLS\r\n', then: 'tls' }] },
  smtpRefused: { greeting: '220 mail.flowaudit.test ESMTP\r\n', steps: [{ until: line('EHLO'), reply: '250-mail.flowaudit.test\r\n250 STARTTLS\r\n' }, { until: line('STARTTLS'), reply: '454 4.7.0 TLS not available\r\n' }] },
  smtpNotOffered: { greeting: '220 mail.flowaudit.test ESMTP\r\n', steps: [{ until: line('EHLO'), reply: '250 mail.flowaudit.test\r\n' }, { until: line('STARTTLS'), reply: '502 5.5.1 Unrecognized command\r\n' }] },
  imap: { greeting: '* OK IMAP4rev1 ready\r\n', steps: [{ until: line('CAPABILITY'), reply: '* CAPABILITY IMAP4rev1 STARTTLS\r\n. OK done\r\n' }, { until: line('STARTTLS'), reply: '. OK begin TLS\r\n', then: 'tls' }] },
  pop3: { greeting: '+OK POP3 ready\r\n', steps: [{ until: line('STLS'), reply: '+OK begin TLS\r\n', then: 'tls' }] },
  pop3Refused: { greeting: '+OK POP3 ready\r\n', steps: [{ until: line('STLS'), reply: '-ERR not now\r\n' }] },
  ftp: { greeting: '220 ftp.flowaudit.test ready\r\n', steps: [{ until: line('AUTH TLS'), reply: '234 AUTH TLS ok\r\n', then: 'tls' }] },
  ldap: { steps: [{ until: (s) => s.includes(STARTTLS_OID), reply: ldapResponse(0), then: 'tls' }] },
  ldapRefused: { steps: [{ until: (s) => s.includes(STARTTLS_OID), reply: ldapResponse(52) }] },
  xmpp: { steps: [{ until: (s) => s.includes('<stream:stream'), reply: XMPP_STREAM + XMPP_FEATURES }, { until: (s) => s.includes('<starttls'), reply: "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", then: 'tls' }] },
  postgres: { steps: [{ until: bytes(8), reply: 'S', then: 'tls' }] },
  postgresRefused: { steps: [{ until: bytes(8), reply: 'N' }] },
  mysql: { greeting: mysqlGreeting(), steps: [{ until: bytes(36), reply: Buffer.alloc(0), then: 'tls', consumes: 36 }] },
} satisfies Record<string, Dialogue>;

type DialogueName = keyof typeof DIALOGUES;

/** Each case: its server port (the protocol's own), a client port of its own, and how it is made. */
export const UPGRADE_CASES = {
  smtp: { serverPort: 25, clientPort: 41001 },
  smtpRefused: { serverPort: 25, clientPort: 41002 },
  smtpNotOffered: { serverPort: 25, clientPort: 41003 },
  imap: { serverPort: 143, clientPort: 41004 },
  pop3: { serverPort: 110, clientPort: 41005 },
  pop3Refused: { serverPort: 110, clientPort: 41006 },
  ftp: { serverPort: 21, clientPort: 41007 },
  ldap: { serverPort: 389, clientPort: 41008 },
  ldapRefused: { serverPort: 389, clientPort: 41009 },
  xmpp: { serverPort: 5222, clientPort: 41010 },
  postgres: { serverPort: 5432, clientPort: 41011 },
  postgresRefused: { serverPort: 5432, clientPort: 41012 },
  mysql: { serverPort: 3306, clientPort: 41013 },
  httpConnect: { serverPort: 3128, clientPort: 41014 },
  httpConnectRefused: { serverPort: 3128, clientPort: 41015 },
  socks5: { serverPort: 1080, clientPort: 41016 },
} as const;

export type UpgradeCaseName = keyof typeof UPGRADE_CASES;

/** The s_client -starttls protocol of each dialogue, and the options that vary the handshake. */
const STARTTLS: Record<DialogueName, { protocol: string; options: string[] }> = {
  smtp: { protocol: 'smtp', options: ['-servername', 'mail.flowaudit.test'] },
  smtpRefused: { protocol: 'smtp', options: [] },
  smtpNotOffered: { protocol: 'smtp', options: [] },
  imap: { protocol: 'imap', options: ['-servername', 'imap.flowaudit.test', '-tls1_2'] },
  pop3: { protocol: 'pop3', options: ['-servername', 'pop.flowaudit.test'] },
  pop3Refused: { protocol: 'pop3', options: [] },
  ftp: { protocol: 'ftp', options: ['-servername', 'ftp.flowaudit.test'] },
  ldap: { protocol: 'ldap', options: ['-servername', 'ldap.flowaudit.test', '-tls1_2'] },
  ldapRefused: { protocol: 'ldap', options: [] },
  xmpp: { protocol: 'xmpp', options: ['-servername', 'chat.flowaudit.test', '-xmpphost', 'chat.flowaudit.test'] },
  postgres: { protocol: 'postgres', options: ['-servername', 'db.flowaudit.test', '-tls1_2'] },
  postgresRefused: { protocol: 'postgres', options: [] },
  mysql: { protocol: 'mysql', options: ['-servername', 'mysql.flowaudit.test'] },
};

/** Records every case and returns the capture of all of them. Needs openssl and curl. */
export async function makeUpgradeCapture(): Promise<Buffer> {
  const pki = makeTestPki();
  const chunks = {} as Record<UpgradeCaseName, Chunk[]>;
  for (const name of Object.keys(STARTTLS) as DialogueName[]) {
    const { protocol, options } = STARTTLS[name];
    chunks[name] = await withServer(dialogueServer(DIALOGUES[name], pki), (port) =>
      recordExchange(port, { command: 'openssl', args: (proxy) => ['s_client', '-connect', `127.0.0.1:${proxy}`, '-starttls', protocol, ...options] }),
    );
  }
  const backend = await startOpensslServer(['-cert', pki.serverCert, '-key', pki.serverKey, '-www', '-naccept', '3']);
  try {
    const curl = (proxyOption: string, host: string): LoopbackClient => ({
      command: 'curl',
      args: (proxy) => ['-sk', '--max-time', '5', proxyOption, `127.0.0.1:${proxy}`, `https://${host}:${backend.port}/`, '-o', '/dev/null'],
    });
    chunks.httpConnect = await withServer(connectProxy(backend.port, 200), (port) => recordExchange(port, curl('--proxy', 'api.flowaudit.test')));
    chunks.httpConnectRefused = await withServer(connectProxy(backend.port, 403), (port) => recordExchange(port, curl('--proxy', 'denied.flowaudit.test')));
    chunks.socks5 = await withServer(socks5Proxy(backend.port), (port) => recordExchange(port, curl('--socks5-hostname', 'socks.flowaudit.test')));
  } finally {
    backend.process.kill();
  }
  return exchangesPcap((Object.keys(UPGRADE_CASES) as UpgradeCaseName[]).map((name) => ({ ...UPGRADE_CASES[name], chunks: chunks[name] })));
}

async function withServer<T>(server: net.Server, use: (port: number) => Promise<T>): Promise<T> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await use((server.address() as net.AddressInfo).port);
  } finally {
    server.close();
  }
}

/** Speaks a dialogue's preamble, then (when it says so) real TLS with the test PKI's server certificate. */
function dialogueServer(dialogue: Dialogue, pki: TestPki): net.Server {
  const context = tls.createSecureContext({ cert: readFileSync(pki.serverCert), key: readFileSync(pki.serverKey) });
  return net.createServer((socket) => {
    socket.on('error', () => {});
    if (dialogue.greeting !== undefined) socket.write(dialogue.greeting);
    let step = 0;
    let received = '';
    const onData = (d: Buffer): void => {
      received += d.toString('latin1');
      const s = dialogue.steps[step];
      if (s === undefined || !s.until(received)) return;
      const extra = Buffer.from(received, 'latin1').subarray(s.consumes ?? received.length);
      received = '';
      step++;
      if (s.reply.length > 0) socket.write(s.reply);
      if (s.then === 'tls') {
        socket.removeListener('data', onData);
        const secure = new tls.TLSSocket(socketStream(socket, extra), { isServer: true, secureContext: context });
        secure.on('error', () => socket.destroy());
        secure.on('secure', () => secure.end());
      } else if (step === dialogue.steps.length) {
        setTimeout(() => socket.end(), 200);
      }
    };
    socket.on('data', onData);
  });
}

/** The socket's bytes from here on, after `extra` read already, as a stream TLS can run over. */
function socketStream(socket: net.Socket, extra: Buffer): Duplex {
  const wire = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      socket.write(chunk, done);
    },
    final(done) {
      socket.end();
      done();
    },
  });
  if (extra.length > 0) wire.push(extra);
  socket.on('data', (d: Buffer) => wire.push(d));
  socket.on('end', () => wire.push(null));
  return wire;
}

/** An HTTP proxy that answers CONNECT with `status` and, on 200, tunnels to the backend. */
function connectProxy(backendPort: number, status: number): net.Server {
  return net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => {
      if (status !== 200) {
        socket.end(`HTTP/1.1 ${status} Forbidden\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      socket.write('HTTP/1.1 200 Connection established\r\n\r\n');
      tunnel(socket, backendPort);
    });
  });
}

/** A SOCKS5 proxy (no authentication) that grants CONNECT and tunnels to the backend. */
function socks5Proxy(backendPort: number): net.Server {
  return net.createServer((socket) => {
    socket.on('error', () => {});
    let stage = 0;
    const onData = (): void => {
      if (stage++ === 0) {
        socket.write(Buffer.from([5, 0]));
        return;
      }
      socket.removeListener('data', onData);
      socket.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, backendPort >> 8, backendPort & 0xff]));
      tunnel(socket, backendPort);
    };
    socket.on('data', onData);
  });
}

function tunnel(socket: net.Socket, port: number): void {
  const up = net.connect(port, '127.0.0.1');
  up.on('error', () => socket.destroy());
  socket.pipe(up);
  up.pipe(socket);
}
