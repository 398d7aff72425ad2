import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { encodeId } from '../../kernel/ids';

/** A subscription of a URL to record events. Its signing secret is stored sealed and never shown again. */
@Entity('webhooks')
@ObjectType({ description: 'A webhook: record events POSTed to a URL, signed (Standard Webhooks), retried for up to three days.' })
export class Webhook {
  @PrimaryGeneratedColumn('uuid') id: string;

  @Column('uuid', { name: 'workspace_id' }) workspaceId: string;

  @Field({ description: 'Where deliveries are POSTed (http or https; never a private, loopback or link-local address).' })
  @Column()
  url: string;

  @Field(() => [String], { description: 'Event types delivered: `deal.updated`, `deal.*` (every action on deals) or `*`.' })
  @Column({ type: 'text', array: true })
  events: string[];

  @Field(() => [String], { description: 'Update events are delivered only when one of these fields changed; empty: always.' })
  @Column({ type: 'text', array: true })
  fields: string[];

  @Field(() => String, { nullable: true }) @Column({ type: 'varchar', nullable: true }) description: string | null;

  @Column({ name: 'secret_sealed', select: false }) secretSealed: string;

  @Field({ description: 'False once disabled (after a day of failing deliveries); enableWebhook turns it on again.' })
  @Column()
  enabled: boolean;

  @Field(() => String, { nullable: true, description: 'Why the webhook was disabled.' })
  @Column({ name: 'disabled_reason', type: 'text', nullable: true })
  disabledReason: string | null;

  @Field(() => Date, { nullable: true }) @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true }) disabledAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'Since when every delivery has failed; null after a success.' })
  @Column({ name: 'failing_since', type: 'timestamptz', nullable: true })
  failingSince: Date | null;

  @Column('uuid', { name: 'created_by', nullable: true }) createdByUuid: string | null;

  @Field() @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;

  @Field() @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;

  @Field(() => Int) @Column({ type: 'int' }) version: number;

  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return encodeId('Webhook', this.id);
  }
}

@ObjectType({ description: 'A webhook and its signing secret, shown this once.' })
export class WebhookWithSecret {
  @Field(() => Webhook) webhook: Webhook;

  @Field({ description: 'The signing secret (`whsec_…` unless you chose one). It cannot be read again; rotateWebhookSecret makes a new one.' })
  secret: string;
}
