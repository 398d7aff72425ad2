import { publishRecordChange } from '../src/modules/record-events';
import type { EventHandler } from './record-events';

/**
 * Pushes every record event to `recordChanged` subscribers through Redis pub/sub, after the
 * handler's transaction committed: off the request path, and once per event (the ledger).
 */
export const pushRecordChanges: EventHandler = {
  name: 'record-changed-push',
  types: '*',
  run: (ctx, em, event) => publishRecordChange(ctx, em, event.eventId),
};
