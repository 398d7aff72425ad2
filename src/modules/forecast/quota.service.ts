import type { EntityManager } from 'typeorm';
import { announceOnCommit } from '../../kernel/events/records-committed';
import type { RequestContext } from '../../kernel/context';
import { decimal, type Decimal } from '../../kernel/decimal';
import { badField, notFound } from '../../kernel/errors';
import { parsePeriod, type Period, type PeriodValue } from '../../kernel/time/periods';
import { figureVisibility, membersService } from '../identity';
import { readForecastSettings } from './forecast-groups';
import { Quota } from './quota.entity';

/** A quota's period: a fiscal year, quarter or month (what sales plans in; not a week or a range of dates). */
async function quotaPeriod(ctx: RequestContext, value: PeriodValue): Promise<Period> {
  const period = parsePeriod(value, (await readForecastSettings(ctx)).fiscalStartMonth, 'period');
  if (period.unit === 'WEEK' || period.unit === 'RANGE') throw badField('period', 'a quota is set for a fiscal year (2026), quarter (2026-Q3) or month (2026-07)');
  return period;
}

/** The live member's user id, or NOT_FOUND. */
async function memberUser(ctx: RequestContext, memberId: string): Promise<string> {
  const member = await membersService.require(ctx, memberId);
  if (member.deletedAt) throw notFound('Member');
  return member.userId;
}

export const quotaService = {
  /** Sets the member's quota for the period (replacing one set before), in the reporting currency. */
  async set(ctx: RequestContext, memberId: string, periodValue: PeriodValue, amount: string): Promise<Quota> {
    if (amount.startsWith('-')) throw badField('amount', 'must not be negative');
    const [userId, period] = await Promise.all([memberUser(ctx, memberId), quotaPeriod(ctx, periodValue)]);
    return ctx.db.write(async (em) => {
      announceOnCommit(ctx, 'Quota'); // open dashboards show attainment
      const [row] = (await em.query(
        `INSERT INTO quotas (workspace_id, user_id, period, amount, currency)
           SELECT $1, $2, $3, $4, default_currency FROM workspaces WHERE id = $1
         ON CONFLICT (workspace_id, period, user_id)
           DO UPDATE SET amount = EXCLUDED.amount, currency = EXCLUDED.currency, updated_at = now()
         RETURNING id`,
        [ctx.workspaceId, userId, period.label, amount],
      )) as Array<{ id: string }>;
      return em.getRepository(Quota).findOneByOrFail({ id: row.id, workspaceId: ctx.workspaceId });
    });
  },

  /** Removes the member's quota for the period; NOT_FOUND when none is set. */
  async delete(ctx: RequestContext, memberId: string, periodValue: PeriodValue): Promise<Quota> {
    const [userId, period] = await Promise.all([memberUser(ctx, memberId), quotaPeriod(ctx, periodValue)]);
    return ctx.db.write(async (em) => {
      const quota = await em.getRepository(Quota).findOneBy({ workspaceId: ctx.workspaceId, userId, period: period.label });
      if (!quota) throw notFound('Quota');
      await em.getRepository(Quota).delete({ id: quota.id, workspaceId: ctx.workspaceId });
      announceOnCommit(ctx, 'Quota');
      return quota;
    });
  },

  /** The period’s quotas the caller may see (see figureVisibility), oldest first. */
  async list(ctx: RequestContext, periodValue: PeriodValue): Promise<Quota[]> {
    const period = await quotaPeriod(ctx, periodValue);
    const { visible } = await figureVisibility(ctx);
    const quotas = await ctx.db.read((em) =>
      em.getRepository(Quota).find({ where: { workspaceId: ctx.workspaceId, period: period.label }, order: { createdAt: 'ASC', id: 'ASC' } }),
    );
    return quotas.filter((quota) => visible === null || visible.has(quota.userId));
  },
};

/** The period's quotas per member, exact in the reporting currency (converted at the period's first day when set in another); a quota no rate converts counts as none. */
export async function quotasOf(em: EntityManager, workspaceId: string, period: Period): Promise<Map<string, Decimal>> {
  const rows = (await em.query(
    `SELECT user_id, (amount * crm_exchange_rate($1, currency, $3::date))::text AS amount FROM quotas WHERE workspace_id = $1 AND period = $2`,
    [workspaceId, period.label, period.start],
  )) as Array<{ user_id: string; amount: string | null }>;
  return new Map(rows.filter((row) => row.amount !== null).map((row) => [row.user_id, decimal(row.amount!)]));
}
