import { coerceInputValue, isInputObjectType, type GraphQLInputObjectType, type GraphQLSchema } from 'graphql';
import { validate, type ValidationError } from 'class-validator';
import { buildSchema, Query, Resolver } from 'type-graphql';
import { badInput, type FieldProblem } from '../../kernel/errors';
import { refProblems, systemProblems } from '../../kernel/records/external-refs';
import { validationProblems } from '../../kernel/format-error';
import { SYNC_OBJECTS, type RecordInput, type SyncObjectName, type UpsertSpec } from './sync-object';
import type { SyncFields } from './upsert.inputs';
import { upsertSpec } from './upsert-specs';

/** Never served: the root field a schema needs around the upsert item inputs (see inputType). */
@Resolver()
class UpsertItemTypes {
  @Query(() => Boolean)
  upsertItemTypes(): boolean {
    return true;
  }
}

let schema: Promise<GraphQLSchema> | null = null;

/**
 * The object's upsert input type, from a schema of the upsert item inputs alone (built once per
 * process): items given as plain JSON (imports, a worker without a GraphQL server) are coerced
 * by the same input types as GraphQL variables are, without building the whole API schema.
 */
async function inputType(spec: UpsertSpec): Promise<GraphQLInputObjectType> {
  schema ??= buildSchema({
    resolvers: [UpsertItemTypes],
    orphanedTypes: SYNC_OBJECTS.map((object) => upsertSpec(object).input),
    // type-graphql wants one as soon as any loaded class uses @Authorized; nothing here is ever executed.
    authChecker: () => false,
  });
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
