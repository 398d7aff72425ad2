import DataLoader from 'dataloader';
import { In, IsNull, type EntityManager } from 'typeorm';
import { hashPassword } from '../../kernel/auth/passwords';
import { Permission, Role, roleAllows } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { appError, badField, forbidden } from '../../kernel/errors';
import { decodeOptionalId } from '../../kernel/ids';
import type { Connection } from '../../kernel/pagination/connection';
import { RecordStore } from '../../kernel/records/record-store';
import type { ListArgs } from '../../kernel/records/list-args';
import { recordPort } from '../../kernel/records/record-port';
import type { AddMemberInput } from './identity.inputs';
import { Membership } from './membership.entity';
import { RefreshToken } from './refresh-token.entity';
import { User } from './user.entity';
import { Workspace } from './workspace.entity';
import { memberModel, type MemberFilter, type MemberOrderField } from './members.model';

export const members = new RecordStore(memberModel);

function userLoader(ctx: RequestContext): DataLoader<string, User | null> {
  return ctx.loader('User:byId', () =>
    new DataLoader<string, User | null>(async (ids) => {
      const rows = await ctx.db.read((em) => em.getRepository(User).findBy({ id: In([...ids]) }));
      const byId = new Map(rows.map((u) => [u.id, u]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  );
}

function membershipByUser(ctx: RequestContext): DataLoader<string, Membership | null> {
  return ctx.loader('Member:byUser', () =>
    new DataLoader<string, Membership | null>(async (userIds) => {
      const rows = await ctx.db.read((em) =>
        em.getRepository(Membership).findBy({ userId: In([...userIds]), workspaceId: ctx.workspaceId }),
      );
      const byUser = new Map(rows.map((m) => [m.userId, m]));
      return userIds.map((id) => byUser.get(id) ?? null);
    }),
  );
}

/**
 * Member management re-checks the caller inside its own write: their seat, read and share-locked
 * there, so a demotion committed since the request's permission check counts, and one that comes
 * while this write runs waits for it.
 */
async function requireCurrentManager(ctx: RequestContext, em: EntityManager): Promise<void> {
  const [seat] = (await em.query(`SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2 AND deleted_at IS NULL FOR SHARE`, [
    ctx.workspaceId,
    ctx.member.userId,
  ])) as Array<{ role: Role }>;
  if (!seat || !roleAllows(seat.role, Permission.MANAGE_MEMBERS)) throw forbidden('Your role no longer allows managing members');
}

/** Refuses a change that would leave the workspace without an active admin. */
async function keepAnAdmin(ctx: RequestContext, em: EntityManager, memberId: string): Promise<void> {
  // Locking the admin seats in the caller's write makes concurrent demotions queue: the later
  // one sees the earlier one's outcome instead of both counting two admins.
  const admins = await em
    .getRepository(Membership)
    .createQueryBuilder('m')
    .where('m.workspace_id = :workspaceId AND m.role = :role AND m.deleted_at IS NULL', { workspaceId: ctx.workspaceId, role: Role.ADMIN })
    .setLock('pessimistic_write')
    .getMany();
  if (admins.length === 1 && admins[0].id === memberId) throw appError('CONFLICT', 'A workspace must keep at least one admin');
}

export const membersService = {
  /** For other modules: reads and bulk column updates, not the store (see RecordPort). */
  records: recordPort(members),

  /**
   * Who answers for a member's work (an SLA escalation's recipients): the member while in the
   * workspace and their manager; without a manager who is a member (or without `userId`) the
   * workspace's admins instead, so that someone with authority always hears. Read in `em`.
   */
  async answerableFor(ctx: RequestContext, em: EntityManager, userId: string | null): Promise<string[]> {
    const rows = (await em.query(
      `WITH seat AS (
         SELECT user_id, manager_id FROM memberships WHERE workspace_id = $1 AND user_id = $2 AND deleted_at IS NULL
       ), boss AS (
         SELECT m.user_id FROM memberships m JOIN seat ON m.user_id = seat.manager_id
         WHERE m.workspace_id = $1 AND m.deleted_at IS NULL
       )
       SELECT user_id FROM seat
       UNION SELECT user_id FROM boss
       UNION SELECT user_id FROM memberships
         WHERE workspace_id = $1 AND role = 'ADMIN' AND deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM boss)`,
      [ctx.workspaceId, userId],
    )) as Array<{ user_id: string }>;
    return rows.map((row) => row.user_id);
  },

  /**
   * Every reporting line: a pair for each live member and each live member under them, directly
   * or further down by manager_id (setManager), and each member with themselves. manager_id may
   * form a cycle (setManager refuses only oneself): the walk stops where it would meet a member again.
   */
  async reportingLines(ctx: RequestContext): Promise<Array<{ managerId: string; memberId: string }>> {
    const rows = (await ctx.db.read((em) =>
      em.query(
        `WITH RECURSIVE line(manager_id, member_id) AS (
           SELECT user_id, user_id FROM memberships WHERE workspace_id = $1 AND deleted_at IS NULL
           UNION ALL
           SELECT l.manager_id, m.user_id FROM line l
             JOIN memberships m ON m.workspace_id = $1 AND m.manager_id = l.member_id AND m.deleted_at IS NULL
         ) CYCLE member_id SET in_cycle USING path
         SELECT DISTINCT manager_id, member_id FROM line WHERE NOT in_cycle`,
        [ctx.workspaceId],
      ),
    )) as Array<{ manager_id: string; member_id: string }>;
    return rows.map((row) => ({ managerId: row.manager_id, memberId: row.member_id }));
  },

  loadUser: (ctx: RequestContext, id: string | null | undefined): Promise<User | null> =>
    id ? userLoader(ctx).load(id) : Promise.resolve(null),

  /** The user's live membership in the current workspace, or null. */
  async membershipOf(ctx: RequestContext, userId: string): Promise<Membership | null> {
    const membership = await membershipByUser(ctx).load(userId);
    return membership && !membership.deletedAt ? membership : null;
  },

  /**
   * Decodes a user id from input (owners, assignees) that must name a live member of this
   * workspace. Keeps undefined (not sent) and null (clear) as they are.
   */
  async memberRef(ctx: RequestContext, id: string | null | undefined, field: string): Promise<string | null | undefined> {
    const userId = decodeOptionalId('User', id, field);
    if (userId && !(await this.membershipOf(ctx, userId))) throw badField(field, 'no member of this workspace with this id');
    return userId;
  },

  /** The workspace's default currency as SQL, for a row inserted without a currency (no read of its own). */
  defaultCurrencySql: () => '(SELECT w.default_currency FROM workspaces w WHERE w.id = crm_current_workspace())',

  workspace: (ctx: RequestContext): Promise<Workspace> =>
    ctx.db.read((em) => em.getRepository(Workspace).findOneByOrFail({ id: ctx.workspaceId })),

  /** The workspace, read once until the request's next write (the new orders of a bulk call share it). */
  currentWorkspace: (ctx: RequestContext): Promise<Workspace> =>
    ctx
      .loader('Workspace:current', () => new DataLoader<string, Workspace>((ids) => Promise.all(ids.map(() => membersService.workspace(ctx)))))
      .load(ctx.workspaceId),

  /** Workspaces the signed-in user belongs to. */
  workspacesOfActor: (ctx: RequestContext): Promise<Workspace[]> =>
    ctx.db.read((em) =>
      em
        .getRepository(Workspace)
        .createQueryBuilder('w')
        .innerJoin(Membership, 'm', 'm.workspace_id = w.id AND m.deleted_at IS NULL')
        .where('m.user_id = :userId', { userId: ctx.member.userId })
        .orderBy('w.created_at')
        .getMany(),
    ),

  list: (ctx: RequestContext, args: ListArgs<MemberFilter, MemberOrderField>): Promise<Connection<Membership>> =>
    members.list(ctx, args),

  require: (ctx: RequestContext, id: string): Promise<Membership> => members.require(ctx, id),

  /**
   * Adds a user to the workspace: an existing user by email, or a new one (name and password
   * then required). A removed member is brought back with the new role.
   */
  async add(ctx: RequestContext, input: AddMemberInput): Promise<Membership> {
    const lookup = ctx.db.derive({ lookupEmail: input.email });
    try {
      const membershipId = await lookup.write(async (em) => {
        await requireCurrentManager(ctx, em);
        let user = await em.getRepository(User).createQueryBuilder('u').where('lower(u.email) = lower(:email)', { email: input.email }).getOne();
        if (!user) {
          if (!input.name) throw badField('name', 'is required for a new user');
          if (!input.password) throw badField('password', 'is required for a new user');
          const passwordHash = await hashPassword(input.password);
          await em.getRepository(User).insert({ email: input.email.trim(), name: input.name.trim(), passwordHash });
          user = await em.getRepository(User).findOneByOrFail({ email: input.email.trim() });
        }
        const seats = em.getRepository(Membership);
        const seat = await seats.findOneBy({ workspaceId: ctx.workspaceId, userId: user.id });
        if (seat && !seat.deletedAt) throw appError('CONFLICT', 'This user is already a member', { fields: [{ field: 'email', message: 'is already a member' }] });
        if (seat) {
          await members.updateEach(ctx, em, [seat.id], () =>
            seats.update({ id: seat.id }, { role: input.role, deletedAt: null, version: () => 'version + 1', updatedAt: () => 'now()' }),
          );
          return seat.id;
        }
        return (await members.insert(ctx, em, { userId: user.id, role: input.role })).id;
      });
      ctx.clearLoaders();
      return members.require(ctx, membershipId);
    } finally {
      await lookup.close();
    }
  },

  changeRole(ctx: RequestContext, id: string, role: Role, expectedVersion?: number | null): Promise<Membership> {
    return ctx.db.write(async (em) => {
      await requireCurrentManager(ctx, em);
      if (role !== Role.ADMIN) await keepAnAdmin(ctx, em, id);
      return members.update(ctx, em, id, { role }, expectedVersion);
    });
  },

  /**
   * Sets (or with null clears) the member's manager, a user who is another member; the manager
   * hears of SLA escalations of the member's tickets.
   */
  async setManager(ctx: RequestContext, id: string, managerId: string | null | undefined, expectedVersion?: number | null): Promise<Membership> {
    if (managerId === undefined) throw badField('managerId', 'is required; pass null to clear');
    const userId = await this.memberRef(ctx, managerId, 'managerId');
    return ctx.db.write(async (em) => {
      await requireCurrentManager(ctx, em);
      const seat = await members.require(ctx, id);
      if (userId === seat.userId) throw badField('managerId', 'cannot be the member themselves');
      return members.update(ctx, em, id, { managerId: userId }, expectedVersion);
    });
  },

  /** Removes a member: their seat goes to the trash and their refresh tokens stop working. */
  remove(ctx: RequestContext, id: string): Promise<Membership> {
    return ctx.db.write(async (em) => {
      await requireCurrentManager(ctx, em);
      await keepAnAdmin(ctx, em, id);
      const removed = await members.softDelete(ctx, em, id);
      await em.getRepository(RefreshToken).update({ userId: removed.userId, revokedAt: IsNull() }, { revokedAt: new Date() });
      return removed;
    });
  },
};
