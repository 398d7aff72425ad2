import type { DataSource } from 'typeorm';
import type { FieldProblem } from '../../kernel/errors';
import { ID_PREFIXES, type NodeType } from '../../kernel/ids';
import { checkTarget, TargetRefused, type AllowedPrivateRange } from '../../kernel/outbound/target-guard';
import { EVENT_TYPE_HINT, eventFieldsOf, recordTypeOfEventType } from '../record-events';

/** What createWebhook and updateWebhook check; each problem names its input path. */
export interface WebhookShape {
  url?: string | null;
  events?: string[] | null;
  fields?: string[] | null;
  secret?: string | null;
  description?: string | null;
}

export async function webhookProblems(input: WebhookShape, dataSource: DataSource, allowPrivate: readonly AllowedPrivateRange[]): Promise<FieldProblem[]> {
  const problems: FieldProblem[] = [];
  if (input.url != null) {
    if (input.url.length > 2000) problems.push({ field: 'input.url', message: 'must be at most 2000 characters' });
    else {
      await checkTarget(input.url, allowPrivate).catch((error: unknown) => {
        if (!(error instanceof TargetRefused)) throw error;
        problems.push({ field: 'input.url', message: error.message });
      });
    }
  }
  const recordTypes: NodeType[] = [];
  if (input.events != null) {
    if (input.events.length === 0) problems.push({ field: 'input.events', message: 'must name at least one event type (or `*`)' });
    input.events.forEach((type, i) => {
      if (type === '*') return void recordTypes.push(...(Object.keys(ID_PREFIXES) as NodeType[]));
      const recordType = recordTypeOfEventType(type);
      if (recordType) recordTypes.push(recordType);
      else problems.push({ field: `input.events[${i}]`, message: `${EVENT_TYPE_HINT}, or "*"` });
    });
  }
  if (input.fields?.length && input.events != null) {
    const known = eventFieldsOf(dataSource, recordTypes);
    input.fields.forEach((field, i) => {
      if (!known.has(field)) problems.push({ field: `input.fields[${i}]`, message: `is not a field of the records these events are about (${input.events!.join(', ')})` });
    });
  }
  if (input.secret != null && (input.secret.length < 16 || input.secret.length > 200)) {
    problems.push({ field: 'input.secret', message: 'must be 16 to 200 characters' });
  }
  if (input.description != null && input.description.length > 500) problems.push({ field: 'input.description', message: 'must be at most 500 characters' });
  return problems;
}
