import { registerEnumType } from 'type-graphql';

/** The records an automation can watch and act on. */
export enum AutomationObjectType {
  ACCOUNT = 'ACCOUNT',
  CONTACT = 'CONTACT',
  DEAL = 'DEAL',
  TICKET = 'TICKET',
  ACTIVITY = 'ACTIVITY',
}
registerEnumType(AutomationObjectType, { name: 'AutomationObjectType' });

export enum AutomationTriggerType {
  RECORD_CREATED = 'RECORD_CREATED',
  RECORD_UPDATED = 'RECORD_UPDATED',
  DATE_RELATIVE = 'DATE_RELATIVE',
  SCHEDULE = 'SCHEDULE',
}
registerEnumType(AutomationTriggerType, {
  name: 'AutomationTriggerType',
  valuesConfig: {
    RECORD_CREATED: { description: 'A record of the object type was created (and matches the condition).' },
    RECORD_UPDATED: { description: 'A record was updated; with watchedFields, only when one of them changed.' },
    DATE_RELATIVE: { description: 'dateField + offsetMinutes has come (checked by the periodic sweep); once per record and date value.' },
    SCHEDULE: { description: 'At every occurrence of cron in timeZone: one run per record matching the condition (at most 500).' },
  },
});

export enum AutomationActionType {
  UPDATE_FIELDS = 'UPDATE_FIELDS',
  CREATE_TASK = 'CREATE_TASK',
  CREATE_NOTE = 'CREATE_NOTE',
  ADD_TAG = 'ADD_TAG',
  NOTIFY_USER = 'NOTIFY_USER',
  CALL_WEBHOOK = 'CALL_WEBHOOK',
  ASSIGN_VIA_ROUTING = 'ASSIGN_VIA_ROUTING',
}
registerEnumType(AutomationActionType, {
  name: 'AutomationActionType',
  valuesConfig: { ASSIGN_VIA_ROUTING: { description: 'Contacts and deals without an owner: the workspace routing rules pick one (see routingDecision).' } },
});

export enum AutomationRunStatus {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  PARTIALLY_FAILED = 'PARTIALLY_FAILED',
  SKIPPED = 'SKIPPED',
}
registerEnumType(AutomationRunStatus, {
  name: 'AutomationRunStatus',
  valuesConfig: {
    QUEUED: { description: 'Waiting for the worker (also between retries).' },
    PARTIALLY_FAILED: { description: 'Some actions succeeded, some failed.' },
    SKIPPED: { description: 'Not run; `reason` says why (e.g. "loop guard").' },
  },
});

export enum ActionResultStatus {
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  SKIPPED = 'SKIPPED',
}
registerEnumType(ActionResultStatus, { name: 'AutomationActionResultStatus' });

export enum TaskAssignee {
  RECORD_OWNER = 'RECORD_OWNER',
  MEMBER = 'MEMBER',
}
registerEnumType(TaskAssignee, { name: 'AutomationAssignee', description: 'Who a task or notification goes to.' });
