import argon2 from 'argon2';

// argon2id: memory-hard, the OWASP first choice; the library is maintained and ships prebuilt binaries.
export const hashPassword = (password: string): Promise<string> => argon2.hash(password, { type: argon2.argon2id });

export const verifyPassword = (hash: string, password: string): Promise<boolean> =>
  argon2.verify(hash, password).catch(() => false);
