import { ValidateNested } from 'class-validator';
import { ArgsType, Field, getMetadataStorage, InputType, ObjectType, type ClassType } from 'type-graphql';
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
    const input = inputOf(report.args, report.inputName, `The arguments of \`${report.field}\`, for a live dashboard.`);
    Field(() => input, { nullable: true, description: `Show \`${report.field}\` with these arguments.` })(DashboardUpdatedArgs.prototype, report.field);
    ValidateNested()(DashboardUpdatedArgs.prototype, report.field);
    Field(() => report.result, { nullable: true, description: `What \`${report.field}\` answers now; null when not asked for.` })(DashboardUpdate.prototype, report.field);
  }
  return { Args: DashboardUpdatedArgs, Update: DashboardUpdate as ClassType<DashboardFigures> };
}

/**
 * The query's arguments class as an input type: a subclass (so the arguments are an instance of
 * the query's class and its validation applies) declaring every field the class and its
 * ancestors declare. type-graphql does not carry an @ArgsType's inherited fields into an
 * @InputType, and the query's class may inherit them (e.g. from a shared aggregate base).
 */
function inputOf(args: ClassType, name: string, description: string): ClassType {
  const Input = class extends args {};
  Object.defineProperty(Input, 'name', { value: name });
  const storage = getMetadataStorage();
  const lineage: Function[] = [];
  for (let c: Function | null = args; c && c !== Function.prototype; c = Object.getPrototypeOf(c) as Function | null) lineage.unshift(c);
  const fields = new Map(lineage.flatMap((c) => storage.fields.filter((field) => field.target === c)).map((field) => [field.name, field]));
  for (const field of fields.values()) storage.collectClassFieldMetadata({ ...field, target: Input });
  InputType(name, { description })(Input);
  return Input;
}
