import { ArgsType, Field, ID, InputType } from 'type-graphql';
import { PageArgs } from '../../kernel/pagination/connection';
import { WebhookDeliveryStatus } from './webhook-delivery.entity';

@InputType()
export class CreateWebhookInput {
  @Field({ description: 'An http(s) URL whose host resolves to public addresses only.' })
  url: string;

  @Field(() => [String], { description: '`deal.updated`, `deal.*` or `*`; at least one.' })
  events: string[];

  @Field(() => [String], { nullable: true, description: 'Deliver update events only when one of these fields changed, e.g. `stageId`.' })
  fields?: string[] | null;

  @Field(() => String, { nullable: true, description: 'The signing secret (16 to 200 characters); omitted: a random one is made.' })
  secret?: string | null;

  @Field(() => String, { nullable: true })
  description?: string | null;
}

@InputType({ description: 'Fields to change; omitted ones stay.' })
export class UpdateWebhookInput {
  @Field(() => String, { nullable: true }) url?: string | null;
  @Field(() => [String], { nullable: true }) events?: string[] | null;
  @Field(() => [String], { nullable: true }) fields?: string[] | null;
  @Field(() => String, { nullable: true }) description?: string | null;
}

@ArgsType()
export class WebhookDeliveryListArgs extends PageArgs {
  @Field(() => ID) webhookId: string;
  @Field(() => WebhookDeliveryStatus, { nullable: true }) status?: WebhookDeliveryStatus | null;
}
