import { validate } from 'class-validator';
import { coerceInputValue, GraphQLInputObjectType, type GraphQLError } from 'graphql';
import { GraphQLError as Thrown } from 'graphql';
import type { FieldProblem } from '../../../kernel/errors';
import { membersService } from '../../identity';
import { AutomationActionType } from '../automation.enums';
import type { AutomationObject } from '../automation-objects';
import { requireSetting, type ActionCheck, type ActionHandler } from './action';

type Fields = Record<string, unknown>;

/** graphql-js reports an unknown field at its parent object; name the field itself. */
const UNKNOWN_FIELD = /Field "(\w+)" is not defined by type/;

/**
 * Checks the values exactly as the object's update mutation would: GraphQL coercion against its
 * input type (unknown fields, wrong types, enums, scalars), then the input class's validation
 * rules, then members named as owners. Returns the coerced values as JSON.
 */
async function checkFields(check: ActionCheck, object: AutomationObject, fields: Fields): Promise<Fields> {
  const base = `${check.path}.fields`;
  const type = check.schema.getType(object.updateInput.name);
  if (!(type instanceof GraphQLInputObjectType)) throw new Error(`no input type ${object.updateInput.name}`);
  const problems: FieldProblem[] = [];
  const coerced = coerceInputValue(fields, type, (path, _value, error: GraphQLError) => {
    const inner = UNKNOWN_FIELD.exec(error.message)?.[1];
    const field = [base, ...path.map(String), ...(inner ? [inner] : [])].join('.');
    problems.push({ field, message: inner ? `is not a field of ${object.type} records` : error.message });
  }) as Fields;
  if (problems.length === 0) {
    const errors = await validate(Object.assign(new object.updateInput(), coerced), { skipMissingProperties: true, forbidUnknownValues: false });
    for (const error of errors) {
      for (const message of Object.values(error.constraints ?? {})) problems.push({ field: `${base}.${error.property}`, message });
    }
    for (const [name, spec] of Object.entries(object.fields)) {
      if (spec.kind !== 'id' || spec.idType !== 'User' || typeof coerced[name] !== 'string') continue;
      await membersService.memberRef(check.ctx, coerced[name] as string, `${base}.${name}`).catch((error: unknown) => {
        if (!(error instanceof Thrown)) throw error;
        problems.push({ field: `${base}.${name}`, message: 'no member of this workspace with this id' });
      });
    }
  }
  check.problems.push(...problems);
  return JSON.parse(JSON.stringify(coerced ?? {})) as Fields;
}

/** Sets fields through the object's update service, so validation, references and record events apply. */
export const updateFields: ActionHandler<{ fields: Fields }> = {
  type: AutomationActionType.UPDATE_FIELDS,
  async settings(check) {
    requireSetting(check, 'fields', check.input.fields);
    const fields = check.input.fields ?? {};
    if (check.input.fields && Object.keys(fields).length === 0) check.problems.push({ field: `${check.path}.fields`, message: 'must set at least one field' });
    return { fields: await checkFields(check, check.object, fields) };
  },
  async plan(ctx, target, settings) {
    const snapshot = target.object.store.snapshot(ctx, target.record);
    const changes = Object.entries(settings.fields).map(([field, after]) => ({ field, before: snapshot[field] ?? null, after }));
    return { fields: settings.fields, changes };
  },
  async apply(ctx, target, plan) {
    await target.object.update(ctx, target.record.id, plan.fields as Fields);
    return { changes: plan.changes };
  },
};
