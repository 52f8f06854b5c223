// User-given text in the Markdown and CSV the product writes (issue 15, item 8): a run named to
// inject a link, an image, a table cell or a spreadsheet formula shows as the text it is. The
// Markdown is checked as produced (the escaped form) and as a CommonMark renderer renders it
// (markdown-it, the renderer of VS Code's Markdown preview, with its linkify on); the CSV as a
// CSV parser reads it back.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { PAPER_CONSTANTS } from '../../src/law/constants';
import { fit } from '../../src/fit/fit';
import { csvCell, csvLine } from '../../src/extension/csv';
import { hoverMarkdown } from '../../src/extension/hoverMarkdown';
import { predictConfig } from '../../src/extension/configPrediction';
import { escapeMarkdown, notificationText } from '../../src/extension/markdownText';
import { reportMarkdown, runsCsv } from '../../src/extension/report';
import { runTooltipMarkdown } from '../../src/extension/runTooltip';
import { DEFAULT_ALIASES } from '../../src/runs/aliases';
import { recogniseConfig } from '../../src/runs/configs';
import type { Run } from '../../src/runs/run';
import { syntheticRuns } from '../support/synthetic';

const render: (markdown: string) => string = (() => {
  const MarkdownIt = createRequire(__filename)('markdown-it') as (options: object) => { render(s: string): string };
  const md = MarkdownIt({ linkify: true });
  return (s) => md.render(s);
})();

const LINK_NAME = 'x](https://evil.example) ![i](https://evil.example/i.png) | col';
const FORMULA_NAME = '=HYPERLINK("http://evil.example","x")';
const HTML_NAME = '<img src="https://evil.example/p.png" onerror="alert(1)">';

/** What a renderer made of it holds no link and no image, and no raw HTML tag of the input's. */
function assertInert(html: string): void {
  assert.doesNotMatch(html, /<a\s/i, 'a live link');
  assert.doesNotMatch(html, /<img\s/i, 'an image that loads by itself');
  assert.doesNotMatch(html, /evil\.example[^<]*<\/a>/);
}

/** The cells of each rendered table row. */
const cellCounts = (html: string): number[] => [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => (m[1].match(/<t[dh][ >]/g) ?? []).length);

describe('escapeMarkdown: one escaping for every Markdown surface', () => {
  it('the link-and-image run name becomes its escaped form, rendered as the literal text', () => {
    const escaped = escapeMarkdown(LINK_NAME);
    assert.equal(escaped, 'x\\](https\\://evil.example) !\\[i\\](https\\://evil.example/i.png) \\| col');
    const html = render(escaped);
    assertInert(html);
    assert.equal(html.trim(), `<p>${LINK_NAME}</p>`);
  });

  it('in a table cell, a | in the name does not add a cell, and a line break does not end the row', () => {
    const html = render(`| run | loss |\n|---|---|\n| ${escapeMarkdown(`${LINK_NAME}\nsecond | line`)} | 3.2 |`);
    assertInert(html);
    assert.deepEqual(cellCounts(html), [2, 2]);
  });

  it('raw HTML, emphasis, code, headings, list markers, math and bare URLs stay text', () => {
    for (const text of [HTML_NAME, '**bold** _it_ `code` ~~del~~', '# heading', '- item', '1. item', '$x^2$', 'www.evil.example', 'https://evil.example/x', 'me@evil.example', '&lt;b&gt;']) {
      const html = render(escapeMarkdown(text));
      assertInert(html);
      assert.doesNotMatch(html, /<(strong|em|code|del|h1|ul|ol|li|math|span)[ >]/, text);
    }
  });

  it('a notification (links, command links included, are all VS Code renders there) gets the link broken, the text unchanged otherwise', () => {
    const text = notificationText('valLoss must be a number, got the string "[Open](command:workbench.action.terminal.new) ![i](https://evil.example/i.png)"');
    assert.doesNotMatch(text, /\]\(/);
    assert.equal(text, 'valLoss must be a number, got the string "[Open] (command:workbench.action.terminal.new) ![i] (https://evil.example/i.png)"');
  });

  it('leaves the text alone where nothing can happen: underscores inside words, parentheses, numbers', () => {
    assert.equal(escapeMarkdown('D_crit of run_12 (4 bits) is -0.0012'), 'D_crit of run_12 (4 bits) is -0.0012');
  });
});

const hostileRun = (over: Partial<Run> = {}): Run => ({
  id: `runs/${LINK_NAME}/run.json`,
  name: LINK_NAME,
  format: 'precision-planner',
  file: `/ws/runs/${HTML_NAME}/run.json`,
  params: 3e7,
  tokens: 1e9,
  precision: { w: { bits: 16, type: 'fp' }, a: { bits: 16, type: 'fp' }, kv: { bits: 16, type: 'fp' } },
  finalLoss: 3.5,
  ptq: [{ bits: 4, type: 'int', format: 'int', method: `gptq](https://evil.example) | x`, loss: 3.6 }],
  sources: {},
  missing: [],
  ...over,
});

describe('the Runs view tooltip of a run with a hostile name, path, reason and PTQ method', () => {
  it('holds the escaped name, renders no link or image, and its PTQ table keeps three columns', () => {
    const md = runTooltipMarkdown(hostileRun(), 'fp16');
    assert.ok(md.includes(`**${escapeMarkdown(LINK_NAME)}**`), md);
    const html = render(md);
    assertInert(html);
    assert.deepEqual(cellCounts(html), [3, 3]);
  });

  it('an incomplete run: the reader reason quoting the file is escaped too', () => {
    const md = runTooltipMarkdown(hostileRun({ finalLoss: undefined, missing: ['finalLoss'], reasons: { finalLoss: `valLoss must be a number, got the string "${LINK_NAME}"` } }), 'fp16');
    assertInert(render(md));
  });
});

