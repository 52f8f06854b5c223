// The dashboard: draws the DashboardModel the host sends and reports what the user changes.
// No science here — every number is the host's.

import {
  Chart,
  type ChartConfiguration,
  type ChartDataset,
  Legend,
  LineController,
  LineElement,
  LinearScale,
  LogarithmicScale,
  PointElement,
  ScatterController,
  type Scale,
  Tooltip,
} from 'chart.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { formatSigned } from '../src/runs/quantity';
import { shownMetric } from '../src/fit/metrics';
import { csvLine } from '../src/extension/csv';
import '@vscode-elements/elements/dist/vscode-form-helper/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { type Look, compactNumber, logTickValues, looks, looksInOrder } from './chartStyle';
import { readField } from './inputs';
import type { DashboardInputs, DashboardModel, HostMessage, NumericInput, PointRef, Scenario, WebviewMessage, XY } from './protocol';

Chart.register(ScatterController, LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Tooltip, Legend);

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): { inputs?: DashboardInputs } | undefined;
  setState(state: { inputs?: DashboardInputs }): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();

let model: DashboardModel | undefined;
const charts = new Map<string, Chart>();

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const css = (name: string, fallback: string): string => getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;

/**
 * Colours from the theme, read at draw time so light, dark and high-contrast all work: the six
 * chart colours, two terminal colours and three mid-tones readable on light and dark. Series
 * take their looks from chartStyle (colour, then point shape / dash), so none repeat.
 */
function palette() {
  return {
    fg: css('--vscode-foreground', '#ccc'),
    grid: css('--vscode-editorWidget-border', css('--vscode-panel-border', '#8884')),
    series: [
      css('--vscode-charts-blue', '#3794ff'),
      css('--vscode-charts-orange', '#d18616'),
      css('--vscode-charts-green', '#89d185'),
      css('--vscode-charts-purple', '#b180d7'),
      css('--vscode-charts-red', '#f14c4c'),
      css('--vscode-charts-yellow', '#cca700'),
      css('--vscode-terminal-ansiCyan', '#11a8cd'),
      css('--vscode-terminal-ansiMagenta', '#bc3fbc'),
      '#a0785a',
      '#8c9a2e',
      '#8a8a8a',
    ],
  };
}

const fmt = (x: number, digits = 3): string => (Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(2) : x.toPrecision(digits + 1));
const count = (x: number): string => {
  for (const [limit, s] of [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'K']] as const) if (x >= limit) return `${+(x / limit).toPrecision(3)}${s}`;
  return `${+x.toPrecision(3)}`;
};

type Point = XY & Partial<PointRef>;

/** Tick options: log axes keep decades or 1-2-5 (logTickValues) with short labels; none rotate. */
function ticks(log: boolean, color: string) {
  const base = { color, maxRotation: 0, autoSkip: true, autoSkipPadding: 12 };
  return log ? { ...base, callback: (value: number | string) => compactNumber(Number(value)) } : base;
}
const keepLogTicks = (axis: Scale): void => {
  const kept = new Set(logTickValues(axis.ticks.map((t) => t.value), axis.min, axis.max));
  axis.ticks = axis.ticks.filter((t) => kept.has(t.value));
};

function draw(id: string, datasets: Array<ChartDataset<'scatter' | 'line', Point[]>>, axes: { x: string; y: string; xLog?: boolean; yLog?: boolean }): void {
  const p = palette();
  const axis = (title: string, log = false) => ({
    type: log ? ('logarithmic' as const) : ('linear' as const),
    title: { display: true, text: title, color: p.fg },
    ticks: ticks(log, p.fg),
    grid: { color: p.grid },
    ...(log ? { afterBuildTicks: keepLogTicks } : {}),
  });
  const config: ChartConfiguration<'scatter', Point[]> = {
    type: 'scatter',
    data: { datasets: datasets as Array<ChartDataset<'scatter', Point[]>> },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      color: p.fg,
      scales: { x: axis(axes.x, axes.xLog), y: axis(axes.y, axes.yLog) },
      plugins: {
        legend: { labels: { color: p.fg, boxWidth: 12 } },
        tooltip: {
          callbacks: {
            label: (item) => {
              const raw = item.raw as Point;
              return `${raw.label ? `${raw.label}: ` : `${item.dataset.label}: `}(${fmt(raw.x)}, ${fmt(raw.y)})`;
            },
          },
        },
      },
      onClick: (_event, elements, chart) => {
        const hit = elements[0];
        if (!hit) return;
        const raw = chart.data.datasets[hit.datasetIndex].data[hit.index] as Point;
        if (raw?.file) vscode.postMessage({ type: 'openRun', file: raw.file, line: raw.line });
      },
    },
  };
  charts.get(id)?.destroy();
  charts.set(id, new Chart($<HTMLCanvasElement>(id), config));
}

