// What the scan says about run values no model can have (a loss of 5e-324, N = 1e300): the
// readers check that a value is a positive finite number, the fit leaves out runs outside the
// plausible bounds (validate.ts runValueFault, the one definition); this puts the same verdict in
// the Problems panel at the value's file and line, so the user learns of it before a fit.

import type { Diagnostic } from './diagnostics';
import { type Run, isComplete } from './run';
import { runValueFault } from './validate';

/** A warning per complete run whose values the fit will refuse, at the offending value's source. */
export function implausibleRuns(runs: readonly Run[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const run of runs) {
    if (!isComplete(run)) continue;
    const { w, a, kv } = run.precision;
    const fault = runValueFault({ params: run.params, tokens: run.tokens, finalLoss: run.finalLoss, precision: { w: w.bits, a: a.bits, kv: kv.bits } });
    if (!fault) continue;
    const source = run.sources[fault.field];
    out.push({
      file: source?.file ?? run.file,
      ...(source?.line !== undefined ? { line: source.line } : {}),
      field: source?.field ?? fault.field,
      message: `run ${run.id}: ${fault.reason}; the fit leaves this run out`,
      severity: 'warning',
      code: fault.code,
    });
  }
  return out;
}
