import { Field, Float, ObjectType, registerEnumType } from 'type-graphql';
import type { Ticket } from '../tickets';
import { SlaTarget, targetsOf, type TargetState } from './sla-targets';

export enum SlaStatus {
  ON_TRACK = 'ON_TRACK',
  WARNING = 'WARNING',
  BREACHED = 'BREACHED',
  MET = 'MET',
  PAUSED = 'PAUSED',
}
registerEnumType(SlaStatus, {
  name: 'SlaStatus',
  valuesConfig: {
    WARNING: { description: 'Past 80 % of the business time to the target.' },
    BREACHED: { description: 'Past the due time, or met only after it.' },
    MET: { description: 'Met by the due time.' },
    PAUSED: { description: 'The clock stands still: the ticket waits on the customer (or is settled).' },
  },
});

@ObjectType({ description: 'Where a ticket stands against one SLA target.' })
export class SlaTargetState {
  @Field(() => SlaTarget) target: SlaTarget;
  @Field(() => SlaStatus) status: SlaStatus;
  @Field({ description: 'Moves later by the business time the clock stood still.' }) dueAt: Date;
  @Field({ description: 'When the warning is due (80 % of the way).' }) warningAt: Date;
  @Field(() => Date, { nullable: true, description: 'When the target was met (first response, resolution).' }) metAt: Date | null;
  @Field(() => Date, { nullable: true, description: 'When the breach was recorded (or the due time, if met late before that).' })
  breachedAt: Date | null;
}

@ObjectType({ description: 'The ticket against the SLA policy of its priority.' })
export class TicketSla {
  @Field(() => SlaTargetState) firstResponse: SlaTargetState;
  @Field(() => SlaTargetState) resolution: SlaTargetState;
  @Field(() => Date, { nullable: true, description: 'Since when the clock stands still; null while it runs.' }) pausedAt: Date | null;
  @Field(() => Float, { description: 'Business minutes the clock stood still before the current pause.' }) pausedMinutes: number;
}

/** By the clock at `now`, and by the escalations recorded (which may have run ahead of a moved due time). */
function stateOf(state: TargetState, dueAt: Date, warnAt: Date, paused: boolean, now: Date): SlaTargetState {
  const late = (state.metAt && state.metAt > dueAt) || (!state.metAt && (state.breachedAt || (!paused && now >= dueAt)));
  const status = late
    ? SlaStatus.BREACHED
    : state.metAt
      ? SlaStatus.MET
      : paused
        ? SlaStatus.PAUSED
        : state.warnedAt || now >= warnAt
          ? SlaStatus.WARNING
          : SlaStatus.ON_TRACK;
  return { target: state.target, status, dueAt, warningAt: warnAt, metAt: state.metAt, breachedAt: late ? (state.breachedAt ?? dueAt) : null };
}

/** The ticket's SLA standing at `now`, or null when no policy applied to it. */
export function slaOf(ticket: Ticket, now: Date): TicketSla | null {
  const paused = ticket.slaPausedAt !== null;
  const [firstResponse, resolution] = targetsOf(ticket).map((state) =>
    state.dueAt && state.warnAt ? stateOf(state, state.dueAt, state.warnAt, paused, now) : null,
  );
  if (!firstResponse || !resolution) return null;
  return { firstResponse, resolution, pausedAt: ticket.slaPausedAt, pausedMinutes: ticket.slaPausedMinutes };
}