const line = (label: string, data: Point[], color: string, dash: boolean | number[] = false): ChartDataset<'line', Point[]> => ({
  type: 'line',
  label,
  data,
  borderColor: color,
  backgroundColor: color,
  pointRadius: 0,
  borderWidth: 2,
  borderDash: dash === true ? [6, 4] : dash === false ? [] : dash,
});
const dots = (label: string, data: Point[], color: string, style: Look['shape'] = 'circle', radius = 3.5): ChartDataset<'scatter', Point[]> => ({
  type: 'scatter',
  label,
  data,
  borderColor: color,
  backgroundColor: color,
  pointStyle: style,
  pointRadius: radius,
  pointHoverRadius: radius + 2,
});

function renderFit(m: DashboardModel): void {
  const section = $('fit-section');
  if (!m.fit) {
    section.hidden = true;
    $('no-fit').hidden = false;
    return;
  }
  section.hidden = false;
  $('no-fit').hidden = true;
  const p = palette();
  const f = m.fit;
  const fitted = f.points.filter((x) => x.heldOut === undefined).map((x) => ({ x: x.observed, y: x.predicted, label: x.label, file: x.file, line: x.line }));
  const held = f.points.filter((x) => x.heldOut !== undefined).map((x) => ({ x: x.observed, y: x.heldOut as number, label: `${x.label} (held out)`, file: x.file, line: x.line }));
  const all = f.points.map((x) => x.observed).concat(f.points.map((x) => x.predicted));
  const lo = Math.min(...all) * 0.98;
  const hi = Math.max(...all) * 1.02;
  draw('chart-fit', [line('identity', [{ x: lo, y: lo }, { x: hi, y: hi }], p.grid, true), dots('fitted', fitted, p.series[0]), dots('held out (largest N)', held, p.series[1], 'triangle', 4.5)], { x: 'observed loss', y: 'predicted loss', xLog: true, yLog: true });
  draw('chart-residuals', [dots('residual', f.points.map((x) => ({ x: x.observed, y: (x.predicted - x.observed) / x.observed, label: x.label, file: x.file, line: x.line })), p.series[2])], { x: 'observed loss', y: '(predicted − observed) / observed', xLog: true });
  $('fit-message').textContent = f.message;
  // textContent only: a warning names runs, and a run's name is whatever its files say.
  const warnings = $('fit-warnings');
  warnings.innerHTML = '';
  for (const w of f.warnings ?? []) {
    const li = document.createElement('li');
    li.textContent = w;
    warnings.append(li);
  }
  $('fit-metrics').innerHTML = '';
  for (const x of f.metrics) {
    const m = { maxAbsError: null, ...x };
    $('fit-metrics').append(row([x.label, String(x.n), shownMetric(m, 'r2', (v) => v.toFixed(4)), shownMetric(m, 'rmse', (v) => v.toFixed(4)), shownMetric(m, 'mape', (v) => `${(100 * v).toFixed(2)}%`)]));
  }
  const share = (x: number | null) => (x === null ? '—' : `${(100 * x).toFixed(1)}%`);
  $('fit-coverage').innerHTML = '';
  for (const c of f.coverage) $('fit-coverage').append(row([c.label, String(c.n), share(c.confidence), share(c.prediction)]));
  $('fit-stages').innerHTML = '';
  for (const s of f.stages) {
    const norm = s.gradientNorm !== undefined ? s.gradientNorm.toExponential(1) : '—';
    $('fit-stages').append(row([s.name, s.status, s.solver ?? '—', norm, s.atBound && s.atBound.length > 0 ? s.atBound.join(', ') : '—', s.detail]));
  }
  $('fit-constants').innerHTML = '';
  for (const c of f.constants) {
    const value = c.heldOff ?? (c.notIdentifiable !== undefined ? `not identifiable: ${c.notIdentifiable}` : `${fmt(c.value)}${c.atBound ? ` (${c.atBound})` : ''}`);
    const interval = c.heldOff || c.notIdentifiable !== undefined ? '—' : c.low !== undefined && c.high !== undefined ? `${fmt(c.low)} – ${fmt(c.high)}` : c.intervalFailed ? `bootstrap failed: ${c.intervalFailed}` : '—';
    $('fit-constants').append(row([c.name, value, interval, fmt(c.paper), c.origin]));
  }
}

