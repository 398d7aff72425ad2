import { ArgsType, Field, ID, Int, ObjectType, type ClassType } from 'type-graphql';
import { CurrencyAmount } from '../../kernel/money/report-money';
import { CurrencyScalar, DecimalScalar } from '../../kernel/scalars';

@ObjectType({ description: 'One key of an aggregate group: the dimension, its raw value, and what a chart shows for it.' })
export class AggregateKey {
  @Field({ description: 'The dimension, as named in groupBy.' }) dimension: string;
  @Field(() => String, { nullable: true, description: 'The raw value (a record’s id, a status, "2026-07"); null: the record has none (no owner, no close date).' })
  value: string | null;
  @Field(() => ID, { nullable: true, description: 'The global id when the key is a record (stage, pipeline, owner, team, assignee, account).' })
  id: string | null;
  @Field({ description: 'The value as shown: a stage’s name, an owner’s name, "2026-Q3"; "(none)" for null.' }) label: string;
}

/** A group as the core computes it; each object's GraphQL type shows its measures by field name. */
export interface AggregateGroupValue {
  keys: AggregateKey[];
  unconvertedCount: number;
  unconverted: CurrencyAmount[];
  [measureField: string]: unknown;
}

export interface AggregateValue {
  currency: string;
  groups: AggregateGroupValue[];
  total: AggregateGroupValue;
}

export interface MeasureField {
  /** The group's field, e.g. `sumAmount`. */
  field: string;
  kind: 'count' | 'decimal';
  description: string;
}

/**
 * The GraphQL types of one object's aggregate: `<Name>AggregateGroup` with the keys, one
 * nullable field per measure (null when not requested) and the unconverted amounts, and
 * `<Name>Aggregate` with the reporting currency, the groups and the total. One factory, so the
 * four aggregates have the same shape.
 */
export function aggregateTypes(name: string, measures: MeasureField[]): { Result: ClassType<AggregateValue> } {
  class Group {}
  Object.defineProperty(Group, 'name', { value: `${name}AggregateGroup` });
  Field(() => [AggregateKey], { description: 'One key per groupBy dimension, in its order; none in the total.' })(Group.prototype, 'keys');
  for (const measure of measures) {
    const type = measure.kind === 'count' ? Int : DecimalScalar;
    Field(() => type, { nullable: true, description: `${measure.description} Null when not requested.` })(Group.prototype, measure.field);
  }
  Field(() => Int, { description: 'Records whose amount has no exchange rate on its date: counted in COUNT, left out of the money measures.' })(
    Group.prototype,
    'unconvertedCount',
  );
  Field(() => [CurrencyAmount], { description: 'Their amounts, per currency, exact.' })(Group.prototype, 'unconverted');
  ObjectType(`${name}AggregateGroup`, { description: `A group of a ${name} aggregate (or its total).` })(Group);

  class Result {}
  Object.defineProperty(Result, 'name', { value: `${name}Aggregate` });
  Field(() => CurrencyScalar, { description: 'The reporting currency (the workspace’s default currency) of every amount.' })(Result.prototype, 'currency');
  Field(() => [Group], { description: 'The groups, in the documented order (docs/analytics.md#aggregates).' })(Result.prototype, 'groups');
  Field(() => Group, { description: 'All matching records, each counted once.' })(Result.prototype, 'total');
  ObjectType(`${name}Aggregate`)(Result);
  return { Result: Result as ClassType<AggregateValue> };
}

export interface AggregateArgs<F, D extends string, M extends string> {
  filter?: F;
  groupBy: D[];
  measures: M[];
}

/** The arguments of one object's aggregate: its list's filter, its dimensions and measures (enums registered by the caller). */
export function aggregateArgs<F extends object, D extends string, M extends string>(filter: ClassType<F>, dimension: object, measure: object, list: string) {
  @ArgsType()
  class Args implements AggregateArgs<F, D, M> {
    @Field(() => filter, { nullable: true, description: `The same filter as the ${list} list.` }) filter?: F;
    @Field(() => [dimension], { defaultValue: [], description: 'Up to 3 distinct dimensions; none: only the total.' }) groupBy: D[];
    @Field(() => [measure], { description: 'At least one.' }) measures: M[];
  }
  return Args;
}
