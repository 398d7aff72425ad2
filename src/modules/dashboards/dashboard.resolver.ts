import { Args, Authorized, Resolver, Root, Subscription } from 'type-graphql';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { dashboardTypes, type DashboardFigures } from './dashboard-report';
import { DASHBOARD_REPORTS } from './dashboard-reports';
import { PUSH_INTERVAL_MS, dashboardService } from './dashboard.service';

const { Args: DashboardUpdatedArgs, Update: DashboardUpdate } = dashboardTypes(DASHBOARD_REPORTS);

@Resolver()
export class DashboardResolver {
  @Authorized(Permission.READ_REPORTS)
  @Subscription(() => DashboardUpdate, {
    description: `A live dashboard (graphql-ws): the figures of the reports named in the arguments (each with its query's arguments) at once, then again after committed changes that can move them, at most one push per ${PUSH_INTERVAL_MS} ms (a burst of writes gives one or two pushes, the last with the final figures). Needs \`reports:read\`; the subscriber's seat and role are read at each push.`,
    subscribe: ({ args, context }) => dashboardService.subscribe(context as RequestContext, args),
  })
  dashboardUpdated(@Args(() => DashboardUpdatedArgs) _args: object, @Root() figures: DashboardFigures): DashboardFigures {
    return figures;
  }
}
