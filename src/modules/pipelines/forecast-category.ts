import { registerEnumType } from 'type-graphql';
import { badField } from '../../kernel/errors';
import { StageKind } from './stage.entity';

/** Where a deal counts in the forecast (stored as text in stages.forecast_category and deals.forecast_category). */
export enum ForecastCategory {
  PIPELINE = 'PIPELINE',
  BEST_CASE = 'BEST_CASE',
  COMMIT = 'COMMIT',
  CLOSED = 'CLOSED',
  OMITTED = 'OMITTED',
}
registerEnumType(ForecastCategory, {
  name: 'ForecastCategory',
  description: 'Where a deal counts in the forecast: a default per stage, an override per open deal.',
  valuesConfig: {
    PIPELINE: { description: 'Open, not yet likely: the default of OPEN stages.' },
    BEST_CASE: { description: 'Open, could close in the period if things go well.' },
    COMMIT: { description: 'Open, the owner commits to closing it in the period.' },
    CLOSED: { description: 'Won: every won deal, and only won deals.' },
    OMITTED: { description: 'Left out of the forecast: lost deals, and open deals set aside.' },
  },
});

/** The categories a stage of each kind may give its deals; the first is its default. */
const STAGE_CATEGORIES: Record<StageKind, readonly ForecastCategory[]> = {
  [StageKind.OPEN]: [ForecastCategory.PIPELINE, ForecastCategory.BEST_CASE, ForecastCategory.COMMIT, ForecastCategory.OMITTED],
  [StageKind.WON]: [ForecastCategory.CLOSED],
  [StageKind.LOST]: [ForecastCategory.OMITTED],
};

/** A stage's category: its own, else its kind's default (as crm_forecast_category, migration 1763800000042). */
export const stageForecastCategory = (stage: { kind: StageKind; forecastCategory: ForecastCategory | null }): ForecastCategory =>
  stage.forecastCategory ?? STAGE_CATEGORIES[stage.kind][0];

/** Refuses a category the stage's kind contradicts (a won deal is CLOSED, a lost one OMITTED, an open one never CLOSED). */
export function checkStageForecastCategory(kind: StageKind, category: ForecastCategory | null | undefined, field: string): void {
  const allowed = STAGE_CATEGORIES[kind];
  if (category != null && !allowed.includes(category)) throw badField(field, `a ${kind} stage's forecast category must be ${allowed.join(', ')}, not ${category}`);
}
