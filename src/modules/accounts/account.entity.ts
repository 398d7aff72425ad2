import { Field, Int, ObjectType } from 'type-graphql';
import { Column, Entity } from 'typeorm';
import { Node, TenantRecord } from '../../kernel/record';
import { TagsColumn } from '../../kernel/records/tags';
import { DecimalScalar, LocalDateScalar } from '../../kernel/scalars';

/** A company the workspace does business with. */
@Entity('accounts')
@ObjectType({ implements: Node })
export class Account extends TenantRecord {
  readonly nodeType = 'Account' as const;

  @Field() @Column() name: string;

  @Field(() => String, { nullable: true, description: 'Web domain, unique among live accounts, e.g. "acme.com".' })
  @Column({ type: 'varchar', nullable: true })
  domain: string | null;

  @Field(() => String, { nullable: true }) @Column({ type: 'varchar', nullable: true }) industry: string | null;
  @Field(() => String, { nullable: true }) @Column({ type: 'varchar', nullable: true }) website: string | null;
  @Field(() => String, { nullable: true }) @Column({ type: 'varchar', nullable: true }) phone: string | null;
  @Field(() => String, { nullable: true }) @Column({ type: 'varchar', nullable: true }) street: string | null;

  @Field(() => String, { nullable: true })
  @Column({ name: 'postal_code', type: 'varchar', nullable: true })
  postalCode: string | null;

  @Field(() => String, { nullable: true }) @Column({ type: 'varchar', nullable: true }) city: string | null;

  @Field(() => String, { nullable: true, description: 'ISO 3166-1 alpha-2 country code.' })
  @Column({ type: 'char', length: 2, nullable: true })
  country: string | null;

  @Field(() => Int, { nullable: true })
  @Column({ name: 'employee_count', type: 'int', nullable: true })
  employeeCount: number | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'In the workspace’s default currency.' })
  @Column({ name: 'annual_revenue', type: 'numeric', nullable: true })
  annualRevenue: string | null;

  @Field(() => LocalDateScalar, { nullable: true, description: 'When the contract is up for renewal; the owner gets a task ahead of it (see the workspace settings).' })
  @Column({ name: 'contract_renewal_date', type: 'date', nullable: true })
  contractRenewalDate: string | null;

  @Column('uuid', { name: 'owner_id', nullable: true }) ownerId: string | null;

  @TagsColumn() tags: string[];
}
