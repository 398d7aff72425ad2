import { TestApp, errorCode, errorFields, type Session } from './support/test-app';

const PRODUCT = 'id sku name description price currency active tags version deletedAt';

let t: TestApp;
let admin: Session;
let seller: Session;
let other: Session;

const createProduct = (input: Record<string, unknown>, who: Session = admin) =>
  t.gql(`mutation($input: CreateProductInput!) { createProduct(input: $input) { ${PRODUCT} } }`, { input }, who);

async function newProduct(input: Record<string, unknown>) {
  const result = await createProduct(input);
  expect(result.errors).toBeUndefined();
  return result.data!.createProduct;
}

const updateProduct = (id: string, input: Record<string, unknown>, v?: number) =>
  t.gql(`mutation($id: ID!, $input: ProductInput!, $v: Int) { updateProduct(id: $id, input: $input, expectedVersion: $v) { ${PRODUCT} } }`, { id, input, v }, admin);

beforeAll(async () => {
  t = await TestApp.start('products');
  admin = await t.signUp();
  seller = await t.member(admin, 'SALES');
  other = await t.signUp('Other GmbH');
});
afterAll(() => t.stop());

describe('products: create, read, update, trash', () => {
  test('defaults: the workspace currency, active, no tags; the price is exact', async () => {
    const product = await newProduct({ sku: ' SKU-1 ', name: 'Widget', price: '19.99' });
    expect(product).toMatchObject({ sku: 'SKU-1', name: 'Widget', price: '19.9900', currency: 'EUR', active: true, tags: [], version: 1 });
    expect(product.id).toMatch(/^prd_[0-9a-f]{32}$/);
    const read = await t.ok(`query($id: ID!) { product(id: $id) { sku } node(id: $id) { ... on Product { name } } }`, { id: product.id }, admin);
    expect(read).toEqual({ product: { sku: 'SKU-1' }, node: { name: 'Widget' } });
  });

  test('a SKU is unique among live products, ignoring case: CONFLICT naming sku; free again once trashed', async () => {
    const first = await newProduct({ sku: 'DUP-1', name: 'First', price: '1' });
    const again = await createProduct({ sku: 'dup-1', name: 'Second', price: '2' });
    expect(errorCode(again)).toBe('CONFLICT');
    expect(errorFields(again)).toEqual(['sku']);
    const renamed = await newProduct({ sku: 'DUP-2', name: 'Third', price: '2' });
    const clash = await updateProduct(renamed.id, { sku: 'DUP-1' });
    expect(errorFields(clash)).toEqual(['sku']);
    await t.ok(`mutation($id: ID!) { deleteProduct(id: $id) { id } }`, { id: first.id }, admin);
    await newProduct({ sku: 'DUP-1', name: 'Fourth', price: '3' });
    const restore = await t.gql(`mutation($id: ID!) { restoreProduct(id: $id) { id } }`, { id: first.id }, admin);
    expect(errorCode(restore)).toBe('CONFLICT');
  });

  test('bad input names its field: negative price, blank sku, unknown currency', async () => {
    for (const [input, field] of [
      [{ sku: 'B-1', name: 'x', price: '-1' }, 'price'],
      [{ sku: '  ', name: 'x', price: '1' }, 'sku'],
      [{ sku: 'B-2', name: 'x', price: '1', currency: 'XYZ' }, 'currency'],
      [{ sku: 'B-3', name: 'x', price: '1.5.0' }, 'price'],
    ] as const) {
      const result = await createProduct(input);
      expect(errorCode(result)).toBe('BAD_USER_INPUT');
      expect(errorFields(result).join(',')).toContain(field);
    }
  });

  test('update with expectedVersion; a stale one is CONFLICT with the current version and changes nothing', async () => {
    const product = await newProduct({ sku: 'V-1', name: 'Versioned', price: '10', tags: ['a'] });
    const updated = await updateProduct(product.id, { price: '12.50', active: false, description: 'new' }, 1);
    expect(updated.data!.updateProduct).toMatchObject({ price: '12.5000', active: false, description: 'new', version: 2, tags: ['a'] });
    const stale = await updateProduct(product.id, { price: '99' }, 1);
    expect(errorCode(stale)).toBe('CONFLICT');
    expect(stale.errors![0].extensions!.currentVersion).toBe(2);
    expect((await t.ok(`query($id: ID!) { product(id: $id) { price } }`, { id: product.id }, admin)).product.price).toBe('12.5000');
  });

  test('list: filters, order, search, trash', async () => {
    await newProduct({ sku: 'L-A', name: 'Apple', price: '5', tags: ['fruit'] });
    await newProduct({ sku: 'L-B', name: 'Banana', price: '3', tags: ['fruit'], currency: 'USD' });
    const gone = await newProduct({ sku: 'L-C', name: 'Cherry', price: '8', tags: ['fruit'], active: false });
    await t.ok(`mutation($id: ID!) { deleteProduct(id: $id) { id } }`, { id: gone.id }, admin);
    const list = async (args: string) =>
      (await t.ok(`{ products(${args}) { totalCount edges { node { sku } } } }`, {}, admin)).products.edges.map((e: any) => e.node.sku);
    expect(await list(`filter: { tags: { has: "fruit" } }`)).toEqual(['L-A', 'L-B']);
    expect(await list(`filter: { tags: { has: "fruit" } }, withDeleted: true, orderBy: [{ field: PRICE, direction: DESC }]`)).toEqual(['L-C', 'L-A', 'L-B']);
    expect(await list(`filter: { price: { lt: "4" }, currency: { eq: "USD" } }`)).toEqual(['L-B']);
    expect(await list(`filter: { active: { eq: false } }, withDeleted: true`)).toEqual(expect.arrayContaining(['L-C']));
    expect(await list(`search: "ban"`)).toEqual(['L-B']);
    expect(await list(`search: "l-"`)).toEqual(['L-A', 'L-B']);
  });

  test('changes write product events with before and after', async () => {
    const product = await newProduct({ sku: 'E-1', name: 'Evented', price: '1.00' });
    await updateProduct(product.id, { price: '2.00' });
    const events = await t.ok(
      `query($id: ID!) { recordEvents(recordId: $id) { edges { node { type changed before after } } } }`,
      { id: product.id },
      admin,
    );
    const nodes = events.recordEvents.edges.map((e: any) => e.node);
    expect(nodes.map((n: any) => n.type)).toEqual(['product.created', 'product.updated']);
    expect(nodes[1].changed).toEqual(['price']);
    expect([nodes[1].before.price, nodes[1].after.price]).toEqual(['1.0000', '2.0000']);
  });
});

describe('products: roles and tenancy', () => {
  test('a sales rep reads the catalogue but may not change it', async () => {
    expect(errorCode(await createProduct({ sku: 'R-1', name: 'x', price: '1' }, seller))).toBe('FORBIDDEN');
    expect((await t.ok(`{ products { totalCount } }`, {}, seller)).products.totalCount).toBeGreaterThan(0);
  });

  test('another workspace neither sees nor changes a product, and may use the same SKU', async () => {
    const product = await newProduct({ sku: 'T-1', name: 'Mine', price: '1' });
    expect(errorCode(await t.gql(`query($id: ID!) { product(id: $id) { id } }`, { id: product.id }, other))).toBe('NOT_FOUND');
    const foreignUpdate = await t.gql(`mutation($id: ID!) { updateProduct(id: $id, input: { name: "x" }) { id } }`, { id: product.id }, other);
    expect(errorCode(foreignUpdate)).toBe('NOT_FOUND');
    expect((await t.ok(`{ products { totalCount } }`, {}, other)).products.totalCount).toBe(0);
    const theirs = await createProduct({ sku: 'T-1', name: 'Theirs', price: '1' }, other);
    expect(theirs.errors).toBeUndefined();
  });
});
