import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { encodeId } from '../../kernel/ids';
import { SyncObject } from '../sync';

export enum ImportJobStatus {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(ImportJobStatus, {
  name: 'ImportJobStatus',
  description: 'QUEUED (uploaded, waiting for a worker), RUNNING, then COMPLETED, FAILED (see failureReason) or CANCELLED.',
});

export const OPEN_STATUSES: readonly ImportJobStatus[] = [ImportJobStatus.QUEUED, ImportJobStatus.RUNNING];

/** A bulk import: its uploaded lines are staged in import_rows until a worker has upserted them. */
@Entity('import_jobs')
@ObjectType({ description: 'A bulk import (`POST /imports/{object}`) and its progress.' })
export class ImportJob {
  @PrimaryGeneratedColumn('uuid') id: string;

  @Column('uuid', { name: 'workspace_id' }) workspaceId: string;

  @Field(() => SyncObject) @Column({ type: 'varchar' }) object: SyncObject;

  @Field({ description: '`csv` or `ndjson`.' }) @Column({ type: 'varchar' }) format: string;

  @Field(() => String, { nullable: true, description: 'The source system (`?system=`), e.g. `sap`.' })
  @Column({ type: 'varchar', nullable: true })
  source: string | null;

  @Field(() => ImportJobStatus) @Column({ type: 'varchar' }) status: ImportJobStatus;

  @Field(() => Int, { description: 'Lines uploaded (blank lines and the CSV header not counted).' })
  @Column({ name: 'total_rows', type: 'int' })
  totalRows: number;

  @Field(() => Int, { description: 'Lines handled so far: created + updated + unchanged + failed.' })
  @Column({ name: 'processed_rows', type: 'int' })
  processedRows: number;

  @Field(() => Int) @Column({ name: 'created_count', type: 'int' }) created: number;
  @Field(() => Int) @Column({ name: 'updated_count', type: 'int' }) updated: number;
  @Field(() => Int) @Column({ name: 'unchanged_count', type: 'int' }) unchanged: number;
  @Field(() => Int, { description: 'Lines that failed; each has an entry in `errors`.' })
  @Column({ name: 'failed_count', type: 'int' })
  failed: number;

  @Field(() => String, { nullable: true, description: 'Why the job FAILED as a whole (not a line’s error).' })
  @Column({ name: 'failure_reason', type: 'text', nullable: true })
  failureReason: string | null;

  @Column('uuid', { name: 'created_by', nullable: true }) createdByUuid: string | null;

  @Column('uuid', { name: 'created_by_api_key', nullable: true }) createdByApiKeyUuid: string | null;

  @Field() @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Field() @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;

  @Field(() => Date, { nullable: true }) @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt: Date | null;
  @Field(() => Date, { nullable: true }) @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt: Date | null;

  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return encodeId('ImportJob', this.id);
  }
}

@ObjectType({ description: 'An input field a line got wrong.' })
export class ImportErrorField {
  @Field({ description: 'The field path in the line’s input, e.g. `email`.' }) field: string;
  @Field() message: string;
}

/** One line that could not be imported. */
@Entity('import_errors')
@ObjectType({ description: 'A line of an import that failed, with the reason.' })
export class ImportError {
  @PrimaryColumn('uuid', { name: 'job_id' }) jobId: string;

  /** A tie-breaker for keyset pages (lines are unique per job already). */
  @Column('uuid') id: string;

  @Field(() => Int, { description: 'The line in the uploaded file (1-based; a CSV header is line 1).' })
  @Column('int', { primary: true })
  line: number;

  @Column('uuid', { name: 'workspace_id' }) workspaceId: string;

  @Field({ description: 'An error code such as BAD_USER_INPUT.' }) @Column({ type: 'varchar' }) code: string;

  @Field() @Column({ type: 'text' }) message: string;

  @Field(() => [ImportErrorField]) @Column({ type: 'jsonb' }) fields: ImportErrorField[];
}
