import { keyedText } from '../../kernel/filtering/compile-filter';
import type { RecordModel } from '../../kernel/records/record-store';
import { Pipeline } from './pipeline.entity';
import { PipelineOrderField, type PipelineFilter } from './pipeline.inputs';
import { Stage } from './stage.entity';

export const pipelineModel: RecordModel<Pipeline, PipelineFilter, PipelineOrderField> = {
  type: 'Pipeline',
  entity: Pipeline,
  filter: {
    name: keyedText('name'),
    isDefault: { column: 'is_default', kind: 'boolean' },
    createdAt: { column: 'created_at', kind: 'datetime' },
  },
  order: {
    NAME: { column: 'name_key' },
    CREATED_AT: { column: 'created_at' },
  },
  defaultOrder: { field: PipelineOrderField.CREATED_AT, direction: 'ASC' },
  search: ['name'],
};

/** Stages are read by id or as their pipeline's ordered list, never as a connection of their own. */
export const stageModel: RecordModel<Stage, Record<never, never>, 'POSITION'> = {
  type: 'Stage',
  entity: Stage,
  filter: {},
  order: { POSITION: { column: 'position' } },
  defaultOrder: { field: 'POSITION', direction: 'ASC' },
  search: [],
  references: { pipelineId: 'Pipeline' },
};