function row(cells: string[]): HTMLTableRowElement {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement('td');
    td.textContent = c;
    tr.append(td);
  }
  return tr;
}

function renderPrecision(m: DashboardModel): void {
  const p = palette();
  const parts = looksInOrder(m.precision.factors.length, p.series.length);
  draw('chart-factors', m.precision.factors.map((f, i) => line(f.part, f.points, p.series[parts[i].colour], parts[i].dash)), { x: 'bits', y: 'N_eff / N factor' });
  $('precision-domain').textContent = m.precision.domain ?? '';
  draw('chart-precision-loss', [line(`predicted, N ${count(m.inputs.params)}, D ${count(m.inputs.tokens)}`, m.precision.loss, p.series[0]), dots('runs near this N and D (weight bits)', m.precision.runs, p.series[1])], { x: 'training bits (all parts)', y: 'loss' });
}

function renderPtq(m: DashboardModel): void {
  const p = palette();
  $('ptq-domain').textContent = m.ptq.domain ?? '';
  const sets: Array<ChartDataset<'scatter' | 'line', Point[]>> = [];
  const sizes = looksInOrder(m.ptq.sizes.length, p.series.length);
  m.ptq.sizes.forEach((s, i) => {
    const color = p.series[sizes[i].colour];
    sets.push(line(`N ${count(s.params)}`, s.points, color, sizes[i].dash));
    if (s.dcrit) sets.push(dots(`D_crit, N ${count(s.params)}`, [{ ...s.dcrit, label: `D_crit for N ${count(s.params)}: ${count(s.dcrit.x)} tokens` }], color, 'rectRot', 6));
    // Too far out to draw: a legend entry without a marker says where it is.
    else if (s.dcritBeyond !== undefined) sets.push(dots(`D_crit, N ${count(s.params)}: ${count(s.dcritBeyond)} tokens, beyond the plotted range`, [], color, 'rectRot', 6));
  });
  m.ptq.sizes.forEach((s, i) => {
    const measured = m.ptq.runs.filter((r) => r.params === s.params);
    if (measured.length > 0) sets.push(dots(`runs, N ${count(s.params)}`, measured, p.series[sizes[i].colour], 'triangle', 4));
  });
  draw('chart-ptq', sets, { x: 'training tokens D', y: `loss after PTQ to ${m.ptq.post} bits`, xLog: true });
}

const bytes = (x: number): string => {
  for (const [limit, unit] of [[1e9, 'GB'], [1e6, 'MB'], [1e3, 'kB']] as const) if (x >= limit) return `${+(x / limit).toPrecision(3)} ${unit}`;
  return `${Math.round(x)} B`;
};

