import { VIOLATION_KINDS, type Verdict } from './verdict.js';

/**
 * The verdict of an overlay's outer flow (VXLAN between nodes, an ERSPAN mirror session): the
 * flows inside it are decapsulated and judged on their own, so by default the tunnel itself is
 * no violation. A matrix that names it (a rule allowing node-to-node UDP 4789) judges it as any
 * flow; a tunnel the matrix does not allow is `ignored`, with the reason it would have had.
 */
export function tunnelVerdict(verdict: Verdict, encapsulates: string): Verdict {
  if (!VIOLATION_KINDS.has(verdict.kind)) return verdict;
  return { ...verdict, kind: 'ignored', reason: `overlay tunnel (${encapsulates}): the flows inside it are audited; ${verdict.reason}` };
}
