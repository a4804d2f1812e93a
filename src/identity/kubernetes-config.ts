/**
 * Where the agent finds the Kubernetes API and how it proves who it is: in a pod, its service
 * account (the token and CA mounted under /var/run/secrets/kubernetes.io/serviceaccount, the API's
 * address in KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT); elsewhere, a kubeconfig file's
 * current context. What is missing or malformed is one line at start (exit 2), before capturing.
 */
import { accessSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { INPUT_FILES } from '../input-file.js';
import { SourcePositionError } from '../source-position-error.js';
import { readSourceText } from '../source-text.js';
import { UsageError } from '../usage-error.js';

/** Where a pod's service account files are mounted. */
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The in-cluster configuration; `root` is prefixed to the service account's paths (tests put
 * the files under a temp folder). Throws a UsageError naming what is missing.
 */
export function inClusterConfig(root = ''): KubeConfig {
  // The client reads the same two variables from process.env.
  const unset = ['KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT'].filter((name) => (process.env[name] ?? '') === '');
  if (unset.length > 0) throw new UsageError(`watch --kubernetes: not running in a pod: ${unset.join(' and ')} ${unset.length > 1 ? 'are' : 'is'} not set (outside a cluster, give --kubeconfig FILE)`);
  for (const file of ['token', 'ca.crt']) {
    const path = `${root}${SERVICE_ACCOUNT_DIR}/${file}`;
    try {
      accessSync(path, constants.R_OK);
    } catch (err) {
      throw new UsageError(`watch --kubernetes: cannot read the service account's ${file} (${path}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (is automountServiceAccountToken off?)`);
    }
  }
  const config = new KubeConfig();
  config.loadFromCluster(root);
  return config;
}

/**
 * A kubeconfig file's current context. Throws `FILE:LINE:COL: message` for YAML that does not
 * parse and `FILE: message` for one the client refuses (a context naming no cluster).
 */
export function kubeconfigFile(file: string): KubeConfig {
  const text = readSourceText(file, INPUT_FILES.kubeconfig);
  const config = new KubeConfig();
  try {
    config.loadFromString(text);
    config.makePathsAbsolute(dirname(file));
  } catch (err) {
    const mark = (err as { mark?: { line: number; column: number } }).mark;
    const reason = (err as { reason?: string }).reason ?? (err as Error).message;
    throw new SourcePositionError(file, mark === undefined ? 0 : mark.line + 1, mark === undefined ? 0 : mark.column + 1, `kubeconfig: ${oneLine(reason)}`);
  }
  const context = config.getCurrentContext();
  if (!context) throw new SourcePositionError(file, 0, 0, 'kubeconfig: no current-context');
  if (config.getCurrentCluster() === null) throw new SourcePositionError(file, 0, 0, `kubeconfig: the current context ${JSON.stringify(context)} names no cluster the file defines`);
  return config;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
