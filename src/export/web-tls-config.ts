/**
 * The `tls_server_config` section of the web config, checked whole when it is read: each file is a
 * PEM of the right kind, the key is the certificate's, the versions can be negotiated. Node would
 * otherwise find a bad pair only when the server is created, after the captures are open, and a
 * bad version range only at each handshake, which then fails.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import type { Node } from 'yaml';
import { SourcePositionError } from '../source-position-error.js';
import type { YamlSource } from '../yaml-source.js';

/** exporter-toolkit's client_auth_type values (Go's tls.ClientAuthType names). */
export type ClientAuthType = 'NoClientCert' | 'RequestClientCert' | 'RequireAnyClientCert' | 'VerifyClientCertIfGiven' | 'RequireAndVerifyClientCert';
const CLIENT_AUTH_TYPES: readonly ClientAuthType[] = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'];

type NodeTlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
/** exporter-toolkit's names, in order. */
const TLS_VERSIONS: Readonly<Record<string, NodeTlsVersion>> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };
const VERSION_ORDER = Object.keys(TLS_VERSIONS);

export interface WebTlsConfig {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly clientAuth: ClientAuthType;
  /** PEM of the CAs client certificates must chain to. */
  readonly clientCa?: Buffer;
  readonly minVersion: NodeTlsVersion;
  readonly maxVersion?: NodeTlsVersion;
}

export const TLS_KEYS = ['cert_file', 'key_file', 'client_auth_type', 'client_ca_file', 'min_version', 'max_version'];
/** Certificates and keys are a few KiB; a larger file is not one (and /dev/zero never ends). */
const MAX_PEM_BYTES = 1 << 20;

/** Reads and checks `tls_server_config`; throws a SourcePositionError at the offending key's value. */
export function readTlsConfig(source: YamlSource, node: Node, base: string, keys: readonly { key: string; value: Node | null }[]): WebTlsConfig {
  const values = new Map<string, Value>();
  for (const { key, value } of keys) values.set(key, { key, text: source.string(value, key), node: value });
  const file = (key: string): Buffer | undefined => {
    const v = values.get(key);
    return v === undefined ? undefined : readPemFile(source, v, base);
  };
  const cert = file('cert_file');
  const key = file('key_file');
  if (cert === undefined || key === undefined) throw source.error(node, 'tls_server_config needs both cert_file and key_file');
  checkKeyPair(source, cert, values.get('cert_file')!, key, values.get('key_file')!);

  const auth = values.get('client_auth_type');
  const clientAuth = (auth?.text ?? 'NoClientCert') as ClientAuthType;
  if (!CLIENT_AUTH_TYPES.includes(clientAuth)) throw source.error(auth!.node, `client_auth_type must be one of ${CLIENT_AUTH_TYPES.join(', ')}`);
  const clientCa = file('client_ca_file');
  if (clientCa === undefined && (clientAuth === 'VerifyClientCertIfGiven' || clientAuth === 'RequireAndVerifyClientCert')) {
    throw source.error(auth!.node, `client_auth_type ${clientAuth} needs client_ca_file`);
  }
  if (clientCa !== undefined) checkCertificates(source, clientCa, values.get('client_ca_file')!);

  const min = version(source, values.get('min_version'), 'min_version') ?? 'TLS12';
  const max = version(source, values.get('max_version'), 'max_version');
  if (max !== undefined) {
    const maxValue = values.get('max_version')!;
    // OpenSSL 3's default security level refuses TLS 1.0 and 1.1: such a server fails every handshake.
    if (VERSION_ORDER.indexOf(max) < VERSION_ORDER.indexOf('TLS12')) throw source.error(maxValue.node, `max_version ${max}: Node.js (OpenSSL 3) negotiates TLS12 and TLS13 only; every handshake would fail`);
    if (VERSION_ORDER.indexOf(max) < VERSION_ORDER.indexOf(min)) throw source.error(maxValue.node, `max_version ${max} is below min_version ${min}: every handshake would fail`);
  }
  return {
    cert,
    key,
    clientAuth,
    ...(clientCa === undefined ? {} : { clientCa }),
    minVersion: TLS_VERSIONS[min],
    ...(max === undefined ? {} : { maxVersion: TLS_VERSIONS[max] }),
  };
}

