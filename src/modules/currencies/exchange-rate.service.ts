import { announceOnCommit } from '../../kernel/events/records-committed';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { badField, notFound } from '../../kernel/errors';
import { membersService } from '../identity';
import type { ExchangeRate } from './exchange-rate';

const COLUMNS = `currency, base AS "baseCurrency", rate::text AS rate, to_char(valid_from, 'YYYY-MM-DD') AS "validFrom", updated_at AS "updatedAt"`;

/** The reporting currency: rates are set and read against the workspace's default currency. */
const reportingCurrency = async (ctx: RequestContext): Promise<string> => (await membersService.currentWorkspace(ctx)).defaultCurrency;

/**
 * Exchange rates into the reporting currency, each valid from a date until the next one; reports
 * convert with the rate valid on an amount's date (crm_exchange_rate, migration 1763800000042).
 */
export const exchangeRateService = {
  /** The current reporting currency's rates, by currency, newest first; `currency` narrows to one. */
  async list(ctx: RequestContext, currency?: string | null): Promise<ExchangeRate[]> {
    const base = await reportingCurrency(ctx);
    return ctx.db.read((em) =>
      em.query(
        `SELECT ${COLUMNS} FROM exchange_rates
          WHERE workspace_id = $1 AND base = $2 AND ($3::char(3) IS NULL OR currency = $3)
          ORDER BY currency, valid_from DESC`,
        [ctx.workspaceId, base, currency ?? null],
      ),
    );
  },

  /** Sets (or replaces) the rate of `currency` from `validFrom` on. */
  async set(ctx: RequestContext, currency: string, rate: string, validFrom: string): Promise<ExchangeRate> {
    await ctx.authorize(Permission.MANAGE_WORKSPACE);
    if (!/[1-9]/.test(rate)) throw badField('rate', 'rate must be greater than 0');
    const base = await reportingCurrency(ctx);
    if (currency === base) throw badField('currency', `currency ${currency} is the reporting currency; it converts at 1`);
    return ctx.db.write(async (em) => {
      announceOnCommit(ctx, 'ExchangeRate'); // open dashboards convert at the new rate
      const [row] = (await em.query(
        `INSERT INTO exchange_rates (workspace_id, base, currency, valid_from, rate) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (workspace_id, base, currency, valid_from) DO UPDATE SET rate = EXCLUDED.rate, updated_at = now()
         RETURNING ${COLUMNS}`,
        [ctx.workspaceId, base, currency, validFrom, rate],
      )) as ExchangeRate[];
      return row;
    });
  },

  /** Deletes the rate of `currency` set for `validFrom`; the rate before it applies again. */
  async delete(ctx: RequestContext, currency: string, validFrom: string): Promise<boolean> {
    await ctx.authorize(Permission.MANAGE_WORKSPACE);
    const base = await reportingCurrency(ctx);
    return ctx.db.write(async (em) => {
      // TypeORM answers a DELETE with [rows, affected].
      const [, affected] = (await em.query(`DELETE FROM exchange_rates WHERE workspace_id = $1 AND base = $2 AND currency = $3 AND valid_from = $4`, [
        ctx.workspaceId,
        base,
        currency,
        validFrom,
      ])) as [unknown, number];
      if (affected === 0) throw notFound('ExchangeRate');
      announceOnCommit(ctx, 'ExchangeRate');
      return true;
    });
  },
};
