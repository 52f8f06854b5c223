import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeReport } from '../../src/extension/exportReport';
import { reportMarkdown, runsCsv } from '../../src/extension/report';
import { OUTPUT_MARKER, scan } from '../../src/runs/discover';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');

describe('Export Report into the workspace', () => {
  let ws: string;
  before(() => {
    ws = mkdtempSync(path.join(tmpdir(), 'precision-export-'));
    cpSync(path.join(EXAMPLES, 'runs'), path.join(ws, 'runs'), { recursive: true });
  });
  after(() => rmSync(ws, { recursive: true, force: true }));

  it('the report is not read back as runs: the count is unchanged', async () => {
    const before = await scan([ws]);
    assert.equal(before.runs.length, 26);
    const dir = await writeReport(ws, { markdown: reportMarkdown(undefined, before.runs, 'paper'), csv: runsCsv(before.runs) });
    assert.deepEqual(readdirSync(dir).sort(), [OUTPUT_MARKER, 'report.md', 'runs.csv']);
    const afterExport = await scan([ws]);
    assert.equal(afterExport.runs.length, 26);
    assert.deepEqual(afterExport.runs.map((r) => r.id), before.runs.map((r) => r.id));
  });

  it('the marker is what keeps it out: the same CSV elsewhere is a sweep table of the same runs', async () => {
    // Shows the test above can fail: without the marker, the CSV doubles the runs.
    const [dir] = readdirSync(ws).filter((n) => n.startsWith('precision-report-'));
    rmSync(path.join(ws, dir, OUTPUT_MARKER));
    renameSync(path.join(ws, dir), path.join(ws, 'copied-report'));
    const r = await scan([ws]);
    assert.equal(r.runs.length, 52);
    assert.ok(!existsSync(path.join(ws, dir)));
  });

  it('never writes into an existing folder', async () => {
    const now = new Date('2026-01-02T03:04:05Z');
    await writeReport(ws, { markdown: '', csv: '' }, now);
    await assert.rejects(writeReport(ws, { markdown: '', csv: '' }, now), /EEXIST/);
  });
});
