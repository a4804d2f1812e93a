/**
 * Real exchanges on loopback, recorded without root: a server (openssl s_server, or a stub in this
 * process) and a client (openssl s_client, curl, or bytes written from here) talk through a
 * recording proxy, and the bytes each way, in the order they arrived, become a pcap of one TCP
 * connection (handshake, data segments, FINs) that flowaudit and tshark both read.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { ipv4, LINKTYPE, TCP_FLAGS, tcp } from '../../src/frame-builder.js';
import { pcapFile, type PcapRecord } from './capture-writer.js';

/** One read off the wire: who sent it, and the bytes. */
export interface Chunk {
  readonly fromClient: boolean;
  readonly bytes: Buffer;
}

/** What a client does once connected to `port`: run a program (which exits), or write bytes and wait. */
export type LoopbackClient = { readonly command: string; readonly args: (port: number) => string[] } | { readonly bytes: Buffer };

const SETTLE_MS = 300;
const EXCHANGE_TIMEOUT_MS = 10_000;

/** A free loopback port, by asking the kernel for one and giving it back. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts `openssl s_server` on a free port for one connection; resolves once it says it listens (ACCEPT). */
export async function startOpensslServer(args: readonly string[]): Promise<{ port: number; process: ChildProcess }> {
  const port = await freePort();
  const child = spawn('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-naccept', '1', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  const listening = new Promise<boolean>((resolve) => {
    const look = (d: Buffer): void => {
      output += d.toString();
      if (/^ACCEPT$/m.test(output)) resolve(true);
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', look);
    child.on('exit', () => resolve(false));
  });
  let timer: NodeJS.Timeout | undefined;
  const ok = await Promise.race([listening, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), EXCHANGE_TIMEOUT_MS)))]);
  clearTimeout(timer);
  if (!ok) {
    child.kill();
    throw new Error(`openssl s_server ${args.join(' ')} did not listen: ${output.trim()}`);
  }
  return { port, process: child };
}

/**
 * Runs `client` against the server listening on `serverPort` through a recording proxy and
 * returns the chunks each way, once the server closed the connection (or after 10 s).
 */
export async function recordExchange(serverPort: number, client: LoopbackClient): Promise<Chunk[]> {
  const chunks: Chunk[] = [];
  let closed!: () => void;
  const done = new Promise<void>((resolve) => (closed = resolve));
  const proxy = net.createServer((down) => {
    const up = net.connect(serverPort, '127.0.0.1');
    down.on('data', (d: Buffer) => {
      chunks.push({ fromClient: true, bytes: Buffer.from(d) });
      up.write(d);
    });
    up.on('data', (d: Buffer) => {
      chunks.push({ fromClient: false, bytes: Buffer.from(d) });
      down.write(d);
    });
    down.on('close', () => up.destroy());
    up.on('close', () => {
      down.destroy();
      closed();
    });
    down.on('error', () => up.destroy());
    up.on('error', () => down.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const port = (proxy.address() as net.AddressInfo).port;
  try {
    if ('command' in client) {
      const child = spawn(client.command, client.args(port), { stdio: ['ignore', 'ignore', 'ignore'] });
      await withTimeout(new Promise((resolve) => child.on('exit', resolve)), () => child.kill());
    } else {
      const socket = net.connect(port, '127.0.0.1', () => socket.write(client.bytes));
      socket.on('error', () => {});
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      socket.destroy();
    }
    await withTimeout(done, () => {});
  } finally {
    proxy.close();
  }
  return chunks;
}

async function withTimeout(promise: Promise<unknown>, onTimeout: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(() => (onTimeout(), resolve()), EXCHANGE_TIMEOUT_MS)));
  await Promise.race([promise, timeout]);
  clearTimeout(timer);
}

const SEGMENT = 1400;

/**
 * One TCP connection per exchange, client 10.0.0.1:clientPort to server 10.0.0.2:serverPort
 * (a raw-IPv4 pcap): SYN, SYN-ACK, ACK, each chunk in segments of at most 1400 bytes in the order
 * recorded, then FINs. Exchanges follow each other one second apart.
 */
export function exchangesPcap(exchanges: readonly { clientPort: number; serverPort: number; chunks: readonly Chunk[] }[]): Buffer {
  const records: PcapRecord[] = [];
  exchanges.forEach(({ clientPort, serverPort, chunks }, n) => {
    let micros = 0;
    const seq = [1000, 5000];
    const send = (fromClient: boolean, flags: number, payload: Buffer = Buffer.alloc(0)): void => {
      const [me, peer] = fromClient ? [0, 1] : [1, 0];
      const segment = tcp({
        srcPort: fromClient ? clientPort : serverPort,
        dstPort: fromClient ? serverPort : clientPort,
        seq: seq[me],
        ack: seq[peer],
        flags,
        payload,
      });
      const data = ipv4({ src: fromClient ? '10.0.0.1' : '10.0.0.2', dst: fromClient ? '10.0.0.2' : '10.0.0.1', protocol: 6, payload: segment });
      records.push({ seconds: 1_700_000_000 + n, fraction: (micros += 100), data });
      seq[me] += payload.length + (flags & (TCP_FLAGS.SYN | TCP_FLAGS.FIN) ? 1 : 0);
    };
    send(true, TCP_FLAGS.SYN);
    send(false, TCP_FLAGS.SYN | TCP_FLAGS.ACK);
    send(true, TCP_FLAGS.ACK);
    for (const { fromClient, bytes } of chunks) {
      for (let at = 0; at < bytes.length; at += SEGMENT) send(fromClient, TCP_FLAGS.PSH | TCP_FLAGS.ACK, bytes.subarray(at, at + SEGMENT));
    }
    send(true, TCP_FLAGS.FIN | TCP_FLAGS.ACK);
    send(false, TCP_FLAGS.FIN | TCP_FLAGS.ACK);
    send(true, TCP_FLAGS.ACK);
  });
  return pcapFile({ endian: 'le', linkType: LINKTYPE.Raw }, records);
}
