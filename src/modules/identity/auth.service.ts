import { randomUUID } from 'node:crypto';
import { IsNull, type EntityManager } from 'typeorm';
import { hashPassword, verifyPassword } from '../../kernel/auth/passwords';
import { Role } from '../../kernel/auth/roles';
import { signAccessToken, signRefreshToken, verifyRefreshToken, type TokenSettings } from '../../kernel/auth/tokens';
import { RequestContext, type Actor } from '../../kernel/context';
import { DbSession, type TenantScope } from '../../kernel/db/session';
import { appError, unauthenticated } from '../../kernel/errors';
import { decodeId } from '../../kernel/ids';
import { createDefaultPipeline } from '../pipelines';
import type { AuthPayload, SignInInput, SignUpInput } from './identity.inputs';
import { members } from './members.service';
import { Membership } from './membership.entity';
import { RefreshToken } from './refresh-token.entity';
import { User } from './user.entity';
import { Workspace } from './workspace.entity';

// Verifying against a real hash when the email is unknown keeps both answers equally slow.
const DUMMY_HASH = hashPassword(randomUUID());
const INVALID_CREDENTIALS = 'Invalid email or password';

function tokenSettings(ctx: RequestContext): TokenSettings {
  const c = ctx.runtime.config;
  return { secret: c.JWT_SECRET, accessTtlSeconds: c.JWT_ACCESS_TTL_SECONDS, refreshTtlSeconds: c.JWT_REFRESH_TTL_SECONDS };
}

/** Sign-in happens before a workspace is known, so it opens narrowly scoped sessions of its own. */
async function withScope<T>(ctx: RequestContext, scope: TenantScope, work: (em: EntityManager) => Promise<T>): Promise<T> {
  const session = new DbSession(ctx.runtime.dataSource, scope);
  try {
    return await session.write(work);
  } finally {
    await session.close();
  }
}

function findUserByEmail(ctx: RequestContext, email: string): Promise<User | null> {
  return withScope(ctx, { workspaceId: null, userId: null, lookupEmail: email }, (em) =>
    em.getRepository(User).createQueryBuilder('u').addSelect('u.passwordHash').where('lower(u.email) = lower(:email)', { email }).getOne(),
  );
}

/** Issues a token pair, recording the refresh token in the caller's transaction. */
async function issueTokens(ctx: RequestContext, em: EntityManager, actor: Actor): Promise<Omit<AuthPayload, 'user' | 'workspace'>> {
  const settings = tokenSettings(ctx);
  const refresh = signRefreshToken(settings, actor.userId, actor.workspaceId);
  await em.getRepository(RefreshToken).insert({ id: refresh.jti, workspaceId: actor.workspaceId, userId: actor.userId, expiresAt: refresh.expiresAt });
  return {
    token: signAccessToken(settings, { sub: actor.userId, wsp: actor.workspaceId, role: actor.role }),
    tokenExpiresAt: new Date(Date.now() + settings.accessTtlSeconds * 1000),
    refreshToken: refresh.token,
    role: actor.role,
  };
}

async function payload(ctx: RequestContext, actor: Actor, em: EntityManager): Promise<AuthPayload> {
  const tokens = await issueTokens(ctx, em, actor);
  const user = await em.getRepository(User).findOneByOrFail({ id: actor.userId });
  const workspace = await em.getRepository(Workspace).findOneByOrFail({ id: actor.workspaceId });
  return { ...tokens, user, workspace };
}

