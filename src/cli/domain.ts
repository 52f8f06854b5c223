// Where a CLI answer stands against the fitted domain, and which constants behind it were fitted:
// the JSON fields `extrapolation` and `provenance`, and the lines the tables print.

import { type DomainQuery, type Extrapolation, type Provenance, type ProvenanceQuery, DEFAULT_EXTRAPOLATION_THRESHOLD, domainFor, extrapolation, provenance } from '../fit/domain';
import type { LawDomain } from '../law/domain';
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

