/**
 * `watch --kubernetes` and `--kubeconfig FILE` as the agent's live identity source: the
 * configuration read and checked at once (exit 2 before capturing when it is missing or bad), the
 * source made when the agent starts. Loaded only when asked for: the client's modules stay out of
 * every other start.
 */
import { KubernetesApi } from './kubernetes-api.js';
import { inClusterConfig, kubeconfigFile } from './kubernetes-config.js';
import type { SourceLog } from './kubernetes-reflector.js';
import { KubernetesWatchSource } from './kubernetes-watch-source.js';

export { KubernetesApiError } from './kubernetes-api.js';

/** In-cluster configuration without `kubeconfig`, else that file's current context; throws a one-line error when it cannot be used. */
export function kubernetesIdentities(kubeconfig: string | undefined): (log: SourceLog) => KubernetesWatchSource[] {
  const api = new KubernetesApi(kubeconfig === undefined ? inClusterConfig() : kubeconfigFile(kubeconfig));
  return (log) => [new KubernetesWatchSource(api, log)];
}
