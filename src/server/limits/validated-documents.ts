import { createHash } from 'node:crypto';
import { InMemoryLRUCache, type KeyValueCache } from '@apollo/utils.keyvaluecache';
import { print, type DocumentNode } from 'graphql';

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Apollo keys its document store `<schema hash>:<sha-256 of the query text>`. */
const textHashOf = (key: string): string => key.slice(key.lastIndexOf(':') + 1);

/**
 * Parsed and validated documents of one server. Apollo uses it as its document store (a hit skips
 * parsing and validation); besides the exact texts it remembers the canonical form (`print`, which
 * drops comments and layout) of every valid document, so a text that differs from a known one only
 * in a comment or in white space is adopted by the guard without being validated again.
 * Both caches are bounded by size (least recently used go first).
 */
export class ValidatedDocuments implements KeyValueCache<DocumentNode> {
  private readonly documents = new InMemoryLRUCache<DocumentNode>({ maxSize: 30 * 2 ** 20 });
  private readonly validForms = new InMemoryLRUCache<string>({ maxSize: 2 ** 20 });

  get(key: string): Promise<DocumentNode | undefined> {
    return this.documents.get(textHashOf(key));
  }

  /** Apollo stores a document once it passed validation. */
  async set(key: string, document: DocumentNode): Promise<void> {
    await this.remember(textHashOf(key), document);
  }

  delete(key: string): Promise<boolean | void> {
    return this.documents.delete(textHashOf(key));
  }

  /** The validated document of exactly this text, if known. */
  known(textHash: string): Promise<DocumentNode | undefined> {
    return this.documents.get(textHash);
  }

  /** Records a document that passed validation, under its text and its canonical form. */
  async remember(textHash: string, document: DocumentNode): Promise<void> {
    await Promise.all([this.documents.set(textHash, document), this.validForms.set(sha256(print(document)), '1')]);
  }

  /** True (and stored under `textHash`) when the document's canonical form was validated before. */
  async adoptIfValid(textHash: string, document: DocumentNode): Promise<boolean> {
    if (!(await this.validForms.get(sha256(print(document))))) return false;
    await this.documents.set(textHash, document);
    return true;
  }
}
