// The CLI run in-process with its output captured, as the unit tests drive it.

import assert from 'node:assert/strict';
import { runCli } from '../../src/cli/main';

export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The same, with stdout and stderr as their lines (a CLI whose output is a file or a pipe). */
export async function cliLines(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out, err };
}

/** The CLI's JSON, read loosely: each test asserts the fields it relies on. Exit code 0 is required. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function cliJson(...argv: string[]): Promise<any> {
  const r = await cli(...argv, '--json');
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out);
}
