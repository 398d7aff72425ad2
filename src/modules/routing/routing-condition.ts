import {
  coerceInputValue,
  isInputObjectType,
  isListType,
  isNonNullType,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { badField } from '../../kernel/errors';
import { compileFilter, withoutKeys, type FilterSpec } from '../../kernel/filtering/compile-filter';
import { SqlParams } from '../../kernel/sql';
import { contactModel } from '../contacts';
import { dealModel } from '../deals';
import { RoutingObjectType } from './routing-rule.entity';

/** A rule's condition is a ContactFilter or DealFilter; these are the list queries' own field specs. */
export const CONDITION_TYPES: Record<RoutingObjectType, { table: string; filterType: string; spec: FilterSpec<unknown> }> = {
  CONTACT: { table: 'contacts', filterType: 'ContactFilter', spec: contactModel.filter as FilterSpec<unknown> },
  DEAL: { table: 'deals', filterType: 'DealFilter', spec: dealModel.filter as FilterSpec<unknown> },
};

const MAX_CONDITION_CHARS = 20_000;
const MAX_DEPTH = 12;

/**
 * Checks a condition sent as JSON against the GraphQL filter input type the list queries use
 * (unknown field, wrong value type), then compiles it with the list queries' compiler (ids of
 * the wrong type, unsupported operators); every problem is BAD_USER_INPUT naming its path.
 */
export function checkCondition(schema: GraphQLSchema, objectType: RoutingObjectType, condition: unknown, path: string): void {
  if (condition == null) return;
  if (JSON.stringify(condition).length > MAX_CONDITION_CHARS) throw badField(path, `must be at most ${MAX_CONDITION_CHARS} characters as JSON`);
  const { filterType, spec } = CONDITION_TYPES[objectType];
  checkValue(schema.getType(filterType) as GraphQLInputType, condition, path, 0);
  compileFilter(condition, spec, 't', new SqlParams(), path);
}

function checkValue(type: GraphQLInputType, value: unknown, path: string, depth: number): void {
  if (depth > MAX_DEPTH) throw badField(path, `nests deeper than ${MAX_DEPTH} levels`);
  if (isNonNullType(type)) {
    if (value == null) throw badField(path, 'must not be null');
    return checkValue(type.ofType, value, path, depth);
  }
  if (value == null) return;
  if (isInputObjectType(type)) {
    if (typeof value !== 'object' || Array.isArray(value)) throw badField(path, `must be an object (${type.name})`);
    const fields = type.getFields();
    for (const [key, child] of Object.entries(value)) {
      if (!Object.hasOwn(fields, key)) throw badField(`${path}.${key}`, `is not a field of ${type.name}`);
      checkValue(fields[key].type, child, `${path}.${key}`, depth + 1);
    }
    return;
  }
  if (isListType(type)) {
    if (!Array.isArray(value)) throw badField(path, 'must be a list');
    value.forEach((item, i) => checkValue(type.ofType, item, `${path}[${i}]`, depth + 1));
    return;
  }
  coerceInputValue(value, type, (_path, _invalid, error) => {
    throw badField(path, error.message);
  });
}

/** The condition as SQL over alias `t`, or TRUE; evaluated against a stored row or (`stored` false) a hypothetical one. */
export function conditionSql(objectType: RoutingObjectType, condition: object | null, params: SqlParams, stored: boolean): string {
  const { spec } = CONDITION_TYPES[objectType];
  return compileFilter(condition, stored ? spec : withoutKeys(spec), 't', params) ?? 'TRUE';
}

const account = (col: string) => `(SELECT a.${col} FROM accounts a WHERE a.id = t.account_id)`;
const primaryContact = (col: string) => `(SELECT c.${col} FROM contacts c WHERE c.id = t.primary_contact_id)`;

/**
 * Where a record is, for territories: a contact's own country and postal code, else its
 * account's; a deal's account's, else its primary contact's. The region only contacts have.
 */
export const LOCATION_SQL: Record<RoutingObjectType, { country: string; region: string; postalCode: string }> = {
  CONTACT: {
    country: `COALESCE(t.country, ${account('country')})`,
    region: 't.region',
    postalCode: `COALESCE(t.postal_code, ${account('postal_code')})`,
  },
  DEAL: {
    country: `COALESCE(${account('country')}, ${primaryContact('country')})`,
    region: primaryContact('region'),
    postalCode: `COALESCE(${account('postal_code')}, ${primaryContact('postal_code')})`,
  },
};
