import { keyedText } from '../../kernel/filtering/compile-filter';
import type { RecordModel } from '../../kernel/records/record-store';
import { Ticket } from './ticket.entity';
import { TicketOrderField, type TicketFilter } from './ticket.inputs';
import { externalRefsDetail } from '../../kernel/records/external-refs';

export const ticketModel: RecordModel<Ticket, TicketFilter, TicketOrderField> = {
  type: 'Ticket',
  entity: Ticket,
  filter: {
    subject: keyedText('subject'),
    status: { column: 'status', kind: 'enum' },
    priority: { column: 'priority', kind: 'enum' },
    category: { column: 'category', kind: 'enum' },
    accountId: { column: 'account_id', kind: 'id', idType: 'Account' },
    contactId: { column: 'contact_id', kind: 'id', idType: 'Contact' },
    assigneeId: { column: 'assignee_id', kind: 'id', idType: 'User' },
    firstResponseAt: { column: 'first_response_at', kind: 'datetime' },
    resolvedAt: { column: 'resolved_at', kind: 'datetime' },
    firstResponseDueAt: { column: 'first_response_due_at', kind: 'datetime' },
    resolutionDueAt: { column: 'resolution_due_at', kind: 'datetime' },
    tags: { column: 'tags', kind: 'tags' },
    createdAt: { column: 'created_at', kind: 'datetime' },
    updatedAt: { column: 'updated_at', kind: 'datetime' },
  },
  order: {
    CREATED_AT: { column: 'created_at' },
    UPDATED_AT: { column: 'updated_at' },
    PRIORITY: { column: 'priority_rank' },
  },
  defaultOrder: { field: TicketOrderField.CREATED_AT, direction: 'DESC' },
  search: ['subject'],
  // Events show the record's ids in other systems (sync).
  eventDetails: [externalRefsDetail('Ticket')],
};
