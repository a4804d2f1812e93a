/**
 * The agent's HTTP endpoint: /metrics for Prometheus, /healthz (the process answers) and /readyz
 * (captures open and rules loaded), over HTTP or, with a web config, HTTPS with optional client
 * certificates and basic auth, as exporters built on exporter-toolkit serve them.
 */
import { createHash } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import bcrypt from 'bcryptjs';
import type { Registry } from 'prom-client';
import { parseListen } from './listen-address.js';
import type { WebConfig } from './web-config.js';

export interface MetricsServerOptions {
  /** `[host]:port`; an empty host listens on every address. */
  readonly listen: string;
  readonly registry: Registry;
  readonly webConfig?: WebConfig;
  /** Called before each scrape, to copy the pipeline's totals in. */
  readonly beforeScrape?: () => void;
  /** Null when ready, else why not (503 with the reason). */
  readonly notReady: () => string | null;
}

export interface MetricsServer {
  /** `host:port` actually bound (port 0 picks a free one). */
  readonly address: string;
  close(): Promise<void>;
}

/** Successful (user, password) checks are remembered: bcrypt costs tens of milliseconds per call. */
const AUTH_CACHE_LIMIT = 64;

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { host, port } = parseListen(options.listen);
  const config = options.webConfig;
  const authorized = new Set<string>();
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    for (const [name, value] of Object.entries(config?.headers ?? {})) res.setHeader(name, value);
    void authenticate(req, config, authorized).then(async (ok) => {
      if (!ok) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="flowaudit"', 'Content-Type': 'text/plain' }).end('Unauthorized\n');
        return;
      }
      await route(req, res, options);
    }).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`${(err as Error)?.message ?? String(err)}\n`);
    });
  };
  const server: Server = config?.tls === undefined ? createHttpServer(handler) : createHttpsServer(tlsOptions(config.tls), handler);
  if (config?.tls !== undefined) guardClientCertificates(server, config.tls.clientAuth);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: host === '' ? undefined : host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  return {
    address: `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

async function route(req: IncomingMessage, res: ServerResponse, options: MetricsServerOptions): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('Method Not Allowed\n');
  } else if (path === '/metrics') {
    options.beforeScrape?.();
    const body = await options.registry.metrics();
    res.writeHead(200, { 'Content-Type': options.registry.contentType }).end(req.method === 'HEAD' ? undefined : body);
  } else if (path === '/healthz') {
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
  } else if (path === '/readyz') {
    const reason = options.notReady();
    res.writeHead(reason === null ? 200 : 503, { 'Content-Type': 'text/plain' }).end(`${reason ?? 'ready'}\n`);
  } else if (path === '/') {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
      .end('<!doctype html><title>flowaudit</title><h1>flowaudit</h1><ul><li><a href="metrics">metrics</a><li><a href="healthz">healthz</a><li><a href="readyz">readyz</a></ul>\n');
  } else {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not Found\n');
  }
}

function tlsOptions(tls: NonNullable<WebConfig['tls']>): object {
  const request = tls.clientAuth !== 'NoClientCert';
  return {
    cert: tls.cert,
    key: tls.key,
    ...(tls.clientCa === undefined ? {} : { ca: tls.clientCa }),
    minVersion: tls.minVersion,
    ...(tls.maxVersion === undefined ? {} : { maxVersion: tls.maxVersion }),
    requestCert: request,
    rejectUnauthorized: tls.clientAuth === 'RequireAndVerifyClientCert',
  };
}

/** The client-certificate policies Node's TLS options cannot express alone, applied per connection. */
function guardClientCertificates(server: Server, clientAuth: NonNullable<WebConfig['tls']>['clientAuth']): void {
  if (clientAuth !== 'RequireAnyClientCert' && clientAuth !== 'VerifyClientCertIfGiven') return;
  server.on('secureConnection', (socket: TLSSocket) => {
    const presented = Object.keys(socket.getPeerCertificate()).length > 0;
    if (clientAuth === 'RequireAnyClientCert' ? !presented : presented && !socket.authorized) socket.destroy();
  });
}

async function authenticate(req: IncomingMessage, config: WebConfig | undefined, authorized: Set<string>): Promise<boolean> {
  if (config === undefined || config.basicAuthUsers.size === 0) return true;
  const header = req.headers.authorization ?? '';
  if (!header.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const user = decoded.slice(0, colon);
  const hash = config.basicAuthUsers.get(user);
  // An unknown user costs a comparison too, so timing does not tell which users exist.
  const key = createHash('sha256').update(`${user}\u0000${decoded.slice(colon + 1)}`).digest('hex');
  if (hash !== undefined && authorized.has(key)) return true;
  const ok = await bcrypt.compare(decoded.slice(colon + 1), hash ?? DUMMY_HASH);
  if (!ok || hash === undefined) return false;
  if (authorized.size >= AUTH_CACHE_LIMIT) authorized.clear();
  authorized.add(key);
  return true;
}

/** bcrypt of a random string, compared against when the user is unknown. */
const DUMMY_HASH = '$2b$10$MGyg73tkSX90QsTAFlpxX.85p8ggadNNpXtH97bGwxmFcYbZFj0g.';
