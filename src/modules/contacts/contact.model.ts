import { keyedText } from '../../kernel/filtering/compile-filter';
import { accountField } from '../accounts';
import type { RecordModel } from '../../kernel/records/record-store';
import { Contact } from './contact.entity';
import { ContactOrderField, type ContactFilter } from './contact.inputs';
import { externalRefsDetail } from '../../kernel/records/external-refs';

export const contactModel: RecordModel<Contact, ContactFilter, ContactOrderField> = {
  type: 'Contact',
  entity: Contact,
  filter: {
    firstName: keyedText('first_name'),
    lastName: keyedText('last_name'),
    email: keyedText('email'),
    jobTitle: { column: 'job_title', kind: 'string' },
    city: { column: 'city', kind: 'string' },
    country: { column: 'country', kind: 'string' },
    region: { column: 'region', kind: 'string' },
    postalCode: keyedText('postal_code'),
    source: { column: 'source', kind: 'string' },
    accountIndustry: accountField('industry'),
    accountId: { column: 'account_id', kind: 'id', idType: 'Account' },
    ownerId: { column: 'owner_id', kind: 'id', idType: 'User' },
    birthday: { column: 'birthday', kind: 'date' },
    tags: { column: 'tags', kind: 'tags' },
    createdAt: { column: 'created_at', kind: 'datetime' },
    updatedAt: { column: 'updated_at', kind: 'datetime' },
  },
  order: {
    LAST_NAME: { column: 'last_name_key' },
    FIRST_NAME: { column: 'first_name_key', nullable: true },
    CREATED_AT: { column: 'created_at' },
    UPDATED_AT: { column: 'updated_at' },
  },
  defaultOrder: { field: ContactOrderField.CREATED_AT, direction: 'DESC' },
  search: ['firstName', 'lastName', 'email'],
  // Events show the record's ids in other systems (sync).
  eventDetails: [externalRefsDetail('Contact')],
};
