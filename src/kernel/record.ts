import { Field, ID, Int, InterfaceType, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, PrimaryGeneratedColumn } from 'typeorm';
import { encodeId, type NodeType } from './ids';

/** Anything `node(id)` can resolve. */
@InterfaceType({ description: 'A record with a globally unique, opaque id.' })
export abstract class Node {
  @Field(() => ID, { name: 'id' })
  globalId: string;
}

/**
 * Columns and fields every tenant record shares; `version` is raised on every change.
 * Subclasses declare `@ObjectType({ implements: Node })` and inherit the fields; this base type
 * itself is never reachable, so it does not appear in the schema.
 */
@ObjectType()
export abstract class TenantRecord implements Node {
  abstract readonly nodeType: NodeType;

  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid', { name: 'workspace_id' })
  workspaceId: string;

  @Field()
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Field()
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;

  @Field(() => Int, { description: 'Raised on every change; pass it as expectedVersion to update safely.' })
  @Column({ type: 'int', default: 1 })
  version: number;

  @Field(() => Date, { nullable: true, description: 'Set while the record is in the trash (soft-deleted).' })
  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return encodeId(this.nodeType, this.id);
  }
}
