// The headless front end: the same core as the extension, for servers and CI.

import type { Io } from './args';
import { DCRIT_USAGE, dcritCommand } from './commands/dcrit';
import { DESIGN_USAGE, designCommand } from './commands/design';
import { FIT_USAGE, fitCommand } from './commands/fit';
import { PREDICT_USAGE, predictCommand } from './commands/predict';
import { RECOMMEND_USAGE, recommendCommand } from './commands/recommend';
import { SCAN_USAGE, scanCommand } from './commands/scan';
import { PARETO_USAGE, PTQ_USAGE, paretoCommand, ptqCommand } from './commands/ptq';
import { SUGGEST_USAGE, suggestCommand } from './commands/suggest';
import { JOBS_USAGE, SWEEP_USAGE, TRAIN_USAGE, sweepCommand, trainCommand } from './commands/train';
import { jobsCommand } from './commands/jobs';
import { CliError } from './errors';

const COMMANDS: Record<string, (argv: string[], io: Io) => number | Promise<number>> = {
  predict: predictCommand,
  recommend: recommendCommand,
  dcrit: dcritCommand,
  fit: fitCommand,
  scan: scanCommand,
  train: trainCommand,
  sweep: sweepCommand,
  jobs: jobsCommand,
  design: designCommand,
  suggest: suggestCommand,
  ptq: ptqCommand,
  pareto: paretoCommand,
};

export const USAGE = `Precision Planner: precision-aware scaling laws (Kumar et al. 2024) for planning LLM training.

Usage:
  ${PREDICT_USAGE}

  ${RECOMMEND_USAGE}

  ${DCRIT_USAGE}

  ${FIT_USAGE}

  ${SCAN_USAGE}

  ${TRAIN_USAGE}

  ${SWEEP_USAGE}

  ${JOBS_USAGE}

  ${DESIGN_USAGE}

  ${SUGGEST_USAGE}

  ${PTQ_USAGE}

  ${PARETO_USAGE}

Numbers accept 1e21, 13B, 30M; precisions accept bits (8) or names (bf16, fp8, int4).
Without --fit, answers use the paper's constants (--preset paper).`;

export async function runCli(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.out(USAGE);
    return command === undefined ? 2 : 0;
  }
  const run = COMMANDS[command];
  if (!run) {
    io.err(`precision-planner: unknown command "${command}" (commands: ${Object.keys(COMMANDS).join(', ')}; try --help)`);
    return 2;
  }
  try {
    return await run(rest, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.err(`precision-planner ${command}: ${error.message}`);
      return error.exitCode;
    }
    io.err(`precision-planner ${command}: unexpected error: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
}
