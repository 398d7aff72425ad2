import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, Int, ObjectType } from 'type-graphql';
import type { RequestContext } from '../../kernel/context';
import { decodeId, encodeId } from '../../kernel/ids';
import { AUTOMATION_OBJECTS, type AnyRecord } from './automation-objects';
import { conditionHolds } from './automation-runs.service';
import { AutomationActionType } from './automation.enums';
import { automationService } from './automation.service';
import { asActionError } from './automation-runner';
import { ACTIONS } from './actions/registry';

@ObjectType({ description: 'What one action would do: e.g. fields before and after, the task or note, the webhook request.' })
export class AutomationActionPreview {
  @Field(() => Int) index: number;
  @Field(() => AutomationActionType) type: AutomationActionType;
  @Field(() => GraphQLJSONObject, { nullable: true }) wouldDo: Record<string, unknown> | null;
  @Field(() => String, { nullable: true, description: 'Why it would fail, e.g. NO_RECIPIENT.' }) errorCode: string | null;
  @Field(() => String, { nullable: true }) errorMessage: string | null;
}

@ObjectType({ description: 'An automation tried on a record without writing or calling anything.' })
export class AutomationDryRun {
  @Field(() => Int, { description: 'The version tried (the current one).' }) version: number;
  @Field({ description: 'Whether the record matches the condition now; the actions are shown either way.' }) conditionMatched: boolean;
  @Field(() => [AutomationActionPreview]) actions: AutomationActionPreview[];
}

/** Plans every action of the current version on the record; plans only read, so nothing changes. */
export async function dryRunAutomation(ctx: RequestContext, automationId: string, recordId: string): Promise<AutomationDryRun> {
  const automation = await automationService.get(ctx, automationId);
  const { definition } = automation;
  const object = AUTOMATION_OBJECTS[definition.trigger.objectType];
  const record = (await object.store.require(ctx, decodeId(object.nodeType, recordId, 'recordId'))) as AnyRecord;
  const conditionMatched = await ctx.db.read((em) => conditionHolds(ctx, em, object, definition.condition, record.id));
  const actions: AutomationActionPreview[] = [];
  for (const [index, action] of definition.actions.entries()) {
    const target = { object, record, automation: { id: encodeId('Automation', automation.id), name: automation.name, version: automation.version }, run: null, index };
    try {
      actions.push({ index, type: action.type, wouldDo: await ACTIONS[action.type].plan(ctx, target, action.settings), errorCode: null, errorMessage: null });
    } catch (error) {
      const failure = asActionError(error);
      actions.push({ index, type: action.type, wouldDo: null, errorCode: failure.code, errorMessage: failure.message });
    }
  }
  return { version: automation.version, conditionMatched, actions };
}
