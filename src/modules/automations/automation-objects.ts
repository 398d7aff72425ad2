import type { ClassType } from 'type-graphql';
import type { RequestContext } from '../../kernel/context';
import type { FieldSpec } from '../../kernel/filtering/compile-filter';
import type { NodeType } from '../../kernel/ids';
import type { RecordStore } from '../../kernel/records/record-store';
import type { TenantRecord } from '../../kernel/record';
import { AccountInput } from '../accounts/account.inputs';
import { accounts, accountService } from '../accounts/account.service';
import { ActivityInput } from '../activities/activity.inputs';
import { ContactInput } from '../contacts/contact.inputs';
import { DealInput } from '../deals/deal.inputs';
import { TicketInput } from '../tickets/ticket.inputs';
import { activities, activityService } from '../activities/activity.service';
import { contacts, contactService } from '../contacts/contact.service';
import { deals, dealService } from '../deals/deal.service';
import { tickets, ticketService } from '../tickets/ticket.service';
import { AutomationObjectType } from './automation.enums';

/** A record as automations see it: its columns by property name. */
export type AnyRecord = TenantRecord & Record<string, unknown>;

/**
 * What automations need to know about one object type: the same store, filter fields and
 * update service the API uses, so a condition is a list filter and an update is an updateX.
 */
export interface AutomationObject {
  type: AutomationObjectType;
  nodeType: NodeType;
  table: string;
  /** Key of AutomationConditionInput holding this type's filter. */
  conditionKey: string;
  /** The update mutation's input class: UPDATE_FIELDS values are checked against it. */
  updateInput: ClassType<object>;
  /** The property holding the member responsible for the record (owner or assignee). */
  ownerProperty: string;
  /** The activity property linking a task or note to the record; null: none can be linked. */
  activityLink: string | null;
  taggable: boolean;
  fields: Record<string, FieldSpec>;
  store: RecordStore<any, any, any>;
  update(ctx: RequestContext, id: string, input: Record<string, unknown>, expectedVersion?: number): Promise<unknown>;
}

export const AUTOMATION_OBJECTS: Record<AutomationObjectType, AutomationObject> = {
  ACCOUNT: {
    type: AutomationObjectType.ACCOUNT, nodeType: 'Account', table: 'accounts', conditionKey: 'account', updateInput: AccountInput,
    ownerProperty: 'ownerId', activityLink: 'accountId', taggable: true, fields: accounts.model.filter as Record<string, FieldSpec>, store: accounts,
    update: (ctx, id, input, version) => accountService.update(ctx, id, input, version),
  },
  CONTACT: {
    type: AutomationObjectType.CONTACT, nodeType: 'Contact', table: 'contacts', conditionKey: 'contact', updateInput: ContactInput,
    ownerProperty: 'ownerId', activityLink: 'contactId', taggable: true, fields: contacts.model.filter as Record<string, FieldSpec>, store: contacts,
    update: (ctx, id, input, version) => contactService.update(ctx, id, input, version),
  },
  DEAL: {
    type: AutomationObjectType.DEAL, nodeType: 'Deal', table: 'deals', conditionKey: 'deal', updateInput: DealInput,
    ownerProperty: 'ownerId', activityLink: 'dealId', taggable: true, fields: deals.model.filter as Record<string, FieldSpec>, store: deals,
    update: (ctx, id, input, version) => dealService.update(ctx, id, input, version),
  },
  TICKET: {
    type: AutomationObjectType.TICKET, nodeType: 'Ticket', table: 'tickets', conditionKey: 'ticket', updateInput: TicketInput,
    ownerProperty: 'assigneeId', activityLink: 'ticketId', taggable: true, fields: tickets.model.filter as Record<string, FieldSpec>, store: tickets,
    update: (ctx, id, input, version) => ticketService.update(ctx, id, input, version),
  },
  ACTIVITY: {
    type: AutomationObjectType.ACTIVITY, nodeType: 'Activity', table: 'activities', conditionKey: 'activity', updateInput: ActivityInput,
    ownerProperty: 'ownerId', activityLink: null, taggable: false, fields: activities.model.filter as Record<string, FieldSpec>, store: activities,
    update: (ctx, id, input, version) => activityService.update(ctx, id, input, version),
  },
};

/** The object type behind a record event's `record_type` (`Deal` → DEAL), or undefined. */
export function objectOfNodeType(nodeType: string): AutomationObject | undefined {
  return Object.values(AUTOMATION_OBJECTS).find((object) => object.nodeType === nodeType);
}
