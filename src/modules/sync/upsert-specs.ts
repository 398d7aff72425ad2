import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { Permission } from '../../kernel/auth/roles';
import { equalDecimals } from '../../kernel/decimal';
import { badInput, type FieldProblem } from '../../kernel/errors';
import { encodeId, parseId } from '../../kernel/ids';
import { externalRefs, refProblems } from '../../kernel/records/external-refs';
import { accountColumns, accountCreation, accountService } from '../accounts';
import { contactColumns, contactCreation, contactService } from '../contacts';
import { DEAL_HISTORY_FIELDS, type Deal, dealColumns, dealCreation, dealService, type StageHistoryEntryInput } from '../deals';
import { linesOf, type Order, type OrderStatus, orderColumns, orderCreation, orderService } from '../orders';
import { liveProductIdBySku, productColumns, productCreation, productService } from '../products';
import { TICKET_HISTORY_FIELDS, TicketCategory, TicketPriority, type Ticket, ticketColumns, ticketCreation, ticketService } from '../tickets';
import type { TenantRecord } from '../../kernel/record';
import type { Alongside, Creation } from '../../kernel/records/record-store';
import type { RecordInput, SyncObjectName, UpsertSpec } from './sync-object';
import {
  UpsertAccountInput,
  UpsertContactInput,
  UpsertDealInput,
  UpsertOrderInput,
  UpsertProductInput,
  UpsertTicketInput,
  type UpsertOrderLineInput,
} from './upsert.inputs';

const ACCOUNT_REF = { ref: 'accountRef', id: 'accountId', type: 'Account' } as const;
const contactRef = (id: string) => ({ ref: 'contactRef', id, type: 'Contact' }) as const;

const CREATED_AT = ['createdAt'] as const;

const sameDecimal = (a: string | null | undefined, b: string | null | undefined) => (a == null || b == null ? a == b : equalDecimals(a, b));

/** An order's lines name their product by productId, productRef or productSku: turned into productId here. */
async function resolveLineProducts(ctx: RequestContext, input: RecordInput): Promise<Record<string, string>> {
  const lines = input.lines as UpsertOrderLineInput[] | undefined;
  if (!lines?.length) return {};
  const problems: FieldProblem[] = [];
  lines.forEach((line, i) => {
    const count = [line.productId, line.productRef, line.productSku].filter((v) => v != null).length;
    if (count !== 1) problems.push({ field: `lines[${i}].productId`, message: 'give exactly one of productId, productRef and productSku' });
    if (line.productRef) problems.push(...refProblems(line.productRef, `lines[${i}].productRef`));
  });
  if (problems.length) throw badInput(problems);
  // Batched with every other item's lines (the request's loaders).
  const found = await Promise.all(
    lines.map((line) =>
      line.productId != null ? null : line.productRef ? externalRefs.recordId(ctx, 'Product', line.productRef) : liveProductIdBySku(ctx, line.productSku!),
    ),
  );
  // New line objects: the item as sent stays as it is, for the per-item path to read again.
  const resolved = lines.map(({ productRef, productSku, ...line }, i) => {
    if (line.productId != null) return line;
    const id = found[i];
    const field = productRef ? `lines[${i}].productRef` : `lines[${i}].productSku`;
    if (!id) problems.push({ field, message: 'no Product with this ' + (productRef ? `id in ${productRef.system}` : 'SKU') });
    return { ...line, productId: id ? encodeId('Product', id) : line.productId };
  });
  if (problems.length) throw badInput(problems);
  const renames: Record<string, string> = {};
  lines.forEach((line, i) => {
    if (line.productRef) renames[`lines[${i}].productId`] = `lines[${i}].productRef`;
    else if (line.productSku != null) renames[`lines[${i}].productId`] = `lines[${i}].productSku`;
  });
  input.lines = resolved;
  return renames;
}

/** True when the sent lines differ from the stored ones (a line without unitPrice keeps whatever price it has). */
async function linesDiffer(ctx: RequestContext, order: Order, input: RecordInput): Promise<boolean> {
  const sent = input.lines as UpsertOrderLineInput[] | undefined;
  if (sent === undefined) return false;
  const stored = await linesOf(ctx, order.id);
  return (
    sent.length !== stored.length ||
    sent.some((line, i) => {
      const have = stored[i];
      return (
        parseId(line.productId)?.uuid !== have.productId ||
        !sameDecimal(line.quantity, have.quantity) ||
        !sameDecimal(line.discountPercent ?? '0', have.discountPercent) ||
        (line.unitPrice != null && !sameDecimal(line.unitPrice, have.unitPrice))
      );
    })
  );
}

/** A module service whose update and restore take what the engine passes (most of them). */
interface UpsertableService<E extends TenantRecord> {
  update(ctx: RequestContext, id: string, input: RecordInput, expectedVersion: null, alongside?: Alongside<E>): Promise<E>;
  restore(ctx: RequestContext, id: string): Promise<E>;
}

