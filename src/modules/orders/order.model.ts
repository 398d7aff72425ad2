import { keyedText } from '../../kernel/filtering/compile-filter';
import { RecordStore, type RecordModel } from '../../kernel/records/record-store';
import { Order } from './order.entity';
import { OrderOrderField, type OrderFilter } from './order.inputs';
import { linesDetail } from './order-lines';
import { externalRefsDetail } from '../../kernel/records/external-refs';

export const orderModel: RecordModel<Order, OrderFilter, OrderOrderField> = {
  type: 'Order',
  entity: Order,
  filter: {
    number: keyedText('number'),
    status: { column: 'status', kind: 'enum' },
    currency: { column: 'currency', kind: 'string' },
    total: { column: 'total', kind: 'decimal' },
    orderDate: { column: 'order_date', kind: 'date' },
    accountId: { column: 'account_id', kind: 'id', idType: 'Account' },
    contactId: { column: 'contact_id', kind: 'id', idType: 'Contact' },
    tags: { column: 'tags', kind: 'tags' },
    createdAt: { column: 'created_at', kind: 'datetime' },
    updatedAt: { column: 'updated_at', kind: 'datetime' },
  },
  order: {
    CREATED_AT: { column: 'created_at' },
    UPDATED_AT: { column: 'updated_at' },
    ORDER_DATE: { column: 'order_date' },
    NUMBER: { column: 'number_key' },
    TOTAL: { column: 'total' },
  },
  defaultOrder: { field: OrderOrderField.CREATED_AT, direction: 'DESC' },
  search: ['number'],
  // An order's events carry its lines, so the change feed and analytics see what was sold, and its ids in other systems.
  eventDetails: [linesDetail, externalRefsDetail('Order')],
};

export const orders = new RecordStore(orderModel);
