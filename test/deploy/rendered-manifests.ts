/**
 * deploy/ as the cluster would get it: `kubectl kustomize deploy/`, parsed, with lookups the
 * deploy tests share. kubectl is the machine image's, not Debian's (docs/deploy.md, "Tests").
 */
import { execFileSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../support/tshark.js';

/** A rendered object, as loosely typed as YAML is; the tests narrow what they read. */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> };
  readonly [field: string]: unknown;
}

export function renderDeploy(): K8sObject[] {
  const text = execFileSync('kubectl', ['kustomize', 'deploy/'], { cwd: REPO_ROOT, encoding: 'utf8' });
  return parseAllDocuments(text).map((d) => {
    if (d.errors.length > 0) throw d.errors[0];
    return d.toJS() as K8sObject;
  });
}

/** The one object of `kind`; throws if there is none or several. */
export function only(objects: readonly K8sObject[], kind: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, rendered ${found.length}`);
  return found[0]!;
}