function renderQuantized(m: DashboardModel): void {
  const p = palette();
  const q = m.quantized;
  $('no-checkpoints').hidden = q.checkpoints.length > 0;
  // One look (colour, and shape once colours run out) per format family, the same for a family
  // on every redraw, so the eye finds "all MXFP4" at a glance.
  const family = (format: string): string => format.replace(/-.*$/, '');
  const families = looks(q.checkpoints.map((c) => family(c.format)), p.series.length);
  const sets: Array<ChartDataset<'scatter' | 'line', Point[]>> = [line('frontier', q.frontier.map((f) => ({ ...f, label: `${f.label}: ${bytes(f.x)}` })), p.fg)];
  for (const [name, look] of families) {
    sets.push(dots(name, q.checkpoints.filter((c) => family(c.format) === name).map((c) => ({ ...c, label: `${c.label}: ${bytes(c.x)}` })), p.series[look.colour], look.shape, look.shape === 'circle' ? 3 : 4));
  }
  draw('chart-pareto', sets, { x: 'weight memory (bytes)', y: 'loss after quantization', xLog: true });
  const pr = q.predictor;
  $('predictor-message').textContent = pr
    ? `Post-quantization loss predicted by a random forest (${pr.features.join(', ')}), each model size held out in turn, beside the law's degradation (Eq. 9) on the evaluations it covers (integer, per channel). ${pr.message}`
    : 'The predictor is evaluated with each fit of the scaling law.';
  const body = $('predictor-rows');
  body.innerHTML = '';
  const mae = (x?: number): string => (x === undefined ? '—' : x.toFixed(4));
  for (const r of pr?.rows ?? []) body.append(row(r.skipped ? [count(r.params), String(r.n), `skipped: ${r.skipped}`, '', ''] : [count(r.params), String(r.n), mae(r.forestMae), r.lawMae === undefined ? '—' : `${mae(r.lawMae)} (${r.lawN})`, mae(r.forestOnLawMae)]));
  if (pr?.pooled) body.append(row(['all', String(pr.pooled.n), mae(pr.pooled.forestMae), pr.pooled.lawMae === undefined ? '—' : `${mae(pr.pooled.lawMae)} (${pr.pooled.lawN})`, mae(pr.pooled.forestOnLawMae)]));
}

function renderPlan(m: DashboardModel): void {
  const p = palette();
  const body = $('plan-rows');
  body.innerHTML = '';
  $('plan-message').textContent = m.plan.ok ? '' : (m.plan.message ?? '');
  // How far the plan lies beyond the runs the constants were fitted on, and where its constants came from.
  const where = m.plan.extrapolation;
  const domain = $('plan-domain');
  domain.textContent = where ? (where.extrapolated ? `⚠ This plan is an ${where.summary}` : where.summary.charAt(0).toUpperCase() + where.summary.slice(1)) : '';
  domain.classList.toggle('warning', where?.extrapolated === true);
  const notes = $('plan-notes');
  notes.innerHTML = '';
  for (const text of [...(where?.warnings.filter((w) => w !== where.summary) ?? []).map((w) => `⚠ ${w}`), ...(m.plan.provenance ?? []), ...(m.plan.planNotes ?? [])]) {
    const li = document.createElement('li');
    li.textContent = text;
    notes.append(li);
  }
  // Margins of 1e-4 nats are common: enough decimals for the smallest interval end to show.
  const ends = m.plan.rows.flatMap((r) => r.marginInterval ?? []).filter((x) => x !== 0).map(Math.abs);
  const digits = Math.min(6, Math.max(4, ...ends.map((x) => 1 - Math.floor(Math.log10(x)))));
  const marginCell = (r: DashboardModel['plan']['rows'][number]): string => {
    if (r.margin === undefined) return '';
    const text = formatSigned(r.margin, 4);
    if (!r.marginInterval) return text;
    const band = `${formatSigned(r.marginInterval[0], digits)} to ${formatSigned(r.marginInterval[1], digits)}`;
    return `${text} (95% interval ${band})${r.distinguishable === false ? ': indistinguishable' : ''}`;
  };
  const range = (i: [number, number]): string => `${i[0].toFixed(4)}–${i[1].toFixed(4)}`;
  for (const r of m.plan.rows) {
    const plan = r.label === 'plan' && m.plan.interval?.prediction ? ` (95% prediction interval ${range(m.plan.interval.prediction)})` : '';
    body.append(row([r.label, count(r.params), count(r.tokens), r.format ?? `${r.bits.toFixed(r.bits % 1 === 0 ? 0 : 2)}`, r.postFormat ?? (r.post !== undefined ? `${r.post}` : '—'), `${r.loss.toFixed(4)}${plan}`, marginCell(r)]));
  }
  const i = m.plan.interval;
  const said = [
    i?.confidence ? `95% confidence band of the expected loss ${range(i.confidence)} (bootstrap of the fit's constants; constants held at the preset contribute none)` : '',
    i?.prediction ? `95% prediction interval for a run ${range(i.prediction)} (adds the run-to-run scale)` : '',
  ].filter((x) => x);
  $('plan-uncertainty').textContent = [said.length > 0 ? `Plan's loss: ${said.join('; ')}.` : '', ...(m.plan.uncertaintyNotes ?? []).map((n) => `${n[0].toUpperCase()}${n.slice(1)}.`)].filter((x) => x).join(' ');
  const sets: Array<ChartDataset<'scatter' | 'line', Point[]>> = [line('compute-optimal N and D at each precision', m.plan.isoFlop, p.series[0])];
  if (m.plan.optimum) sets.push(dots('plan', [{ ...m.plan.optimum, label: `plan: ${m.plan.optimum.x.toFixed(2)} bits` }], p.series[4], 'rectRot', 7));
  draw('chart-isoflop', sets, { x: 'training bits', y: `predicted loss at ${m.inputs.compute.toExponential(1)} FLOPs` });
}