/** The engine's update / restore through the module's service. */
const viaService = <E extends TenantRecord>(service: UpsertableService<E>) => ({
  update: (ctx: RequestContext, id: string, input: RecordInput, alongside?: Alongside<E>) => service.update(ctx, id, input, null, alongside),
  restore: (ctx: RequestContext, id: string) => service.restore(ctx, id),
});

/** A ticket created by an upsert: NORMAL and QUESTION unless the item says otherwise. */
const upsertTicketCreation: Creation<unknown, Ticket> = {
  prepare: (ctx: RequestContext, em: EntityManager, input: RecordInput) =>
    ticketCreation.prepare(ctx, em, { priority: TicketPriority.NORMAL, category: TicketCategory.QUESTION, ...input } as never),
  insert: (ctx, em, prepared, alongside) => ticketCreation.insert(ctx, em, prepared as never, alongside),
};

const specs: { [K in SyncObjectName]: UpsertSpec<any> } = {
  account: {
    object: 'account',
    type: 'Account',
    input: UpsertAccountInput,
    history: CREATED_AT,
    permission: Permission.WRITE_ACCOUNTS,
    records: accountService.records,
    naturalKey: 'domain',
    refs: [],
    createOnly: [],
    columns: accountColumns,
    creation: accountCreation,
    ...viaService(accountService),
  },
  contact: {
    object: 'contact',
    type: 'Contact',
    input: UpsertContactInput,
    history: CREATED_AT,
    permission: Permission.WRITE_CONTACTS,
    records: contactService.records,
    naturalKey: 'email',
    refs: [ACCOUNT_REF],
    createOnly: [],
    columns: contactColumns,
    creation: contactCreation,
    ...viaService(contactService),
  },
  deal: {
    object: 'deal',
    type: 'Deal',
    input: UpsertDealInput,
    permission: Permission.WRITE_DEALS,
    records: dealService.records,
    refs: [ACCOUNT_REF, contactRef('primaryContactId')],
    history: DEAL_HISTORY_FIELDS,
    // Stages and the contact list change through moveDeal / linkDealContact, which keep their own rules.
    createOnly: ['pipelineId', 'stageId', 'contacts'],
    columns: dealColumns,
    creation: dealCreation,
    // A changed history is checked against the deal as it is, and replaces its stage history rows (dealService.update).
    perItemFields: [...DEAL_HISTORY_FIELDS],
    async differs(ctx, deal: Deal, input) {
      const sent = input.stageHistory as StageHistoryEntryInput[] | null | undefined;
      return sent && !(await dealService.sameStageHistory(ctx, deal.id, sent)) ? ['stageHistory'] : [];
    },
    ...viaService(dealService),
  },
  ticket: {
    object: 'ticket',
    type: 'Ticket',
    input: UpsertTicketInput,
    permission: Permission.WRITE_TICKETS,
    records: ticketService.records,
    refs: [ACCOUNT_REF, contactRef('contactId')],
    history: TICKET_HISTORY_FIELDS,
    // Assignment changes through assignTicket.
    createOnly: ['assigneeId'],
    columns: ticketColumns,
    creation: upsertTicketCreation,
    // A new priority, or corrected history times, recompute the SLA due times (ticketService.update).
    perItemFields: ['priority', ...TICKET_HISTORY_FIELDS],
    ...viaService(ticketService),
  },
  product: {
    object: 'product',
    type: 'Product',
    input: UpsertProductInput,
    history: CREATED_AT,
    permission: Permission.MANAGE_PRODUCTS,
    records: productService.records,
    naturalKey: 'sku',
    refs: [],
    createOnly: [],
    columns: async (_ctx, input) => productColumns(input),
    creation: productCreation,
    ...viaService(productService),
  },
  order: {
    object: 'order',
    type: 'Order',
    input: UpsertOrderInput,
    history: CREATED_AT,
    permission: Permission.WRITE_ORDERS,
    records: orderService.records,
    naturalKey: 'number',
    refs: [ACCOUNT_REF, contactRef('contactId')],
    requiredOnCreate: ['accountId'],
    createOnly: [],
    columns: orderColumns,
    creation: orderCreation,
    // Lines and currency reprice the order, a status moves it (orderService.update, changeStatus).
    perItemFields: ['lines', 'currency', 'status'],
    prepare: resolveLineProducts,
    async differs(ctx, order: Order, input) {
      const changed = (await linesDiffer(ctx, order, input)) ? ['lines'] : [];
      return input.status != null && input.status !== order.status ? [...changed, 'status'] : changed;
    },
    ...viaService(orderService),
    /** A changed status moves the order after the other fields change: a second updated event. */
    async update(ctx, id, input, alongside) {
      const { status, ...fields } = input;
      let order = Object.keys(fields).length || alongside ? await orderService.update(ctx, id, fields, null, alongside) : null;
      if (status) order = await orderService.changeStatus(ctx, id, status as OrderStatus);
      return order!;
    },
  },
};

export const upsertSpec = (object: SyncObjectName): UpsertSpec => specs[object];
