import type { ClassType } from 'type-graphql';
import type { RequestContext } from '../../kernel/context';
import type { FieldSpec } from '../../kernel/filtering/compile-filter';
import type { NodeType } from '../../kernel/ids';
import type { RecordPort } from '../../kernel/records/record-port';
import type { TenantRecord } from '../../kernel/record';
import { AccountInput, accountService } from '../accounts';
import { ActivityInput, activityService } from '../activities';
import { ContactInput, contactService } from '../contacts';
import { DealInput, dealService } from '../deals';
import { TicketInput, ticketService } from '../tickets';
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
  /** Key of AutomationConditionInput holding this type's filter (the type in lower case). */
  conditionKey: string;
  /** The update mutation's input class: UPDATE_FIELDS values are checked against it. */
  updateInput: ClassType<object>;
  /** The property holding the member responsible for the record (owner or assignee). */
  ownerProperty: string;
  /** The activity property linking a task or note to the record; null: none can be linked. */
  activityLink: string | null;
  taggable: boolean;
  fields: Record<string, FieldSpec>;
  /** The owning module's records (its service's `records`). */
  store: RecordPort<any, any, any>;
  update(ctx: RequestContext, id: string, input: Record<string, unknown>, expectedVersion?: number): Promise<unknown>;
}

interface Updater {
  update(ctx: RequestContext, id: string, input: never, expectedVersion?: number | null): Promise<unknown>;
}

/** One object type from its store (node type, filter fields), update input and service. */
function define(
  type: AutomationObjectType,
  table: string,
  store: RecordPort<any, any, any>,
  updateInput: ClassType<object>,
  service: Updater,
  rest: Pick<AutomationObject, 'ownerProperty' | 'activityLink' | 'taggable'>,
): AutomationObject {
  return {
    type,
    nodeType: store.model.type,
    table,
    conditionKey: type.toLowerCase(),
    updateInput,
    fields: store.model.filter as Record<string, FieldSpec>,
    store,
    update: (ctx, id, input, version) => service.update(ctx, id, input as never, version),
    ...rest,
  };
}

const owned = { ownerProperty: 'ownerId', taggable: true };

export const AUTOMATION_OBJECTS: Record<AutomationObjectType, AutomationObject> = {
  ACCOUNT: define(AutomationObjectType.ACCOUNT, 'accounts', accountService.records, AccountInput, accountService, { ...owned, activityLink: 'accountId' }),
  CONTACT: define(AutomationObjectType.CONTACT, 'contacts', contactService.records, ContactInput, contactService, { ...owned, activityLink: 'contactId' }),
  DEAL: define(AutomationObjectType.DEAL, 'deals', dealService.records, DealInput, dealService, { ...owned, activityLink: 'dealId' }),
  TICKET: define(AutomationObjectType.TICKET, 'tickets', ticketService.records, TicketInput, ticketService, { ownerProperty: 'assigneeId', activityLink: 'ticketId', taggable: true }),
  ACTIVITY: define(AutomationObjectType.ACTIVITY, 'activities', activityService.records, ActivityInput, activityService, { ownerProperty: 'ownerId', activityLink: null, taggable: false }),
};

/** The object type behind a record event's `record_type` (`Deal` → DEAL), or undefined. */
export function objectOfNodeType(nodeType: string): AutomationObject | undefined {
  return Object.values(AUTOMATION_OBJECTS).find((object) => object.nodeType === nodeType);
}
