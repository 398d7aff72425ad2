import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildCrmSchema, printCrmSchema } from '../schema';

export const SCHEMA_FILE = path.resolve(__dirname, __filename.endsWith('.ts') ? '../../schema/schema.graphql' : '../../../schema/schema.graphql');

/** Writes schema/schema.graphql from the code; a test fails when the committed file is stale. */
async function main(): Promise<void> {
  const sdl = printCrmSchema(await buildCrmSchema());
  writeFileSync(SCHEMA_FILE, sdl);
  process.stdout.write(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)} (${sdl.split('\n').length} lines)\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${String((error as Error).stack ?? error)}\n`);
    process.exit(1);
  });
}
