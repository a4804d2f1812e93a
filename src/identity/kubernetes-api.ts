/**
 * The Kubernetes API as the identity source reads it: GET requests authenticated as a KubeConfig
 * says (the service account's token, re-read from its file every minute as client-go does; client
 * certificates; the cluster's CA), answered with the response stream, or refused with one line
 * that names the verb and resource and, for 401 and 403, what the agent lacks.
 *
 * The requests are made here with node:http(s) rather than through the client's generated API or
 * its Watch: the list is read as raw JSON a page at a time (the generated API builds a typed
 * object of every field of every pod, which the audit would throw away), and a watch stream is read
 * with a bound on each event's size and every undecodable line counted (the client's Watch skips
 * them unseen and has no read timeout).
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export type ApiVerb = 'list' | 'watch';

/** A request that failed: `status` is the HTTP status, null when no answer came (refused, reset, timed out). */
export class KubernetesApiError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }

  /** 401 or 403: the credentials or the RBAC rules refuse; trying again helps only once someone changes them. */
  get refused(): boolean {
    return this.status === 401 || this.status === 403;
  }

  /** 410: the resourceVersion asked for is older than the server keeps; a new list is needed. */
  get gone(): boolean {
    return this.status === 410;
  }
}

/** Largest error answer read, to find the server's message in it. */
const MAX_ERROR_BODY = 64 * 1024;

export class KubernetesApi {
  constructor(private readonly config: KubeConfig) {}

  /** The API server's URL (`https://10.96.0.1:443`), for log lines. */
  get server(): string {
    return this.config.getCurrentCluster()?.server ?? '(no cluster)';
  }

  /**
   * GETs `path` (with its query) and resolves with the response once its status is 200. The
   * socket is given up after `idleMs` without a byte (a server that stopped answering, a
   * connection a middlebox dropped without a reset), and at once when `signal` aborts.
   */
  async get(verb: ApiVerb, resource: string, path: string, idleMs: number, signal: AbortSignal): Promise<IncomingMessage> {
    const options: RequestOptions = {};
    await this.config.applyToHTTPSOptions(options);
    const url = new URL(this.server + path);
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(url, { method: 'GET', agent: options.agent, auth: options.auth, headers: { ...options.headers, Accept: 'application/json' }, signal, timeout: idleMs });
      req.on('timeout', () => req.destroy(new Error(`no answer for ${idleMs / 1000} s`)));
      req.on('error', (err) => reject(new KubernetesApiError(`cannot ${verb} ${resource}: ${err.message}`, null)));
      req.on('response', resolve);
      req.end();
    });
    if (response.statusCode === 200) return response;
    const message = serverMessage(await readBounded(response, MAX_ERROR_BODY).catch(() => ''));
    throw new KubernetesApiError(refusal(verb, resource, response.statusCode ?? 0, message), response.statusCode ?? 0);
  }
}

/** `cannot list pods: 403 forbidden (RBAC: needs get/list/watch on pods): pods is forbidden: ...`. */
export function refusal(verb: ApiVerb, resource: string, status: number, message: string): string {
  const said = message === '' ? '' : `: ${message}`;
  if (status === 401) return `cannot ${verb} ${resource}: 401 unauthorized (the API server refused the token or client certificate)${said}`;
  if (status === 403) return `cannot ${verb} ${resource}: 403 forbidden (RBAC: needs get/list/watch on ${resource})${said}`;
  if (status === 410) return `cannot ${verb} ${resource}: 410 gone (the resourceVersion is older than the server keeps)${said}`;
  return `cannot ${verb} ${resource}: HTTP ${status}${said}`;
}

/** The body as text, at most `limit` bytes; rejects when the stream fails or holds more. */
export function readBounded(stream: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limit) {
        stream.destroy(new Error(`the answer is larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
    stream.on('aborted', () => reject(new Error('the connection was cut')));
  });
}

/** A Status object's `message`, on one line and cut to 300 characters; the text itself when it is not one. */
function serverMessage(body: string): string {
  let message = body;
  try {
    const status = JSON.parse(body) as { message?: unknown };
    if (typeof status.message === 'string') message = status.message;
  } catch {
    // Not JSON (a proxy's HTML page): its text is still the best clue.
  }
  const line = message.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
