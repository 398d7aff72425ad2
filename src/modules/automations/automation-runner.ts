import { UnrecoverableError } from 'bullmq';
import { GraphQLError } from 'graphql';
import { RequestContext, type AppRuntime } from '../../kernel/context';
import { encodeId } from '../../kernel/ids';
import { AUTOMATION_OBJECTS, type AnyRecord } from './automation-objects';
import { automationRunService } from './automation-runs.service';
import type { AutomationActionResult, AutomationRun } from './automation-run.entity';
import { ActionResultStatus, AutomationRunStatus } from './automation.enums';
import type { AutomationDefinition } from './automation.definition';
import { automationService } from './automation.service';
import { ActionError, type ActionTarget } from './actions/action';
import { ACTIONS } from './actions/registry';

/** Codes of API errors that no retry will cure: the input or the record is wrong. */
const PERMANENT_CODES = new Set(['BAD_USER_INPUT', 'NOT_FOUND', 'FORBIDDEN']);

/** Any failure as an ActionError: its code for the run, and whether retrying could help. */
export function asActionError(error: unknown): ActionError {
  if (error instanceof ActionError) return error;
  if (error instanceof GraphQLError) {
    const code = String(error.extensions.code ?? 'INTERNAL_SERVER_ERROR');
    return new ActionError(code, error.message, PERMANENT_CODES.has(code));
  }
  return new ActionError('INTERNAL_ERROR', error instanceof Error ? error.message : String(error), false);
}

/** Where one attempt stands: which try this is, of how many the job has. */
export interface Attempt {
  made: number;
  max: number;
}

type Outcome = { status: AutomationRunStatus; results: AutomationActionResult[] };

/** Marks the run RUNNING (one more attempt) unless it is finished already (a duplicate job). */
async function claim(ctx: RequestContext, runId: string): Promise<AutomationRun | null> {
  return ctx.db.write(async (em) => {
    const run = await automationRunService.fetch(ctx, em, runId, true);
    if (!run || (run.status !== AutomationRunStatus.QUEUED && run.status !== AutomationRunStatus.RUNNING)) return null;
    await em.query(
      `UPDATE automation_runs SET status = 'RUNNING', attempts = attempts + 1, started_at = COALESCE(started_at, now()), updated_at = now() WHERE workspace_id = $1 AND id = $2`,
      [ctx.workspaceId, runId],
    );
    return run;
  });
}

/** What a finished or retried run says went wrong first. */
type Failure = Pick<AutomationActionResult, 'errorCode' | 'errorMessage'>;

async function save(ctx: RequestContext, runId: string, status: AutomationRunStatus, results: AutomationActionResult[], failure: Failure | null, final: boolean) {
  await ctx.db.write((em) =>
    em.query(
      `UPDATE automation_runs SET status = $3, action_results = $4::jsonb, error_code = $5, error_message = $6, updated_at = now(),
         finished_at = CASE WHEN $7::boolean THEN now() END WHERE workspace_id = $1 AND id = $2`,
      [ctx.workspaceId, runId, status, JSON.stringify(results), failure?.errorCode ?? null, failure?.errorMessage ?? null, final],
    ),
  );
}

