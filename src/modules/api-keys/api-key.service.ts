import DataLoader from 'dataloader';
import { In } from 'typeorm';
import { API_KEY_SCOPES } from '../../kernel/auth/api-key-scopes';
import type { RequestContext } from '../../kernel/context';
import { badInput, notFound, type FieldProblem } from '../../kernel/errors';
import { ApiKey, CreatedApiKey } from './api-key.entity';
import type { CreateApiKeyInput } from './api-key.inputs';
import { newToken } from './api-key-tokens';

function keyLoader(ctx: RequestContext): DataLoader<string, ApiKey | null> {
  return ctx.loader('ApiKey:byId', () =>
    new DataLoader<string, ApiKey | null>(async (ids) => {
      const rows = await ctx.db.read((em) => em.getRepository(ApiKey).findBy({ id: In([...ids]) }));
      return ids.map((id) => rows.find((row) => row.id === id) ?? null);
    }),
  );
}

function problemsOf(input: CreateApiKeyInput): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const name = input.name.trim();
  if (!name || name.length > 200) problems.push({ field: 'input.name', message: 'must be 1 to 200 characters' });
  if (input.scopes.length === 0) problems.push({ field: 'input.scopes', message: 'must name at least one scope' });
  input.scopes.forEach((scope, i) => {
    if (!API_KEY_SCOPES.includes(scope)) problems.push({ field: `input.scopes[${i}]`, message: `unknown scope; one of ${API_KEY_SCOPES.join(', ')}` });
  });
  if (input.expiresAt && input.expiresAt <= new Date()) problems.push({ field: 'input.expiresAt', message: 'must be in the future' });
  return problems;
}

export const apiKeyService = {
  /** Creates a key and returns its token this once; only the token's hash is stored. */
  async create(ctx: RequestContext, input: CreateApiKeyInput): Promise<CreatedApiKey> {
    const problems = problemsOf(input);
    if (problems.length > 0) throw badInput(problems);
    const { token, lookupPrefix, secretHash } = newToken();
    const apiKey = await ctx.db.write(async (em) => {
      const repo = em.getRepository(ApiKey);
      const { id } = await repo.save(
        repo.create({
          workspaceId: ctx.workspaceId,
          name: input.name.trim(),
          lookupPrefix,
          secretHash,
          scopes: [...new Set(input.scopes)],
          createdByUuid: ctx.member.userId,
          expiresAt: input.expiresAt ?? null,
        }),
      );
      return repo.findOneByOrFail({ id });
    });
    return Object.assign(new CreatedApiKey(), { apiKey, token });
  },

  list(ctx: RequestContext): Promise<ApiKey[]> {
    return ctx.db.read((em) => em.getRepository(ApiKey).find({ order: { createdAt: 'ASC', id: 'ASC' } }));
  },

  /** Revokes a key (once; revoking again keeps the first time). The next request with it is refused. */
  async revoke(ctx: RequestContext, id: string): Promise<ApiKey> {
    return ctx.db.write(async (em) => {
      const repo = em.getRepository(ApiKey);
      const key = await repo.findOneBy({ id });
      if (!key) throw notFound('ApiKey');
      if (!key.revokedAt) await repo.update({ id }, { revokedAt: new Date() });
      return repo.findOneByOrFail({ id });
    });
  },

  /** For a record event's `actorApiKey`: a key of this workspace, batched per request. */
  load(ctx: RequestContext, id: string | null): Promise<ApiKey | null> {
    return id ? keyLoader(ctx).load(id) : Promise.resolve(null);
  },
};
