// The patterns that read table cells, column names, JSON lines and model-record keys, before and
// after they were rewritten so no two quantifiers share a character: each pair timed on the same
// hostile input in the same process. Run: `npx tsx bench/parse/hostileValues.ts [--scale K]`
// (inputs K times the default length; the "before" side grows quadratically).

import { DECIMAL_NUMBER } from '../../src/runs/quantity';

const scale = Number(process.argv[process.argv.indexOf('--scale') + 1]) || 1;
const n = (k: number): number => Math.round(k * scale);

interface Pair {
  name: string;
  input: string;
  before: (s: string) => unknown;
  after: (s: string) => unknown;
}

const PAIRS: Pair[] = [
  {
    name: `JSON line: '{"a":' + ${n(40_000)} spaces (bare-NaN quoting)`,
    input: `{"a":${' '.repeat(n(40_000))}`,
    before: (s) => s.replace(/(?<=[:[,]\s*)(-?Infinity|NaN)(?=\s*[,\]}])/g, '"$1"'),
    after: (s) => s.replace(/([:[,]\s*)(-?Infinity|NaN)(?=\s*[,\]}])/g, '$1"$2"'),
  },
  {
    name: `count cell: "k" + ${n(20_000)} spaces + "x" (own suffix)`,
    input: `k${' '.repeat(n(20_000))}x`,
    before: (s) => /[kmbgt]\s*(?:flops?|tokens?|params?|parameters?)?\s*$/i.test(s),
    after: (s) => /[kmbgt](?:\s*(?:flops?|tokens?|params?|parameters?))?\s*$/i.test(s),
  },
  {
    name: `decimal number: ${n(20_000)} digits + "x"`,
    input: `${'1'.repeat(n(20_000))}x`,
    before: (s) => /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i.test(s),
    after: (s) => DECIMAL_NUMBER.test(s),
  },
  {
    name: `model-record key: "excl" ×${n(10_000)}`,
    input: 'excl'.repeat(n(10_000)),
    before: (s) => /non_?embed|no_?embed|without_?embed|excl\w*_?embed/i.test(s),
    after: (s) => /non_?embed|no_?embed|without_?embed/i.test(s) || s.split(/\W+/).some((w) => w.includes('excl') && w.indexOf('embed', w.indexOf('excl') + 4) !== -1),
  },
  {
    name: `glob: "a" + ${n(20_000)} slashes + "b" (trailing-slash trim)`,
    input: `a${'/'.repeat(n(20_000))}b`,
    before: (s) => s.replace(/\/+$/, ''),
    after: (s) => {
      let end = s.length;
      while (end > 0 && s.charCodeAt(end - 1) === 47) end--;
      return s.slice(0, end);
    },
  },
];

function time(f: (s: string) => unknown, input: string): { ms: number; value: unknown } {
  const start = process.hrtime.bigint();
  const value = f(input);
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

console.log('| input | before | after | ratio |');
console.log('|---|---|---|---|');
for (const pair of PAIRS) {
  const before = time(pair.before, pair.input);
  const after = time(pair.after, pair.input);
  if (JSON.stringify(before.value) !== JSON.stringify(after.value)) throw new Error(`${pair.name}: before and after disagree`);
  console.log(`| ${pair.name} | ${before.ms.toFixed(1)} ms | ${after.ms.toFixed(2)} ms | ×${(before.ms / Math.max(after.ms, 0.01)).toFixed(0)} |`);
}
