import type { FlowListFormat } from './flow-list-format.js';
import { flowTableFormat } from './flow-table-text.js';
import { flowsJsonFormat } from './flows-json.js';
import { flowsNdjsonFormat } from './flows-ndjson.js';

/** Every `flows --format`; a new one is a file that exports a FlowListFormat, added here. */
export const FLOW_LIST_FORMATS: readonly FlowListFormat[] = [flowTableFormat, flowsJsonFormat, flowsNdjsonFormat];

export function flowListFormat(name: string): FlowListFormat | undefined {
  return FLOW_LIST_FORMATS.find((f) => f.name === name);
}