function render(): void {
  if (!model) return;
  $('constants').textContent = model.constantsLabel;
  renderFit(model);
  renderPrecision(model);
  renderPtq(model);
  renderQuantized(model);
  renderPlan(model);
  showInputs(model.inputs);
  document.body.dataset.rendered = String(Date.now());
}

// --- inputs ---------------------------------------------------------------------------------

const field = (id: string) => $<HTMLInputElement>(id);

function showInputs(i: DashboardInputs): void {
  // A field given the host's value again holds a valid entry: its error goes.
  const set = (id: string, v: string) => {
    if (document.activeElement === field(id)) return;
    field(id).value = v;
    field(id).toggleAttribute('invalid', false);
    $(`${id}-error`).hidden = true;
  };
  set('in-params', count(i.params));
  set('in-tokens', count(i.tokens));
  set('in-post', String(i.post));
  set('in-compute', i.compute.toExponential(2));
  set('in-plan-precision', String(i.planPrecision));
  set('in-plan-params', count(i.planParams));
  set('in-plan-memory', String(i.planMemoryGB));
  field('in-scenario').value = i.scenario;
  field('in-compute-log').value = Math.log10(i.compute).toFixed(2);
  for (const id of ['in-plan-precision', 'in-plan-params', 'in-plan-memory']) $(`${id}-label`).hidden = true;
  const shown = { 'fixed-precision': 'in-plan-precision', 'fixed-params': 'in-plan-params', inference: 'in-plan-memory' }[i.scenario as Exclude<Scenario, 'joint'>];
  if (shown) $(`${shown}-label`).hidden = false;
}

function readInputs(): DashboardInputs | undefined {
  if (!model) return undefined;
  const i = { ...model.inputs };
  const pairs: Array<[NumericInput, string]> = [
    ['params', 'in-params'],
    ['tokens', 'in-tokens'],
    ['post', 'in-post'],
    ['compute', 'in-compute'],
    ['planPrecision', 'in-plan-precision'],
    ['planParams', 'in-plan-params'],
    ['planMemoryGB', 'in-plan-memory'],
  ];
  // Every field is checked, so each refused one says what it accepts, not only the first.
  let ok = true;
  for (const [key, id] of pairs) {
    // A field the scenario hides keeps its value: an error under it would not be seen.
    if ($(`${id}-label`).hidden) continue;
    const r = readField(key, field(id).value);
    field(id).toggleAttribute('invalid', !r.ok);
    const error = $(`${id}-error`);
    error.textContent = r.ok ? '' : r.message;
    error.hidden = r.ok;
    if (r.ok) i[key] = r.value;
    else ok = false;
  }
  i.scenario = field('in-scenario').value as Scenario;
  return ok ? i : undefined;
}

