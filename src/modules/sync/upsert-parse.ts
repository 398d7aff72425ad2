import { coerceInputValue, isInputObjectType, type GraphQLInputObjectType, type GraphQLSchema } from 'graphql';
import { validate, type ValidationError } from 'class-validator';
import { badInput, type FieldProblem } from '../../kernel/errors';
import { refProblems, systemProblems } from '../../kernel/records/external-refs';
import { validationProblems } from '../../kernel/format-error';
import { buildCrmSchema } from '../../schema';
import type { RecordInput, SyncObjectName, UpsertSpec } from './sync-object';
import type { SyncFields } from './upsert.inputs';
import { upsertSpec } from './upsert-specs';

let schema: Promise<GraphQLSchema> | null = null;

/** Lets the API hand over the schema it serves, so the process does not build a second one. */
export function useSchema(served: GraphQLSchema): void {
  schema ??= Promise.resolve(served);
}

/**
 * The object's upsert input type from the schema, built once per process when none was handed
 * over (a worker has no GraphQL server): items given as plain JSON are coerced by it exactly as GraphQL variables are.
 */
async function inputType(spec: UpsertSpec): Promise<GraphQLInputObjectType> {
  schema ??= buildCrmSchema();
  const type = (await schema).getType(spec.input.name);
  if (!isInputObjectType(type)) throw new Error(`${spec.input.name} is not in the schema`);
  return type;
}

/** The fields of an object an owner can be set for: its upsert fields, references given by ref counted as their id field. */
export async function syncFieldNames(object: SyncObjectName): Promise<string[]> {
  const spec = upsertSpec(object);
  const extra = new Set(['externalRef', 'syncSource', ...spec.refs.map((r) => r.ref)]);
  return Object.keys((await inputType(spec)).getFields()).filter((field) => !extra.has(field));
}

const pathText = (path: ReadonlyArray<string | number>) =>
  path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('');

export type ParsedItem = RecordInput & SyncFields;

/**
 * One item (plain JSON, or a GraphQL input) checked as the single mutation would check it: GraphQL
 * coercion (types, required fields, enums, scalars), the input class's class-validator rules, the
 * refs' rules, and a way to match it. Problems name item-relative paths.
 */
export async function parseItem(spec: UpsertSpec, raw: unknown): Promise<ParsedItem> {
  const problems: FieldProblem[] = [];
  // An instance of the input class came through GraphQL, which coerced it already (type-graphql built it from the coerced value).
  const coerced =
    raw instanceof spec.input
      ? raw
      : (coerceInputValue(raw, await inputType(spec), (path, _value, error) => problems.push({ field: pathText(path) || 'item', message: error.message })) as Record<
          string,
          unknown
        >);
  if (problems.length) throw badInput(problems);
  const input = Object.assign(new spec.input(), coerced) as ParsedItem;
  const errors: ValidationError[] = await validate(input, { skipMissingProperties: true, forbidUnknownValues: false });
  problems.push(...validationProblems(errors));
  for (const field of ['externalRef', ...spec.refs.map((r) => r.ref)]) {
    if (input[field] != null) problems.push(...refProblems(input[field], field));
  }
  for (const ref of spec.refs) {
    if (input[ref.ref] != null && input[ref.id] != null) problems.push({ field: ref.ref, message: `give ${ref.id} or ${ref.ref}, not both` });
  }
  if (input.syncSource != null) problems.push(...systemProblems(input.syncSource, 'syncSource'));
  if (!spec.naturalKey && input.externalRef == null) {
    problems.push({ field: 'externalRef', message: `is required: ${spec.object}s have no natural key to match by` });
  } else if (spec.naturalKey && input.externalRef == null && typeof input[spec.naturalKey] !== 'string') {
    problems.push({ field: 'externalRef', message: `is required when ${spec.naturalKey} is not given: nothing else identifies the ${spec.object}` });
  }
  if (problems.length) throw badInput(problems);
  return input;
}
