/**
 * How `watch --kubernetes` finds the API: a pod's service account (token, CA, the two environment
 * variables), or a kubeconfig file; what is missing or malformed is one line.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { IdentityIndex } from '../../src/identity/identity-index.js';
import { KubernetesApi } from '../../src/identity/kubernetes-api.js';
import { inClusterConfig, kubeconfigFile } from '../../src/identity/kubernetes-config.js';
import { KubernetesWatchSource } from '../../src/identity/kubernetes-watch-source.js';
import { FakeKubeApi, pod } from '../support/fake-kube-api.js';
import { makeTestPki } from '../support/test-pki.js';
import { newTempDir, tempDir } from '../support/temp-dir.js';

const scratch = tempDir('kube-config');
const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
afterEach(() => {
  for (const [name, value] of [['KUBERNETES_SERVICE_HOST', saved.host], ['KUBERNETES_SERVICE_PORT', saved.port]] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe('in a pod', () => {
  it('reaches the API at KUBERNETES_SERVICE_HOST:PORT with the mounted token and CA', async () => {
    const api = await FakeKubeApi.start({ pki: makeTestPki(), token: 'mounted-token' });
    try {
      api.upsert('pods', pod({ uid: 'p1', name: 'cart-1', ip: '10.1.0.5' }));
      const root = api.writeServiceAccount(newTempDir('sa'));
      process.env.KUBERNETES_SERVICE_HOST = '127.0.0.1';
      process.env.KUBERNETES_SERVICE_PORT = new URL(api.url).port;
      const index = new IdentityIndex();
      const source = new KubernetesWatchSource(new KubernetesApi(inClusterConfig(root)), { info: () => {}, warn: () => {} });
      await source.start(index);
      source.close();
      expect(index.identify('10.1.0.5').kubernetes.map((o) => o.name)).toEqual(['cart-1']);
    } finally {
      await api.close();
    }
  });

  it('outside a pod, says which variable is missing and what to give instead', () => {
    delete process.env.KUBERNETES_SERVICE_HOST;
    process.env.KUBERNETES_SERVICE_PORT = '443';
    expect(() => inClusterConfig(scratch.path)).toThrow('watch --kubernetes: not running in a pod: KUBERNETES_SERVICE_HOST is not set (outside a cluster, give --kubeconfig FILE)');
  });

  it('without the mounted token, names the file', () => {
    process.env.KUBERNETES_SERVICE_HOST = '10.96.0.1';
    process.env.KUBERNETES_SERVICE_PORT = '443';
    expect(() => inClusterConfig(scratch.path)).toThrow(
      `watch --kubernetes: cannot read the service account's token (${scratch.path}/var/run/secrets/kubernetes.io/serviceaccount/token): ENOENT (is automountServiceAccountToken off?)`,
    );
  });
});

describe('a kubeconfig', () => {
  it('YAML that does not parse is FILE:LINE:COL', () => {
    const file = scratch.write('broken.yaml', 'apiVersion: v1\nclusters:\n  - name: a\n   server: x\n');
    expect(() => kubeconfigFile(file)).toThrow(new RegExp(`^${file}:4:\\d+: kubeconfig: bad indentation`));
  });

  it('without a current context, or one naming no cluster, says so', () => {
    const none = scratch.write('none.yaml', 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
    expect(() => kubeconfigFile(none)).toThrow(`${none}: kubeconfig: no current-context`);
    const dangling = scratch.write('dangling.yaml', 'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts:\n  - name: a\n    context: { cluster: gone, user: u }\ncurrent-context: a\n');
    expect(() => kubeconfigFile(dangling)).toThrow(`${dangling}: kubeconfig: the current context "a" names no cluster the file defines`);
  });

  it('a missing file is FILE: no such file', () => {
    expect(() => kubeconfigFile(scratch.file('absent.yaml'))).toThrow(`${scratch.file('absent.yaml')}: no such file`);
  });
});
