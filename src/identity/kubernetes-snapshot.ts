/**
 * Kubernetes snapshots: the JSON of `kubectl get pods,services -A -o json`, `kubectl get nodes
 * -o json`, or a `kind: List` mixing them, so a capture taken in a cluster is audited with the
 * same label selectors the live agent uses. Several snapshots are combined by KubernetesIndex.
 */
import { SourcePositionError, cut } from '../source-position-error.js';
import { JsonField, ShapeError } from './json-field.js';
import { MAX_JSON_DEPTH, jsonPathOffset, jsonSyntaxError, jsonTooDeepAt, lineColumn, type JsonPath } from './json-scan.js';
import { describeItem, readSnapshotObject, type NodeObject, type PodObject, type ServiceObject } from './kubernetes-objects.js';
import { INPUT_FILES } from '../input-file.js';
import { readSourceText } from '../source-text.js';

export interface KubernetesSnapshot {
  /** The file as shown in errors. */
  readonly file: string;
  /** In file order. */
  readonly pods: readonly PodObject[];
  readonly services: readonly ServiceObject[];
  readonly nodes: readonly NodeObject[];
  /** Items of other kinds, skipped: how many of each (`Deployment`, `Service (serving.knative.dev/v1)`). */
  readonly skipped: ReadonlyMap<string, number>;
}

/** Reads and parses a snapshot file; throws an SourcePositionError (`FILE:LINE:COL: message`). */
export function loadKubernetesSnapshot(file: string, shownAs: string = file): KubernetesSnapshot {
  return parseKubernetesSnapshot(readSourceText(file, INPUT_FILES.kubernetesSnapshot, shownAs), shownAs);
}

/** Parses snapshot JSON; `file` names it in errors. */
export function parseKubernetesSnapshot(text: string, file: string): KubernetesSnapshot {
  const tooDeep = jsonTooDeepAt(text);
  if (tooDeep >= 0) {
    const { line, column } = lineColumn(text, tooDeep);
    throw new SourcePositionError(file, line, column, `JSON: nesting deeper than ${MAX_JSON_DEPTH} levels`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    const syntax = jsonSyntaxError(text) ?? { offset: 0, message: 'not JSON' };
    const { line, column } = lineColumn(text, syntax.offset);
    throw new SourcePositionError(file, line, column, `JSON: ${syntax.message}`);
  }
  try {
    return readDocument(new JsonField(document, []), file);
  } catch (err) {
    if (!(err instanceof ShapeError)) throw err;
    const { line, column } = lineColumn(text, jsonPathOffset(text, err.path));
    throw new SourcePositionError(file, line, column, `${describePath(document, err.path)}: ${err.detail}`);
  }
}

function readDocument(root: JsonField, file: string): KubernetesSnapshot {
  const top = typeof root.value === 'object' && root.value !== null && !Array.isArray(root.value) ? (root.value as Record<string, unknown>) : null;
  if (top === null || top.items === undefined) {
    const single = typeof top?.kind === 'string' && !top.kind.endsWith('List') ? `: this is a single ${cut(top.kind)}` : '';
    throw root.error(`expected a kubectl list, an object with an "items" list (kubectl get pods,services -A -o json)${single}`);
  }
  const items = root.field('items');
  const listKind = root.field('kind').optionalString();
  // Typed lists from the API (`kubectl get --raw /api/v1/pods`) leave `kind` out of their items.
  const itemKind = listKind !== undefined && listKind.endsWith('List') && listKind !== 'List' ? listKind.slice(0, -4) : undefined;
  const pods: PodObject[] = [];
  const services: ServiceObject[] = [];
  const nodes: NodeObject[] = [];
  const skipped = new Map<string, number>();
  for (const item of items.list()) {
    const object = readSnapshotObject(item, itemKind);
    if (object.kind === 'pod') pods.push(object);
    else if (object.kind === 'service') services.push(object);
    else if (object.kind === 'node') nodes.push(object);
    else skipped.set(object.type, (skipped.get(object.type) ?? 0) + 1);
  }
  return Object.freeze({ file, pods, services, nodes, skipped });
}

/** `items[3] (Pod apigee/x): status.podIPs[0].ip`, from a path into the document. */
function describePath(document: unknown, path: JsonPath): string {
  if (path.length === 0) return 'the document';
  if (path[0] !== 'items' || typeof path[1] !== 'number') return fieldPath(path);
  const head = `items[${path[1]}] (${describeItem((document as { items: unknown[] }).items[path[1]])})`;
  return path.length === 2 ? head : `${head}: ${fieldPath(path.slice(2))}`;
}

function fieldPath(path: JsonPath): string {
  return path.map((step, i) => (typeof step === 'number' ? `[${step}]` : i === 0 ? step : `.${step}`)).join('');
}
