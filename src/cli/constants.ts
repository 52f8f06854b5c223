// Which constants a CLI answer uses: the paper's preset or a fit written by `fit --out`.

import { readFileSync } from 'node:fs';
import { CONSTANT_NAMES, type Constants, PAPER_CONSTANTS } from '../law/constants';
import { FIT_SCHEMA, type FitResult } from '../fit/fit';
import { CliError } from './errors';

export interface ConstantsSource {
  constants: Constants;
  /** "paper" or "fit:<file>", printed with every answer. */
  label: string;
  fit?: FitResult;
}

export function loadConstants(preset: string | undefined, fitFile: string | undefined): ConstantsSource {
  if (fitFile !== undefined && preset !== undefined) throw new CliError('give either --preset or --fit, not both', 2);
  if (fitFile === undefined) {
    if (preset !== undefined && preset !== 'paper') throw new CliError(`unknown preset "${preset}" (known: paper)`, 2);
    return { constants: { ...PAPER_CONSTANTS }, label: 'paper' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(fitFile, 'utf8'));
  } catch (error) {
    throw new CliError(`${fitFile}: cannot read the fit: ${(error as Error).message}`);
  }
  const fit = parsed as Partial<FitResult>;
  if (typeof fit !== 'object' || fit === null || fit.schema !== FIT_SCHEMA) {
    throw new CliError(`${fitFile}: not a fit written by "precision-planner fit --out" (field "schema" should be "${FIT_SCHEMA}")`);
  }
  if (!fit.ok) throw new CliError(`${fitFile}: this fit did not succeed: ${fit.message ?? 'no message'}`);
  for (const name of CONSTANT_NAMES) {
    const value = fit.constants?.[name];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new CliError(`${fitFile}: field "constants.${name}" must be a finite number (got ${JSON.stringify(value)})`);
    }
  }
  return { constants: fit.constants as Constants, label: `fit:${fitFile}`, fit: fit as FitResult };
}
