import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { encodeId } from '../../kernel/ids';
import { Node } from '../../kernel/record';

/** A person who can sign in; belongs to workspaces through memberships. */
@Entity('users')
@ObjectType({ implements: Node })
export class User implements Node {
  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return encodeId('User', this.id);
  }

  @PrimaryGeneratedColumn('uuid') id: string;

  @Field() @Column() email: string;
  @Field() @Column() name: string;

  /** Never exposed. */
  @Column({ name: 'password_hash', select: false }) passwordHash: string;

  @Field() @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Field() @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
  @Field(() => Int) @Column({ type: 'int' }) version: number;
}
