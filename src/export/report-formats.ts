import { auditJsonFormat } from './audit-json.js';
import { auditJunitFormat } from './audit-junit.js';
import { auditNdjsonFormat } from './audit-ndjson.js';
import { auditTextFormat } from './audit-text.js';
import type { ReportFormat } from './report-format.js';

/** Every `analyze` report format; a new one is a file that exports a ReportFormat, added here. */
export const REPORT_FORMATS: readonly ReportFormat[] = [auditTextFormat, auditJsonFormat, auditNdjsonFormat, auditJunitFormat];

/** The format a report file's name asks for, by its ending (`.ndjson` before `.json`: the longest ending wins). */
export function reportFormatFor(path: string): ReportFormat | undefined {
  let found: ReportFormat | undefined;
  let length = 0;
  for (const format of REPORT_FORMATS) {
    for (const extension of format.extensions) {
      if (path.endsWith(extension) && extension.length > length) {
        found = format;
        length = extension.length;
      }
    }
  }
  return found;
}

/** The endings `--output` takes, for help and errors: ".txt (text), .json (JSON), ...". */
export function reportExtensions(): string {
  return REPORT_FORMATS.map((f) => `${f.extensions.join(' or ')} (${f.name})`).join(', ');
}
