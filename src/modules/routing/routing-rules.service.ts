import DataLoader from 'dataloader';
import type { GraphQLSchema } from 'graphql';
import { In, type EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { badField, conflict, notFound } from '../../kernel/errors';
import { decodeOptionalId } from '../../kernel/ids';
import { membersService } from '../identity';
import { checkCondition } from './routing-condition';
import { RoutingRule, RoutingStrategy, type RoutingObjectType, type Territory } from './routing-rule.entity';
import type { CreateRoutingRuleInput, RoutingRuleInput, TerritoryInput } from './routing.inputs';
import { Team } from './team.entity';

const MAX_RULES = 200;

type Targets = Pick<RoutingRule, 'userId' | 'teamId' | 'territories'>;

/** The members and team a strategy needs, decoded and checked; errors name `input.<field>`. */
async function checkTargets(ctx: RequestContext, em: EntityManager, strategy: RoutingStrategy, input: RoutingRuleInput, current: Targets): Promise<Targets> {
  const userId = input.userId !== undefined ? await membersService.memberRef(ctx, input.userId, 'input.userId') : current.userId;
  const teamId = input.teamId !== undefined ? decodeOptionalId('Team', input.teamId, 'input.teamId') : current.teamId;
  if (teamId && !(await em.getRepository(Team).existsBy({ id: teamId, workspaceId: ctx.workspaceId }))) throw badField('input.teamId', 'no Team with this id');
  const territories = input.territories !== undefined ? await territoriesOf(ctx, input.territories ?? []) : current.territories;
  if (strategy === RoutingStrategy.FIXED_USER && !userId) throw badField('input.userId', 'is required for FIXED_USER');
  if ((strategy === RoutingStrategy.ROUND_ROBIN || strategy === RoutingStrategy.LEAST_LOADED) && !teamId) {
    throw badField('input.teamId', `is required for ${strategy}`);
  }
  if (strategy === RoutingStrategy.TERRITORY && territories.length === 0) throw badField('input.territories', 'needs at least one territory for TERRITORY');
  return { userId: userId ?? null, teamId: teamId ?? null, territories };
}

async function territoriesOf(ctx: RequestContext, input: TerritoryInput[]): Promise<Territory[]> {
  const territories: Territory[] = [];
  for (const [i, t] of input.entries()) {
    const userId = (await membersService.memberRef(ctx, t.userId, `input.territories[${i}].userId`))!;
    territories.push({ country: t.country?.toUpperCase() ?? null, region: t.region?.trim() ?? null, postcodePrefix: t.postcodePrefix?.trim() ?? null, userId });
  }
  return territories;
}

/** Locks the workspace's rules (positions change under the lock) and returns them in order. */
async function lockRules(ctx: RequestContext, em: EntityManager): Promise<RoutingRule[]> {
  return em
    .getRepository(RoutingRule)
    .createQueryBuilder('r')
    .where('r.workspace_id = :workspaceId', { workspaceId: ctx.workspaceId })
    .orderBy('r.position')
    .addOrderBy('r.id')
    .setLock('pessimistic_write')
    .getMany();
}

async function setPositions(ctx: RequestContext, em: EntityManager, ids: string[]): Promise<void> {
  await em.query(
    `UPDATE routing_rules r SET position = v.ord - 1 FROM unnest($1::uuid[]) WITH ORDINALITY AS v(id, ord)
      WHERE r.workspace_id = $2 AND r.id = v.id AND r.position <> v.ord - 1`,
    [ids, ctx.workspaceId],
  );
}

function ruleLoader(ctx: RequestContext): DataLoader<string, RoutingRule | null> {
  return ctx.loader('RoutingRule:byId', () =>
    new DataLoader<string, RoutingRule | null>(async (ids) => {
      const rules = await ctx.db.read((em) => em.getRepository(RoutingRule).findBy({ id: In([...ids]), workspaceId: ctx.workspaceId }));
      const byId = new Map(rules.map((rule) => [rule.id, rule]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  );
}

/**
 * The workspace's ordered routing rules. Conditions are checked against the GraphQL filter
 * type of the rule's object type (`schema`), so they accept exactly what the list queries do.
 */
export const routingRulesService = {
  load: (ctx: RequestContext, id: string | null): Promise<RoutingRule | null> => (id ? ruleLoader(ctx).load(id) : Promise.resolve(null)),

  list: (ctx: RequestContext, objectType?: RoutingObjectType | null): Promise<RoutingRule[]> =>
    ctx.db.read((em) =>
      em.getRepository(RoutingRule).find({
        where: { workspaceId: ctx.workspaceId, ...(objectType ? { objectType } : {}) },
        order: { position: 'ASC', id: 'ASC' },
      }),
    ),

  async require(ctx: RequestContext, id: string): Promise<RoutingRule> {
    ctx.clearLoaders();
    const rule = await this.load(ctx, id);
    if (!rule) throw notFound('RoutingRule');
    return rule;
  },

  async create(ctx: RequestContext, schema: GraphQLSchema, input: CreateRoutingRuleInput): Promise<RoutingRule> {
    checkCondition(schema, input.objectType, input.condition, 'input.condition');
    const id = await ctx.db.write(async (em) => {
      const targets = await checkTargets(ctx, em, input.strategy, input, { userId: null, teamId: null, territories: [] });
      const rules = await lockRules(ctx, em);
      if (rules.length >= MAX_RULES) throw badField('input', `a workspace holds at most ${MAX_RULES} routing rules`);
      const position = Math.min(input.position ?? rules.length, rules.length);
      const { identifiers } = await em.getRepository(RoutingRule).insert({
        workspaceId: ctx.workspaceId,
        name: input.name.trim(),
        objectType: input.objectType,
        position: rules.length,
        enabled: input.enabled ?? true,
        condition: input.condition ?? null,
        strategy: input.strategy,
        ...targets,
      });
      const created = identifiers[0].id as string;
      const order = rules.map((rule) => rule.id);
      order.splice(position, 0, created);
      await setPositions(ctx, em, order);
      return created;
    });
    return this.require(ctx, id);
  },

  async update(ctx: RequestContext, schema: GraphQLSchema, id: string, input: RoutingRuleInput, expectedVersion?: number | null): Promise<RoutingRule> {
    await ctx.db.write(async (em) => {
      const repository = em.getRepository(RoutingRule);
      const current = await repository.findOne({ where: { id, workspaceId: ctx.workspaceId }, lock: { mode: 'pessimistic_write' } });
      if (!current) throw notFound('RoutingRule');
      if (expectedVersion != null && current.version !== expectedVersion) throw conflict('RoutingRule', current.version);
      if (input.condition !== undefined) checkCondition(schema, current.objectType, input.condition, 'input.condition');
      const strategy = input.strategy ?? current.strategy;
      const targets = await checkTargets(ctx, em, strategy, input, current);
      await repository.update(
        { id, workspaceId: ctx.workspaceId },
        {
          ...(input.name !== undefined ? { name: input.name.trim() } : {}),
          ...(input.condition !== undefined ? { condition: input.condition } : {}),
          ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
          strategy,
          ...targets,
          version: () => 'version + 1',
          updatedAt: () => 'now()',
        },
      );
    });
    return this.require(ctx, id);
  },

  /** Deletes a rule and closes the gap; its decisions keep the rule's name. */
  async delete(ctx: RequestContext, id: string): Promise<RoutingRule> {
    const rule = await this.require(ctx, id);
    await ctx.db.write(async (em) => {
      const rules = await lockRules(ctx, em);
      if (!rules.some((r) => r.id === id)) throw notFound('RoutingRule');
      await em.getRepository(RoutingRule).delete({ id, workspaceId: ctx.workspaceId });
      await setPositions(ctx, em, rules.filter((r) => r.id !== id).map((r) => r.id));
    });
    return rule;
  },

  /** Puts every rule of the workspace in the given order (each id exactly once). */
  async reorder(ctx: RequestContext, ids: string[]): Promise<RoutingRule[]> {
    await ctx.db.write(async (em) => {
      const rules = await lockRules(ctx, em);
      const wanted = new Set(ids);
      if (wanted.size !== ids.length || wanted.size !== rules.length || rules.some((rule) => !wanted.has(rule.id))) {
        throw badField('ids', 'must list every routing rule of the workspace exactly once');
      }
      await setPositions(ctx, em, ids);
    });
    ctx.clearLoaders();
    return this.list(ctx);
  },
};
