import type { GraphQLSchema } from 'graphql';
import type { RequestContext } from '../../../kernel/context';
import type { FieldProblem } from '../../../kernel/errors';
import type { AnyRecord, AutomationObject } from '../automation-objects';
import type { AutomationActionType } from '../automation.enums';
import type { AutomationActionInput } from '../automation.inputs';

/** The record an action works on, and the run it belongs to (null in a dry run). */
export interface ActionTarget {
  object: AutomationObject;
  record: AnyRecord;
  automation: { id: string; name: string; version: number };
  run: { id: string; trigger: string } | null;
  /** The action's place in the list (a notification's dedupe key uses it). */
  index: number;
}

/** Where an action's input is checked: its path in the mutation (`input.actions[2]`) and the schema. */
export interface ActionCheck {
  ctx: RequestContext;
  input: AutomationActionInput;
  object: AutomationObject;
  path: string;
  schema: GraphQLSchema;
  problems: FieldProblem[];
}

/**
 * One action type; adding a type is one file like this plus a line in the registry. `plan`
 * reads only, so the dry run shows exactly what `apply` would then do with the same plan.
 */
export interface ActionHandler<S extends object = Record<string, unknown>> {
  type: AutomationActionType;
  /** Checks the input (appending to `problems`) and returns the settings to store. */
  settings(check: ActionCheck): Promise<S>;
  plan(ctx: RequestContext, target: ActionTarget, settings: S): Promise<Record<string, unknown>>;
  apply(ctx: RequestContext, target: ActionTarget, plan: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/**
 * A failed action: `code` is shown in the run; `permanent` ones (the record or a field is
 * invalid) are not retried, transient ones (timeouts, conflicts, 5xx) are, with backoff.
 */
export class ActionError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

/** Adds a problem unless `value` is present. */
export function requireSetting(check: ActionCheck, name: keyof AutomationActionInput, value: unknown): void {
  if (value == null || value === '') check.problems.push({ field: `${check.path}.${name}`, message: `is required for ${check.input.type}` });
}

/** Adds a problem when the object type has no place for what the action makes. */
export function requireObject(check: ActionCheck, ok: boolean, what: string): void {
  if (!ok) check.problems.push({ field: `${check.path}.type`, message: `${check.input.type} cannot act on ${check.object.type} records (${what})` });
}
