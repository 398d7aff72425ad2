import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { decodeId } from '../../kernel/ids';
import { connectionType } from '../../kernel/pagination/connection';
import { Account, accountService } from '../accounts';
import { Contact, contactService } from '../contacts';
import { membersService, User } from '../identity';
import { ForecastCategory, Pipeline, pipelineService, Stage } from '../pipelines';
import { DealContact } from './deal-contact.entity';
import { dealContactService } from './deal-contacts.service';
import { Deal } from './deal.entity';
import { CreateDealInput, DealInput, DealListArgs } from './deal.inputs';
import { dealService } from './deal.service';
import { ExternalRefInput, lookupId } from '../../kernel/records/external-refs';

export const DealConnection = connectionType(Deal, 'Deal');

@Resolver(() => Deal)
export class DealResolver {
  @Authorized(Permission.READ)
  @Query(() => Deal, { description: 'One deal by id or by its id in another system (also when in the trash).' })
  deal(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID, { nullable: true }) id?: string | null,
    @Arg('externalRef', () => ExternalRefInput, { nullable: true, description: 'Instead of id.' }) externalRef?: ExternalRefInput | null,
  ): Promise<Deal> {
    return lookupId(ctx, 'Deal', id, externalRef).then((uuid) => dealService.get(ctx, uuid));
  }

  @Authorized(Permission.READ)
  @Query(() => DealConnection)
  deals(@Ctx() ctx: RequestContext, @Args() args: DealListArgs) {
    return dealService.list(ctx, args);
  }

  @Authorized(Permission.WRITE_DEALS)
  @Mutation(() => Deal, { description: 'Creates an open deal; won and lost deals come from winDeal and loseDeal.' })
  createDeal(@Ctx() ctx: RequestContext, @Arg('input') input: CreateDealInput): Promise<Deal> {
    return dealService.create(ctx, input);
  }

  @Authorized(Permission.WRITE_DEALS)
  @Mutation(() => Deal)
  updateDeal(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: DealInput,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Deal> {
    return dealService.update(ctx, decodeId('Deal', id, 'id'), input, expectedVersion);
  }

  @Authorized(Permission.DELETE_RECORDS)
  @Mutation(() => Deal, { description: 'Moves the deal to the trash.' })
  deleteDeal(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Deal> {
    return dealService.delete(ctx, decodeId('Deal', id, 'id'), expectedVersion);
  }

  @Authorized(Permission.DELETE_RECORDS)
  @Mutation(() => Deal, { description: 'Brings the deal back from the trash.' })
  restoreDeal(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<Deal> {
    return dealService.restore(ctx, decodeId('Deal', id, 'id'));
  }

  @FieldResolver(() => Account, { nullable: true, description: 'Also when in the trash.' })
  account(@Ctx() ctx: RequestContext, @Root() deal: Deal): Promise<Account | null> {
    return accountService.load(ctx, deal.accountId);
  }

  @FieldResolver(() => Contact, { nullable: true, description: 'Also when in the trash.' })
  primaryContact(@Ctx() ctx: RequestContext, @Root() deal: Deal): Promise<Contact | null> {
    return contactService.load(ctx, deal.primaryContactId);
  }

  @FieldResolver(() => User, { nullable: true })
  owner(@Ctx() ctx: RequestContext, @Root() deal: Deal): Promise<User | null> {
    return membersService.loadUser(ctx, deal.ownerId);
  }

  @FieldResolver(() => Pipeline)
  pipeline(@Ctx() ctx: RequestContext, @Root() deal: Deal): Promise<Pipeline> {
    return pipelineService.get(ctx, deal.pipelineId);
  }

  @FieldResolver(() => Stage)
  stage(@Ctx() ctx: RequestContext, @Root() deal: Deal): Promise<Stage> {
    return pipelineService.getStage(ctx, deal.stageId);
  }

  @FieldResolver(() => ForecastCategory, {
    description: 'Where the deal counts in the forecast: CLOSED when won, OMITTED when lost; while open its own override, else its stage’s category.',
  })
  forecastCategory(@Ctx() ctx: RequestContext, @Root() deal: Deal): Promise<ForecastCategory> {
    return dealService.forecastCategoryOf(ctx, deal);
  }

  @FieldResolver(() => [DealContact], { description: 'The live contacts involved, with their roles; oldest first.' })
  contacts(@Ctx() ctx: RequestContext, @Root() deal: Deal): Promise<DealContact[]> {
    return dealContactService.linksOf(ctx, deal.id);
  }
}

@Resolver(() => DealContact)
export class DealContactResolver {
  @FieldResolver(() => Contact)
  contact(@Ctx() ctx: RequestContext, @Root() link: DealContact): Promise<Contact> {
    return contactService.get(ctx, link.contactId);
  }
}

/** `Account.deals`: lives here so the accounts module does not depend on deals. */
@Resolver(() => Account)
export class AccountDealsResolver {
  @FieldResolver(() => DealConnection, { description: 'Deals with the account; newest first by default.' })
  deals(@Ctx() ctx: RequestContext, @Root() account: Account, @Args() args: DealListArgs) {
    return dealService.listForAccount(ctx, account.id, args);
  }
}
