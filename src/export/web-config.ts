/**
 * The Prometheus exporter-toolkit web configuration (`--web.config.file`), as node_exporter and
 * every official exporter read it: TLS for the metrics endpoint, client certificates, basic auth
 * users with bcrypt hashes, extra response headers. Keys flowaudit cannot honour are refused by
 * name instead of being ignored: a security setting silently dropped is worse than an error.
 *
 * Relative file paths are taken from the config file's folder, as exporter-toolkit does.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Node } from 'yaml';
import { INPUT_FILES } from '../input-file.js';
import { readSourceText } from '../source-text.js';
import { YamlSource } from '../yaml-source.js';

/** exporter-toolkit's client_auth_type values (Go's tls.ClientAuthType names). */
export type ClientAuthType = 'NoClientCert' | 'RequestClientCert' | 'RequireAnyClientCert' | 'VerifyClientCertIfGiven' | 'RequireAndVerifyClientCert';
const CLIENT_AUTH_TYPES: readonly ClientAuthType[] = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'];

type NodeTlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
const TLS_VERSIONS: Readonly<Record<string, NodeTlsVersion>> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };

export interface WebTlsConfig {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly clientAuth: ClientAuthType;
  /** PEM of the CAs client certificates must chain to. */
  readonly clientCa?: Buffer;
  readonly minVersion: NodeTlsVersion;
  readonly maxVersion?: NodeTlsVersion;
}

export interface WebConfig {
  readonly tls?: WebTlsConfig;
  /** User name -> bcrypt hash. Empty: no authentication. */
  readonly basicAuthUsers: ReadonlyMap<string, string>;
  readonly headers: Readonly<Record<string, string>>;
}

const TOP_KEYS = ['tls_server_config', 'http_server_config', 'basic_auth_users'];
const TLS_KEYS = ['cert_file', 'key_file', 'client_auth_type', 'client_ca_file', 'min_version', 'max_version'];
const HTTP_KEYS = ['headers'];
/** exporter-toolkit keys with no equivalent here; named in the error. */
const UNSUPPORTED = new Set(['cert', 'key', 'client_ca', 'cipher_suites', 'curve_preferences', 'prefer_server_cipher_suites', 'client_allowed_sans', 'http2']);

/** Reads `--web.config.file`; throws a SourcePositionError (`FILE:LINE:COL: message`). */
export function loadWebConfig(file: string): WebConfig {
  const source = new YamlSource(readSourceText(file, INPUT_FILES.webConfig), file);
  const base = dirname(resolve(file));
  if (source.root === null) return { basicAuthUsers: new Map(), headers: {} };
  let tls: WebTlsConfig | undefined;
  const users = new Map<string, string>();
  const headers: Record<string, string> = {};
  for (const { key, value } of source.pairs(source.map(source.root, 'the web config'), 'the web config', TOP_KEYS)) {
    if (value === null) continue;
    if (key === 'tls_server_config') tls = tlsConfig(source, value, base);
    else if (key === 'basic_auth_users') {
      for (const user of source.pairs(source.map(value, 'basic_auth_users'), 'basic_auth_users')) {
        const hash = source.string(user.value, `the hash of user "${user.key}"`);
        if (!/^\$2[aby]\$\d\d\$.{53}$/.test(hash)) throw source.error(user.value, `the password of user "${user.key}" must be a bcrypt hash (htpasswd -nBC 10 "" | tr -d ':\\n')`);
        users.set(user.key, hash);
      }
    } else {
      for (const setting of source.pairs(source.map(value, 'http_server_config'), 'http_server_config', supported(source, value, HTTP_KEYS))) {
        for (const header of source.pairs(source.map(setting.value, 'headers'), 'headers')) headers[header.key] = source.string(header.value, `header ${header.key}`);
      }
    }
  }
  return { ...(tls === undefined ? {} : { tls }), basicAuthUsers: users, headers };
}

function tlsConfig(source: YamlSource, node: Node, base: string): WebTlsConfig {
  const values = new Map<string, { text: string; node: Node | null }>();
  for (const { key, value } of source.pairs(source.map(node, 'tls_server_config'), 'tls_server_config', supported(source, node, TLS_KEYS))) {
    values.set(key, { text: source.string(value, key), node: value });
  }
  const file = (key: string): Buffer | undefined => {
    const v = values.get(key);
    if (v === undefined) return undefined;
    try {
      return readFileSync(resolve(base, v.text));
    } catch (err) {
      throw source.error(v.node, `${key} ${v.text}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  };
  const cert = file('cert_file');
  const key = file('key_file');
  if (cert === undefined || key === undefined) throw source.error(node, 'tls_server_config needs both cert_file and key_file');
  const auth = values.get('client_auth_type');
  const clientAuth = (auth?.text ?? 'NoClientCert') as ClientAuthType;
  if (!CLIENT_AUTH_TYPES.includes(clientAuth)) throw source.error(auth!.node, `client_auth_type must be one of ${CLIENT_AUTH_TYPES.join(', ')}`);
  const clientCa = file('client_ca_file');
  if (clientCa === undefined && (clientAuth === 'VerifyClientCertIfGiven' || clientAuth === 'RequireAndVerifyClientCert')) {
    throw source.error(auth!.node, `client_auth_type ${clientAuth} needs client_ca_file`);
  }
  const version = (k: string): NodeTlsVersion | undefined => {
    const v = values.get(k);
    if (v === undefined) return undefined;
    const mapped = TLS_VERSIONS[v.text];
    if (mapped === undefined) throw source.error(v.node, `${k} must be one of ${Object.keys(TLS_VERSIONS).join(', ')}`);
    return mapped;
  };
  const maxVersion = version('max_version');
  return { cert, key, clientAuth, ...(clientCa === undefined ? {} : { clientCa }), minVersion: version('min_version') ?? 'TLSv1.2', ...(maxVersion === undefined ? {} : { maxVersion }) };
}

/** The keys known here, after refusing exporter-toolkit keys that have no equivalent by name. */
function supported(source: YamlSource, node: Node, known: readonly string[]): readonly string[] {
  for (const { key, keyNode } of source.pairs(source.map(node, 'a section'), 'a section')) {
    if (UNSUPPORTED.has(key)) throw source.error(keyNode, `"${key}" is an exporter-toolkit setting flowaudit does not support; remove it`);
  }
  return known;
}