function changed(): void {
  const inputs = readInputs();
  if (!inputs) return;
  vscode.setState({ inputs });
  vscode.postMessage({ type: 'inputs', inputs });
}

/** The editor background as the webview sees it (the page's own when the variable is unset). */
function background(): string {
  const page = getComputedStyle(document.body).backgroundColor;
  return css('--vscode-editor-background', page && page !== 'transparent' && !/^rgba\(.*,\s*0\)$/.test(page) ? page : '#1e1e1e');
}

/** Words of `text` in lines no wider than `width` in the context's current font. */
function wrap(ctx: CanvasRenderingContext2D, text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = current ? `${current} ${word}` : word;
    if (current && ctx.measureText(next).width > width) {
      lines.push(current);
      current = word;
    } else current = next;
  }
  if (current) lines.push(current);
  return lines;
}

/**
 * The chart as a PNG that reads anywhere it is pasted: on an opaque copy of the theme's editor
 * background (the chart's text is drawn in the theme's foreground, light in dark themes, so a
 * transparent image is unreadable on white), with the chart's title drawn above it.
 */
function chartPng(chart: Chart): string {
  const source = chart.canvas;
  const ratio = chart.currentDevicePixelRatio || 1;
  const title = source.closest('figure')?.querySelector('.title')?.textContent?.trim() ?? '';
  const out = document.createElement('canvas');
  const ctx = out.getContext('2d');
  if (!ctx) return chart.toBase64Image('image/png', 1);
  const pad = Math.round(12 * ratio);
  const fontSize = Math.round(14 * ratio);
  const font = `600 ${fontSize}px ${css('--vscode-font-family', 'sans-serif')}`;
  const lineHeight = Math.round(fontSize * 1.35);
  ctx.font = font;
  const lines = title ? wrap(ctx, title, source.width - 2 * pad) : [];
  const top = lines.length > 0 ? pad + lines.length * lineHeight + Math.round(pad / 2) : 0;
  // Sizing a canvas resets its context: fill and font are set after.
  out.width = source.width;
  out.height = source.height + top;
  ctx.fillStyle = background();
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.font = font;
  ctx.fillStyle = palette().fg;
  ctx.textBaseline = 'top';
  lines.forEach((text, i) => ctx.fillText(text, pad, pad + i * lineHeight));
  ctx.drawImage(source, 0, top);
  return out.toDataURL('image/png');
}

function exportChart(id: string, kind: 'png' | 'csv'): void {
  const chart = charts.get(id);
  if (!chart) return;
  const name = id.replace(/^chart-/, '');
  if (kind === 'png') {
    vscode.postMessage({ type: 'export', kind, name, data: chartPng(chart) });
    return;
  }
  const lines = ['series,x,y,label'];
  // Labels carry run names: csvCell neutralises one a spreadsheet would run as a formula.
  for (const ds of chart.data.datasets) for (const p of ds.data as Point[]) lines.push(csvLine([ds.label ?? '', p.x, p.y, p.label ?? '']));
  vscode.postMessage({ type: 'export', kind, name, data: `${lines.join('\n')}\n` });
}

window.addEventListener('message', (event: MessageEvent<HostMessage>) => {
  if (event.data?.type !== 'model') return;
  model = event.data.model;
  vscode.setState({ inputs: model.inputs });
  render();
});

for (const id of ['in-params', 'in-tokens', 'in-post', 'in-compute', 'in-plan-precision', 'in-plan-params', 'in-plan-memory']) field(id).addEventListener('change', changed);
field('in-scenario').addEventListener('change', changed);
field('in-compute-log').addEventListener('input', () => {
  field('in-compute').value = (10 ** Number(field('in-compute-log').value)).toExponential(2);
  changed();
});
for (const button of document.querySelectorAll<HTMLElement>('[data-export]')) {
  button.addEventListener('click', () => exportChart(button.dataset.chart ?? '', button.dataset.export as 'png' | 'csv'));
}
// Theme switches change the CSS variables the charts read their colours from.
new MutationObserver(() => render()).observe(document.body, { attributes: true, attributeFilter: ['class'] });

vscode.postMessage({ type: 'ready', inputs: vscode.getState()?.inputs });
