import type { RequestContext } from '../../kernel/context';
import { publishOnCommit } from '../../kernel/pubsub';
import { ImportJob } from './import-job.entity';

/** The pub/sub topic of an import's progress; its id is the import job's id, so each job is a channel. */
export const IMPORT_JOB_PROGRESS = 'import-job-progress';

/** An import job as it travels through Redis (times as ISO strings). */
export type ImportJobMessage = Omit<ImportJob, 'globalId' | 'createdAt' | 'updatedAt' | 'startedAt' | 'finishedAt'> & {
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
};

const iso = (date: Date | null): string | null => date && date.toISOString();

/**
 * Publishes the job's state once the transaction that wrote it commits (a chunk, a cancel, the
 * end). A failed publish is logged by the pub/sub; progress is still readable with `importJob`.
 */
export function publishProgress(ctx: RequestContext, job: ImportJob): void {
  const message: ImportJobMessage = { ...job, createdAt: job.createdAt.toISOString(), updatedAt: job.updatedAt.toISOString(), startedAt: iso(job.startedAt), finishedAt: iso(job.finishedAt) };
  publishOnCommit(ctx, IMPORT_JOB_PROGRESS, job.id, message);
}

export function fromMessage(message: ImportJobMessage): ImportJob {
  const date = (value: string | null) => (value === null ? null : new Date(value));
  return Object.assign(new ImportJob(), message, {
    createdAt: new Date(message.createdAt),
    updatedAt: new Date(message.updatedAt),
    startedAt: date(message.startedAt),
    finishedAt: date(message.finishedAt),
  });
}
