import { Args, Authorized, Ctx, Query, Resolver, Root, Subscription } from 'type-graphql';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { connectionType } from '../../kernel/pagination/connection';
import { RecordEvent } from './record-event.entity';
import { ChangeFeedArgs, RecordChangedArgs } from './change-feed.inputs';
import { changeFeedService } from './change-feed.service';
import { RECORD_CHANGED, filterOf, fromMessage, isWanted, type RecordChangedMessage } from './record-changed';

export const ChangeConnection = connectionType(RecordEvent, 'Change');

@Resolver()
export class ChangeFeedResolver {
  @Authorized(Permission.READ)
  @Query(() => ChangeConnection, {
    description:
      'The change feed: every record event of the workspace (creates, updates, deletes, restores) in commit order. Poll it with the last `endCursor` as `after`: each change comes exactly once, none is skipped.',
  })
  changes(@Ctx() ctx: RequestContext, @Args() args: ChangeFeedArgs) {
    return changeFeedService.list(ctx, args);
  }

  @Authorized(Permission.READ)
  @Subscription(() => RecordEvent, {
    description:
      'Record changes of your workspace as the worker handles them (graphql-ws): the same fields as a change-feed entry. Low latency, not ordered and without replay: use `changes` to catch up.',
    topics: RECORD_CHANGED,
    // Called once when the subscription starts: bad arguments are refused then, not at the first change.
    topicId: ({ args, context }) => {
      filterOf(context as RequestContext, args as RecordChangedArgs);
      return (context as RequestContext).workspaceId;
    },
    filter: ({ payload, args, context }) => isWanted(context as RequestContext, args as RecordChangedArgs, payload as RecordChangedMessage),
  })
  recordChanged(@Args() _args: RecordChangedArgs, @Root() message: RecordChangedMessage): RecordEvent {
    return fromMessage(message);
  }
}
