import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { sealSecret } from '../../kernel/crypto/secret-box';
import { badInput, notFound } from '../../kernel/errors';
import { Webhook, WebhookWithSecret } from './webhook.entity';
import type { CreateWebhookInput, UpdateWebhookInput } from './webhook.inputs';
import { webhookProblems, type WebhookShape } from './webhook-rules';
import { newWebhookSecret } from './webhook-signature';

async function check(ctx: RequestContext, input: WebhookShape): Promise<void> {
  const { config, dataSource } = ctx.runtime;
  const problems = await webhookProblems(input, dataSource, config.WEBHOOK_ALLOW_PRIVATE_TARGETS);
  if (problems.length > 0) throw badInput(problems);
}

async function find(em: EntityManager, id: string): Promise<Webhook> {
  const webhook = await em.getRepository(Webhook).findOneBy({ id });
  if (!webhook) throw notFound('Webhook');
  return webhook;
}

/** Changes columns of one webhook (raising its version) and returns it as it is now. */
async function change(ctx: RequestContext, id: string, columns: Partial<Webhook>): Promise<Webhook> {
  return ctx.db.write(async (em) => {
    await find(em, id);
    await em.getRepository(Webhook).update({ id }, { ...columns, updatedAt: new Date(), version: () => 'version + 1' });
    return find(em, id);
  });
}

const withSecret = (webhook: Webhook, secret: string) => Object.assign(new WebhookWithSecret(), { webhook, secret });
const unique = (values: string[] | null | undefined) => (values ? [...new Set(values)] : values);

/** Webhooks are configuration, not records: they raise no record events (which they would then deliver). */
export const webhookService = {
  list(ctx: RequestContext): Promise<Webhook[]> {
    return ctx.db.read((em) => em.getRepository(Webhook).find({ order: { createdAt: 'ASC', id: 'ASC' } }));
  },

  get(ctx: RequestContext, id: string): Promise<Webhook> {
    return ctx.db.read((em) => find(em, id));
  },

  /** Creates a webhook; its secret (given or random) is in this answer only and stored sealed. */
  async create(ctx: RequestContext, input: CreateWebhookInput): Promise<WebhookWithSecret> {
    await check(ctx, input);
    const secret = input.secret ?? newWebhookSecret();
    const webhook = await ctx.db.write(async (em) => {
      const repo = em.getRepository(Webhook);
      const { id } = await repo.save(
        repo.create({
          workspaceId: ctx.workspaceId,
          url: input.url,
          events: unique(input.events)!,
          fields: unique(input.fields) ?? [],
          description: input.description ?? null,
          secretSealed: sealSecret(ctx.runtime.config.DATA_ENCRYPTION_KEY, secret),
          createdByUuid: ctx.actor?.userId ?? null,
        }),
      );
      return find(em, id);
    });
    return withSecret(webhook, secret);
  },

  async update(ctx: RequestContext, id: string, input: UpdateWebhookInput): Promise<Webhook> {
    const current = await this.get(ctx, id);
    // Fields are checked against the events they filter: the new ones, or those kept.
    await check(ctx, { ...input, events: input.events ?? current.events, fields: input.fields ?? current.fields });
    const columns: Partial<Webhook> = {};
    if (input.url != null) columns.url = input.url;
    if (input.events != null) columns.events = unique(input.events)!;
    if (input.fields != null) columns.fields = unique(input.fields)!;
    if (input.description !== undefined) columns.description = input.description;
    return change(ctx, id, columns);
  },

  /** Deletes the webhook with its deliveries and their log; jobs still queued for them find nothing and end. */
  remove(ctx: RequestContext, id: string): Promise<boolean> {
    return ctx.db.write(async (em) => {
      await find(em, id);
      await em.getRepository(Webhook).delete({ id });
      return true;
    });
  },

  /** Turns delivery on again (after an automatic disable, say); new events are delivered, dead ones only by `redeliver`. */
  enable(ctx: RequestContext, id: string): Promise<Webhook> {
    return change(ctx, id, { enabled: true, disabledReason: null, disabledAt: null, failingSince: null });
  },

  /** Replaces the secret with a random one, returned this once; the next attempt is signed with it. */
  async rotateSecret(ctx: RequestContext, id: string): Promise<WebhookWithSecret> {
    const secret = newWebhookSecret();
    const webhook = await change(ctx, id, { secretSealed: sealSecret(ctx.runtime.config.DATA_ENCRYPTION_KEY, secret) });
    return withSecret(webhook, secret);
  },
};