export const authService = {
  /**
   * Creates a workspace with its default pipeline and makes the caller its admin. An existing
   * user who gives their correct password gets a further workspace; a wrong one is a CONFLICT.
   */
  async signUp(ctx: RequestContext, input: SignUpInput): Promise<AuthPayload> {
    const existing = await findUserByEmail(ctx, input.email);
    if (existing && !(await verifyPassword(existing.passwordHash, input.password))) {
      throw appError('CONFLICT', 'An account with this email already exists; sign in with its password', {
        fields: [{ field: 'email', message: 'is already registered' }],
      });
    }
    const actor: Actor = { userId: existing?.id ?? randomUUID(), workspaceId: randomUUID(), role: Role.ADMIN };
    const scoped = new RequestContext(ctx.runtime, actor, ctx.requestId);
    try {
      return await withScope(ctx, { ...scoped.db.scope, lookupEmail: input.email }, async (em) => {
        if (!existing) {
          const passwordHash = await hashPassword(input.password);
          await em.getRepository(User).insert({ id: actor.userId, email: input.email.trim(), name: input.name.trim(), passwordHash });
        }
        await em.getRepository(Workspace).insert({ id: actor.workspaceId, name: input.workspaceName.trim() });
        await members.insert(scoped, em, { userId: actor.userId, role: Role.ADMIN });
        await createDefaultPipeline(scoped, em);
        return payload(scoped, actor, em);
      });
    } finally {
      await scoped.close();
    }
  },

  async signIn(ctx: RequestContext, input: SignInInput): Promise<AuthPayload> {
    const wanted = input.workspaceId ? decodeId('Workspace', input.workspaceId, 'workspaceId') : null;
    const user = await findUserByEmail(ctx, input.email);
    const valid = await verifyPassword(user?.passwordHash ?? (await DUMMY_HASH), input.password);
    if (!user || !valid) throw unauthenticated(INVALID_CREDENTIALS);
    const memberships = await withScope(ctx, { workspaceId: null, userId: user.id }, (em) =>
      em.getRepository(Membership).find({ where: { userId: user.id, deletedAt: IsNull() }, order: { createdAt: 'ASC' } }),
    );
    const membership = wanted ? memberships.find((m) => m.workspaceId === wanted) : memberships[0];
    if (!membership) throw unauthenticated(wanted ? 'You are not a member of this workspace' : 'You are not a member of any workspace');
    const actor: Actor = { userId: user.id, workspaceId: membership.workspaceId, role: membership.role };
    return withScope(ctx, { workspaceId: actor.workspaceId, userId: actor.userId }, (em) => payload(ctx, actor, em));
  },

  /** Rotates a refresh token. Presenting one that was already used revokes every token of that user. */
  async refresh(ctx: RequestContext, token: string): Promise<AuthPayload> {
    const claims = verifyRefreshToken(tokenSettings(ctx), token);
    if (!claims) throw unauthenticated('Invalid or expired refresh token');
    const scope = { workspaceId: claims.wsp, userId: claims.sub };
    const outcome = await withScope(ctx, scope, async (em) => {
      const tokens = em.getRepository(RefreshToken);
      const stored = await tokens.findOneBy({ id: claims.jti });
      if (!stored || stored.revokedAt || stored.expiresAt < new Date()) return null;
      // Claiming the token in the UPDATE itself: of concurrent presentations only one finds it unused.
      const claimed = await tokens.update({ id: claims.jti, usedAt: IsNull(), revokedAt: IsNull() }, { usedAt: new Date() });
      if (claimed.affected !== 1) {
        await tokens.update({ userId: claims.sub, revokedAt: IsNull() }, { revokedAt: new Date() });
        return null;
      }
      const membership = await em.getRepository(Membership).findOneBy({ userId: claims.sub, workspaceId: claims.wsp });
      if (!membership || membership.deletedAt) return null;
      return payload(ctx, { userId: claims.sub, workspaceId: claims.wsp, role: membership.role }, em);
    });
    if (!outcome) throw unauthenticated('Invalid or expired refresh token');
    return outcome;
  },

  async signOut(ctx: RequestContext, token: string): Promise<boolean> {
    const claims = verifyRefreshToken(tokenSettings(ctx), token);
    if (!claims) return false;
    return withScope(ctx, { workspaceId: claims.wsp, userId: claims.sub }, async (em) => {
      const result = await em.getRepository(RefreshToken).update({ id: claims.jti, revokedAt: IsNull() }, { revokedAt: new Date() });
      return (result.affected ?? 0) > 0;
    });
  },
};
