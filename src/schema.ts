import { readdirSync } from 'node:fs';
import path from 'node:path';
import { isObjectType, lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema, getMetadataStorage, type NonEmptyArray, type PubSub } from 'type-graphql';
import { authChecker } from './kernel/auth/auth-checker';
import { guardRecordReads } from './kernel/auth/read-guard';

/**
 * Every resolver class a module's face (`modules/<domain>/index`) exports: a domain adds
 * resolvers without a central list, and the schema sees only what the faces show.
 */
function moduleResolvers(): NonEmptyArray<Function> {
  const dir = path.join(__dirname, 'modules');
  const faces = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const classes = faces.flatMap((face) =>
    Object.values(require(path.join(dir, face)) as Record<string, unknown>).filter(
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
  return guardRecordReads(readPropertiesDirectly(schema));
}

/** A class and the classes it extends, nearest first. */
function lineage(target: Function): Function[] {
  const chain: Function[] = [];
  for (let c: Function | null = target; c && c !== Function.prototype; c = Object.getPrototypeOf(c) as Function | null) chain.push(c);
  return chain;
}

/**
 * type-graphql's `simpleResolvers` for every object type: a field that only reads a plain
 * property of the same name (no field resolver, getter or method, no middleware or roles) gets no
 * resolver of its own, so the executor reads the property inline instead of calling type-graphql's
 * wrapper for every field of every row. What it answers is the same: the property's value.
 */
function readPropertiesDirectly(schema: GraphQLSchema): GraphQLSchema {
  const storage = getMetadataStorage();
  const resolvedByMethod = new Set(storage.fieldResolvers.map((r) => `${r.getObjectType?.().name}.${r.methodName}`));
  for (const objectType of storage.objectTypes) {
    const type = schema.getType(objectType.name);
    if (!isObjectType(type)) continue;
    const classes = lineage(objectType.target);
    for (const [name, field] of Object.entries(type.getFields())) {
      const metadata = classes.map((c) => storage.fields.find((f) => f.target === c && f.schemaName === name)).find(Boolean);
      const plain =
        metadata &&
        metadata.name === name &&
        !metadata.roles?.length &&
        !metadata.middlewares?.length &&
        classes.every((c) => !resolvedByMethod.has(`${c.name}.${name}`) && !Object.getOwnPropertyDescriptor(c.prototype, name));
      if (plain) field.resolve = undefined;
    }
  }
  return schema;
}

/** The committed SDL (`schema/schema.graphql`): sorted, so it diffs cleanly. */
export function printCrmSchema(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
