import { readFileSync } from 'node:fs';
import { SCHEMA_FILE } from '../src/cli/emit-schema';
import { buildCrmSchema, printCrmSchema } from '../src/schema';

test('schema/schema.graphql is the schema the code builds (run `npm run schema` after changing the API)', async () => {
  const committed = readFileSync(SCHEMA_FILE, 'utf8');
  expect(printCrmSchema(await buildCrmSchema())).toBe(committed);
});
