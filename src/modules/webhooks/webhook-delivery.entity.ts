import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { encodeId } from '../../kernel/ids';

export enum WebhookDeliveryStatus {
  PENDING = 'PENDING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  DEAD = 'DEAD',
}
registerEnumType(WebhookDeliveryStatus, {
  name: 'WebhookDeliveryStatus',
  valuesConfig: {
    PENDING: { description: 'Not attempted yet.' },
    SUCCEEDED: { description: 'The receiver answered 2xx.' },
    FAILED: { description: 'The last attempt failed; another is scheduled (nextAttemptAt).' },
    DEAD: { description: 'Given up (the retry window passed or the webhook was disabled); `redeliver` can still send it.' },
  },
});

/** One event owed to one webhook; unique per (webhook, event). */
@Entity('webhook_deliveries')
@ObjectType({ description: 'One record event delivered (or being delivered) to one webhook.' })
export class WebhookDelivery {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'workspace_id' }) workspaceId: string;
  @Column('uuid', { name: 'webhook_id' }) webhookUuid: string;
  @Column('uuid', { name: 'event_id' }) eventUuid: string;

  @Field({ description: 'e.g. `deal.updated`.' }) @Column({ name: 'event_type' }) eventType: string;
  @Field(() => WebhookDeliveryStatus) @Column({ type: 'varchar' }) status: WebhookDeliveryStatus;
  @Field(() => Int, { description: 'Attempts made, retries and redeliveries included.' }) @Column({ type: 'int' }) attempts: number;
  @Field(() => Date, { nullable: true }) @Column({ name: 'first_attempt_at', type: 'timestamptz', nullable: true }) firstAttemptAt: Date | null;
  @Field(() => Date, { nullable: true }) @Column({ name: 'last_attempt_at', type: 'timestamptz', nullable: true }) lastAttemptAt: Date | null;
  @Field(() => Date, { nullable: true, description: 'When the next attempt is due; null once it succeeded or is dead.' })
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt: Date | null;
  @Field(() => Int, { nullable: true }) @Column({ name: 'last_status_code', type: 'int', nullable: true }) lastStatusCode: number | null;
  @Field(() => String, { nullable: true, description: 'Why the last attempt failed (status and a short excerpt of the answer, a timeout, a refused address).' })
  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;
  @Field(() => Int, { nullable: true, description: 'How long the last attempt took.' }) @Column({ name: 'duration_ms', type: 'int', nullable: true }) durationMs: number | null;
  @Field() @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;

  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return encodeId('WebhookDelivery', this.id);
  }

  @Field(() => ID, { description: 'The record event delivered; also the `webhook-id` header, the same on every attempt.' })
  get eventId(): string {
    return encodeId('RecordEvent', this.eventUuid);
  }

  @Field(() => ID)
  get webhookId(): string {
    return encodeId('Webhook', this.webhookUuid);
  }
}

/** One HTTP attempt of a delivery, as logged. */
@Entity('webhook_delivery_attempts')
@ObjectType({ description: 'One attempt of a delivery: when, the answer or the error, how long it took.' })
export class WebhookDeliveryAttempt {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'workspace_id' }) workspaceId: string;
  @Column('uuid', { name: 'delivery_id' }) deliveryUuid: string;
  @Field() @Column({ type: 'timestamptz' }) at: Date;
  @Field(() => Int, { nullable: true }) @Column({ name: 'status_code', type: 'int', nullable: true }) statusCode: number | null;
  @Field(() => String, { nullable: true }) @Column({ type: 'text', nullable: true }) error: string | null;
  @Field(() => Int) @Column({ name: 'duration_ms', type: 'int' }) durationMs: number;
  @Field(() => String, { nullable: true, description: 'The first bytes of the answer (at most 512).' })
  @Column({ name: 'response_excerpt', type: 'varchar', nullable: true })
  responseExcerpt: string | null;
  @Field({ description: 'True for a `redeliver`.' }) @Column() manual: boolean;
}
