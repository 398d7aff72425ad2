import { ArgsType, Field, ID } from 'type-graphql';
import { PageArgs } from '../../kernel/pagination/connection';

@ArgsType()
export class RecordEventListArgs extends PageArgs {
  @Field(() => ID, { nullable: true, description: 'Only the events of this record (any record type).' })
  recordId?: string | null;

  @Field(() => String, { nullable: true, description: 'Only events of this type, e.g. `deal.updated`.' })
  type?: string | null;

  @Field(() => Date, { nullable: true, description: 'Only events that occurred at or after this time.' })
  since?: Date | null;
}
