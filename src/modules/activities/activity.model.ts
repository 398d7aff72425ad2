import type { RecordModel } from '../../kernel/records/record-store';
import { Activity } from './activity.entity';
import { ActivityOrderField, type ActivityFilter } from './activity.inputs';

export const activityModel: RecordModel<Activity, ActivityFilter, ActivityOrderField> = {
  type: 'Activity',
  entity: Activity,
  filter: {
    type: { column: 'type', kind: 'enum' },
    followUpOrigin: { column: 'follow_up_origin', kind: 'enum' },
    subject: { column: 'subject', kind: 'string' },
    accountId: { column: 'account_id', kind: 'id', idType: 'Account' },
    contactId: { column: 'contact_id', kind: 'id', idType: 'Contact' },
    dealId: { column: 'deal_id', kind: 'id', idType: 'Deal' },
    ticketId: { column: 'ticket_id', kind: 'id', idType: 'Ticket' },
    ownerId: { column: 'owner_id', kind: 'id', idType: 'User' },
    occurredAt: { column: 'occurred_at', kind: 'datetime' },
    dueAt: { column: 'due_at', kind: 'datetime' },
    completedAt: { column: 'completed_at', kind: 'datetime' },
    createdAt: { column: 'created_at', kind: 'datetime' },
    updatedAt: { column: 'updated_at', kind: 'datetime' },
    done: { column: 'completed_at', kind: 'boolean', expression: (completedAt) => `${completedAt} IS NOT NULL` },
  },
  order: {
    CREATED_AT: { column: 'created_at' },
    OCCURRED_AT: { column: 'occurred_at', nullable: true },
    DUE_AT: { column: 'due_at', nullable: true },
  },
  defaultOrder: { field: ActivityOrderField.CREATED_AT, direction: 'DESC' },
  search: ['subject'],
};
