import { ValidateNested } from 'class-validator';
import { ArgsType, Field, InputType, ObjectType, type ClassType } from 'type-graphql';
import type { RequestContext } from '../../kernel/context';

/**
 * A report a live dashboard can show: the query's own arguments and result, the service call
 * that answers it, and which records' changes can move its figures.
 */
export interface DashboardReport<Args extends object = object, Result extends object = object> {
  /** The query's name; also the report's argument of `dashboardUpdated` and its field in `DashboardUpdate`. */
  field: string;
  /** The query's `@ArgsType` class, reused as the input type `inputName`: one set of arguments, one set of rules. */
  args: ClassType<Args>;
  inputName: string;
  /** The query's result type: a push carries what the query returns. */
  result: ClassType<Result>;
  run(ctx: RequestContext, args: Args): Promise<Result>;
  /** Record types (`Deal`, `Stage`, …) whose committed changes can move the figures. */
  recordTypes: readonly string[];
}

/** What one push carries: the figures of each report the subscription asked for. */
export interface DashboardFigures {
  computedAt: Date;
  [report: string]: object | null;
}

/**
 * The GraphQL types of `dashboardUpdated`, built from the reports: its arguments (one optional
 * input per report, the query's arguments as an input type) and `DashboardUpdate` (one optional
 * field per report, the query's result type). Decorators applied as functions, since the fields
 * come from the list.
 */
export function dashboardTypes(reports: readonly DashboardReport[]): { Args: ClassType; Update: ClassType<DashboardFigures> } {
  @ArgsType()
  class DashboardUpdatedArgs {}

  @ObjectType('DashboardUpdate', { description: 'The figures of a live dashboard: each report the subscription asked for, as its query returns it.' })
  class DashboardUpdate implements DashboardFigures {
    [report: string]: object | null | Date;
    @Field({ description: 'When these figures were read: all of them after the same committed changes.' })
    computedAt!: Date;
  }

  for (const report of reports) {
    InputType(report.inputName, { description: `The arguments of \`${report.field}\`, for a live dashboard.` })(report.args);
    Field(() => report.args, { nullable: true, description: `Show \`${report.field}\` with these arguments.` })(DashboardUpdatedArgs.prototype, report.field);
    ValidateNested()(DashboardUpdatedArgs.prototype, report.field);
    Field(() => report.result, { nullable: true, description: `What \`${report.field}\` answers now; null when not asked for.` })(DashboardUpdate.prototype, report.field);
  }
  return { Args: DashboardUpdatedArgs, Update: DashboardUpdate as ClassType<DashboardFigures> };
}
