import DataLoader from 'dataloader';
import { In, type EntityManager } from 'typeorm';
import { Permission, roleAllows } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { badField, forbidden, notFound } from '../../kernel/errors';
import { membersService } from '../identity';
import type { CreateTeamInput, MemberAvailabilityInput } from './routing.inputs';
import { MemberAvailability, Team, TeamMember } from './team.entity';

const MAX_TEAMS = 200;

/** Teams with their members (in round-robin order), two statements for any number of teams. */
async function withMembers(em: EntityManager, teams: Team[]): Promise<Team[]> {
  const rows = teams.length
    ? await em.getRepository(TeamMember).find({ where: { teamId: In(teams.map((t) => t.id)) }, order: { addedAt: 'ASC', userId: 'ASC' } })
    : [];
  for (const team of teams) team.members = rows.filter((row) => row.teamId === team.id);
  return teams;
}

function teamLoader(ctx: RequestContext): DataLoader<string, Team | null> {
  return ctx.loader('Team:byId', () =>
    new DataLoader<string, Team | null>(async (ids) => {
      const teams = await ctx.db.read(async (em) => withMembers(em, await em.getRepository(Team).findBy({ id: In([...ids]), workspaceId: ctx.workspaceId })));
      const byId = new Map(teams.map((team) => [team.id, team]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  );
}

async function requireTeam(ctx: RequestContext, em: EntityManager, id: string): Promise<void> {
  const found = await em.getRepository(Team).existsBy({ id, workspaceId: ctx.workspaceId });
  if (!found) throw notFound('Team');
}

/** Teams and availability: plain tables (no record events); writes need routing:manage, checked by the resolver. */
export const teamsService = {
  load: (ctx: RequestContext, id: string | null | undefined): Promise<Team | null> => (id ? teamLoader(ctx).load(id) : Promise.resolve(null)),

  async require(ctx: RequestContext, id: string): Promise<Team> {
    ctx.clearLoaders();
    const team = await this.load(ctx, id);
    if (!team) throw notFound('Team');
    return team;
  },

  list: (ctx: RequestContext): Promise<Team[]> =>
    ctx.db.read(async (em) => withMembers(em, await em.getRepository(Team).find({ where: { workspaceId: ctx.workspaceId }, order: { createdAt: 'ASC', id: 'ASC' } }))),

  async create(ctx: RequestContext, input: CreateTeamInput): Promise<Team> {
    const id = await ctx.db.write(async (em) => {
      // `teams` is an unpaged list; the cap keeps it small (a race may pass it by one).
      if ((await em.getRepository(Team).countBy({ workspaceId: ctx.workspaceId })) >= MAX_TEAMS) {
        throw badField('input', `a workspace holds at most ${MAX_TEAMS} teams`);
      }
      const result = await em.getRepository(Team).insert({ workspaceId: ctx.workspaceId, name: input.name.trim() });
      return result.identifiers[0].id as string;
    });
    return this.require(ctx, id);
  },

  /** Adds a member at the end of the round-robin order; adding one already there changes nothing. */
  async addMember(ctx: RequestContext, teamId: string, userPublicId: string): Promise<Team> {
    const userId = (await membersService.memberRef(ctx, userPublicId, 'userId'))!;
    await ctx.db.write(async (em) => {
      await requireTeam(ctx, em, teamId);
      await em.query(`INSERT INTO team_members (workspace_id, team_id, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [ctx.workspaceId, teamId, userId]);
    });
    return this.require(ctx, teamId);
  },

  async removeMember(ctx: RequestContext, teamId: string, userId: string): Promise<Team> {
    await ctx.db.write(async (em) => {
      await requireTeam(ctx, em, teamId);
      await em.query(`DELETE FROM team_members WHERE workspace_id = $1 AND team_id = $2 AND user_id = $3`, [ctx.workspaceId, teamId, userId]);
    });
    return this.require(ctx, teamId);
  },

  availability: (ctx: RequestContext): Promise<MemberAvailability[]> =>
    ctx.db.read((em) => em.getRepository(MemberAvailability).find({ where: { workspaceId: ctx.workspaceId }, order: { userId: 'ASC' } })),

  /**
   * Sets a member's availability: anyone their own out-of-office; another member's, or any
   * capacity, needs routing:manage. Omitted fields stay, null clears.
   */
  async setAvailability(ctx: RequestContext, input: MemberAvailabilityInput): Promise<MemberAvailability> {
    const actor = await ctx.require();
    const userId = (await membersService.memberRef(ctx, input.userId, 'userId')) ?? actor.userId;
    const managing = userId !== actor.userId || input.maxOpenDeals !== undefined || input.maxContacts !== undefined;
    if (managing && !roleAllows(actor.role, Permission.MANAGE_ROUTING)) {
      throw forbidden(`Role ${actor.role} may set only its own out-of-office (routing:manage is needed for others and for capacities)`);
    }
    const { userId: _ignored, ...fields } = input;
    return ctx.db.write(async (em) => {
      const repository = em.getRepository(MemberAvailability);
      const current = await repository.findOneBy({ workspaceId: ctx.workspaceId, userId });
      const next = repository.create({ unavailable: false, until: null, note: null, maxOpenDeals: null, maxContacts: null, ...current, ...fields });
      await repository.upsert({ ...next, workspaceId: ctx.workspaceId, userId, updatedAt: new Date() }, ['workspaceId', 'userId']);
      return repository.findOneByOrFail({ workspaceId: ctx.workspaceId, userId });
    });
  },
};
