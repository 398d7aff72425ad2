import type { AutomationActionType, AutomationObjectType, AutomationTriggerType } from './automation.enums';

/**
 * An automation's rule as stored (in `automations.definition` and, per version, in
 * `automation_versions`): plain JSON, checked when it was created or changed.
 */
export interface TriggerDefinition {
  type: AutomationTriggerType;
  objectType: AutomationObjectType;
  watchedFields: string[] | null;
  dateField: string | null;
  offsetMinutes: number | null;
  cron: string | null;
  timeZone: string | null;
}

/** One action: its type, whether a failure lets the next run, and the type's own settings. */
export interface ActionDefinition {
  type: AutomationActionType;
  continueOnError: boolean | null;
  settings: Record<string, unknown>;
}

export interface AutomationDefinition {
  trigger: TriggerDefinition;
  /** The object's list filter (e.g. a DealFilter), as sent. */
  condition: Record<string, unknown> | null;
  actions: ActionDefinition[];
  stopOnError: boolean;
}
