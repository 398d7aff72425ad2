import { CronExpressionParser } from 'cron-parser';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import type { RequestContext } from '../../kernel/context';
import { badInput, type FieldProblem } from '../../kernel/errors';
import { compileFilter } from '../../kernel/filtering/compile-filter';
import { SqlParams } from '../../kernel/sql';
import { AUTOMATION_OBJECTS, type AutomationObject } from './automation-objects';
import type { ActionDefinition, AutomationDefinition, TriggerDefinition } from './automation.definition';
import { AutomationTriggerType } from './automation.enums';
import type { AutomationActionInput, AutomationConditionInput, AutomationTriggerInput } from './automation.inputs';
import { ACTIONS } from './actions/registry';
import { isValidTimeZone } from '../../kernel/time/business-time';

/** A new rule, or an update's fields: what is omitted (undefined) is taken from `current`. */
export interface DefinitionInput {
  trigger?: AutomationTriggerInput;
  condition?: AutomationConditionInput | null;
  actions?: AutomationActionInput[];
  stopOnError?: boolean;
}

const DATE_KINDS = new Set(['date', 'datetime']);

/** Whether a 5-field cron expression parses and has a next occurrence (`0 0 30 2 *` has none). */
function cronFires(cron: string, timeZone: string): boolean {
  if (cron.trim().split(/\s+/).length !== 5) return false;
  try {
    CronExpressionParser.parse(cron, { tz: timeZone }).next();
    return true;
  } catch {
    return false;
  }
}

function checkTrigger(input: AutomationTriggerInput, object: AutomationObject, problems: FieldProblem[]): TriggerDefinition {
  const path = 'input.trigger';
  const trigger: TriggerDefinition = { type: input.type, objectType: input.objectType, watchedFields: null, dateField: null, offsetMinutes: null, cron: null, timeZone: null };
  if (input.type === AutomationTriggerType.RECORD_UPDATED && input.watchedFields?.length) {
    input.watchedFields.forEach((field, i) => {
      if (!object.fields[field]) problems.push({ field: `${path}.watchedFields[${i}]`, message: `is not a field of ${object.type} records` });
    });
    trigger.watchedFields = [...new Set(input.watchedFields)];
  }
  if (input.type === AutomationTriggerType.DATE_RELATIVE) {
    const spec = input.dateField ? object.fields[input.dateField] : undefined;
    if (!spec || !DATE_KINDS.has(spec.kind)) problems.push({ field: `${path}.dateField`, message: `must be a date or date-time field of ${object.type} records` });
    trigger.dateField = input.dateField ?? null;
    trigger.offsetMinutes = input.offsetMinutes ?? 0;
  }
  if (input.type === AutomationTriggerType.SCHEDULE) {
    const timeZone = input.timeZone ?? 'UTC';
    if (!isValidTimeZone(timeZone)) problems.push({ field: `${path}.timeZone`, message: 'is not an IANA time zone such as Europe/Berlin' });
    else if (!input.cron || !cronFires(input.cron, timeZone)) problems.push({ field: `${path}.cron`, message: 'must be a 5-field cron expression that fires, e.g. "0 9 * * 1"' });
    trigger.cron = input.cron ?? null;
    trigger.timeZone = timeZone;
  }
  return trigger;
}

/** The condition as JSON, after checking it is for the trigger's object and compiles (ids of the right type, …). */
function checkCondition(input: DefinitionInput['condition'], object: AutomationObject, problems: FieldProblem[]): Record<string, unknown> | null {
  if (!input) return null;
  const json = JSON.parse(JSON.stringify(input)) as Record<string, unknown>;
  for (const [key, value] of Object.entries(json)) {
    if (value != null && key !== object.conditionKey) problems.push({ field: `input.condition.${key}`, message: `the trigger’s objectType is ${object.type}; use condition.${object.conditionKey}` });
  }
  const filter = (json[object.conditionKey] as Record<string, unknown> | null | undefined) ?? null;
  try {
    compileFilter(filter, object.fields, 't', new SqlParams(), `input.condition.${object.conditionKey}`);
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    problems.push(...((error.extensions.fields as FieldProblem[] | undefined) ?? [{ field: 'input.condition', message: error.message }]));
  }
  return filter;
}

/**
 * Checks a whole rule and returns it as stored, or BAD_USER_INPUT listing every problem by its
 * path in the mutation (`input.actions[1].fields.amount`).
 */
export async function checkDefinition(
  ctx: RequestContext,
  input: DefinitionInput,
  schema: GraphQLSchema,
  current?: AutomationDefinition,
): Promise<AutomationDefinition> {
  const problems: FieldProblem[] = [];
  const triggerInput = (input.trigger ?? current?.trigger) as AutomationTriggerInput;
  const object = AUTOMATION_OBJECTS[triggerInput.objectType];
  const sameObject = current?.trigger.objectType === object.type;
  const trigger = checkTrigger(triggerInput, object, problems);
  const condition = input.condition !== undefined ? checkCondition(input.condition, object, problems) : sameObject ? current!.condition : null;
  let actions: ActionDefinition[] = [];
  if (input.actions) {
    if (input.actions.length === 0) problems.push({ field: 'input.actions', message: 'needs at least one action' });
    for (const [i, action] of input.actions.entries()) {
      const settings = await ACTIONS[action.type].settings({ ctx, input: action, object, path: `input.actions[${i}]`, schema, problems });
      actions.push({ type: action.type, continueOnError: action.continueOnError ?? null, settings });
    }
  } else if (sameObject) {
    actions = current!.actions;
  } else {
    problems.push({ field: 'input.actions', message: 'must be given again when the trigger’s objectType changes' });
  }
  if (problems.length > 0) throw badInput(problems);
  return { trigger, condition, actions, stopOnError: input.stopOnError ?? current?.stopOnError ?? false };
}
