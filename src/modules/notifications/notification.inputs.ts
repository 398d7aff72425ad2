import { ArgsType, Field } from 'type-graphql';
import { PageArgs } from '../../kernel/pagination/connection';

@ArgsType()
export class NotificationListArgs extends PageArgs {
  @Field(() => Boolean, { nullable: true, description: 'Only notifications not yet marked read.' })
  unreadOnly?: boolean | null;
}
