import { keyedText } from '../../kernel/filtering/compile-filter';
import { RecordStore, type RecordModel } from '../../kernel/records/record-store';
import { Product } from './product.entity';
import { ProductOrderField, type ProductFilter } from './product.inputs';
import { externalRefsDetail } from '../../kernel/records/external-refs';

export const productModel: RecordModel<Product, ProductFilter, ProductOrderField> = {
  type: 'Product',
  entity: Product,
  filter: {
    sku: keyedText('sku'),
    name: keyedText('name'),
    price: { column: 'price', kind: 'decimal' },
    currency: { column: 'currency', kind: 'string' },
    active: { column: 'active', kind: 'boolean' },
    tags: { column: 'tags', kind: 'tags' },
    createdAt: { column: 'created_at', kind: 'datetime' },
    updatedAt: { column: 'updated_at', kind: 'datetime' },
  },
  order: {
    SKU: { column: 'sku_key' },
    NAME: { column: 'name_key' },
    PRICE: { column: 'price' },
    CREATED_AT: { column: 'created_at' },
    UPDATED_AT: { column: 'updated_at' },
  },
  defaultOrder: { field: ProductOrderField.SKU, direction: 'ASC' },
  search: ['sku', 'name'],
  // Events show the record's ids in other systems (sync).
  eventDetails: [externalRefsDetail('Product')],
};

export const products = new RecordStore(productModel);
