import { Field, ObjectType } from 'type-graphql';
import { Column, Entity } from 'typeorm';
import { Node, TenantRecord } from '../../kernel/record';
import { LocalDateScalar } from '../../kernel/scalars';
import { TagsColumn } from '../../kernel/records/tags';

/** A person, usually working for an account. */
@Entity('contacts')
@ObjectType({ implements: Node })
export class Contact extends TenantRecord {
  readonly nodeType = 'Contact' as const;

  @Field(() => String, { nullable: true }) @Column({ name: 'first_name', type: 'varchar', nullable: true }) firstName: string | null;
  @Field() @Column({ name: 'last_name' }) lastName: string;

  @Field(() => String, { nullable: true, description: 'Unique among the live contacts of a workspace.' })
  @Column({ type: 'varchar', nullable: true })
  email: string | null;

  @Field(() => String, { nullable: true }) @Column({ type: 'varchar', nullable: true }) phone: string | null;
  @Field(() => String, { nullable: true }) @Column({ name: 'job_title', type: 'varchar', nullable: true }) jobTitle: string | null;
  @Field(() => String, { nullable: true }) @Column({ type: 'varchar', nullable: true }) city: string | null;

  @Field(() => String, { nullable: true, description: 'ISO 3166-1 alpha-2 country code.' })
  @Column({ type: 'char', length: 2, nullable: true })
  country: string | null;

  @Field(() => String, { nullable: true, description: 'Region or state, e.g. "Bavaria"; used by territory routing.' })
  @Column({ type: 'varchar', nullable: true })
  region: string | null;

  @Field(() => String, { nullable: true, description: 'Postal code; territory routing matches its prefixes.' })
  @Column({ name: 'postal_code', type: 'varchar', nullable: true })
  postalCode: string | null;

  @Field(() => String, { nullable: true, description: 'Where the lead came from, e.g. "webinar" or "referral".' })
  @Column({ type: 'varchar', nullable: true })
  source: string | null;
  @Field(() => LocalDateScalar, { nullable: true, description: 'Date of birth; its owner gets a task on the day (see the workspace settings).' })
  @Column({ type: 'date', nullable: true })
  birthday: string | null;

  @Column('uuid', { name: 'account_id', nullable: true }) accountId: string | null;
  @Column('uuid', { name: 'owner_id', nullable: true }) ownerId: string | null;

  @TagsColumn() tags: string[];

  @Field({ description: 'First and last name.' })
  get name(): string {
    return [this.firstName, this.lastName].filter(Boolean).join(' ');
  }
}
