import { ArgsType, Field, ID, Int } from 'type-graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../kernel/pagination/connection';

const TYPES_DESCRIPTION =
  'Only events of these types: exact ones (`deal.updated`) or every action on a record type (`deal.*`). Omitted or empty: every event.';

@ArgsType()
export class ChangeFeedArgs {
  @Field(() => String, { nullable: true, description: 'The `endCursor` (or an edge’s `cursor`) you read up to; omitted: from the oldest retained change.' })
  after?: string | null;

  @Field(() => [String], { nullable: true, description: TYPES_DESCRIPTION })
  types?: string[] | null;

  @Field(() => Int, { nullable: true, description: `Page size (default ${DEFAULT_PAGE_SIZE}, at most ${MAX_PAGE_SIZE}).` })
  first?: number | null;
}

@ArgsType()
export class RecordChangedArgs {
  @Field(() => [String], { nullable: true, description: TYPES_DESCRIPTION })
  types?: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only changes of these records (any record type). Omitted or empty: every record.' })
  recordIds?: string[] | null;

  @Field(() => [String], {
    nullable: true,
    description: 'Only updates that changed one of these fields (e.g. `stageId`); creates, deletes and restores still come. Omitted or empty: every update.',
  })
  fields?: string[] | null;
}
