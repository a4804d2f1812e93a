import { flowRecordJson } from './flow-record-json.js';
import type { FlowListFormat } from './flow-list-format.js';

/** `flows -f ndjson`: one flow record a line, written as each flow ends. */
export const flowsNdjsonFormat: FlowListFormat = {
  name: 'ndjson',
  streams: true,
  open: (write) => ({
    onFlow: (flow) => write(flowRecordJson(flow)),
    finish: () => '',
  }),
};
