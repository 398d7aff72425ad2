import type { CrmClient } from './crm-client';

/** The ERP's export: its own numbers identify everything; the CRM's ids are never needed. */
export interface ErpExport {
  customers: { number: string; name: string; domain?: string; country?: string; city?: string; street?: string; postalCode?: string }[];
  contacts: { number: string; customer: string; firstName?: string; lastName: string; email?: string; phone?: string }[];
  articles: { sku: string; name: string; price: string; currency: string; active?: boolean }[];
  orders: { number: string; customer: string; contact?: string; date: string; status?: string; currency: string; lines: { sku: string; quantity: string; unitPrice?: string; discountPercent?: string }[] }[];
}

export interface PushSummary {
  object: string;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  errors: { index: number; code: string; message: string; fields: { field: string; message: string }[] }[];
}

/** Items per call: the CRM takes at most 1,000. */
const CHUNK = 1000;

/** Pushes the export in dependency order (customers before their contacts and orders), in bulk calls. */
export async function pushExport(crm: CrmClient, system: string, data: ErpExport): Promise<PushSummary[]> {
  const ref = (id: string) => ({ system, id });
  return [
    await pushAll(crm, 'Account', data.customers.map((c) => ({
      externalRef: ref(c.number), name: c.name, domain: c.domain, country: c.country, city: c.city, street: c.street, postalCode: c.postalCode,
    }))),
    await pushAll(crm, 'Contact', data.contacts.map((c) => ({
      externalRef: ref(c.number), accountRef: ref(c.customer), firstName: c.firstName, lastName: c.lastName, email: c.email, phone: c.phone,
    }))),
    await pushAll(crm, 'Product', data.articles.map((a) => ({
      externalRef: ref(a.sku), sku: a.sku, name: a.name, price: a.price, currency: a.currency, active: a.active ?? true,
    }))),
    await pushAll(crm, 'Order', data.orders.map((o) => ({
      externalRef: ref(o.number), number: o.number, accountRef: ref(o.customer), contactRef: o.contact ? ref(o.contact) : undefined,
      orderDate: o.date, currency: o.currency, status: o.status,
      lines: o.lines.map((l) => ({ productRef: ref(l.sku), quantity: l.quantity, unitPrice: l.unitPrice, discountPercent: l.discountPercent })),
    }))),
  ];
}

async function pushAll(crm: CrmClient, type: string, inputs: Record<string, unknown>[]): Promise<PushSummary> {
  const summary: PushSummary = { object: type, created: 0, updated: 0, unchanged: 0, failed: 0, errors: [] };
  for (let start = 0; start < inputs.length; start += CHUNK) {
    const chunk = inputs.slice(start, start + CHUNK).map(withoutUndefined);
    const mutation = `mutation($inputs: [Upsert${type}Input!]!) {
      result: upsert${type}s(inputs: $inputs) {
        created updated unchanged failed
        items { index status error { code message fields { field message } } }
      }
    }`;
    const { result } = await crm.mutate<{ result: BulkResult }>(mutation, { inputs: chunk });
    summary.created += result.created;
    summary.updated += result.updated;
    summary.unchanged += result.unchanged;
    summary.failed += result.failed;
    for (const item of result.items) if (item.error) summary.errors.push({ index: start + item.index, ...item.error });
  }
  return summary;
}

interface BulkResult {
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  items: { index: number; status: string; error: { code: string; message: string; fields: { field: string; message: string }[] } | null }[];
}

/** Leaves out fields the ERP does not have, so the CRM keeps what it holds for them. */
function withoutUndefined(input: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(input)) as Record<string, unknown>;
}
