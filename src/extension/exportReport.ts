// Export Report's files: the fit as Markdown for people, the runs as CSV for spreadsheets, the
// fit as JSON for `precision-planner --fit`, in a new folder marked as the product's own output
// so that a scan never reads the CSV back as a sweep table of the same runs.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { FitResult } from '../fit/fit';
import { OUTPUT_MARKER, OUTPUT_MARKER_TEXT } from '../runs/discover';

export interface ReportFiles {
  markdown: string;
  csv: string;
  fit?: FitResult;
}

/** Writes into a new folder `precision-report-<time>` under `parent`; returns its path. Never touches an existing folder. */
export async function writeReport(parent: string, files: ReportFiles, now = new Date()): Promise<string> {
  const stamp = now.toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const dir = path.join(parent, `precision-report-${stamp}`);
  await fs.mkdir(dir, { recursive: false });
  // First, so a scan while the rest is written already passes the folder by.
  await fs.writeFile(path.join(dir, OUTPUT_MARKER), OUTPUT_MARKER_TEXT);
  await fs.writeFile(path.join(dir, 'report.md'), files.markdown);
  await fs.writeFile(path.join(dir, 'runs.csv'), files.csv);
  if (files.fit) await fs.writeFile(path.join(dir, 'fit.json'), `${JSON.stringify(files.fit, null, 2)}\n`);
  return dir;
}
