// The CLI's output to a terminal: control characters from the workspace (a run named with escape
// sequences) are shown as escapes, not obeyed; the real entry point (src/cli.ts) run as a process.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { terminalText } from '../../src/cli/terminalText';

const ROOT = path.join(__dirname, '..', '..');

describe('terminal text', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'pp-terminal-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('escapes C0 (but the line break and tab), DEL and C1 controls; leaves other text as it is', () => {
    assert.equal(terminalText('a\u001b[2Jb\rc\u0007d\u007fe\u009bf'), 'a\\u001b[2Jb\\u000dc\\u0007d\\u007fe\\u009bf');
    assert.equal(terminalText('line 1\n\tline 2 — ünïcode ✓'), 'line 1\n\tline 2 — ünïcode ✓');
  });

  it('a run folder named with escape sequences is printed by `scan` with them escaped', () => {
    const name = 'evil\u001b]8;;https://evil.example\u0007link\u001b]8;;\u0007\u001b[2J\rX';
    const part = { bits: 8, type: 'int' };
    mkdirSync(path.join(tmp, name), { recursive: true });
    writeFileSync(path.join(tmp, name, 'run.json'), JSON.stringify({ schemaVersion: 1, name, status: 'complete', params: 1e6, tokens: 2e7, precision: { weights: part, activations: part, kv: part }, valLoss: 3.2, ptq: [] }));
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli.ts'), 'scan', tmp], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(r.stdout + r.stderr, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    // The table's columns are aligned on what the terminal shows.
    const rows = r.stdout.split('\n').filter((l) => l.includes('precision-planner') || l.startsWith('run '));
    assert.equal(rows.length, 2);
    assert.equal(rows[0].indexOf('format') + 'format'.length, rows[1].indexOf('precision-planner') + 'precision-planner'.length);
    assert.match(r.stdout, /evil\\u001b\]8;;https:\/+evil\.example\\u0007link\\u001b\]8;;\\u0007\\u001b\[2J\\u000dX/);
  });
});
