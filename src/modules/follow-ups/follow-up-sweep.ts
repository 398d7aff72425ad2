import { RequestContext, type AppRuntime } from '../../kernel/context';
import { FollowUpOrigin } from '../activities';
import { followUpService, type SweepCounts } from './follow-up.service';

export interface SweepResult extends SweepCounts {
  workspaces: number;
  failedWorkspaces: number;
}

/**
 * Runs the follow-up sweep in every workspace, each as the system in that workspace (row-level
 * security applies). Row-level security hides the other workspaces from the application role,
 * so their ids come from crm_workspace_ids (migration 1763800000009), which lists ids only. A
 * workspace that fails is logged and the others still run; the caller's job then fails so BullMQ
 * retries it (the sweep is idempotent). `now` is injectable for tests.
 */
export async function sweepAllWorkspaces(runtime: AppRuntime, now: Date = new Date()): Promise<SweepResult> {
  const ids = ((await runtime.dataSource.query('SELECT crm_workspace_ids() AS id')) as Array<{ id: string }>).map((row) => row.id);
  const result: SweepResult = { workspaces: ids.length, failedWorkspaces: 0, STALE_DEAL: 0, BIRTHDAY: 0, CONTRACT_RENEWAL: 0 };
  let firstError: unknown;
  for (const workspaceId of ids) {
    try {
      const counts = await RequestContext.asSystem(runtime, workspaceId, `follow-ups:${workspaceId}`, (ctx) => followUpService.sweep(ctx, now));
      for (const origin of Object.values(FollowUpOrigin)) result[origin] += counts[origin];
    } catch (error) {
      result.failedWorkspaces += 1;
      firstError ??= error;
      runtime.logger.error({ err: error, workspaceId }, 'follow-up sweep failed in a workspace');
    }
  }
  runtime.logger.info(result, 'follow-up sweep done');
  if (firstError) throw firstError;
  return result;
}
