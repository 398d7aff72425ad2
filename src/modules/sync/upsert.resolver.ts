import { Arg, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root, type ClassType } from 'type-graphql';
import type { RequestContext } from '../../kernel/context';
import type { TenantRecord } from '../../kernel/record';
import { ExternalRef, externalRefs } from '../../kernel/records/external-refs';
import { Account } from '../accounts';
import { Contact } from '../contacts';
import { Deal } from '../deals';
import { Order } from '../orders';
import { Product } from '../products';
import { Ticket } from '../tickets';
import type { SyncObjectName } from './sync-object';
import { syncService } from './sync.service';
import { MAX_BATCH } from './upsert-engine';
import { upsertSpec } from './upsert-specs';
import { upsertResultTypes } from './upsert.types';

/**
 * `upsertX`, `upsertXs` and `X.externalRefs` for one object. The inputs are validated by the
 * engine, item by item (`validate: false`): type-graphql would otherwise refuse a whole bulk call
 * for one bad item.
 */
function syncResolvers<T extends TenantRecord>(object: SyncObjectName, entity: ClassType<T>, plural: string) {
  const spec = upsertSpec(object);
  const { UpsertResult, BulkUpsertResult } = upsertResultTypes(entity, spec.type, object);

  @Resolver()
  class UpsertResolver {
    @Authorized(spec.permission)
    @Mutation(() => UpsertResult, {
      name: `upsert${spec.type}`,
      description: `Creates the ${object} or updates the one its externalRef (else natural key) names; only differing fields are written.`,
    })
    upsert(@Ctx() ctx: RequestContext, @Arg('input', () => spec.input, { validate: false }) input: object) {
      return syncService.upsertOne(ctx, object, input);
    }

    @Authorized(spec.permission)
    @Mutation(() => BulkUpsertResult, {
      name: `upsert${plural}`,
      description: `Up to ${MAX_BATCH} upserts in one transaction, each under its own savepoint: a bad item fails alone (atomic: false) or fails the call and writes nothing (atomic: true).`,
    })
    upsertMany(
      @Ctx() ctx: RequestContext,
      @Arg('inputs', () => [spec.input], { validate: false }) inputs: object[],
      @Arg('atomic', { defaultValue: false }) atomic: boolean,
    ) {
      return syncService.upsertMany(ctx, object, inputs, atomic);
    }
  }

  @Resolver(() => entity)
  class ExternalRefsResolver {
    @FieldResolver(() => [ExternalRef], { description: 'Its ids in other systems, by system.' })
    externalRefs(@Ctx() ctx: RequestContext, @Root() record: T): Promise<ExternalRef[]> {
      return externalRefs.of(ctx, spec.type, record.id);
    }
  }

  return [UpsertResolver, ExternalRefsResolver] as const;
}

export const [AccountUpsertResolver, AccountExternalRefsResolver] = syncResolvers('account', Account, 'Accounts');
export const [ContactUpsertResolver, ContactExternalRefsResolver] = syncResolvers('contact', Contact, 'Contacts');
export const [DealUpsertResolver, DealExternalRefsResolver] = syncResolvers('deal', Deal, 'Deals');
export const [TicketUpsertResolver, TicketExternalRefsResolver] = syncResolvers('ticket', Ticket, 'Tickets');
export const [ProductUpsertResolver, ProductExternalRefsResolver] = syncResolvers('product', Product, 'Products');
export const [OrderUpsertResolver, OrderExternalRefsResolver] = syncResolvers('order', Order, 'Orders');
