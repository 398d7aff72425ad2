import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { decodeId } from '../../kernel/ids';
import { membersService, User } from '../identity';
import { CreateTeamInput, MemberAvailabilityInput } from './routing.inputs';
import { MemberAvailability, Team, TeamMember } from './team.entity';
import { teamsService } from './teams.service';

@Resolver(() => Team)
export class TeamResolver {
  @Authorized(Permission.READ)
  @Query(() => [Team], { description: 'The workspace’s routing teams, oldest first.' })
  teams(@Ctx() ctx: RequestContext): Promise<Team[]> {
    return teamsService.list(ctx);
  }

  @Authorized(Permission.MANAGE_ROUTING)
  @Mutation(() => Team)
  createTeam(@Ctx() ctx: RequestContext, @Arg('input') input: CreateTeamInput): Promise<Team> {
    return teamsService.create(ctx, input);
  }

  @Authorized(Permission.MANAGE_ROUTING)
  @Mutation(() => Team, { description: 'Adds a member at the end of the round-robin order; adding one already in the team changes nothing.' })
  addTeamMember(@Ctx() ctx: RequestContext, @Arg('teamId', () => ID) teamId: string, @Arg('userId', () => ID) userId: string): Promise<Team> {
    return teamsService.addMember(ctx, decodeId('Team', teamId, 'teamId'), userId);
  }

  @Authorized(Permission.MANAGE_ROUTING)
  @Mutation(() => Team)
  removeTeamMember(@Ctx() ctx: RequestContext, @Arg('teamId', () => ID) teamId: string, @Arg('userId', () => ID) userId: string): Promise<Team> {
    return teamsService.removeMember(ctx, decodeId('Team', teamId, 'teamId'), decodeId('User', userId, 'userId'));
  }
}

@Resolver(() => TeamMember)
export class TeamMemberResolver {
  @FieldResolver(() => User, { nullable: true })
  user(@Ctx() ctx: RequestContext, @Root() member: TeamMember): Promise<User | null> {
    return membersService.loadUser(ctx, member.userId);
  }
}

@Resolver(() => MemberAvailability)
export class MemberAvailabilityResolver {
  @Authorized(Permission.READ)
  @Query(() => [MemberAvailability], { description: 'Members’ routing availability; members without an entry are available without limits.' })
  memberAvailability(@Ctx() ctx: RequestContext): Promise<MemberAvailability[]> {
    return teamsService.availability(ctx);
  }

  @Authorized(Permission.READ)
  @Mutation(() => MemberAvailability, { description: 'Your own out-of-office; another member’s, or capacities, need routing:manage.' })
  setMemberAvailability(@Ctx() ctx: RequestContext, @Arg('input') input: MemberAvailabilityInput): Promise<MemberAvailability> {
    return teamsService.setAvailability(ctx, input);
  }

  @FieldResolver(() => User, { nullable: true })
  user(@Ctx() ctx: RequestContext, @Root() availability: MemberAvailability): Promise<User | null> {
    return membersService.loadUser(ctx, availability.userId);
  }
}
