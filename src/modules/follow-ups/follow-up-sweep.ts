import type { AppRuntime } from '../../kernel/context';
import { inEveryWorkspace } from '../../kernel/db/every-workspace';
import { FollowUpOrigin } from '../activities';
import { followUpService, type SweepCounts } from './follow-up.service';

export interface SweepResult extends SweepCounts {
  workspaces: number;
  failedWorkspaces: number;
}

/**
 * Runs the follow-up sweep in every workspace (inEveryWorkspace); a failed workspace fails the
 * job after the others ran, so BullMQ retries it (the sweep is idempotent). `now` is injectable
 * for tests.
 */
export async function sweepAllWorkspaces(runtime: AppRuntime, now: Date = new Date()): Promise<SweepResult> {
  const sweep = await inEveryWorkspace(runtime, 'follow-up sweep', (ctx) => followUpService.sweep(ctx, now));
  const result: SweepResult = { workspaces: sweep.workspaces, failedWorkspaces: sweep.failedWorkspaces, STALE_DEAL: 0, BIRTHDAY: 0, CONTRACT_RENEWAL: 0 };
  for (const counts of sweep.results) for (const origin of Object.values(FollowUpOrigin)) result[origin] += counts[origin];
  runtime.logger.info(result, 'follow-up sweep done');
  if (sweep.firstError) throw sweep.firstError;
  return result;
}
