import { Field, InputType, Int } from 'type-graphql';
import { Max, Min, ValidateBy } from 'class-validator';
import { IfPresent } from '../../kernel/validation';
import { isValidTimeZone } from '../../kernel/time/business-time';
import type { Workspace } from './workspace.entity';

const IsTimeZone = (): PropertyDecorator =>
  ValidateBy({
    name: 'isTimeZone',
    validator: {
      validate: (value) => typeof value === 'string' && value.length <= 64 && isValidTimeZone(value),
      defaultMessage: () => 'timeZone must be an IANA time zone such as Europe/Berlin or UTC',
    },
  });

const DAYS = { min: 0, max: 365 };

@InputType({ description: 'Workspace settings; omitted fields stay as they are.' })
export class WorkspaceSettingsInput implements Partial<Workspace> {
  @Field({ nullable: true, description: 'IANA time zone, e.g. `Europe/Berlin`.' })
  @IfPresent()
  @IsTimeZone()
  timeZone?: string;

  @Field(() => Int, { nullable: true, description: `Days before a birthday that its task is created (${DAYS.min} to ${DAYS.max}).` })
  @IfPresent()
  @Min(DAYS.min, { message: `birthdayTaskDaysBefore must be between ${DAYS.min} and ${DAYS.max}` })
  @Max(DAYS.max, { message: `birthdayTaskDaysBefore must be between ${DAYS.min} and ${DAYS.max}` })
  birthdayTaskDaysBefore?: number;

  @Field(() => Int, { nullable: true, description: `Days before a contract renewal date that its task is created (${DAYS.min} to ${DAYS.max}).` })
  @IfPresent()
  @Min(DAYS.min, { message: `renewalTaskDaysBefore must be between ${DAYS.min} and ${DAYS.max}` })
  @Max(DAYS.max, { message: `renewalTaskDaysBefore must be between ${DAYS.min} and ${DAYS.max}` })
  renewalTaskDaysBefore?: number;

  @Field(() => Int, { nullable: true, description: 'The month (1–12) fiscal quarters and years start in (1: calendar quarters).' })
  @IfPresent()
  @Min(1, { message: 'fiscalYearStartMonth must be between 1 and 12' })
  @Max(12, { message: 'fiscalYearStartMonth must be between 1 and 12' })
  fiscalYearStartMonth?: number;
}
