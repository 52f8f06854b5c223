// The hostile inputs of bench/hover/hostile.ts, generated on the fly: configs built against a
// quadratic lookup or a backtracking pattern (each as the tests build them, at full size), and
// Megatron log lines just under the reader's 16 KB line cap built against its line patterns.

export type CaseKind = 'config' | 'log';

export interface HostileCase {
  name: string;
  kind: CaseKind;
  language?: 'yaml' | 'json' | 'toml' | 'python';
  /** The config text, or the log's appended lines. */
  make: () => string;
}

const keys = (n: number, line: (i: number) => string): string => Array.from({ length: n }, (_, i) => line(i)).join('\n');
const LINE_CAP = 16 * 1024;
const fill = (unit: string, end = '', head = ''): string => head + unit.repeat(Math.floor((LINE_CAP - head.length - end.length - 1) / unit.length)) + end;

export const CASES: readonly HostileCase[] = [
  { name: 'TOML, 5,000 keys', kind: 'config', language: 'toml', make: () => `[model]\nparams = "85M"\n[train]\n${keys(5000, (i) => `k${i} = ${i}`)}\nmax_steps = 10\n` },
  { name: 'TOML, 50,000 keys', kind: 'config', language: 'toml', make: () => `params = "85M"\n${keys(50_000, (i) => `k${i} = ${i}`)}\n` },
  { name: 'TOML, a string line of "[" and 100k spaces', kind: 'config', language: 'toml', make: () => `params = "85M"\nnotes = """\n[${' '.repeat(100_000)}\n"""\nmax_steps = 5\n` },
  { name: 'Python, "a:" and 100k spaces', kind: 'config', language: 'python', make: () => `a:${' '.repeat(100_000)}\nn_layer = 12\n` },
  { name: 'Python, a 1 MB string line', kind: 'config', language: 'python', make: () => `n_layer = 12\nname = '${'x'.repeat(1 << 20)}'\n` },
  { name: 'YAML, a precision of w4, a4 and 2×5,000 tabs', kind: 'config', language: 'yaml', make: () => `n_params: 124M\nprecision: "w4${'\t'.repeat(5000)}a4${'\t'.repeat(5000)}x"\n` },
  { name: 'YAML, a count of 5,000 digits and 5,000 tabs', kind: 'config', language: 'yaml', make: () => `n_params: "${'0'.repeat(5000)}${'\t'.repeat(5000)}+"\n` },
  { name: 'YAML, devices "0," ×20,000 then 50,000 spaces', kind: 'config', language: 'yaml', make: () => `max_steps: 10\nmicro_batch_size: 2\nseq_len: 8\ndevices: "${'0,'.repeat(20_000)}${' '.repeat(50_000)}x"\n` },
  { name: 'YAML, 50,000 keys', kind: 'config', language: 'yaml', make: () => `n_params: 124M\n${keys(50_000, (i) => `k${i}: ${i}`)}\n` },
  { name: 'JSON, 50,000 keys', kind: 'config', language: 'json', make: () => `{"n_params": "124M",\n${keys(50_000, (i) => `"k${i}": ${i},`)}\n"end": 0}\n` },
  { name: 'YAML, nesting 100,000 deep', kind: 'config', language: 'yaml', make: () => `n_params: 124M\nx: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n` },
  { name: 'JSON, nesting 100,000 deep', kind: 'config', language: 'json', make: () => `{"n_params": "124M", "x": ${'['.repeat(100_000)}${']'.repeat(100_000)}}` },
  // A line terminator other than the final "\r" (which the line reader drops): U+2028, where "(.*)$" fails.
  { name: 'Megatron log + 16 KB line: "validation-|" ×650, " | s" ×2000, U+2028', kind: 'log', make: () => `${'validation-|'.repeat(650)} loss at s${' | s'.repeat(2000)}\u2028` },
  { name: 'Megatron log + 16 KB line: a validation value of spaces', kind: 'log', make: () => fill(' ', 'x', ' validation loss at iteration 9999 on validation set | lm loss') },
  { name: 'Megatron log + 9 other 16 KB lines against its patterns', kind: 'log', make: () => [fill('validation-'), fill('validation-|', ' loss at x'), fill(' value: ', '', ' validation loss at iteration 9999 on validation set |'), fill(' [2025-03-04] iteration      100/    2000 |x', '\u2028'), fill('iteration\t9/', ' |\u2028'), fill('successfully loaded checkpoint from '), fill(' > number of parameters on ('), fill('1', 'x'), fill('GPTConfig(')].join('\n') },
];
