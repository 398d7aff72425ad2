import { Field, Int, ObjectType } from 'type-graphql';
import { LocalDateScalar } from '../../kernel/scalars';
import { User } from '../identity';

@ObjectType({ description: 'Activities that happened (calls, meetings, emails, notes by their occurredAt) and tasks completed (by completedAt).' })
export class ActivityCounts {
  @Field(() => Int) calls: number;
  @Field(() => Int) meetings: number;
  @Field(() => Int) emails: number;
  @Field(() => Int) notes: number;
  @Field(() => Int) completedTasks: number;
}

@ObjectType({ description: 'One ISO week (Monday to Sunday in the workspace’s time zone) of the diary.' })
export class ActivityWeek extends ActivityCounts {
  @Field({ description: 'The ISO week, e.g. 2026-W05.' }) week: string;
  @Field(() => LocalDateScalar, { description: 'Its Monday.' }) weekStart: string;
}

@ObjectType({ description: 'One member’s diary: every week of the report, zeros included, and their overdue tasks now.' })
export class MemberActivity {
  @Field(() => User) user: User;
  @Field(() => [ActivityWeek], { description: 'One per week of the report, in order; a week without activity has zeros.' }) weeks: ActivityWeek[];
  @Field(() => ActivityCounts, { description: 'The weeks summed.' }) total: ActivityCounts;
  @Field(() => Int, { description: 'Open tasks of the member due before now (whatever the period).' }) overdueTasks: number;
}

@ObjectType({ description: 'The electronic diary seen from above: per member per ISO week; see docs/analytics.md, “Activity metrics”.' })
export class ActivityMetrics {
  @Field({ description: 'The period as parsed.' }) period: string;
  @Field(() => [String], { description: 'The ISO weeks the report covers: every week that overlaps the period, each counted whole.' }) weeks: string[];
  @Field(() => LocalDateScalar, { description: 'Monday of the first week.' }) from: string;
  @Field(() => LocalDateScalar, { description: 'The Monday after the last week (exclusive).' }) to: string;
  @Field(() => [MemberActivity], { description: 'The members the caller may see (see docs/analytics.md, “Who sees what”), by name.' }) members: MemberActivity[];
  @Field(() => [ActivityWeek], { description: 'Per week, the shown members summed.' }) totals: ActivityWeek[];
}