/** The options for Node's TLS server. */
export function serverTlsOptions(tls: WebTlsConfig): TlsOptions & SecureContextOptions {
  return {
    cert: tls.cert,
    key: tls.key,
    ...(tls.clientCa === undefined ? {} : { ca: tls.clientCa }),
    minVersion: tls.minVersion,
    ...(tls.maxVersion === undefined ? {} : { maxVersion: tls.maxVersion }),
    requestCert: tls.clientAuth !== 'NoClientCert',
    rejectUnauthorized: tls.clientAuth === 'RequireAndVerifyClientCert',
  };
}

/** A setting of the section: its key, its text and where it is. */
interface Value {
  readonly key: string;
  readonly text: string;
  readonly node: Node | null;
}

function version(source: YamlSource, value: Value | undefined, key: string): string | undefined {
  if (value === undefined) return undefined;
  if (TLS_VERSIONS[value.text] === undefined) throw source.error(value.node, `${key} must be one of ${VERSION_ORDER.join(', ')}`);
  return value.text;
}

function readPemFile(source: YamlSource, value: Value, base: string): Buffer {
  const full = resolve(base, value.text);
  const cannot = (err: unknown) => source.error(value.node, `${value.key} ${value.text}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  let size: number;
  try {
    const stat = statSync(full);
    if (!stat.isFile()) throw source.error(value.node, `${value.key} ${value.text}: not a regular file`);
    size = stat.size;
  } catch (err) {
    throw err instanceof SourcePositionError ? err : cannot(err);
  }
  if (size > MAX_PEM_BYTES) throw source.error(value.node, `${value.key} ${value.text}: ${size} bytes, more than a PEM file's limit of ${MAX_PEM_BYTES}`);
  try {
    return readFileSync(full);
  } catch (err) {
    throw cannot(err);
  }
}

const CERTIFICATE_PEM = /-----BEGIN CERTIFICATE-----[^]*?-----END CERTIFICATE-----/g;
const PRIVATE_KEY_PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

function checkKeyPair(source: YamlSource, cert: Buffer, certValue: Value, key: Buffer, keyValue: Value): void {
  const certText = cert.toString('latin1');
  const keyText = key.toString('latin1');
  if (!certText.includes('-----BEGIN CERTIFICATE-----') && PRIVATE_KEY_PEM.test(certText) && keyText.includes('-----BEGIN CERTIFICATE-----')) {
    throw source.error(certValue.node, `cert_file ${certValue.text} holds a private key and key_file ${keyValue.text} a certificate: are they swapped?`);
  }
  const [leaf] = checkCertificates(source, cert, certValue);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    const what = keyText.includes('-----BEGIN CERTIFICATE-----') ? 'holds a certificate, not a private key' : `is not a PEM private key (${opensslReason(err)})`;
    throw source.error(keyValue.node, `key_file ${keyValue.text} ${what}`);
  }
  if (!leaf.checkPrivateKey(privateKey)) throw source.error(keyValue.node, `key_file ${keyValue.text} is not the key of the certificate in cert_file ${certValue.text}`);
}

/** Every certificate of a PEM file, the first one first; at least one, each parsed. */
function checkCertificates(source: YamlSource, pem: Buffer, value: Value): X509Certificate[] {
  const blocks = pem.toString('latin1').match(CERTIFICATE_PEM) ?? [];
  if (blocks.length === 0) throw source.error(value.node, `${value.key} ${value.text} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      throw source.error(value.node, `${value.key} ${value.text}: certificate ${i + 1} does not parse (${opensslReason(err)})`);
    }
  });
}

/** OpenSSL's reason without its codes: "error:04800064:PEM routines::bad base64 decode" -> "bad base64 decode". */
function opensslReason(err: unknown): string {
  const message = (err as Error)?.message ?? String(err);
  return message.slice(message.lastIndexOf(':') + 1).trim() || message;
}
