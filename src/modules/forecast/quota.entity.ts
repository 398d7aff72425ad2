import { Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { encodeId } from '../../kernel/ids';
import { CurrencyScalar, DecimalScalar } from '../../kernel/scalars';

/** What a member should close (won deals) in a fiscal period; one per member and period (setQuota). */
@Entity('quotas')
@ObjectType()
export class Quota {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'workspace_id' }) workspaceId: string;
  @Column('uuid', { name: 'user_id' }) userId: string;

  @Field({ description: 'The fiscal year, quarter or month, e.g. `2026-Q3`.' }) @Column() period: string;

  @Field(() => DecimalScalar, { description: 'Exact, in `currency`.' }) @Column({ type: 'numeric' }) amount: string;

  @Field(() => CurrencyScalar, { description: 'The reporting currency when the quota was set.' })
  @Column({ type: 'char', length: 3 })
  currency: string;

  @Field() @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Field() @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;

  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return encodeId('Quota', this.id);
  }
}
