import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export enum DealContactRole {
  DECISION_MAKER = 'DECISION_MAKER',
  ECONOMIC_BUYER = 'ECONOMIC_BUYER',
  INFLUENCER = 'INFLUENCER',
  CHAMPION = 'CHAMPION',
  USER = 'USER',
  OTHER = 'OTHER',
}
registerEnumType(DealContactRole, { name: 'DealContactRole', description: 'The part a contact plays in a deal (buying center).' });

/** A contact involved in a deal, with their role. */
@Entity('deal_contacts')
@ObjectType()
export class DealContact {
  @PrimaryColumn('uuid', { name: 'workspace_id' }) workspaceId: string;
  @PrimaryColumn('uuid', { name: 'deal_id' }) dealId: string;
  @PrimaryColumn('uuid', { name: 'contact_id' }) contactId: string;

  @Field(() => DealContactRole) @Column({ type: 'varchar' }) role: DealContactRole;

  @Field() @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
