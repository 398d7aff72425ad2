import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { encodeId } from '../../kernel/ids';
import { Node } from '../../kernel/record';
import { CurrencyScalar } from '../../kernel/scalars';

@Entity('workspaces')
@ObjectType({ implements: Node, description: 'A tenant: every record belongs to exactly one workspace.' })
export class Workspace implements Node {
  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return encodeId('Workspace', this.id);
  }

  @PrimaryGeneratedColumn('uuid') id: string;

  @Field() @Column() name: string;

  @Field(() => CurrencyScalar)
  @Column({ name: 'default_currency', type: 'char', length: 3 })
  defaultCurrency: string;

  @Field({ description: 'IANA time zone (e.g. `Europe/Berlin`) that decides which day it is for birthday and renewal tasks.' })
  @Column({ name: 'time_zone' })
  timeZone: string;

  @Field(() => Int, { description: 'How many days before a contact’s birthday its owner gets the birthday task (0: on the day).' })
  @Column({ name: 'birthday_task_days_before', type: 'int' })
  birthdayTaskDaysBefore: number;

  @Field(() => Int, { description: 'How many days before an account’s contract renewal date its owner gets the renewal task.' })
  @Column({ name: 'renewal_task_days_before', type: 'int' })
  renewalTaskDaysBefore: number;

  @Field(() => Int, { description: 'The month (1–12) fiscal quarters and years start in; a fiscal year is named by the calendar year it starts in.' })
  @Column({ name: 'fiscal_year_start_month', type: 'smallint' })
  fiscalYearStartMonth: number;

  @Field() @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Field() @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
  @Field(() => Int) @Column({ type: 'int' }) version: number;
}
