/**
 * A starting point for an ERP team syncing with the CRM. Commands:
 *   push <export.json>                 upsert customers, contacts, articles and orders by ERP number
 *   follow [--cursor <file>]           print the CRM's changes since the saved cursor, then save it
 *   register-webhook --url <url> [--events deal.*,account.updated]
 *                                      create a webhook (the key needs webhooks:manage); prints its secret once
 *   receive --port <n> --secret <s>    serve webhook deliveries, verifying each signature
 * Settings: CRM_URL (e.g. http://localhost:4000), CRM_API_KEY (crm_…), ERP_SYSTEM (default "erp").
 * Every output line is one JSON object, so another program can read it.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CrmClient } from './crm-client';
import { followChanges } from './follow-changes';
import { pushExport, type ErpExport } from './push';
import { webhookReceiver } from './webhook-receiver';

const print = (line: unknown): void => {
  process.stdout.write(`${JSON.stringify(line)}\n`);
};

function client(): CrmClient {
  const url = process.env.CRM_URL;
  const key = process.env.CRM_API_KEY;
  if (!url || !key) throw new Error('set CRM_URL and CRM_API_KEY');
  return new CrmClient(url, key);
}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { cursor: { type: 'string', default: '.erp-sync-cursor' }, url: { type: 'string' }, events: { type: 'string', default: '*' }, port: { type: 'string' }, secret: { type: 'string' } },
  });
  const [command, file] = positionals;
  const system = process.env.ERP_SYSTEM ?? 'erp';
  switch (command) {
    case 'push': {
      if (!file) throw new Error('usage: push <export.json>');
      const summaries = await pushExport(client(), system, JSON.parse(readFileSync(file, 'utf8')) as ErpExport);
      summaries.forEach(print);
      print({ done: 'push', failed: summaries.reduce((n, s) => n + s.failed, 0) });
      return;
    }
    case 'follow': {
      const read = await followChanges(client(), values.cursor!, async (change) => {
        print({ change });
      });
      print({ done: 'follow', read });
      return;
    }
    case 'register-webhook': {
      if (!values.url) throw new Error('usage: register-webhook --url <url>');
      const { createWebhook } = await client().mutate<{ createWebhook: { webhook: { id: string }; secret: string } }>(
        `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id } secret } }`,
        { input: { url: values.url, events: values.events!.split(','), description: `${system} sync` } },
      );
      print({ webhookId: createWebhook.webhook.id, secret: createWebhook.secret });
      return;
    }
    case 'receive': {
      if (!values.port || !values.secret) throw new Error('usage: receive --port <n> --secret <s>');
      const server = webhookReceiver(values.secret, (delivery) => print({ verified: delivery.id, type: delivery.type, record: delivery.record }), (reason) => print({ rejected: reason }));
      server.listen(Number(values.port), '127.0.0.1', () => print({ listening: (server.address() as { port: number }).port }));
      process.on('SIGTERM', () => server.close(() => process.exit(0)));
      return;
    }
    default:
      throw new Error('commands: push, follow, register-webhook, receive');
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  print({ error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
