import { describe, expect, it } from 'vitest';
import { REPORT_FORMATS, reportFormatFor } from '../../src/export/report-formats.js';

describe('report formats: chosen by the file name', () => {
  it('the longest matching ending wins: .ndjson is not .json', () => {
    expect(reportFormatFor('out/flows.ndjson')?.name).toBe('NDJSON records');
    expect(reportFormatFor('flows.jsonl')?.name).toBe('NDJSON records');
    expect(reportFormatFor('report.json')?.name).toBe('JSON');
    expect(reportFormatFor('junit.xml')?.name).toBe('JUnit');
    expect(reportFormatFor('summary.txt')?.name).toBe('text summary');
  });

  it('an unknown ending names no format', () => {
    expect(reportFormatFor('report.html')).toBeUndefined();
    expect(reportFormatFor('report')).toBeUndefined();
  });

  it('no ending belongs to two formats', () => {
    const endings = REPORT_FORMATS.flatMap((f) => f.extensions);
    expect(new Set(endings).size).toBe(endings.length);
  });
});
