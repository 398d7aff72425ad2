import { keyedText } from '../../kernel/filtering/compile-filter';
import { accountField } from '../accounts';
import { RecordStore, type RecordModel } from '../../kernel/records/record-store';
import { Deal } from './deal.entity';
import { DealOrderField, type DealFilter } from './deal.inputs';
import { externalRefsDetail } from '../../kernel/records/external-refs';

export const dealModel: RecordModel<Deal, DealFilter, DealOrderField> = {
  type: 'Deal',
  entity: Deal,
  filter: {
    name: keyedText('name'),
    currency: { column: 'currency', kind: 'string' },
    amount: { column: 'amount', kind: 'decimal' },
    status: { column: 'status', kind: 'enum' },
    source: { column: 'source', kind: 'string' },
    accountIndustry: accountField('industry'),
    accountCountry: accountField('country'),
    pipelineId: { column: 'pipeline_id', kind: 'id', idType: 'Pipeline' },
    stageId: { column: 'stage_id', kind: 'id', idType: 'Stage' },
    accountId: { column: 'account_id', kind: 'id', idType: 'Account' },
    primaryContactId: { column: 'primary_contact_id', kind: 'id', idType: 'Contact' },
    ownerId: { column: 'owner_id', kind: 'id', idType: 'User' },
    expectedCloseDate: { column: 'expected_close_date', kind: 'date' },
    closedAt: { column: 'closed_at', kind: 'datetime' },
    tags: { column: 'tags', kind: 'tags' },
    createdAt: { column: 'created_at', kind: 'datetime' },
    updatedAt: { column: 'updated_at', kind: 'datetime' },
  },
  order: {
    CREATED_AT: { column: 'created_at' },
    UPDATED_AT: { column: 'updated_at' },
    NAME: { column: 'name_key' },
    AMOUNT: { column: 'amount' },
    EXPECTED_CLOSE_DATE: { column: 'expected_close_date', nullable: true },
  },
  defaultOrder: { field: DealOrderField.CREATED_AT, direction: 'DESC' },
  search: ['name'],
  // Events show the record's ids in other systems (sync).
  eventDetails: [externalRefsDetail('Deal')],
};

/** The deals store; it lives beside the model so every deal service file can share it without import cycles. */
export const deals = new RecordStore(dealModel);
