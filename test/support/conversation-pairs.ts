/**
 * Flows and tshark conversations as comparable counts: each keyed by its unordered pair of
 * endpoints ("a:port b:port", lower first), with the packets each way summed (so that flows tshark
 * merges, or splits, on a reused 5-tuple still compare).
 */
import type { CliFlow, Conversation } from './tshark.js';

export type PairCounts = Map<string, [number, number]>;

function addPair(pairs: PairCounts, a: string, b: string, fromA: number, fromB: number): void {
  const [key, counts] = a <= b ? [`${a} ${b}`, [fromA, fromB]] : [`${b} ${a}`, [fromB, fromA]];
  const sum = pairs.get(key) ?? [0, 0];
  pairs.set(key, [sum[0] + counts[0], sum[1] + counts[1]]);
}

export const endpointText = (e: { address: string; port: number }): string => `${e.address}:${e.port}`;

export function pairKey(a: string, b: string): string {
  return a <= b ? `${a} ${b}` : `${b} ${a}`;
}

export function flowPairs(flows: readonly CliFlow[]): PairCounts {
  const pairs: PairCounts = new Map();
  for (const f of flows) addPair(pairs, endpointText(f.client), endpointText(f.server), f.toServer.packets, f.toClient.packets);
  return pairs;
}

export function conversationPairs(conversations: readonly Conversation[]): PairCounts {
  const pairs: PairCounts = new Map();
  for (const c of conversations) addPair(pairs, endpointText(c.a), endpointText(c.b), c.framesAtoB, c.framesBtoA);
  return pairs;
}
