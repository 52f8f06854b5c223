// `jobs DIR [--cancel]`: the Slurm jobs of the sweeps in DIR, for a sweep launched with
// --detach (or one whose terminal is gone): where each run's job is, written back to its
// planned-run.json; --cancel cancels what is still queued or running and waits for the end.
//
// Exit codes: 0 no job failed; 1 a job failed; 2 a usage error.

import { existsSync, statSync } from 'node:fs';
import { slurmJobs } from '../../sweep/slurmExecutor';
import { parse, type Io } from '../args';
import { CliError } from '../errors';
import { table } from '../table';
import { JOBS_USAGE } from './train';

export async function jobsCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { cancel: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, true);
  if (values.help) return io.out(JOBS_USAGE), 0;
  if (positionals.length !== 1) throw new CliError('give one folder: the sweep output folder (--out of the sweep)', 2);
  const dir = positionals[0];
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliError(`${dir} is not a folder`, 2);
  const rows = await slurmJobs(dir, { cancel: values.cancel === true, cancelReason: 'precision-planner jobs --cancel' }).catch((error: Error) => {
    throw new CliError(error.message, 1);
  });
  if (values.json) io.out(JSON.stringify({ jobs: rows.map(({ outcome: _, ...row }) => row) }, null, 2));
  else if (rows.length === 0) io.out(`no Slurm jobs in ${dir} (no run folder there holds a planned-run.json of a Slurm job)`);
  else io.out(table(['run', 'job', 'state', 'detail'], rows.map((r) => [r.name, r.jobId ?? '', r.state, r.detail])));
  return rows.some((r) => r.state === 'failed') ? 1 : 0;
}
