import { Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { encodeId } from '../../kernel/ids';

/** A credential for a system. The token itself is never stored: only its SHA-256 and lookup prefix. */
@Entity('api_keys')
@ObjectType({ description: 'An API key: a system’s own credential in a workspace, with scopes. Its secret is shown only when it is created.' })
export class ApiKey {
  @PrimaryGeneratedColumn('uuid') id: string;

  @Column('uuid', { name: 'workspace_id' }) workspaceId: string;

  @Field({ description: 'What the key is for, e.g. `SAP prod`.' })
  @Column()
  name: string;

  @Column({ name: 'lookup_prefix' }) lookupPrefix: string;

  @Column({ name: 'secret_hash', select: false }) secretHash: string;

  @Field(() => [String], { description: 'What the key may do, e.g. `crm:read`, `accounts:write` (see the README).' })
  @Column({ type: 'text', array: true })
  scopes: string[];

  @Column('uuid', { name: 'created_by', nullable: true }) createdByUuid: string | null;

  @Field() @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;

  @Field(() => Date, { nullable: true, description: 'After this the key is refused; null: it does not expire.' })
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the key was last used (kept to the minute).' })
  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the key was revoked; a revoked key is refused.' })
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return encodeId('ApiKey', this.id);
  }
}

@ObjectType({ description: 'A new API key and its secret token, shown this once.' })
export class CreatedApiKey {
  @Field(() => ApiKey) apiKey: ApiKey;

  @Field({ description: 'The secret: send it as `Authorization: Bearer <token>`. It cannot be read again.' })
  token: string;
}
