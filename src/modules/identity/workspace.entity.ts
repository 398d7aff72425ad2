import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { encodeId } from '../../kernel/ids';
import { Node } from '../../kernel/record';
import { CurrencyScalar } from '../../kernel/scalars';

@Entity('workspaces')
@ObjectType({ implements: Node, description: 'A tenant: every record belongs to exactly one workspace.' })
export class Workspace implements Node {
  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return encodeId('Workspace', this.id);
  }

  @PrimaryGeneratedColumn('uuid') id: string;

  @Field() @Column() name: string;

  @Field(() => CurrencyScalar)
  @Column({ name: 'default_currency', type: 'char', length: 3 })
  defaultCurrency: string;

  @Field() @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Field() @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
  @Field(() => Int) @Column({ type: 'int' }) version: number;
}
