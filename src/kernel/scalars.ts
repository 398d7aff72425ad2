import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { GraphQLLocalDate } from 'graphql-scalars';

const DECIMAL = /^-?\d{1,15}(\.\d{1,4})?$/;
const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

function stringScalar(name: string, description: string, accept: (value: string) => boolean, expected: string) {
  const parse = (value: unknown): string => {
    if (typeof value !== 'string' || !accept(value)) {
      throw new GraphQLError(`${name} must be ${expected}; got ${JSON.stringify(value)}`);
    }
    return value;
  };
  return new GraphQLScalarType<string, string>({
    name,
    description,
    serialize: (value) => String(value),
    parseValue: parse,
    parseLiteral: (ast) => parse(ast.kind === Kind.STRING ? ast.value : undefined),
  });
}

/** Money and other exact numbers travel as strings, never floats. */
export const DecimalScalar = stringScalar(
  'Decimal',
  'An exact decimal number as a string, e.g. "1250.00" (up to 15 integer and 4 fraction digits).',
  (value) => DECIMAL.test(value),
  'a decimal string such as "1250.00"',
);

export const CurrencyScalar = stringScalar(
  'CurrencyCode',
  'An ISO 4217 currency code, e.g. "EUR".',
  (value) => CURRENCIES.has(value),
  'an ISO 4217 currency code such as "EUR"',
);

/** A calendar date without time, `YYYY-MM-DD`. */
export const LocalDateScalar = GraphQLLocalDate;