/** Runs the actions in order; those that succeeded in an earlier attempt are kept, not repeated. */
async function runActions(ctx: RequestContext, run: AutomationRun, definition: AutomationDefinition, target: ActionTarget): Promise<AutomationActionResult[]> {
  const previous = new Map(run.actionResults.map((result) => [result.index, result]));
  const results: AutomationActionResult[] = [];
  let stopped = false;
  for (const [index, action] of definition.actions.entries()) {
    const done = previous.get(index);
    if (done?.status === ActionResultStatus.SUCCEEDED) {
      results.push(done);
      continue;
    }
    const base = { index, type: action.type, output: null, errorCode: null, errorMessage: null };
    if (stopped) {
      results.push({ ...base, status: ActionResultStatus.SKIPPED, errorMessage: 'an earlier action failed' });
      continue;
    }
    try {
      const record = (await target.object.store.load(ctx, target.record.id)) as AnyRecord;
      const step = { ...target, record, index };
      const handler = ACTIONS[action.type];
      const output = await handler.apply(ctx, step, await handler.plan(ctx, step, action.settings));
      results.push({ ...base, status: ActionResultStatus.SUCCEEDED, output });
    } catch (error) {
      const failure = asActionError(error);
      results.push({ ...base, status: ActionResultStatus.FAILED, errorCode: failure.code, errorMessage: failure.message, permanent: failure.permanent } as AutomationActionResult);
      stopped = !(action.continueOnError ?? !definition.stopOnError);
    }
    await save(ctx, run.id, AutomationRunStatus.RUNNING, results, null, false);
  }
  return results;
}

function outcome(results: AutomationActionResult[]): AutomationRunStatus {
  const failed = results.filter((result) => result.status !== ActionResultStatus.SUCCEEDED).length;
  if (failed === 0) return AutomationRunStatus.SUCCEEDED;
  return failed === results.length ? AutomationRunStatus.FAILED : AutomationRunStatus.PARTIALLY_FAILED;
}

/**
 * One attempt of a run (the `automation-run` job). Acts as the system in the run's workspace,
 * with the run as the cause of its writes (loop guard). A transient failure with attempts left
 * queues the run again and throws (BullMQ retries with backoff); a permanent one, or the last
 * attempt, finishes it: SUCCEEDED, PARTIALLY_FAILED or FAILED (UnrecoverableError when nothing
 * could help).
 */
export async function executeRun(runtime: AppRuntime, workspaceId: string, runId: string, attempt: Attempt): Promise<Outcome | { duplicate: true }> {
  return RequestContext.asSystem(runtime, workspaceId, `automation-run:${runId}`, async (ctx) => {
    const run = await claim(ctx, runId);
    if (!run) return { duplicate: true };
    const { automation, definition } = await ctx.db.read(async (em) => ({
      automation: (await automationService.loadAny(ctx, em, run.automationId))!,
      definition: await automationService.definitionOf(ctx, em, run.automationId, run.version),
    }));
    const object = AUTOMATION_OBJECTS[definition.trigger.objectType];
    const record = (await object.store.load(ctx, run.recordUuid)) as AnyRecord | null;
    if (!record || record.deletedAt) {
      const failure = { errorCode: 'RECORD_DELETED', errorMessage: `the ${object.nodeType.toLowerCase()} is deleted` };
      await save(ctx, runId, AutomationRunStatus.FAILED, run.actionResults, failure, true);
      throw new UnrecoverableError(failure.errorMessage);
    }
    ctx.cause = { runId, depth: run.depth };
    const target: ActionTarget = {
      object,
      record,
      automation: { id: encodeId('Automation', automation.id), name: automation.name, version: run.version },
      run: { id: encodeId('AutomationRun', runId), trigger: run.trigger },
      index: 0,
    };
    const results = await runActions(ctx, run, definition, target);
    const failures = results.filter((result) => result.status === ActionResultStatus.FAILED) as Array<AutomationActionResult & { permanent?: boolean }>;
    const transient = failures.some((failure) => !failure.permanent);
    if (transient && attempt.made + 1 < attempt.max) {
      await save(ctx, runId, AutomationRunStatus.QUEUED, results, failures[0], false);
      throw new Error(`run ${runId}: ${failures[0].errorCode} ${failures[0].errorMessage}; retrying`);
    }
    const status = outcome(results);
    await save(ctx, runId, status, results, failures[0] ?? null, true);
    if (status === AutomationRunStatus.FAILED) {
      const message = `run ${runId} failed: ${failures[0].errorCode} ${failures[0].errorMessage}`;
      throw transient ? new Error(message) : new UnrecoverableError(message);
    }
    return { status, results };
  });
}
