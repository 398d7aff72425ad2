import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { CurrencyScalar, LocalDateScalar } from '../../kernel/scalars';
import { ExchangeRate, RateScalar } from './exchange-rate';
import { exchangeRateService } from './exchange-rate.service';

@Resolver()
export class ExchangeRateResolver {
  @Authorized(Permission.READ)
  @Query(() => [ExchangeRate], { description: 'The rates into the reporting currency, by currency, newest `validFrom` first.' })
  exchangeRates(@Ctx() ctx: RequestContext, @Arg('currency', () => CurrencyScalar, { nullable: true }) currency?: string | null) {
    return exchangeRateService.list(ctx, currency);
  }

  @Authorized(Permission.MANAGE_WORKSPACE)
  @Mutation(() => ExchangeRate, { description: 'Sets what one unit of `currency` is worth in the reporting currency from `validFrom` on (replacing a rate set for that day).' })
  setExchangeRate(
    @Ctx() ctx: RequestContext,
    @Arg('currency', () => CurrencyScalar) currency: string,
    @Arg('rate', () => RateScalar) rate: string,
    @Arg('validFrom', () => LocalDateScalar) validFrom: string,
  ) {
    return exchangeRateService.set(ctx, currency, rate, validFrom);
  }

  @Authorized(Permission.MANAGE_WORKSPACE)
  @Mutation(() => Boolean, { description: 'Deletes the rate set for `validFrom`; the rate before it applies again.' })
  deleteExchangeRate(
    @Ctx() ctx: RequestContext,
    @Arg('currency', () => CurrencyScalar) currency: string,
    @Arg('validFrom', () => LocalDateScalar) validFrom: string,
  ) {
    return exchangeRateService.delete(ctx, currency, validFrom);
  }
}
