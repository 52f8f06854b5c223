// Every message from the dashboard webview is checked here before the host acts on it: the
// webview renders content that the workspace supplies, so its messages are untrusted input.

import { type DashboardInputs, INPUT_MAX, SCENARIOS, type Scenario, type WebviewMessage } from '../../webview/protocol';

const MAX_EXPORT_BYTES = 20 * 1024 * 1024;

const finitePositive = (x: unknown, max = 1e40): x is number => typeof x === 'number' && Number.isFinite(x) && x > 0 && x <= max;

export function validInputs(x: unknown): DashboardInputs | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const i = x as Record<string, unknown>;
  const ok =
    finitePositive(i.params, INPUT_MAX.params) &&
    finitePositive(i.tokens, INPUT_MAX.tokens) &&
    finitePositive(i.post, INPUT_MAX.post) &&
    finitePositive(i.compute, INPUT_MAX.compute) &&
    SCENARIOS.includes(i.scenario as Scenario) &&
    finitePositive(i.planPrecision, INPUT_MAX.planPrecision) &&
    finitePositive(i.planParams, INPUT_MAX.planParams) &&
    finitePositive(i.planMemoryGB, INPUT_MAX.planMemoryGB);
  if (!ok) return undefined;
  return {
    params: i.params as number,
    tokens: i.tokens as number,
    post: i.post as number,
    compute: i.compute as number,
    scenario: i.scenario as Scenario,
    planPrecision: i.planPrecision as number,
    planParams: i.planParams as number,
    planMemoryGB: i.planMemoryGB as number,
  };
}

/** The message, or why it is refused. `knownFiles` are the run files the dashboard was given. */
export function validateMessage(raw: unknown, knownFiles: ReadonlySet<string>): { ok: true; message: WebviewMessage } | { ok: false; reason: string } {
  if (typeof raw !== 'object' || raw === null) return { ok: false, reason: 'not an object' };
  const m = raw as Record<string, unknown>;
  switch (m.type) {
    case 'ready': {
      if (m.inputs === undefined) return { ok: true, message: { type: 'ready' } };
      const inputs = validInputs(m.inputs);
      // Stale or damaged saved state is not an error: start from the defaults.
      return { ok: true, message: inputs ? { type: 'ready', inputs } : { type: 'ready' } };
    }
    case 'inputs': {
      const inputs = validInputs(m.inputs);
      return inputs ? { ok: true, message: { type: 'inputs', inputs } } : { ok: false, reason: 'inputs out of range' };
    }
    case 'openRun': {
      if (typeof m.file !== 'string' || !knownFiles.has(m.file)) return { ok: false, reason: 'openRun: not a run file of this dashboard' };
      const line = typeof m.line === 'number' && Number.isInteger(m.line) && m.line >= 1 ? m.line : undefined;
      return { ok: true, message: line ? { type: 'openRun', file: m.file, line } : { type: 'openRun', file: m.file } };
    }
    case 'export': {
      if (m.kind !== 'png' && m.kind !== 'csv') return { ok: false, reason: 'export: unknown kind' };
      if (typeof m.name !== 'string' || !/^[\w-]{1,64}$/.test(m.name)) return { ok: false, reason: 'export: bad name' };
      if (typeof m.data !== 'string' || m.data.length > MAX_EXPORT_BYTES) return { ok: false, reason: 'export: no data or too large' };
      if (m.kind === 'png' && !m.data.startsWith('data:image/png;base64,')) return { ok: false, reason: 'export: not a PNG data URL' };
      return { ok: true, message: { type: 'export', kind: m.kind, name: m.name, data: m.data } };
    }
    default:
      return { ok: false, reason: `unknown message type ${JSON.stringify(m.type)}` };
  }
}
