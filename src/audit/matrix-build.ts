import type { Component, Connection, PortRange, Selector } from './matrix.js';
import { MatrixError } from './matrix-error.js';
import type { RawComponent, RawConnection, RawMatrixFile, RawSelector } from './matrix-raw.js';
import type { SchemaError } from './matrix-schema.js';
import { checkFloorReason } from './matrix-tls-floor.js';
import { parseCidr, parsePortItem, sortPortRanges } from './matrix-values.js';
import { isPlainMap, type RulesDocument, type YamlPath } from './matrix-yaml.js';

/** A model object with the file and YAML path it was written at, for errors found later. */
export interface Located<T> {
  readonly value: T;
  readonly doc: RulesDocument;
  readonly path: YamlPath;
}

/** One file's own components and connections (not its includes'), checked value by value. */
export interface BuiltFile {
  readonly components: readonly Located<Component>[];
  readonly connections: readonly Located<Connection>[];
  /** Every component name the file defines, those left out included: connections may name them. */
  readonly componentNames: readonly string[];
  /** Why a component or connection was left out: a bad CIDR, port or TLS field, one error each. */
  readonly errors: readonly MatrixError[];
}

/**
 * Turns the parts of a file the schema accepts into model objects. A component or connection
 * with a schema error inside it (`schemaErrors`, already reported) is left out, and so is one
 * whose values do not build, with its error: the rest is still built and checked, so one run
 * reports every error of a file.
 */
export function buildFile(doc: RulesDocument, schemaErrors: readonly SchemaError[]): BuiltFile {
  const raw = doc.value as Partial<RawMatrixFile>;
  const refused = (section: string, item: string | number): boolean =>
    schemaErrors.some((e) => e.path[0] === section && (e.path.length === 1 ? e.key === item : e.path[1] === item));
  const errors: MatrixError[] = [];
  const built = <T>(make: () => T): T | null => {
    try {
      return make();
    } catch (err) {
      if (!(err instanceof MatrixError)) throw err;
      errors.push(err);
      return null;
    }
  };
  const rawComponents = isPlainMap(raw.components) ? Object.entries(raw.components) : [];
  const components: Located<Component>[] = [];
  for (const [name, c] of rawComponents) {
    const path = ['components', name];
    const value = refused('components', name) ? null : built(() => buildComponent(doc, path, name, c));
    if (value !== null) components.push({ value, doc, path });
  }
  const connections: Located<Connection>[] = [];
  (Array.isArray(raw.connections) ? raw.connections : []).forEach((c, i) => {
    const path = ['connections', i];
    const value = refused('connections', i) ? null : built(() => buildConnection(doc, path, c));
    if (value !== null) connections.push({ value, doc, path });
  });
  return { components, connections, componentNames: rawComponents.map(([name]) => name), errors };
}

function buildComponent(doc: RulesDocument, path: YamlPath, name: string, raw: RawComponent): Component {
  const selectors = raw.match.map((s, i) => freeze(buildSelector(doc, [...path, 'match', i], s)));
  return freeze({
    name,
    ...(raw.description !== undefined && { description: raw.description }),
    selectors: freeze(selectors),
    context: raw.context ?? false,
    except: freeze([...(raw.except ?? [])]),
    replaceable: raw.replaceable ?? false,
    origin: freeze({ file: doc.file, line: doc.keyPosition(['components'], name).line }),
  });
}

function buildSelector(doc: RulesDocument, path: YamlPath, raw: RawSelector): Selector {
  if (raw.kubernetes !== undefined) {
    const k = raw.kubernetes;
    const resource = k.resource ?? 'pod';
    if (resource === 'node' && k.namespace !== undefined) {
      throw doc.error([...path, 'kubernetes', 'namespace'], 'nodes have no namespace: drop "namespace" from a node selector');
    }
    return {
      kind: 'kubernetes',
      resource,
      ...(k.namespace !== undefined && { namespace: k.namespace }),
      labels: freeze({ ...(k.labels ?? {}) }),
    };
  }
  if (raw.pod !== undefined) {
    const p = raw.pod;
    if (typeof p === 'string') return { kind: 'pod', pattern: p };
    return { kind: 'pod', pattern: p.name, ...(p.namespace !== undefined && { namespace: p.namespace }) };
  }
  if (raw.cidrs !== undefined) {
    const cidrs = raw.cidrs.map((text, i) => {
      const parsed = parseCidr(text);
      if (!parsed.ok) throw doc.error([...path, 'cidrs', i], parsed.error);
      return freeze(parsed.value);
    });
    return { kind: 'cidr', cidrs: freeze(cidrs) };
  }
  if (raw.hostnames !== undefined) return { kind: 'hostname', patterns: freeze([...raw.hostnames]) };
  if (raw.external !== undefined) return { kind: 'external' };
  return { kind: 'internal' };
}

function buildConnection(doc: RulesDocument, path: YamlPath, raw: RawConnection): Connection {
  const ranges: PortRange[] = raw.ports.map((item, i) => {
    const parsed = parsePortItem(item);
    if (!parsed.ok) throw doc.error([...path, 'ports', i], `connection "${raw.id}": ${parsed.error}`);
    return parsed.value;
  });
  const { sorted, overlapAt } = sortPortRanges(ranges);
  if (overlapAt >= 0) {
    throw doc.error([...path, 'ports', overlapAt], `connection "${raw.id}": port ${JSON.stringify(raw.ports[overlapAt])} overlaps another item of the same list`);
  }
  if (raw.minTlsVersion !== undefined && raw.security === 'none') {
    throw doc.error([...path, 'minTlsVersion'], `connection "${raw.id}": minTlsVersion needs security tls or mtls, not none`);
  }
  checkFloorReason(doc, path, raw, `connection "${raw.id}": `);
  return freeze({
    id: raw.id,
    from: raw.from,
    to: raw.to,
    protocol: raw.protocol,
    ports: freeze(sorted.map((r) => freeze(r))),
    security: raw.security,
    ...(raw.minTlsVersion !== undefined && { minTlsVersion: raw.minTlsVersion }),
    initiator: raw.initiator ?? 'from',
    severity: raw.severity ?? 'ok',
    optional: raw.optional ?? false,
    ...(raw.description !== undefined && { description: raw.description }),
    ...(raw.source !== undefined && { source: freeze({ ...raw.source }) }),
    origin: freeze({ file: doc.file, line: doc.position(path).line }),
  });
}

function freeze<T>(value: T): T {
  return Object.freeze(value);
}
