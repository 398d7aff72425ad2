import { RequestContext, type AppRuntime } from '../context';

/** What a run over every workspace did: each workspace's result, how many failed, and the first error. */
export interface WorkspaceSweep<T> {
  results: T[];
  workspaces: number;
  failedWorkspaces: number;
  firstError: unknown;
}

/**
 * Runs `work` in every workspace, each as the system in that workspace (row-level security
 * applies). Row-level security hides the other workspaces from the application role, so their ids
 * come from crm_workspace_ids (migration 1763800000009), which lists ids only. A workspace that
 * fails is logged (`<name> failed in a workspace`) and the others still run; the caller then
 * throws `firstError`, so the job is retried (its work must be idempotent).
 */
export async function inEveryWorkspace<T>(runtime: AppRuntime, name: string, work: (ctx: RequestContext) => Promise<T>): Promise<WorkspaceSweep<T>> {
  const ids = ((await runtime.dataSource.query('SELECT crm_workspace_ids() AS id')) as Array<{ id: string }>).map((row) => row.id);
  const sweep: WorkspaceSweep<T> = { results: [], workspaces: ids.length, failedWorkspaces: 0, firstError: undefined };
  for (const workspaceId of ids) {
    try {
      sweep.results.push(await RequestContext.asSystem(runtime, workspaceId, `${name}:${workspaceId}`, work));
    } catch (error) {
      sweep.failedWorkspaces += 1;
      sweep.firstError ??= error;
      runtime.logger.error({ err: error, workspaceId }, `${name} failed in a workspace`);
    }
  }
  return sweep;
}
