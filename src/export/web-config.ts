/**
 * The Prometheus exporter-toolkit web configuration (`--web.config.file`), as node_exporter and
 * every official exporter read it: TLS for the metrics endpoint, client certificates, basic auth
 * users with bcrypt hashes, extra response headers. Keys flowaudit cannot honour are refused by
 * name instead of being ignored: a security setting silently dropped is worse than an error.
 *
 * Relative file paths are taken from the config file's folder, as exporter-toolkit does.
 */
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { dirname, resolve } from 'node:path';
import type { Node } from 'yaml';
import { INPUT_FILES } from '../input-file.js';
import { readSourceText } from '../source-text.js';
import { YamlSource } from '../yaml-source.js';
import { readTlsConfig, TLS_KEYS, type WebTlsConfig } from './web-tls-config.js';

export interface WebConfig {
  readonly tls?: WebTlsConfig;
  /** User name -> bcrypt hash. Empty: no authentication. */
  readonly basicAuthUsers: ReadonlyMap<string, string>;
  readonly headers: Readonly<Record<string, string>>;
}

const TOP_KEYS = ['tls_server_config', 'http_server_config', 'basic_auth_users'];
const HTTP_KEYS = ['headers'];
/** exporter-toolkit keys with no equivalent here; named in the error. */
const UNSUPPORTED = new Set(['cert', 'key', 'client_ca', 'cipher_suites', 'curve_preferences', 'prefer_server_cipher_suites', 'client_allowed_sans', 'http2']);
/** Headers the endpoint sets itself, or that frame the message: one from the config would break the answers. */
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'trailer', 'date', 'www-authenticate', 'allow', 'retry-after']);

/**
 * Reads `--web.config.file` and checks all of it (headers Node would refuse, the key pair, the TLS
 * versions), so that a bad config stops the agent before it captures rather than at its first
 * request; throws a SourcePositionError (`FILE:LINE:COL: message`).
 */
export function loadWebConfig(file: string): WebConfig {
  const source = new YamlSource(readSourceText(file, INPUT_FILES.webConfig), file);
  const base = dirname(resolve(file));
  if (source.root === null) return { basicAuthUsers: new Map(), headers: {} };
  let tls: WebTlsConfig | undefined;
  const users = new Map<string, string>();
  let headers: Record<string, string> = {};
  for (const { key, value } of source.pairs(source.map(source.root, 'the web config'), 'the web config', TOP_KEYS)) {
    if (value === null) continue;
    if (key === 'tls_server_config') {
      tls = readTlsConfig(source, value, base, source.pairs(source.map(value, 'tls_server_config'), 'tls_server_config', supported(source, value, TLS_KEYS)));
    } else if (key === 'basic_auth_users') {
      for (const user of source.pairs(source.map(value, 'basic_auth_users'), 'basic_auth_users')) {
        const hash = source.string(user.value, `the hash of user "${user.key}"`);
        if (!/^\$2[aby]\$\d\d\$.{53}$/.test(hash)) throw source.error(user.value, `the password of user "${user.key}" must be a bcrypt hash (htpasswd -nBC 10 "" | tr -d ':\\n')`);
        users.set(user.key, hash);
      }
    } else {
      for (const setting of source.pairs(source.map(value, 'http_server_config'), 'http_server_config', supported(source, value, HTTP_KEYS))) {
        headers = readHeaders(source, setting.value);
      }
    }
  }
  return { ...(tls === undefined ? {} : { tls }), basicAuthUsers: users, headers };
}

/** `http_server_config.headers`, each name and value as Node's HTTP server would take them. */
function readHeaders(source: YamlSource, node: Node | null): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const header of source.pairs(source.map(node, 'headers'), 'headers')) {
    try {
      validateHeaderName(header.key);
    } catch {
      throw source.error(header.keyNode, `header name "${header.key}" is not a valid HTTP token (letters, digits and !#$%&'*+-.^_\`|~ only)`);
    }
    if (RESERVED_HEADERS.has(header.key.toLowerCase())) throw source.error(header.keyNode, `header ${header.key} is set by flowaudit itself; remove it`);
    const value = source.string(header.value, `header ${header.key}`);
    try {
      validateHeaderValue(header.key, value);
    } catch {
      throw source.error(header.value, `the value of header ${header.key} holds a character HTTP does not allow in a header (a control character or a line break)`);
    }
    headers[header.key] = value;
  }
  return headers;
}

/** The keys known here, after refusing exporter-toolkit keys that have no equivalent by name. */
function supported(source: YamlSource, node: Node, known: readonly string[]): readonly string[] {
  for (const { key, keyNode } of source.pairs(source.map(node, 'a section'), 'a section')) {
    if (UNSUPPORTED.has(key)) throw source.error(keyNode, `"${key}" is an exporter-toolkit setting flowaudit does not support; remove it`);
  }
  return known;
}
