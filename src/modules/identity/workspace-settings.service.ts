import type { RequestContext } from '../../kernel/context';
import { announceOnCommit } from '../../kernel/events/records-committed';
import { conflict } from '../../kernel/errors';
import { Workspace } from './workspace.entity';
import { canonicalTimeZone } from '../../kernel/time/business-time';
import type { WorkspaceSettingsInput } from './workspace-settings.inputs';

export const workspaceSettingsService = {
  /**
   * Changes the current workspace's settings, raising its version; with `expectedVersion`,
   * only if nobody changed it since (else CONFLICT with the current version).
   */
  async update(ctx: RequestContext, input: WorkspaceSettingsInput, expectedVersion?: number | null): Promise<Workspace> {
    const timeZone = input.timeZone === undefined ? undefined : canonicalTimeZone(input.timeZone)!;
    return ctx.db.write(async (em) => {
      const qb = em
        .createQueryBuilder()
        .update(Workspace)
        .set({
          timeZone,
          birthdayTaskDaysBefore: input.birthdayTaskDaysBefore,
          renewalTaskDaysBefore: input.renewalTaskDaysBefore,
          fiscalYearStartMonth: input.fiscalYearStartMonth,
          version: () => 'version + 1',
          updatedAt: () => 'now()',
        })
        .where('id = :id', { id: ctx.workspaceId });
      if (expectedVersion != null) qb.andWhere('version = :expectedVersion', { expectedVersion });
      const result = await qb.execute();
      const workspace = await em.getRepository(Workspace).findOneByOrFail({ id: ctx.workspaceId });
      if (result.affected === 0) throw conflict('Workspace', workspace.version);
      announceOnCommit(ctx, 'Workspace'); // open dashboards follow the time zone and fiscal year
      return workspace;
    });
  },
};
