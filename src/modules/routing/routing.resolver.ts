import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { decodeId } from '../../kernel/ids';
import { membersService, User } from '../identity';
import { RoutingCandidate, RoutingDecision } from './routing-decision.entity';
import { RoutingObjectType, RoutingRule, Territory } from './routing-rule.entity';
import { routingRulesService } from './routing-rules.service';
import { CreateRoutingRuleInput, RoutingRuleInput, SimulateRoutingInput } from './routing.inputs';
import { routingService } from './routing.service';
import { Team } from './team.entity';
import { teamsService } from './teams.service';

@Resolver(() => RoutingRule)
export class RoutingRuleResolver {
  @Authorized(Permission.READ)
  @Query(() => [RoutingRule], { description: 'The workspace’s routing rules in the order they are tried.' })
  routingRules(@Ctx() ctx: RequestContext, @Arg('objectType', () => RoutingObjectType, { nullable: true }) objectType?: RoutingObjectType) {
    return routingRulesService.list(ctx, objectType);
  }

  @Authorized(Permission.MANAGE_ROUTING)
  @Mutation(() => RoutingRule)
  createRoutingRule(@Ctx() ctx: RequestContext, @Info() info: GraphQLResolveInfo, @Arg('input') input: CreateRoutingRuleInput): Promise<RoutingRule> {
    return routingRulesService.create(ctx, info.schema, input);
  }

  @Authorized(Permission.MANAGE_ROUTING)
  @Mutation(() => RoutingRule)
  updateRoutingRule(
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: RoutingRuleInput,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<RoutingRule> {
    return routingRulesService.update(ctx, info.schema, decodeId('RoutingRule', id, 'id'), input, expectedVersion);
  }

  @Authorized(Permission.MANAGE_ROUTING)
  @Mutation(() => RoutingRule, { description: 'Deletes the rule; later rules move up. Its decisions keep its name.' })
  deleteRoutingRule(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<RoutingRule> {
    return routingRulesService.delete(ctx, decodeId('RoutingRule', id, 'id'));
  }

  @Authorized(Permission.MANAGE_ROUTING)
  @Mutation(() => [RoutingRule], { description: 'Orders every rule of the workspace as listed (each exactly once).' })
  reorderRoutingRules(@Ctx() ctx: RequestContext, @Arg('ids', () => [ID]) ids: string[]): Promise<RoutingRule[]> {
    return routingRulesService.reorder(ctx, ids.map((id, i) => decodeId('RoutingRule', id, `ids[${i}]`)));
  }

  @FieldResolver(() => User, { nullable: true, description: 'FIXED_USER: who gets the records.' })
  user(@Ctx() ctx: RequestContext, @Root() rule: RoutingRule): Promise<User | null> {
    return membersService.loadUser(ctx, rule.userId);
  }

  @FieldResolver(() => Team, { nullable: true, description: 'ROUND_ROBIN and LEAST_LOADED: the team assigned among.' })
  team(@Ctx() ctx: RequestContext, @Root() rule: RoutingRule): Promise<Team | null> {
    return teamsService.load(ctx, rule.teamId);
  }
}

@Resolver(() => Territory)
export class TerritoryResolver {
  @FieldResolver(() => User, { nullable: true })
  user(@Ctx() ctx: RequestContext, @Root() territory: Territory): Promise<User | null> {
    return membersService.loadUser(ctx, territory.userId);
  }
}

@Resolver(() => RoutingDecision)
export class RoutingDecisionResolver {
  @Authorized(Permission.READ)
  @Query(() => RoutingDecision, { nullable: true, description: 'The latest routing decision for a contact or deal.' })
  routingDecision(@Ctx() ctx: RequestContext, @Arg('recordId', () => ID) recordId: string): Promise<RoutingDecision | null> {
    return routingService.latestDecision(ctx, recordId);
  }

  @Authorized(Permission.READ)
  @Query(() => RoutingDecision, { description: 'The decision routing would make now for a hypothetical contact or deal; writes nothing.' })
  simulateRouting(@Ctx() ctx: RequestContext, @Arg('input') input: SimulateRoutingInput): Promise<RoutingDecision> {
    return routingService.simulate(ctx, input);
  }

  @FieldResolver(() => RoutingRule, { nullable: true, description: 'The rule that matched; null when none did or it was deleted.' })
  rule(@Ctx() ctx: RequestContext, @Root() decision: RoutingDecision): Promise<RoutingRule | null> {
    return routingRulesService.load(ctx, decision.ruleId);
  }

  @FieldResolver(() => User, { nullable: true, description: 'The owner chosen; null when nobody qualified.' })
  owner(@Ctx() ctx: RequestContext, @Root() decision: RoutingDecision): Promise<User | null> {
    return membersService.loadUser(ctx, decision.ownerId);
  }
}

@Resolver(() => RoutingCandidate)
export class RoutingCandidateResolver {
  @FieldResolver(() => User, { nullable: true })
  user(@Ctx() ctx: RequestContext, @Root() candidate: RoutingCandidate): Promise<User | null> {
    return membersService.loadUser(ctx, candidate.userId);
  }
}