describe('the fit report names runs left out, escaped', () => {
  const truth = { ...PAPER_CONSTANTS, Cw: 1.5, Ca: 0.8, Ckv: 2 };
  const sweep = syntheticRuns({ truth, sizes: [3e7, 6e7, 1.2e8], tokens: [1e9, 3e9, 9e9], precisions: [{ w: 16, a: 16, kv: 16 }, { w: 4, a: 16, kv: 16 }], posts: [3, 4], noise: 0.003, seed: 2 });
  // A run whose loss is no loss and whose name is a link: the fit leaves it out and names it.
  const runs = [...sweep, hostileRun({ finalLoss: 5e-324 }), hostileRun({ id: 'incomplete', finalLoss: undefined, missing: ['finalLoss'], reasons: { finalLoss: LINK_NAME } })];
  const result = fit(runs, { bootstrap: 0, heldOut: false });

  it('the warning carries the run id as given; the Markdown carries it escaped, and renders no link or image', () => {
    const id = runs[sweep.length].id;
    assert.ok(result.warnings.some((w) => w.startsWith(`run ${id}: `)));
    const md = reportMarkdown(result, runs, 'workspace fit');
    assert.ok(md.includes(`Warning: run ${escapeMarkdown(id)}: `), 'the warning is in the report, escaped');
    assert.ok(!md.includes(LINK_NAME), 'the name never appears unescaped');
    assertInert(render(md));
  });
});

describe('config hover: a tokenizer name from the config file', () => {
  it('the "not comparable" warning quotes it escaped', () => {
    const config = recogniseConfig(`n_params: 3e7\ntokens: 1e9\nprecision: bf16\nvocab_size: 256\ntokenizer: '${LINK_NAME}'\n`, 'yaml', DEFAULT_ALIASES);
    const r = predictConfig(config, { constants: PAPER_CONSTANTS });
    assert.ok(r.ok);
    const md = hoverMarkdown(r.prediction, 'paper');
    assert.ok(md.includes(escapeMarkdown(LINK_NAME)), 'the tokenizer is in the hover, escaped');
    assert.ok(!md.includes(LINK_NAME));
    assertInert(render(md));
  });
});

describe('no MarkdownString holding user text is trusted or renders HTML', () => {
  it('nothing under src/extension sets isTrusted, supportHtml or supportThemeIcons', () => {
    const dir = path.join(__dirname, '..', '..', 'src', 'extension');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(path.join(dir, file), 'utf8');
      assert.doesNotMatch(text, /\b(isTrusted|supportHtml|supportThemeIcons)\s*[:=]/, file);
      assert.doesNotMatch(text, /new vscode\.MarkdownString\([^)]*,\s*true/, `${file}: MarkdownString(value, supportThemeIcons)`);
    }
  });

  it('the dashboard webview writes text with textContent: innerHTML only ever clears', () => {
    const text = readFileSync(path.join(__dirname, '..', '..', 'webview', 'main.ts'), 'utf8');
    for (const m of text.matchAll(/\.innerHTML\s*=\s*([^;]+);/g)) assert.equal(m[1].trim(), "''");
    assert.doesNotMatch(text, /insertAdjacentHTML|outerHTML\s*=|document\.write/);
  });
});

describe('CSV cells a spreadsheet would run as a formula are neutralised; numbers stay numbers', () => {
  it('=HYPERLINK(...) and the other OWASP triggers get a leading quote, inside quotes', () => {
    assert.equal(csvCell(FORMULA_NAME), `"'=HYPERLINK(""http://evil.example"",""x"")"`);
    for (const text of ['+1+cmd|" /C calc"!A0', '-2+3', '@SUM(A1:A9)', '\t=1', '\r=1', '-Infinity', '-']) {
      assert.ok(csvCell(text).startsWith(`"'`), `${JSON.stringify(text)} -> ${csvCell(text)}`);
    }
  });

  it('a negative number is data: as a number or as text it is written as it is', () => {
    for (const x of [-0.0012, -3, 1e-7, -2.5e-3]) assert.equal(csvCell(x), String(x));
    for (const text of ['-0.0012', '+2.5e-3', '-3', '.5']) assert.equal(csvCell(text), text);
    assert.equal(csvLine(['w4a4kv4 vs fp32', -0.0012, 'a, b', 'say "hi"']), 'w4a4kv4 vs fp32,-0.0012,"a, b","say ""hi"""');
  });

  it('runs.csv read back: the hostile names are text starting with a quote, the numbers are numbers, a negative loss difference too', () => {
    const runs = [hostileRun({ name: FORMULA_NAME, id: FORMULA_NAME }), hostileRun({ name: '@cmd', id: '-1+1', finalLoss: 3.25 })];
    const rows = parse(runsCsv(runs), { columns: true }) as Array<Record<string, string>>;
    assert.equal(rows[0].name, `'${FORMULA_NAME}`);
    assert.equal(rows[0].id, `'${FORMULA_NAME}`);
    assert.equal(rows[2].name, "'@cmd");
    assert.equal(rows[2].id, "'-1+1");
    assert.equal(rows[2].val_loss, '3.25');
    assert.equal(rows[0].params, '30000000');
    // A column of signed differences, as a chart export writes one: the sheet reads numbers.
    const [line] = parse(csvLine(['delta', -0.0012, 0.0007])) as string[][];
    assert.deepEqual(line.slice(1).map(Number), [-0.0012, 0.0007]);
  });
});
