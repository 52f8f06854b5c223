// Scans every folder of the real-log corpus with the current readers and compares the runs they
// find with test/corpus/truth.json (see test/corpus/SOURCES.md for where the data comes from and
// where it is looked for).
// Usage: npx tsx bench/corpus/run.ts [--json] [--corpus DIR]

import { compareToTruth, findCorpus, loadTruth, markdown, scanCorpus, summarize } from './compare';

async function main(): Promise<void> {
  const truth = loadTruth();
  const root = findCorpus(truth);
  if (!root) {
    process.stderr.write('corpus not found: give --corpus DIR or PRECISION_CORPUS, or put its folders in test/corpus/ or ../shared/corpus/ (see test/corpus/SOURCES.md)\n');
    process.exitCode = 2;
    return;
  }
  const scans = await scanCorpus(root, truth);
  const comparison = compareToTruth(truth, scans);
  if (process.argv.includes('--json')) {
    const runs = comparison.runs.map((c) => ({ id: c.truth.id, format: c.truth.format, readAs: c.run?.format ?? null, fields: c.fields, reasons: c.run?.reasons ?? {} }));
    const extra = comparison.extra.map(({ folder, run }) => ({ folder, id: run.id, format: run.format }));
    process.stdout.write(`${JSON.stringify({ corpus: root, summary: summarize(comparison), runs, extra, diagnostics: comparison.diagnostics }, null, 2)}\n`);
  } else {
    process.stdout.write(`Corpus: ${root}\n\n${markdown(comparison)}`);
  }
}

void main();
