import type { EntityManager } from 'typeorm';
import { encodeId } from '../../kernel/ids';
import { RecordEvent } from '../record-events';

/**
 * A delivery's JSON body: the record event as the change feed shows it (public ids, ISO times),
 * read when the attempt is made. Null when the event is no longer kept (RECORD_EVENTS_RETENTION_DAYS).
 */
export async function webhookBody(em: EntityManager, eventId: string): Promise<{ id: string; body: string } | null> {
  const event = await em.getRepository(RecordEvent).findOneBy({ id: eventId });
  if (!event) return null;
  const actor = event.actorUserId
    ? { type: 'USER', id: encodeId('User', event.actorUserId) }
    : event.actorApiKeyUuid
      ? { type: 'API_KEY', id: encodeId('ApiKey', event.actorApiKeyUuid) }
      : null;
  const body = {
    id: event.globalId,
    type: event.type,
    occurredAt: event.occurredAt.toISOString(),
    workspaceId: encodeId('Workspace', event.workspaceId),
    record: { type: event.recordType, id: event.recordId },
    actor,
    before: event.before,
    after: event.after,
    changedFields: event.changed,
    sequence: event.sequence,
  };
  return { id: event.globalId, body: JSON.stringify(body) };
}
