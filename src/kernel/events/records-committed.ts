import type { RequestContext } from '../context';

/**
 * The pub/sub topic that says, right after a write committed, that records of a type changed in
 * a workspace (its id is the workspace). For views that recompute from the committed state
 * (live dashboards), without waiting for the event relay and the worker.
 */
export const RECORDS_COMMITTED = 'records-committed';

export interface RecordsCommittedMessage {
  recordType: string;
}

/**
 * Once the write in progress has committed, tells the workspace's channel that records of
 * `recordType` changed; a rolled-back write tells nothing. Sent without waiting for Redis (the
 * write's answer is not held up) and never failing the write; nothing without a pub/sub.
 */
export function announceOnCommit(ctx: RequestContext, recordType: string): void {
  const pubSub = ctx.runtime.pubSub;
  if (!pubSub) return;
  const workspaceId = ctx.workspaceId;
  const message: RecordsCommittedMessage = { recordType };
  ctx.db.onCommit(() => void pubSub.send(RECORDS_COMMITTED, workspaceId, message));
}
