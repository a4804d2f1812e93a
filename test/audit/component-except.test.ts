/**
 * Component exclusions and replacements, the two parts of a default a site narrows (Kong's
 * upstream-services): `except` leaves out the endpoints identified as other components, and a
 * `replaceable` component is replaced whole by an including file's definition.
 */
import { describe, expect, test } from 'vitest';
import { ComponentMatcher } from '../../src/audit/component-matcher.js';
import type { Matrix } from '../../src/audit/matrix.js';
import type { MatrixError } from '../../src/audit/matrix-error.js';
import { kubernetesIndex, list, pod } from './audit-fixtures.js';
import { loadErrorIn, loadIn } from './fixtures-rules/load-rules.js';
import { positionOf } from './fixtures-rules/rules-text.js';
import { tempDir } from '../support/temp-dir.js';

const temp = tempDir('rules');

const VENDOR = `apiVersion: flowaudit.dev/v1
kind: ConnectionMatrix
metadata: { name: vendor, title: Vendor }
components:
  gateway:
    match: [{ kubernetes: { labels: { app: gateway } } }]
  lan:
    context: true
    match: [{ internal: true }]
  upstreams:
    replaceable: true
    match: [{ kubernetes: { resource: pod } }]
    except: [gateway, lan]
connections:
  - { id: gateway-to-upstreams, from: gateway, to: upstreams, protocol: tcp, ports: ["1-65535"], security: none }
`;

const CLUSTER = list([
  pod({ namespace: 'edge', name: 'gateway-0', ip: '10.1.0.10', labels: { app: 'gateway' } }),
  pod({ namespace: 'shop', name: 'orders-0', ip: '10.1.0.20', labels: { app: 'orders' } }),
  pod({ namespace: 'lab', name: 'scratch-0', ip: '10.1.0.30', labels: { app: 'scratch' } }),
]);

const load = (path: string): Matrix => loadIn(temp.path, path);
const loadError = (path: string): MatrixError => loadErrorIn(temp.path, path);

function componentsOf(m: Matrix, address: string): string[] {
  const identity = kubernetesIndex(CLUSTER).identify(address);
  return new ComponentMatcher(m)
    .match(identity)
    .map((match) => match.component)
    .sort();
}

temp.write('vendor.yaml', VENDOR);

describe('except', () => {
  const m = load(temp.write('plain.yaml', VENDOR));

  test('a pod identified as an excepted component is not a member', () => {
    expect(componentsOf(m, '10.1.0.10')).toEqual(['gateway', 'lan']);
  });

  test('another pod is, whatever catch-all (lan) it also fits: catch-alls exclude nothing', () => {
    expect(componentsOf(m, '10.1.0.20')).toEqual(['lan', 'upstreams']);
  });

  test('it is part of the hash', () => {
    const without = load(temp.write('no-except.yaml', VENDOR.replace('    except: [gateway, lan]\n', '')));
    expect(without.hash).not.toBe(m.hash);
    expect(componentsOf(without, '10.1.0.10')).toEqual(['gateway', 'lan', 'upstreams']);
  });

  test('naming an undefined component is an error at the name', () => {
    const text = VENDOR.replace('except: [gateway, lan]', 'except: [gateway, gatway]');
    const e = loadError(temp.write('typo.yaml', text));
    expect(e.message).toBe(`typo.yaml:${positionOf(text, 'gatway').line}:${positionOf(text, 'gatway').column}: component "upstreams": except names undefined component "gatway"`);
  });

  test('naming itself is an error', () => {
    const text = VENDOR.replace('except: [gateway, lan]', 'except: [upstreams]');
    expect(loadError(temp.write('self.yaml', text)).message).toMatch(/: component "upstreams" cannot except itself$/);
  });
});

describe('replaceable', () => {
  const site = (components: string): string => `apiVersion: flowaudit.dev/v1
kind: ConnectionMatrix
metadata: { name: site, title: Site }
include: [./vendor.yaml]
components:
${components}`;

  test("a site narrows a replaceable component: the site's definition replaces the vendor's", () => {
    const m = load(temp.write('narrow.yaml', site('  upstreams:\n    match: [{ kubernetes: { namespace: shop } }]\n')));
    expect(componentsOf(m, '10.1.0.20')).toEqual(['lan', 'upstreams']);
    expect(componentsOf(m, '10.1.0.30')).toEqual(['lan']);
    expect(m.components.get('upstreams')).toMatchObject({ except: [], replaceable: false });
  });

  test('a component that is not replaceable may still be repeated only identically', () => {
    const text = site('  gateway:\n    match: [{ kubernetes: { labels: { app: gw } } }]\n');
    const e = loadError(temp.write('redefine.yaml', text));
    expect(e.message).toMatch(/^redefine\.yaml:6:3: component "gateway" is already defined differently at vendor\.yaml:\d+/);
  });
});
