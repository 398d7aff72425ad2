import { Field, Int, ObjectType, registerEnumType, type ClassType } from 'type-graphql';

export enum UpsertStatus {
  CREATED = 'CREATED',
  UPDATED = 'UPDATED',
  UNCHANGED = 'UNCHANGED',
}
registerEnumType(UpsertStatus, { name: 'UpsertStatus', description: 'UNCHANGED: nothing differed and the ref was attached already; no write, no event.' });

export enum UpsertItemStatus {
  CREATED = 'CREATED',
  UPDATED = 'UPDATED',
  UNCHANGED = 'UNCHANGED',
  FAILED = 'FAILED',
}
registerEnumType(UpsertItemStatus, { name: 'UpsertItemStatus' });

@ObjectType()
export class UpsertFieldProblem {
  @Field({ description: 'e.g. `inputs[3].email`.' }) field: string;
  @Field() message: string;
}

@ObjectType({ description: 'Why an item failed: the code and fields a single upsert would have answered with.' })
export class UpsertItemError {
  @Field() code: string;
  @Field() message: string;
  @Field(() => [UpsertFieldProblem]) fields: UpsertFieldProblem[];
}

export interface UpsertOutcome<T> {
  status: UpsertStatus;
  record: T;
  skippedFields: string[];
}

export interface UpsertItemOutcome<T> {
  index: number;
  status: UpsertItemStatus;
  /** Read only when the selection asks for it (a getter): an import or a bulk call selecting statuses reads no record. */
  record: T | null | Promise<T | null>;
  skippedFields: string[];
  error: UpsertItemError | null;
}

export interface BulkUpsertOutcome<T> {
  items: Array<UpsertItemOutcome<T>>;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
}

const SKIPPED = 'Fields sent but left as they are because another source owns them (see setFieldOwner).';

/** `AccountUpsertResult`, `AccountUpsertItem` and `AccountBulkUpsertResult` for one object type. */
export function upsertResultTypes<T extends object>(type: ClassType<T>, typeName: string, field: string) {
  @ObjectType(`${typeName}UpsertResult`)
  class UpsertResult implements UpsertOutcome<T> {
    @Field(() => UpsertStatus) status: UpsertStatus;
    @Field(() => type, { name: field }) record: T;
    @Field(() => [String], { description: SKIPPED }) skippedFields: string[];
  }

  @ObjectType(`${typeName}UpsertItem`)
  class UpsertItem implements UpsertItemOutcome<T> {
    @Field(() => Int, { description: 'Position in `inputs`, from 0.' }) index: number;
    @Field(() => UpsertItemStatus) status: UpsertItemStatus;
    @Field(() => type, { name: field, nullable: true, description: 'Null when the item failed.' }) record: T | null | Promise<T | null>;
    @Field(() => [String], { description: SKIPPED }) skippedFields: string[];
    @Field(() => UpsertItemError, { nullable: true }) error: UpsertItemError | null;
  }

  @ObjectType(`${typeName}BulkUpsertResult`)
  class BulkUpsertResult implements BulkUpsertOutcome<T> {
    @Field(() => [UpsertItem], { description: 'One per input, in input order.' }) items: UpsertItem[];
    @Field(() => Int) created: number;
    @Field(() => Int) updated: number;
    @Field(() => Int) unchanged: number;
    @Field(() => Int) failed: number;
  }

  return { UpsertResult, BulkUpsertResult };
}
