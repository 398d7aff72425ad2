import { keyedText, type FieldSpec } from '../../kernel/filtering/compile-filter';
import type { RecordModel } from '../../kernel/records/record-store';
import { Account } from './account.entity';
import { AccountOrderField, type AccountFilter } from './account.inputs';
import { externalRefsDetail } from '../../kernel/records/external-refs';

export const accountModel: RecordModel<Account, AccountFilter, AccountOrderField> = {
  type: 'Account',
  entity: Account,
  filter: {
    name: keyedText('name'),
    domain: keyedText('domain'),
    industry: { column: 'industry', kind: 'string' },
    city: { column: 'city', kind: 'string' },
    country: { column: 'country', kind: 'string' },
    employeeCount: { column: 'employee_count', kind: 'number' },
    annualRevenue: { column: 'annual_revenue', kind: 'decimal' },
    ownerId: { column: 'owner_id', kind: 'id', idType: 'User' },
    contractRenewalDate: { column: 'contract_renewal_date', kind: 'date' },
    tags: { column: 'tags', kind: 'tags' },
    createdAt: { column: 'created_at', kind: 'datetime' },
    updatedAt: { column: 'updated_at', kind: 'datetime' },
  },
  order: {
    NAME: { column: 'name_key' },
    CREATED_AT: { column: 'created_at' },
    UPDATED_AT: { column: 'updated_at' },
    ANNUAL_REVENUE: { column: 'annual_revenue', nullable: true },
  },
  defaultOrder: { field: AccountOrderField.CREATED_AT, direction: 'DESC' },
  search: ['name', 'domain'],
  // Events show the record's ids in other systems (sync).
  eventDetails: [externalRefsDetail('Account')],
};

/** A text property of the record's account (through its `account_id`), for filters on contacts and deals. */
export const accountField = (accountColumn: 'industry' | 'country'): FieldSpec => ({
  column: 'account_id',
  kind: 'string',
  expression: (accountIdSql) => `SELECT a.${accountColumn} FROM accounts a WHERE a.id = ${accountIdSql}`,
});
