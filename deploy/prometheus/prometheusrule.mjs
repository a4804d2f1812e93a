#!/usr/bin/env node
// Writes deploy/prometheusrule.yaml, the alert rules of flowaudit-rules.yaml as a PrometheusRule
// for the Prometheus Operator: the same groups, comments kept, so the two never differ.
// `--check` writes nothing and exits 1, naming the file, if it is not what this would write
// (test/deploy/alert-rules.test.ts runs it).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, 'flowaudit-rules.yaml');
const target = join(here, '..', 'prometheusrule.yaml');

const rules = YAML.parseDocument(readFileSync(source, 'utf8'));
if (rules.errors.length > 0) throw rules.errors[0];
const resource = new YAML.Document({
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'PrometheusRule',
  metadata: { name: 'flowaudit', labels: { 'app.kubernetes.io/name': 'flowaudit' } },
  spec: {},
});
resource.setIn(['spec', 'groups'], rules.get('groups', true));
resource.commentBefore = ' Generated from deploy/prometheus/flowaudit-rules.yaml by `node deploy/prometheus/prometheusrule.mjs`:\n edit that file and run it again. The Prometheus Operator loads it if its ruleSelector matches\n these labels (docs/deploy.md).';
const text = resource.toString({ lineWidth: 0 });

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // Missing: reported below like any other difference.
  }
  if (current !== text) {
    process.stderr.write(`${target}: not generated from ${source}: run node deploy/prometheus/prometheusrule.mjs\n`);
    process.exit(1);
  }
} else {
  writeFileSync(target, text);
}
