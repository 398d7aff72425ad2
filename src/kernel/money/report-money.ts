import { Field, Int, ObjectType } from 'type-graphql';
import { minorUnits } from '../decimal';
import { CurrencyScalar, DecimalScalar } from '../scalars';

/**
 * Money in reports: every amount converts into the workspace's reporting currency (its default
 * currency) at the rate valid on the amount's date (crm_exchange_rate, migration 1763800000042),
 * exactly (numeric), and a figure is rounded half up to the reporting currency's minor units only
 * when it is shown. Amounts without a rate are never dropped nor summed as if converted: they are
 * reported apart, per currency (Unconverted).
 */

/** SQL: `amountSql` in the reporting currency of `workspaceSql` on `dateSql`; null without a rate. */
export const convertedSql = (workspaceSql: string, amountSql: string, currencySql: string, dateSql: string) =>
  `(${amountSql} * crm_exchange_rate(${workspaceSql}, ${currencySql}, ${dateSql}))`;

/** SQL: `valueSql` rounded half up (away from zero) to the minor units of `currency`. */
export const roundedSql = (valueSql: string, currency: string) => `round(${valueSql}, ${minorUnits(currency)})`;

@ObjectType({ description: 'An amount left in its own currency: no exchange rate converts it into the reporting currency on its date.' })
export class CurrencyAmount {
  @Field(() => CurrencyScalar) currency: string;
  @Field(() => DecimalScalar, { description: 'Exact sum of the amounts in `currency`.' }) amount: string;
  @Field(() => Int, { description: 'How many records the amount sums.' }) count: number;
}
