import { readdirSync } from 'node:fs';
import path from 'node:path';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema, type NonEmptyArray, type PubSub } from 'type-graphql';
import { authChecker } from './kernel/auth/auth-checker';
import { guardRecordReads } from './kernel/auth/read-guard';

const RESOLVER_FILE = /\.resolver\.(ts|js)$/;

/** Every class exported by a `modules/<domain>/*.resolver` file: a domain adds resolvers without a central list. */
function moduleResolvers(): NonEmptyArray<Function> {
  const dir = path.join(__dirname, 'modules');
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => RESOLVER_FILE.test(file) && !file.endsWith('.d.ts'))
    .sort();
  const classes = files.flatMap((file) =>
    Object.values(require(path.join(dir, file)) as Record<string, unknown>).filter(
      (value): value is Function => typeof value === 'function' && /^\s*class\b/.test(value.toString()) && value.name.endsWith('Resolver'),
    ),
  );
  if (classes.length === 0) throw new Error(`no resolvers found under ${dir}`);
  return classes as NonEmptyArray<Function>;
}

/** For a schema that is only printed (`npm run schema`, the schema test): subscribing is refused. */
const PRINT_ONLY: PubSub = {
  publish: () => undefined,
  subscribe: () => {
    throw new Error('This schema was built without pub/sub; subscriptions need the API process');
  },
};

/**
 * The executable schema: one auth checker for every `@Authorized`, class-validator rules on,
 * subscriptions fed by `pubSub` (the API passes its Redis pub/sub), and API keys' read scopes
 * checked on every field by the type it returns (read-guard.ts).
 */
export async function buildCrmSchema(pubSub: PubSub = PRINT_ONLY): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: moduleResolvers(),
    authChecker,
    pubSub,
    authMode: 'error',
    validate: { forbidUnknownValues: false },
  });
  return guardRecordReads(schema);
}

/** The committed SDL (`schema/schema.graphql`): sorted, so it diffs cleanly. */
export function printCrmSchema(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
