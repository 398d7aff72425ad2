import { GraphQLScalarType, Kind } from 'graphql';
import { Field, ObjectType } from 'type-graphql';
import { CurrencyScalar, LocalDateScalar } from '../../kernel/scalars';

const RATE = /^\d{1,18}(\.\d{1,12})?$/;

/** Rates need more fraction digits than money (1 JPY = 0.006123 EUR), so they are not `Decimal`. */
export const RateScalar = new GraphQLScalarType<string, string>({
  name: 'ExchangeRateValue',
  description: 'An exact positive decimal as a string, up to 18 integer and 12 fraction digits, e.g. "0.921350".',
  serialize: (value) => String(value),
  parseValue: (value) => parseRate(value),
  parseLiteral: (ast) => parseRate(ast.kind === Kind.STRING ? ast.value : undefined),
});

function parseRate(value: unknown): string {
  if (typeof value !== 'string' || !RATE.test(value)) throw new TypeError(`ExchangeRateValue must be a decimal string such as "0.92135"; got ${JSON.stringify(value)}`);
  return value;
}

@ObjectType({ description: 'What one unit of `currency` is worth in `baseCurrency` (the reporting currency when it was set) from `validFrom` on, until a later rate.' })
export class ExchangeRate {
  @Field(() => CurrencyScalar) currency: string;
  @Field(() => CurrencyScalar, { description: 'The workspace’s reporting (default) currency the rate converts into.' }) baseCurrency: string;
  @Field(() => RateScalar) rate: string;
  @Field(() => LocalDateScalar) validFrom: string;
  @Field() updatedAt: Date;
}
