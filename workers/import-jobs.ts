import type { Queue } from 'bullmq';
import type { ImportJobPayload } from '../src/kernel/queue';
import { runImport, sweepImports } from '../src/modules/imports';
import type { JobHandler } from './jobs';

/** Runs an import until it ends (the rules: modules/imports/import-runner.ts); the last attempt's error ends it FAILED. */
export const runImportJob: JobHandler<'imports', 'import-job'> = (job, runtime) => runImport(runtime, job.data, job.attemptsMade + 1 >= (job.opts.attempts ?? 1));

/** Every minute: lost imports are queued again (the rules: modules/imports/import-sweep.ts). */
export const sweepLostImports: JobHandler<'imports', 'import-sweep'> = (_job, runtime) =>
  sweepImports(runtime, runtime.producers!.imports as Queue<ImportJobPayload>);
