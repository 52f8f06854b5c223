// Where a CLI answer stands against the fitted domain, and which constants behind it were fitted:
// the JSON fields `extrapolation` and `provenance`, and the lines the tables print.

import { type DomainQuery, type Extrapolation, type Provenance, type ProvenanceQuery, DEFAULT_EXTRAPOLATION_THRESHOLD, domainFor, extrapolation, provenance } from '../fit/domain';
import type { Constants } from '../law/constants';
import type { LawDomain } from '../law/domain';
import type { Allocation } from '../law/plan';
import { CliError } from './errors';
import type { ConstantsSource } from './constants';

export const DOMAIN_OPTIONS = {
  'extrapolation-threshold': { type: 'string' },
} as const;

export const DOMAIN_USAGE = `[--extrapolation-threshold X]`;

/** --extrapolation-threshold: the factor beyond the runs in N or D past which an answer is an extrapolation. */
export function extrapolationThreshold(value: string | undefined): number {
  if (value === undefined) return DEFAULT_EXTRAPOLATION_THRESHOLD;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 1) throw new CliError(`--extrapolation-threshold: "${value}" is not a factor of 1 or more (e.g. 10)`, 2);
  return n;
}

export interface DomainAnswer {
  domain: LawDomain;
  extrapolation: Extrapolation;
  provenance: Provenance;
}

/** The paper's domain with the preset (--preset paper, or no --fit), the fit's own with --fit. */
export function domainAnswer(source: ConstantsSource, query: DomainQuery & ProvenanceQuery, threshold: number): DomainAnswer {
  const domain = domainFor(source.fit);
  return { domain, extrapolation: extrapolation(domain, query, threshold), provenance: provenance(domain, query, source.constants) };
}

/** The JSON fields every answer carries. */
export function domainJson(a: DomainAnswer): { extrapolation: Extrapolation; provenance: Provenance } {
  return { extrapolation: a.extrapolation, provenance: a.provenance };
}

/** Lines for the tables: where the answer stands, its warnings, then where its constants came from. */
export function domainLines(a: DomainAnswer, indent = '  '): string[] {
  const e = a.extrapolation;
  const lines = [`${indent}domain         ${e.summary}`];
  for (const w of e.warnings) if (w !== e.summary) lines.push(`${indent}warning        ${w}`);
  for (const note of a.provenance.notes) lines.push(`${indent}constants      ${note}`);
  return lines;
}

/** Factors the project-default constants (C_w, C_a, C_kv = 1) are moved by to show what the plan owes them. */
export const DEFAULT_SENSITIVITY_FACTORS = [0.5, 2] as const;

export interface DefaultSensitivity {
  /** The constants changed and their values in this re-plan. */
  set: Partial<Constants>;
  params?: number;
  tokens?: number;
  precision?: Allocation['precision'];
  post?: number;
  loss?: number;
  /** Why there is no plan with these values. */
  error?: string;
}

/**
 * The plan again with the project-default constants behind it halved and doubled: a plan that
 * depends on constants neither fitted nor the paper's shows how it moves when they change.
 */
export function defaultSensitivity(constants: Constants, names: readonly (keyof Constants)[], replan: (c: Constants) => Allocation | { ok: false; message: string }): DefaultSensitivity[] {
  if (names.length === 0) return [];
  return DEFAULT_SENSITIVITY_FACTORS.map((factor) => {
    const set = Object.fromEntries(names.map((n) => [n, constants[n] * factor])) as Partial<Constants>;
    const r = replan({ ...constants, ...set });
    if ('message' in r) return { set, error: r.message };
    return { set, params: r.params, tokens: r.tokens, precision: r.precision, ...(r.post !== undefined ? { post: r.post } : {}), loss: r.loss };
  });
}
