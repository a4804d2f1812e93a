/**
 * What of ours is attached, as the kernel's own tools show it: TCX links running our programs
 * (`bpftool link show`; bpftool 7.1 prints their type as 11), and tc filters and clsact qdiscs
 * on an interface (`tc filter show`, `tc qdisc show`).
 */
import { mustRun, run } from './pod-lab.js';

const BPF_LINK_TYPE_TCX = 11;

function programName(id: number): string {
  const r = run('bpftool', ['-j', 'prog', 'show', 'id', String(id)]);
  return r.status === 0 ? (JSON.parse(r.stdout).name ?? '') : '';
}

/** Program names of the TCX links running a flowaudit_* program, anywhere on the machine. */
export function ourTcxLinks(): string[] {
  const links = JSON.parse(mustRun('bpftool', ['-j', 'link', 'show'])) as { type: number | string; prog_id: number }[];
  return links
    .filter((l) => l.type === BPF_LINK_TYPE_TCX || l.type === 'tcx')
    .map((l) => programName(l.prog_id))
    .filter((name) => name.startsWith('flowaudit_'));
}

/** Our tc filters on `dev` ("ingress flowaudit_in:[id]"), and whether it has a clsact qdisc. */
export function tcState(dev: string): { filters: string[]; clsact: boolean } {
  const filters: string[] = [];
  for (const side of ['ingress', 'egress']) {
    for (const line of mustRun('tc', ['filter', 'show', 'dev', dev, side]).split('\n')) {
      const m = /(flowaudit_\w+):\[\d+\]/.exec(line);
      if (m) filters.push(`${side} ${m[1]}`);
    }
  }
  return { filters, clsact: mustRun('tc', ['qdisc', 'show', 'dev', dev]).includes('clsact') };
}
