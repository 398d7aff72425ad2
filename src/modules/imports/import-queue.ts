import type { Queue } from 'bullmq';
import type { ImportJobPayload } from '../../kernel/queue';

/** One BullMQ job per import: adding it again while it waits or runs adds nothing. */
export function importQueueJobId(importJobId: string): string {
  return `import-${importJobId}`;
}

export async function enqueueImport(queue: Queue<ImportJobPayload>, payload: ImportJobPayload): Promise<void> {
  await queue.add('import-job', payload, { jobId: importQueueJobId(payload.importJobId) });
}
