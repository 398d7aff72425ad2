import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { decodeId } from '../../kernel/ids';
import { connectionType } from '../../kernel/pagination/connection';
import { membersService, User } from '../identity';
import { WebhookDelivery, WebhookDeliveryAttempt } from './webhook-delivery.entity';
import { webhookDeliveriesService } from './webhook-deliveries.service';
import { Webhook, WebhookWithSecret } from './webhook.entity';
import { CreateWebhookInput, UpdateWebhookInput, WebhookDeliveryListArgs } from './webhook.inputs';
import { webhookService } from './webhook.service';

export const WebhookDeliveryConnection = connectionType(WebhookDelivery, 'WebhookDelivery');

/** Webhooks and their delivery log: admins, or API keys with the `webhooks:manage` scope. */
@Resolver(() => Webhook)
export class WebhookResolver {
  @Authorized(Permission.MANAGE_WEBHOOKS)
  @Query(() => [Webhook], { description: 'The workspace’s webhooks, oldest first. Never their secrets.' })
  webhooks(@Ctx() ctx: RequestContext): Promise<Webhook[]> {
    return webhookService.list(ctx);
  }

  @Authorized(Permission.MANAGE_WEBHOOKS)
  @Query(() => Webhook)
  webhook(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<Webhook> {
    return webhookService.get(ctx, decodeId('Webhook', id, 'id'));
  }

  @Authorized(Permission.MANAGE_WEBHOOKS)
  @Mutation(() => WebhookWithSecret, { description: 'Subscribes a URL to record events; the signing secret is in this answer only.' })
  createWebhook(@Ctx() ctx: RequestContext, @Arg('input') input: CreateWebhookInput): Promise<WebhookWithSecret> {
    return webhookService.create(ctx, input);
  }

  @Authorized(Permission.MANAGE_WEBHOOKS)
  @Mutation(() => Webhook)
  updateWebhook(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string, @Arg('input') input: UpdateWebhookInput): Promise<Webhook> {
    return webhookService.update(ctx, decodeId('Webhook', id, 'id'), input);
  }

  @Authorized(Permission.MANAGE_WEBHOOKS)
  @Mutation(() => Boolean, { description: 'Deletes the webhook and its delivery log.' })
  deleteWebhook(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<boolean> {
    return webhookService.remove(ctx, decodeId('Webhook', id, 'id'));
  }

  @Authorized(Permission.MANAGE_WEBHOOKS)
  @Mutation(() => Webhook, { description: 'Turns a disabled webhook on again.' })
  enableWebhook(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<Webhook> {
    return webhookService.enable(ctx, decodeId('Webhook', id, 'id'));
  }

  @Authorized(Permission.MANAGE_WEBHOOKS)
  @Mutation(() => WebhookWithSecret, { description: 'Replaces the signing secret with a new random one, returned this once.' })
  rotateWebhookSecret(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<WebhookWithSecret> {
    return webhookService.rotateSecret(ctx, decodeId('Webhook', id, 'id'));
  }

  @Authorized(Permission.MANAGE_WEBHOOKS)
  @Query(() => WebhookDeliveryConnection, { description: 'A webhook’s deliveries, newest first, dead ones included.' })
  webhookDeliveries(@Ctx() ctx: RequestContext, @Args() args: WebhookDeliveryListArgs) {
    return webhookDeliveriesService.list(ctx, args);
  }

  @Authorized(Permission.MANAGE_WEBHOOKS)
  @Mutation(() => WebhookDelivery, { description: 'Sends a delivery again now (a DEAD one too), with the same event id; the attempt is logged.' })
  redeliver(@Ctx() ctx: RequestContext, @Arg('deliveryId', () => ID) deliveryId: string): Promise<WebhookDelivery> {
    return webhookDeliveriesService.redeliver(ctx, decodeId('WebhookDelivery', deliveryId, 'deliveryId'));
  }

  @FieldResolver(() => User, { nullable: true, description: 'Who created the webhook (null for an API key).' })
  createdBy(@Ctx() ctx: RequestContext, @Root() webhook: Webhook): Promise<User | null> {
    return membersService.loadUser(ctx, webhook.createdByUuid);
  }
}

@Resolver(() => WebhookDelivery)
export class WebhookDeliveryResolver {
  @FieldResolver(() => [WebhookDeliveryAttempt], { description: 'Every attempt, oldest first.' })
  attemptLog(@Ctx() ctx: RequestContext, @Root() delivery: WebhookDelivery): Promise<WebhookDeliveryAttempt[]> {
    return webhookDeliveriesService.attempts(ctx, delivery);
  }
}
