import DataLoader from 'dataloader';
import { In } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { notFound } from '../../kernel/errors';
import { decodeId } from '../../kernel/ids';
import type { Connection } from '../../kernel/pagination/connection';
import type { OrderTerm } from '../../kernel/pagination/keyset';
import { RowMapper } from '../../kernel/records/row-mapper';
import { tablePage } from '../../kernel/records/table-page';
import { column } from '../../kernel/sql';
import { attemptDelivery } from './webhook-attempt';
import { WebhookDelivery, WebhookDeliveryAttempt } from './webhook-delivery.entity';
import type { WebhookDeliveryListArgs } from './webhook.inputs';
import { webhookService } from './webhook.service';

const ALIAS = 'd';

/** Newest first, as a delivery log reads. */
const ORDER: OrderTerm[] = [
  { key: 'createdAt', column: 'created_at', direction: 'DESC' },
  { key: 'id', column: 'id', direction: 'DESC' },
];

let mapperOf: RowMapper<WebhookDelivery> | undefined;

function mapper(ctx: RequestContext): RowMapper<WebhookDelivery> {
  mapperOf ??= new RowMapper(ctx.runtime.dataSource, WebhookDelivery, ALIAS);
  return mapperOf;
}

function attemptsLoader(ctx: RequestContext): DataLoader<string, WebhookDeliveryAttempt[]> {
  return ctx.loader('WebhookDeliveryAttempt:byDelivery', () =>
    new DataLoader<string, WebhookDeliveryAttempt[]>(async (ids) => {
      const rows = await ctx.db.read((em) => em.getRepository(WebhookDeliveryAttempt).find({ where: { deliveryUuid: In([...ids]) }, order: { at: 'ASC', id: 'ASC' } }));
      return ids.map((id) => rows.filter((row) => row.deliveryUuid === id));
    }),
  );
}

export const webhookDeliveriesService = {
  /** A webhook's deliveries, newest first; a webhook of another workspace is NOT_FOUND. */
  async list(ctx: RequestContext, args: WebhookDeliveryListArgs): Promise<Connection<WebhookDelivery>> {
    const webhook = await webhookService.get(ctx, decodeId('Webhook', args.webhookId, 'webhookId'));
    return tablePage(ctx, mapper(ctx), ORDER, args, (params) => [
      `${column(ALIAS, 'workspace_id')} = ${params.add(ctx.workspaceId)}`,
      `${column(ALIAS, 'webhook_id')} = ${params.add(webhook.id)}`,
      ...(args.status ? [`${column(ALIAS, 'status')} = ${params.add(args.status)}`] : []),
    ]);
  },

  /** Every attempt of a delivery, oldest first; one query for a page of deliveries. */
  attempts(ctx: RequestContext, delivery: WebhookDelivery): Promise<WebhookDeliveryAttempt[]> {
    return attemptsLoader(ctx).load(delivery.id);
  },

  /**
   * Sends a delivery again now, whatever its status (DEAD ones too), with the same event id and
   * a fresh timestamp and signature; the attempt is logged and decides the status (see webhook-attempt).
   */
  async redeliver(ctx: RequestContext, id: string): Promise<WebhookDelivery> {
    if (!(await attemptDelivery(ctx, id, { dueAt: null }))) throw notFound('WebhookDelivery');
    return ctx.db.read((em) => em.getRepository(WebhookDelivery).findOneByOrFail({ id }));
  },
};
