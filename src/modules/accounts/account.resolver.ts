import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { decodeId } from '../../kernel/ids';
import { connectionType } from '../../kernel/pagination/connection';
import { membersService, User } from '../identity';
import { Account } from './account.entity';
import { AccountInput, AccountListArgs, CreateAccountInput } from './account.inputs';
import { accountService } from './account.service';
import { ExternalRefInput, lookupId } from '../../kernel/records/external-refs';

export const AccountConnection = connectionType(Account, 'Account');

@Resolver(() => Account)
export class AccountResolver {
  @Authorized(Permission.READ)
  @Query(() => Account, { description: 'One account by id or by its id in another system (also when in the trash).' })
  account(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID, { nullable: true }) id?: string | null,
    @Arg('externalRef', () => ExternalRefInput, { nullable: true, description: 'Instead of id.' }) externalRef?: ExternalRefInput | null,
  ): Promise<Account> {
    return lookupId(ctx, 'Account', id, externalRef).then((uuid) => accountService.get(ctx, uuid));
  }

  @Authorized(Permission.READ)
  @Query(() => AccountConnection)
  accounts(@Ctx() ctx: RequestContext, @Args() args: AccountListArgs) {
    return accountService.list(ctx, args);
  }

  @Authorized(Permission.WRITE_ACCOUNTS)
  @Mutation(() => Account)
  createAccount(@Ctx() ctx: RequestContext, @Arg('input') input: CreateAccountInput): Promise<Account> {
    return accountService.create(ctx, input);
  }

  @Authorized(Permission.WRITE_ACCOUNTS)
  @Mutation(() => Account)
  updateAccount(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: AccountInput,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Account> {
    return accountService.update(ctx, decodeId('Account', id, 'id'), input, expectedVersion);
  }

  @Authorized(Permission.DELETE_RECORDS)
  @Mutation(() => Account, { description: 'Moves the account to the trash.' })
  deleteAccount(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Account> {
    return accountService.delete(ctx, decodeId('Account', id, 'id'), expectedVersion);
  }

  @Authorized(Permission.DELETE_RECORDS)
  @Mutation(() => Account, { description: 'Brings the account back from the trash.' })
  restoreAccount(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<Account> {
    return accountService.restore(ctx, decodeId('Account', id, 'id'));
  }

  @FieldResolver(() => User, { nullable: true })
  owner(@Ctx() ctx: RequestContext, @Root() account: Account): Promise<User | null> {
    return membersService.loadUser(ctx, account.ownerId);
  }
}
