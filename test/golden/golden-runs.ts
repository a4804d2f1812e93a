/**
 * The runs whose outputs are kept as golden files under test/golden/<dir>/: the README's sample
 * capture through `flows`, and each shipped profile's capture through `flows` and `analyze`, in
 * every format. Paths are relative to the repository, where the runs start.
 */
export interface GoldenRun {
  /** Where its golden files are, under test/golden/. */
  readonly dir: string;
  readonly args: readonly string[];
  /** The golden file that holds what it prints on stdout. */
  readonly stdout: string;
  /** Golden files it writes as `--output` reports (their ending picks the format). */
  readonly reports: readonly string[];
}

const PROFILES = ['apigee-hybrid-1.4', 'apigee-hybrid', 'kong-konnect', 'kong-konnect-kic', 'kong-hybrid'];

const flowsRuns = (name: string, capture: string): GoldenRun[] => [
  { dir: `flows/${name}`, args: ['flows', capture, '-q'], stdout: 'flows.txt', reports: [] },
  { dir: `flows/${name}`, args: ['flows', capture, '-q', '-f', 'json'], stdout: 'flows.json', reports: [] },
  { dir: `flows/${name}`, args: ['flows', capture, '-q', '-f', 'ndjson'], stdout: 'flows.ndjson', reports: [] },
];

export const GOLDEN_RUNS: readonly GoldenRun[] = [
  ...flowsRuns('traffic', 'test/fixtures/captures/traffic.pcapng'),
  ...flowsRuns('apigee-hybrid-1.4', 'test/fixtures/profiles/apigee-hybrid-1.4.pcapng'),
  ...PROFILES.map((profile) => ({
    dir: `analyze/${profile}`,
    args: ['analyze', `test/fixtures/profiles/${profile}.pcapng`, '--rules', profile, '--inventory', `test/fixtures/profiles/${profile}.inventory.yaml`, '-q'],
    stdout: 'summary.txt',
    reports: ['report.json', 'flows.ndjson', 'junit.xml'],
  })),
];
