import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { RequestContext } from '../../kernel/context';
import { normalizeTags } from '../../kernel/records/tags';
import { decodeOptionalId } from '../../kernel/ids';
import { registerNodeType } from '../../kernel/node-registry';
import type { Connection } from '../../kernel/pagination/connection';
import type { ListArgs } from '../../kernel/records/list-args';
import { createOne, type Alongside, type Creation } from '../../kernel/records/record-store';
import { recordPort } from '../../kernel/records/record-port';
import { accountService } from '../accounts';
import { contactService } from '../contacts';
import { membersService } from '../identity';
import { ForecastCategory, pipelineService, stageForecastCategory } from '../pipelines';
import { dealContactService, type DealContactLink } from './deal-contacts.service';
import { dealHistoryUpdate, placeDealWithHistory, replaceStageHistory, sameStageHistory, splitHistory, type DealHistoryInput, type StageStay } from './deal-history';
import { lockLivePipelineOf } from './deal-stage.service';
import { DealStatus, type Deal } from './deal.entity';
import type { CreateDealInput, DealFilter, DealInput, DealOrderField } from './deal.inputs';
import { deals } from './deal.model';

export { deals };

/** Input → columns: references decoded and checked, the name trimmed. Routing simulates with it. */
export async function dealColumns(ctx: RequestContext, input: DealInput): Promise<QueryDeepPartialEntity<Deal>> {
  // A stage history is rows of its own (deal_stage_history), not a column.
  const { accountId, primaryContactId, ownerId, stageHistory: _stays, ...fields } = input as DealInput & Pick<DealHistoryInput, 'stageHistory' | 'lostReason'>;
  const [account, primaryContact, owner] = await Promise.all([
    accountService.records.reference(ctx, accountId, 'accountId'),
    contactService.records.reference(ctx, primaryContactId, 'primaryContactId'),
    membersService.memberRef(ctx, ownerId, 'ownerId'),
  ]);
  return {
    ...fields,
    name: fields.name?.trim(),
    lostReason: fields.lostReason?.trim() ?? fields.lostReason,
    tags: normalizeTags(fields.tags),
    accountId: account,
    primaryContactId: primaryContact,
    ownerId: owner,
  };
}

/** A new deal: its row, placed in its pipeline's stage, the contacts to link, and its stage history if one was sent. */
export interface NewDeal {
  values: QueryDeepPartialEntity<Deal>;
  links: DealContactLink[];
  stays: StageStay[] | null;
}

/** Deals created one or many at a time (see Creation): a bulk upsert's new deals take one insert for all. */
export const dealCreation: Creation<NewDeal, Deal> = {
  async prepare(ctx: RequestContext, em: EntityManager, input: CreateDealInput & DealHistoryInput): Promise<NewDeal> {
    const [history, { pipelineId, stageId, contacts: contactList, ...fields }] = splitHistory(input);
    const pipeline = decodeOptionalId('Pipeline', pipelineId, 'pipelineId');
    const stage = decodeOptionalId('Stage', stageId, 'stageId');
    const [values, links, placement] = await Promise.all([
      dealColumns(ctx, fields),
      dealContactService.checkLinks(ctx, contactList),
      placeDealWithHistory(ctx, em, pipeline, stage, history),
    ]);
    return {
      values: { ...values, currency: fields.currency ?? membersService.defaultCurrencySql, status: DealStatus.OPEN, ...placement.columns },
      links,
      stays: placement.stays,
    };
  },

  async insert(ctx: RequestContext, em: EntityManager, prepared: NewDeal[], alongside?: (records: Deal[]) => Promise<void>): Promise<Deal[]> {
    const created = await deals.insertMany(ctx, em, prepared.map((deal) => deal.values), alongside);
    await dealContactService.insertLinks(ctx, em, created.flatMap((deal, i) => prepared[i].links.map((link) => ({ ...link, dealId: deal.id }))));
    await replaceStageHistory(ctx, em, created.flatMap((deal, i) => (prepared[i].stays ? [{ deal, stays: prepared[i].stays! }] : [])));
    return created;
  },
};

export const dealService = {
  /** For other modules: reads and bulk column updates, not the store (see RecordPort). */
  records: recordPort(deals),

  load: (ctx: RequestContext, id: string | null | undefined) => deals.load(ctx, id),

  get: (ctx: RequestContext, id: string) => deals.require(ctx, id),

  list: (ctx: RequestContext, args: ListArgs<DealFilter, DealOrderField>): Promise<Connection<Deal>> => deals.list(ctx, args),

  /** An account's deals, one windowed query for every account on the page. */
  listForAccount: (ctx: RequestContext, accountId: string, args: ListArgs<DealFilter, DealOrderField>): Promise<Connection<Deal>> =>
    deals.listForParent(ctx, { column: 'account_id', parentId: accountId }, args),

  /**
   * Creates an open deal in an OPEN stage, with its contacts. `alongside` runs in the write before
   * the created event (an upsert links the external ref there).
   */
  create: (ctx: RequestContext, input: CreateDealInput, alongside?: Alongside<Deal>): Promise<Deal> => createOne(ctx, dealCreation, input, alongside),

  /** Changes the deal's fields; an upsert's history (history:write, see deal-history.ts) too, replacing its stage history rows. */
  async update(ctx: RequestContext, id: string, input: DealInput & DealHistoryInput, expectedVersion?: number | null, alongside?: Alongside<Deal>): Promise<Deal> {
    const [history, fields] = splitHistory(input);
    const patch = await dealColumns(ctx, fields);
    return ctx.db.write(async (em) => {
      const set = await dealHistoryUpdate(ctx, em, id, history);
      const deal = await deals.update(ctx, em, id, { ...patch, ...set?.columns }, expectedVersion, alongside);
      if (set?.stays) await replaceStageHistory(ctx, em, [{ deal, stays: set.stays }]);
      return deal;
    });
  },

  /** Whether a deal's stored stage history is exactly `entries` (an upsert sending it again is UNCHANGED). */
  sameStageHistory,

  delete: (ctx: RequestContext, id: string, expectedVersion?: number | null): Promise<Deal> =>
    ctx.db.write((em) => deals.softDelete(ctx, em, id, expectedVersion)),

  /** Brings a deal back; an open one only into a live pipeline, so a trashed pipeline never holds open deals. */
  async restore(ctx: RequestContext, id: string): Promise<Deal> {
    const deal = await deals.require(ctx, id);
    return ctx.db.write(async (em) => {
      if (deal.status === DealStatus.OPEN) await lockLivePipelineOf(ctx, em, deal);
      return deals.restore(ctx, em, id);
    });
  },

  /** The deal's effective forecast category, as crm_forecast_category (migration 1763800000042) computes it in reports. */
  async forecastCategoryOf(ctx: RequestContext, deal: Deal): Promise<ForecastCategory> {
    if (deal.status === DealStatus.WON) return ForecastCategory.CLOSED;
    if (deal.status === DealStatus.LOST) return ForecastCategory.OMITTED;
    return deal.forecastCategory ?? stageForecastCategory(await pipelineService.getStage(ctx, deal.stageId));
  },

  /** Gives the deal an owner chosen by lead routing, inside the caller's transaction (an updated event). */
  setOwner: (ctx: RequestContext, em: EntityManager, id: string, ownerId: string): Promise<Deal> => deals.update(ctx, em, id, { ownerId }),
};

registerNodeType('Deal', dealService.load);
