/**
 * The agent's HTTP endpoint: /metrics for Prometheus, /healthz (the process answers) and /readyz
 * (captures open and rules loaded), over HTTP or, with a web config, HTTPS with optional client
 * certificates and basic auth, as exporters built on exporter-toolkit serve them.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Counter, type Registry } from 'prom-client';
import { BasicAuth } from './basic-auth.js';
import { parseListen } from './listen-address.js';
import type { WebConfig } from './web-config.js';
import { serverTlsOptions, type ClientAuthType } from './web-tls-config.js';

export interface MetricsServerOptions {
  /** `[host]:port`; an empty host listens on every address. */
  readonly listen: string;
  readonly registry: Registry;
  readonly webConfig?: WebConfig;
  /** Called before each scrape, to copy the pipeline's totals in. */
  readonly beforeScrape?: () => void;
  /** Null when ready, else why not (503 with the reason). */
  readonly notReady: () => string | null;
  /** When ready: null, or what works on a fallback (200 with `ready, degraded: ` and it). */
  readonly degraded?: () => string | null;
  /** Told of each request that failed inside the endpoint (answered 500, or its connection closed). */
  readonly onRequestError?: (error: Error, path: string) => void;
}

export interface MetricsServer {
  /** `host:port` actually bound (port 0 picks a free one). */
  readonly address: string;
  /** The address and port bound, as Node reports them (`::` or `0.0.0.0` for every address). */
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The endpoint's own outcomes, in the registry it serves. */
class EndpointMetrics {
  readonly requestErrors: Counter;
  readonly authRejections: Counter<'reason'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requestErrors = new Counter({ name: 'flowaudit_http_request_errors_total', help: 'Requests to the metrics endpoint that failed inside it (answered 500 or closed).', registers });
    this.authRejections = new Counter({ name: 'flowaudit_http_auth_rejections_total', help: 'Requests refused by basic auth: wrong credentials (401) or throttled unchecked (429).', labelNames: ['reason'], registers });
  }
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { host, port } = parseListen(options.listen);
  const config = options.webConfig;
  const auth = config === undefined || config.basicAuthUsers.size === 0 ? undefined : new BasicAuth(config.basicAuthUsers);
  const metrics = new EndpointMetrics(options.registry);
  // Everything a request does runs inside serve(), whose promise catches it: an exception thrown
  // from a listener of the server's 'request' event would end the process.
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    serve(req, res, options, auth, metrics).catch((err: unknown) => {
      answerFailure(res);
      metrics.requestErrors.inc();
      try {
        options.onRequestError?.(err instanceof Error ? err : new Error(String(err)), req.url ?? '');
      } catch {
        // Counted above; a rejection escaping here would end the process.
      }
    });
  };
  const server: Server = config?.tls === undefined ? createHttpServer(handler) : createHttpsServer(serverTlsOptions(config.tls), handler);
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
    host: bound.address,
    port: bound.port,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await auth?.close();
    },
  };
}

async function serve(req: IncomingMessage, res: ServerResponse, options: MetricsServerOptions, auth: BasicAuth | undefined, metrics: EndpointMetrics): Promise<void> {
  for (const [name, value] of Object.entries(options.webConfig?.headers ?? {})) res.setHeader(name, value);
  const outcome = auth === undefined ? 'ok' : await auth.check(req.headers.authorization, req.socket.remoteAddress ?? '');
  if (outcome === 'ok') return route(req, res, options);
  if (outcome === 'throttled') {
    metrics.authRejections.inc({ reason: 'throttled' });
    res.writeHead(429, { 'Retry-After': String(auth!.retryAfterSeconds), 'Content-Type': 'text/plain' }).end('Too Many Requests\n');
    return;
  }
  if (outcome === 'wrong') metrics.authRejections.inc({ reason: 'wrong-credentials' });
  res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="flowaudit"', 'Content-Type': 'text/plain' }).end('Unauthorized\n');
}

/** 500 if nothing was sent yet, else the connection closed: a half-sent answer must not look whole. */
function answerFailure(res: ServerResponse): void {
  try {
    if (res.headersSent) res.destroy();
    else res.writeHead(500, { 'Content-Type': 'text/plain' }).end('Internal Server Error\n');
  } catch {
    res.destroy();
  }
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
    const degraded = reason === null ? (options.degraded?.() ?? null) : null;
    const body = reason ?? (degraded === null ? 'ready' : `ready, degraded: ${degraded}`);
    res.writeHead(reason === null ? 200 : 503, { 'Content-Type': 'text/plain' }).end(`${body}\n`);
  } else if (path === '/') {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
      .end('<!doctype html><title>flowaudit</title><h1>flowaudit</h1><ul><li><a href="metrics">metrics</a><li><a href="healthz">healthz</a><li><a href="readyz">readyz</a></ul>\n');
  } else {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not Found\n');
  }
}

/** The client-certificate policies Node's TLS options cannot express alone, applied per connection. */
function guardClientCertificates(server: Server, clientAuth: ClientAuthType): void {
  if (clientAuth !== 'RequireAnyClientCert' && clientAuth !== 'VerifyClientCertIfGiven') return;
  server.on('secureConnection', (socket: TLSSocket) => {
    const presented = Object.keys(socket.getPeerCertificate()).length > 0;
    if (clientAuth === 'RequireAnyClientCert' ? !presented : presented && !socket.authorized) socket.destroy();
  });
}
