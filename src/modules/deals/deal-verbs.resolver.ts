import { Arg, Authorized, Ctx, ID, Int, Mutation, Resolver } from 'type-graphql';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { decodeId } from '../../kernel/ids';
import { DealContactRole } from './deal-contact.entity';
import { dealContactService } from './deal-contacts.service';
import { dealStageService } from './deal-stage.service';
import { Deal } from './deal.entity';

/** The domain verbs on a deal: stage moves, closing, and its contacts. Each raises the deal's version. */
@Resolver(() => Deal)
export class DealVerbsResolver {
  @Authorized(Permission.WRITE_DEALS)
  @Mutation(() => Deal, { description: 'Into an OPEN stage (reopens a closed deal) or the WON stage of the deal’s pipeline; losing needs loseDeal.' })
  moveDeal(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('stageId', () => ID) stageId: string,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Deal> {
    return dealStageService.move(ctx, decodeId('Deal', id, 'id'), decodeId('Stage', stageId, 'stageId'), expectedVersion);
  }

  @Authorized(Permission.WRITE_DEALS)
  @Mutation(() => Deal, { description: 'Moves the deal into its pipeline’s WON stage.' })
  winDeal(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Deal> {
    return dealStageService.win(ctx, decodeId('Deal', id, 'id'), expectedVersion);
  }

  @Authorized(Permission.WRITE_DEALS)
  @Mutation(() => Deal, { description: 'Moves the deal into its pipeline’s LOST stage, recording why (1 to 500 characters).' })
  loseDeal(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('reason') reason: string,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Deal> {
    return dealStageService.lose(ctx, decodeId('Deal', id, 'id'), reason, expectedVersion);
  }

  @Authorized(Permission.WRITE_DEALS)
  @Mutation(() => Deal, { description: 'Adds a live contact to the deal; for one already there, changes the role.' })
  addDealContact(
    @Ctx() ctx: RequestContext,
    @Arg('dealId', () => ID) dealId: string,
    @Arg('contactId', () => ID) contactId: string,
    @Arg('role', () => DealContactRole, { defaultValue: DealContactRole.OTHER }) role: DealContactRole,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Deal> {
    return dealContactService.link(ctx, decodeId('Deal', dealId, 'dealId'), decodeId('Contact', contactId, 'contactId'), role, expectedVersion);
  }

  @Authorized(Permission.WRITE_DEALS)
  @Mutation(() => Deal)
  removeDealContact(
    @Ctx() ctx: RequestContext,
    @Arg('dealId', () => ID) dealId: string,
    @Arg('contactId', () => ID) contactId: string,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Deal> {
    return dealContactService.unlink(ctx, decodeId('Deal', dealId, 'dealId'), decodeId('Contact', contactId, 'contactId'), expectedVersion);
  }
}
