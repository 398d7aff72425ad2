import type { MigrationInterface, QueryRunner } from 'typeorm';

const RECORD_COLUMNS = `
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  deleted_at timestamptz`;

const isolate = (table: string) => `
  ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;
  ALTER TABLE ${table} FORCE ROW LEVEL SECURITY;
  CREATE POLICY workspace_isolation ON ${table}
    USING (workspace_id = crm_current_workspace())
    WITH CHECK (workspace_id = crm_current_workspace());`;

/**
 * Products (the catalogue) and orders with their lines: the revenue analytics will use. Money is
 * NUMERIC; an order's totals are computed by the server from its lines and stored on the order.
 * Totals are stored exactly as computed, in the currency's minor units ("53.97", "1200" for JPY).
 * SKUs and order numbers are unique per workspace among live rows (case-insensitive).
 */
export class ProductsOrders1763800000013 implements MigrationInterface {
  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE products (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        sku varchar(100) NOT NULL,
        name varchar(200) NOT NULL,
        description text,
        price numeric(19, 4) NOT NULL CHECK (price >= 0),
        currency char(3) NOT NULL,
        active boolean NOT NULL DEFAULT true,
        tags text[] NOT NULL DEFAULT '{}',
        ${RECORD_COLUMNS},
        UNIQUE (workspace_id, id)
      );
      CREATE UNIQUE INDEX products_sku_key ON products (workspace_id, lower(sku)) WHERE deleted_at IS NULL;
      CREATE INDEX products_created_idx ON products (workspace_id, created_at, id);
      CREATE INDEX products_updated_idx ON products (workspace_id, updated_at, id);
      CREATE INDEX products_name_idx ON products (workspace_id, name, id);
      CREATE INDEX products_sku_idx ON products (workspace_id, sku, id);
      CREATE INDEX products_price_idx ON products (workspace_id, price, id);
      CREATE INDEX products_name_prefix_idx ON products (workspace_id, lower(name) text_pattern_ops);
      CREATE INDEX products_sku_prefix_idx ON products (workspace_id, lower(sku) text_pattern_ops);
      CREATE INDEX products_tags_idx ON products USING gin (tags);
      ${isolate('products')}

      CREATE TABLE orders (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        number varchar(50) NOT NULL,
        account_id uuid NOT NULL,
        contact_id uuid,
        order_date date NOT NULL,
        status varchar(10) NOT NULL DEFAULT 'DRAFT'
          CHECK (status IN ('DRAFT', 'CONFIRMED', 'SHIPPED', 'INVOICED', 'PAID', 'CANCELLED')),
        currency char(3) NOT NULL,
        subtotal numeric NOT NULL DEFAULT 0 CHECK (subtotal >= 0),
        discount_total numeric NOT NULL DEFAULT 0 CHECK (discount_total >= 0),
        total numeric NOT NULL DEFAULT 0 CHECK (total >= 0),
        tags text[] NOT NULL DEFAULT '{}',
        ${RECORD_COLUMNS},
        UNIQUE (workspace_id, id),
        FOREIGN KEY (workspace_id, account_id) REFERENCES accounts (workspace_id, id),
        FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id)
      );
      CREATE UNIQUE INDEX orders_number_key ON orders (workspace_id, lower(number)) WHERE deleted_at IS NULL;
      CREATE INDEX orders_created_idx ON orders (workspace_id, created_at, id);
      CREATE INDEX orders_updated_idx ON orders (workspace_id, updated_at, id);
      CREATE INDEX orders_date_idx ON orders (workspace_id, order_date, id);
      CREATE INDEX orders_number_idx ON orders (workspace_id, number, id);
      CREATE INDEX orders_total_idx ON orders (workspace_id, total, id);
      CREATE INDEX orders_number_prefix_idx ON orders (workspace_id, lower(number) text_pattern_ops);
      CREATE INDEX orders_account_idx ON orders (workspace_id, account_id, created_at, id);
      CREATE INDEX orders_contact_idx ON orders (workspace_id, contact_id);
      CREATE INDEX orders_status_idx ON orders (workspace_id, status);
      CREATE INDEX orders_tags_idx ON orders USING gin (tags);
      ${isolate('orders')}

      CREATE TABLE order_lines (
        workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        order_id uuid NOT NULL,
        position integer NOT NULL CHECK (position >= 0),
        product_id uuid NOT NULL,
        quantity numeric(19, 4) NOT NULL CHECK (quantity > 0),
        unit_price numeric(19, 4) NOT NULL CHECK (unit_price >= 0),
        discount_percent numeric(7, 4) NOT NULL DEFAULT 0 CHECK (discount_percent BETWEEN 0 AND 100),
        subtotal numeric NOT NULL CHECK (subtotal >= 0),
        discount_amount numeric NOT NULL CHECK (discount_amount >= 0),
        total numeric NOT NULL CHECK (total >= 0),
        PRIMARY KEY (workspace_id, order_id, position),
        FOREIGN KEY (workspace_id, order_id) REFERENCES orders (workspace_id, id) ON DELETE CASCADE,
        FOREIGN KEY (workspace_id, product_id) REFERENCES products (workspace_id, id)
      );
      CREATE INDEX order_lines_product_idx ON order_lines (workspace_id, product_id);
      ${isolate('order_lines')}`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE order_lines, orders, products;`);
  }
}
