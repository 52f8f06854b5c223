// What package.json promises a user, checked against itself and against the README.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { COMMANDS } from '../../src/extension/commandIds';
import { SETTING_DEFAULTS } from '../../src/extension/settingDefaults';
import { PROPERTIES, SLURM_KEYS, SWEEP_TASK, TRAIN_TASK } from '../../src/extension/trainingDefinition';

const ROOT = path.join(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

describe('the manifest', () => {
  const commands = new Map<string, string>(manifest.contributes.commands.map((c: { command: string; title: string }) => [c.command, c.title]));

  it('the Runs view\'s welcome offers Train a Run and Launch a Sweep, as the README says, and every link is a real command', () => {
    const welcome: string = manifest.contributes.viewsWelcome.find((w: { view: string }) => w.view === 'precisionPlanner.runs').contents;
    const linked = [...welcome.matchAll(/\[([^\]]+)\]\(command:([^)]+)\)/g)].map((m) => ({ label: m[1], command: m[2] }));
    for (const l of linked) assert.ok(commands.has(l.command), `${l.command} is linked from the welcome view but not contributed`);
    const labels = linked.map((l) => l.label);
    assert.ok(labels.includes('Train a Run') && labels.includes('Launch a Sweep'), labels.join(', '));
    assert.match(readme, /\*\*Train a Run\*\* and \*\*Launch a Sweep\*\* \(command palette, Runs view title, the welcome view\)/);
  });

  it('declares every setting the code reads, each with the default the code falls back to (src/extension/settingDefaults.ts)', () => {
    const sections = Array.isArray(manifest.contributes.configuration) ? manifest.contributes.configuration : [manifest.contributes.configuration];
    const properties: [string, { default?: unknown }][] = sections.flatMap((c: { properties: Record<string, { default?: unknown }> }) => Object.entries(c.properties));
    const declared = Object.fromEntries(properties.map(([key, p]) => [key.replace(/^precisionPlanner\./, ''), p.default]));
    assert.deepEqual(Object.keys(declared).sort(), Object.keys(SETTING_DEFAULTS).sort());
    for (const [key, value] of Object.entries(SETTING_DEFAULTS)) assert.deepEqual(declared[key], value, `precisionPlanner.${key}`);
  });

  it("declares the commands the code registers and runs, and no other (src/extension/commandIds.ts)", () => {
    assert.deepEqual([...commands.keys()].sort(), Object.values(COMMANDS).sort());
  });

  it("declares for each task type the properties the definition reader takes, and no other", () => {
    for (const type of [TRAIN_TASK, SWEEP_TASK]) {
      const declared = manifest.contributes.taskDefinitions.find((t: { type: string }) => t.type === type);
      assert.deepEqual(Object.keys(declared.properties).sort(), Object.keys({ ...PROPERTIES.common, ...PROPERTIES[type] }).sort(), type);
    }
    const sweep = manifest.contributes.taskDefinitions.find((t: { type: string }) => t.type === SWEEP_TASK);
    assert.deepEqual(Object.keys(sweep.properties.slurm.properties).sort(), [...SLURM_KEYS].sort());
    const settings = Object.assign({}, ...[manifest.contributes.configuration].flat().map((c: { properties: object }) => c.properties));
    assert.deepEqual(Object.keys(settings['precisionPlanner.training.slurm'].properties).sort(), [...SLURM_KEYS].sort());
  });
});
