import { Arg, Args, ArgsType, Authorized, Ctx, Extensions, Field, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Permission, Role } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { connectionType, PageArgs } from '../../kernel/pagination/connection';
import { decodeId } from '../../kernel/ids';
import { AddMemberInput, AuthPayload, SignInInput, SignUpInput } from './identity.inputs';
import { authService } from './auth.service';
import { membersService } from './members.service';
import { MemberFilter, MemberOrder, MemberOrderField } from './members.model';
import type { OrderInput } from '../../kernel/records/list-args';
import { Membership } from './membership.entity';
import { User } from './user.entity';
import { Workspace } from './workspace.entity';

const MemberConnection = connectionType(Membership, 'Member');

@ArgsType()
class MemberListArgs extends PageArgs {
  @Field(() => MemberFilter, { nullable: true }) filter?: MemberFilter;
  @Field(() => [MemberOrder], { nullable: true }) orderBy?: OrderInput<MemberOrderField>[];
}

@Resolver()
export class AuthResolver {
  // `credentials`: the sign-in limits apply (server/limits/sign-in-limits.ts); `account` names the account a password is checked against.
  @Extensions({ credentials: { account: 'input.email' } })
  @Mutation(() => AuthPayload, { description: 'Creates a workspace and its first admin.' })
  signUp(@Ctx() ctx: RequestContext, @Arg('input') input: SignUpInput): Promise<AuthPayload> {
    return authService.signUp(ctx, input);
  }

  @Extensions({ credentials: { account: 'input.email' } })
  @Mutation(() => AuthPayload)
  signIn(@Ctx() ctx: RequestContext, @Arg('input') input: SignInInput): Promise<AuthPayload> {
    return authService.signIn(ctx, input);
  }

  @Extensions({ credentials: {} })
  @Mutation(() => AuthPayload, { description: 'Exchanges a refresh token (once) for a new token pair.' })
  refreshToken(@Ctx() ctx: RequestContext, @Arg('refreshToken') refreshToken: string): Promise<AuthPayload> {
    return authService.refresh(ctx, refreshToken);
  }

  @Mutation(() => Boolean, { description: 'Revokes a refresh token.' })
  signOut(@Ctx() ctx: RequestContext, @Arg('refreshToken') refreshToken: string): Promise<boolean> {
    return authService.signOut(ctx, refreshToken);
  }

  @Authorized()
  @Query(() => User, { description: 'The signed-in user.' })
  async me(@Ctx() ctx: RequestContext): Promise<User | null> {
    return membersService.loadUser(ctx, ctx.member.userId);
  }

  @Authorized()
  @Query(() => Workspace, { description: 'The workspace of the current credential.' })
  workspace(@Ctx() ctx: RequestContext): Promise<Workspace> {
    return membersService.workspace(ctx);
  }
}

@Resolver(() => User)
export class UserResolver {
  @FieldResolver(() => Role, { nullable: true, description: 'Role in the current workspace; null if not a member.' })
  async role(@Ctx() ctx: RequestContext, @Root() user: User): Promise<Role | null> {
    return (await membersService.membershipOf(ctx, user.id))?.role ?? null;
  }

  @FieldResolver(() => [Workspace], { description: 'Workspaces this user belongs to (only for yourself; others see an empty list).' })
  async workspaces(@Ctx() ctx: RequestContext, @Root() user: User): Promise<Workspace[]> {
    return user.id === ctx.member.userId ? membersService.workspacesOfActor(ctx) : [];
  }
}

@Resolver(() => Membership)
export class MemberResolver {
  @Authorized(Permission.READ)
  @Query(() => MemberConnection, { description: 'Members of the workspace.' })
  members(@Ctx() ctx: RequestContext, @Args() args: MemberListArgs) {
    return membersService.list(ctx, args);
  }

  @FieldResolver(() => User)
  user(@Ctx() ctx: RequestContext, @Root() member: Membership): Promise<User | null> {
    return membersService.loadUser(ctx, member.userId);
  }

  @Authorized(Permission.MANAGE_MEMBERS)
  @Mutation(() => Membership)
  addMember(@Ctx() ctx: RequestContext, @Arg('input') input: AddMemberInput): Promise<Membership> {
    return membersService.add(ctx, input);
  }

  @Authorized(Permission.MANAGE_MEMBERS)
  @Mutation(() => Membership)
  changeMemberRole(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('role', () => Role) role: Role,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Membership> {
    return membersService.changeRole(ctx, decodeId('Member', id, 'id'), role, expectedVersion);
  }

  @Authorized(Permission.MANAGE_MEMBERS)
  @Mutation(() => Membership, { description: 'Sets the member’s manager (a user who is another member), or clears it with null.' })
  setMemberManager(
    @Ctx() ctx: RequestContext,
    @Arg('memberId', () => ID) memberId: string,
    @Arg('managerId', () => ID, { nullable: true, description: 'A user id; required, null clears.' }) managerId: string | null | undefined,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Membership> {
    return membersService.setManager(ctx, decodeId('Member', memberId, 'memberId'), managerId, expectedVersion);
  }

  @FieldResolver(() => User, { nullable: true, description: 'Hears of SLA escalations of this member’s tickets.' })
  manager(@Ctx() ctx: RequestContext, @Root() member: Membership): Promise<User | null> {
    return membersService.loadUser(ctx, member.managerId);
  }

  @Authorized(Permission.MANAGE_MEMBERS)
  @Mutation(() => Membership, { description: 'Removes a member; records they own keep them as owner.' })
  removeMember(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<Membership> {
    return membersService.remove(ctx, decodeId('Member', id, 'id'));
  }
}
