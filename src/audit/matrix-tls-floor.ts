import type { Connection, TlsFloor } from './matrix.js';
import type { RawDefaults, RawMatrixFile } from './matrix-raw.js';
import type { RulesDocument, YamlPath } from './matrix-yaml.js';

/** A loaded rules file, for its `defaults`. */
export interface DefaultsFile {
  readonly doc: RulesDocument;
  readonly raw: RawMatrixFile;
}

/**
 * The matrix's TLS floor: the root file's `defaults.minTlsVersion` when it writes one (so a site
 * raises or lowers what its includes set, for their rules too), else the highest any included file
 * sets (including a profile never weakens its floor), else none.
 */
export function resolveTlsFloor(root: DefaultsFile, included: readonly DefaultsFile[]): TlsFloor | undefined {
  for (const file of [root, ...included]) checkFloorReason(file.doc, ['defaults'], file.raw.defaults ?? {}, 'defaults: ');
  const own = floorOf(root);
  if (own !== undefined) return own;
  let highest: TlsFloor | undefined;
  for (const file of included) {
    const floor = floorOf(file);
    // Version names compare in order as text: '1.0' < '1.1' < '1.2' < '1.3'.
    if (floor !== undefined && (highest === undefined || floor.version > highest.version)) highest = floor;
  }
  return highest;
}

/** The rule as the matrix judges it: a tls or mtls rule that names no version gets the floor. */
export function withTlsFloor(rule: Connection, floor: TlsFloor | undefined): Connection {
  if (floor === undefined || rule.security === 'none' || rule.minTlsVersion !== undefined) return rule;
  return Object.freeze({ ...rule, minTlsVersion: floor.version });
}

function floorOf({ doc, raw }: DefaultsFile): TlsFloor | undefined {
  const version = raw.defaults?.minTlsVersion;
  if (version === undefined) return undefined;
  const reason = raw.defaults?.minTlsVersionReason;
  return Object.freeze({
    version,
    ...(reason !== undefined && { reason }),
    origin: Object.freeze({ file: doc.file, line: doc.position(['defaults', 'minTlsVersion']).line }),
  });
}

/**
 * A `minTlsVersionReason` explains a floor below TLS 1.2 (the schema requires it there); anywhere
 * else it would explain nothing, so it is refused rather than left to mislead. `raw`: a file's
 * `defaults`, or a connection (the same two fields).
 */
export function checkFloorReason(doc: RulesDocument, path: YamlPath, raw: RawDefaults, subject: string): void {
  if (raw.minTlsVersionReason === undefined || raw.minTlsVersion === '1.0' || raw.minTlsVersion === '1.1') return;
  const floor = raw.minTlsVersion === undefined ? 'no minTlsVersion' : `minTlsVersion "${raw.minTlsVersion}"`;
  throw doc.error([...path, 'minTlsVersionReason'], `${subject}minTlsVersionReason explains a floor below TLS 1.2, but ${floor} is set here`);
}
