import { UnrecoverableError } from 'bullmq';
import { QueryFailedError, type EntityManager } from 'typeorm';
import { RequestContext, type AppRuntime } from '../src/kernel/context';
import type { RecordEventPayload } from '../src/kernel/queue';
import type { JobHandler } from './jobs';
import { routeNewLeads } from './lead-routing';
import { pushRecordChanges } from './record-change-push';
import { scheduleTaskReminders } from './task-reminders';
import { scheduleSlaChecks } from './ticket-sla';
import { enqueueRetriedRuns, matchAutomations, syncAutomationSchedules } from './automation-triggers';
import { fanOutWebhooks } from './webhook-fanout';

/**
 * A reaction to record events. `run` gets the rebuilt context and the transaction in which its
 * ledger row is written: effects made through `em` happen exactly once per event, however often
 * the job runs. Effects outside the database (mail, webhooks) would need their own key.
 */
export interface EventHandler {
  /** Its idempotency key together with the event id; never rename one that has run. */
  name: string;
  /** Event types it reacts to (`deal.updated`), or '*' for all. */
  types: readonly string[] | '*';
  run(ctx: RequestContext, em: EntityManager, event: RecordEventPayload): Promise<void>;
}

/**
 * The ledger row itself is this handler's effect, a per-workspace record of which events the
 * reactions have consumed: it proves the path end to end (outbox → relay → queue → handler).
 */
export const recordProcessedEvent: EventHandler = { name: 'processed-log', types: '*', run: async () => undefined };

export const EVENT_HANDLERS: readonly EventHandler[] = [
  recordProcessedEvent,
  scheduleTaskReminders,
  routeNewLeads,
  scheduleSlaChecks,
  matchAutomations,
  syncAutomationSchedules,
  enqueueRetriedRuns,
  pushRecordChanges,
  fanOutWebhooks,
];

/** The handlers subscribed to an event type, in the order they run. */
export function handlersOf(type: string): EventHandler[] {
  return EVENT_HANDLERS.filter((handler) => handler.types === '*' || handler.types.includes(type));
}

/**
 * The event's actor as they are now: their live seat in the workspace gives the role. An event
 * without an actor, or whose actor is no longer a member, runs as the system in that workspace:
 * the change happened and its reactions are owed, whoever made it.
 */
export async function eventContext(runtime: AppRuntime, event: RecordEventPayload): Promise<RequestContext> {
  const requestId = `event:${event.eventId}`;
  const member = event.actorUserId && (await RequestContext.forLiveMember(runtime, event.workspaceId, event.actorUserId, requestId));
  return member || RequestContext.system(runtime, event.workspaceId, requestId);
}

/**
 * Runs every handler subscribed to the event's type in one transaction, each under a savepoint
 * that first claims (handler, event id) in processed_events: a claim that already exists means
 * the effect happened, so the handler is skipped. A failing handler's savepoint is rolled back,
 * the others' effects commit, and then the job fails (and is retried: the handlers that ran are
 * skipped next time). One transaction per event, not per handler, halves the worker's commits.
 * Returns the handlers that ran and those skipped.
 */
export const dispatchRecordEvent: JobHandler<'record-events', 'record-event'> = async (job, runtime) => {
  const event = job.data;
  checkPayload(event);
  refuseIfOlderThanLedger(event, runtime.config.PROCESSED_EVENTS_RETENTION_DAYS);
  const ctx = await eventContext(runtime, event);
  const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  const ran: string[] = [];
  const skipped: string[] = [];
  let failure: unknown = null;
  try {
    await ctx.db.write(async (em) => {
      for (const handler of handlersOf(event.type)) {
        try {
          const claimed = await ctx.db.savepoint(async () => {
            if (!(await claim(em, handler, event))) return false;
            await handler.run(ctx, em, event);
            return true;
          });
          (claimed ? ran : skipped).push(handler.name);
        } catch (error) {
          if (error instanceof UnrecoverableError) throw error;
          failure ??= error;
          if (lastAttempt) await giveUp(em, handler, event, error);
        }
      }
    });
  } finally {
    await ctx.close();
  }
  if (failure) throw failure;
  return { ran, skipped };
};

/**
 * After its last attempt a failing handler is written to the ledger with its error (its effects
 * were rolled back with its savepoint): the event is settled, so the reconciler does not run it
 * again and again, and the failure stays visible beside the successes.
 */
async function giveUp(em: EntityManager, handler: EventHandler, event: RecordEventPayload, error: unknown): Promise<void> {
  await em.query(`INSERT INTO processed_events (handler, event_id, workspace_id, error) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [
    handler.name,
    event.eventId,
    event.workspaceId,
    String((error as Error)?.message ?? error).slice(0, 2000),
  ]);
}

/** Claims (handler, event) in the ledger; false when it was claimed before (the handler already ran). */
async function claim(em: EntityManager, handler: EventHandler, event: RecordEventPayload): Promise<boolean> {
  try {
    const rows = (await em.query(
      `INSERT INTO processed_events (handler, event_id, workspace_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1`,
      [handler.name, event.eventId, event.workspaceId],
    )) as unknown[];
    return rows.length > 0;
  } catch (error) {
    // The workspace was deleted after the event (its events went with it): no retry brings it back.
    if (error instanceof QueryFailedError && (error.driverError as { constraint?: string }).constraint === 'processed_events_workspace_id_fkey') {
      throw new UnrecoverableError(`Workspace ${event.workspaceId} of event ${event.eventId} no longer exists`);
    }
    throw error;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isUuid = (value: unknown): boolean => typeof value === 'string' && UUID.test(value);

/** The relay writes every field; a payload without them was made by hand or by a bug, and retrying will not mend it. */
function checkPayload(event: RecordEventPayload): void {
  const bad = (field: string) => new UnrecoverableError(`Malformed record-event payload: ${field}`);
  for (const field of ['eventId', 'workspaceId', 'recordId'] as const) if (!isUuid(event?.[field])) throw bad(field);
  if (event.actorUserId !== null && !isUuid(event.actorUserId)) throw bad('actorUserId');
  if (typeof event.type !== 'string' || !/^[a-z][A-Za-z]*\.[a-z]+$/.test(event.type)) throw bad('type');
  if (typeof event.occurredAt !== 'string' || Number.isNaN(Date.parse(event.occurredAt))) throw bad('occurredAt');
}

/** Room for clock skew between the worker and the database, and for a claim that takes a while. */
const LEDGER_MARGIN_MS = 60 * 60 * 1000;

/** The age up to which an event's handlers may still run: the ledger's retention less the margin. */
export const ledgerKeepsMs = (retentionDays: number) => retentionDays * 24 * 60 * 60 * 1000 - LEDGER_MARGIN_MS;

/**
 * The ledger forgets a (handler, event) claim PROCESSED_EVENTS_RETENTION_DAYS after it was made
 * (purge-processed-events), and a claim is never made before its event occurred. So an event
 * older than the retention (less a margin) might have lost its claims: running its handlers now
 * could repeat their effects. Such a job (a failed one retried much later, an event re-added after
 * a very long outage) is refused instead; no retry makes it younger.
 */
function refuseIfOlderThanLedger(event: RecordEventPayload, retentionDays: number): void {
  const ageMs = Date.now() - Date.parse(event.occurredAt);
  if (ageMs > ledgerKeepsMs(retentionDays)) {
    throw new UnrecoverableError(`Event ${event.eventId} is older than the ledger keeps (${retentionDays} days); its handlers are not run again`);
  }
}
