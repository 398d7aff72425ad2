import {
  GraphQLError,
  Kind,
  Lexer,
  Source,
  TokenKind,
  parse,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import type { Config } from '../../config/config';
import { badField } from '../../kernel/errors';
import { nulCharacter } from './input-values';
import { overLimit } from './operation-limits';
import { sha256, type ValidatedDocuments } from './validated-documents';

/** Bounds on a query text, all checked in one linear pass each, before the text is validated. */
export interface DocumentLimits {
  maxBytes: number;
  maxTokens: number;
  maxAliases: number;
  /** How often one response name may be selected in one selection set (fragments included). */
  maxRepeatedFields: number;
  maxDirectives: number;
  maxDepth: number;
  /** Nesting of lists and input objects in an argument or a variable. */
  maxInputDepth: number;
}

export function documentLimits(config: Config): DocumentLimits {
  return {
    maxBytes: config.GRAPHQL_MAX_DOCUMENT_BYTES,
    maxTokens: config.GRAPHQL_MAX_TOKENS,
    maxAliases: config.GRAPHQL_MAX_ALIASES,
    maxRepeatedFields: config.GRAPHQL_MAX_REPEATED_FIELDS,
    maxDirectives: config.GRAPHQL_MAX_DIRECTIVES,
    maxDepth: config.GRAPHQL_MAX_DEPTH,
    maxInputDepth: config.GRAPHQL_MAX_INPUT_DEPTH,
  };
}

/** What screening a query text found. */
export type Screening =
  | { kind: 'refused'; error: GraphQLError }
  /** A syntax error, answered like any other. */
  | { kind: 'unparsable'; error: GraphQLError }
  /** Within every limit; `validated` when this text or one differing only in comments and layout passed validation before. */
  | { kind: 'parsed'; document: DocumentNode; textHash: string; validated: boolean };

const OPENING = new Set<TokenKind>([TokenKind.BRACE_L, TokenKind.BRACKET_L, TokenKind.PAREN_L]);
const CLOSING = new Set<TokenKind>([TokenKind.BRACE_R, TokenKind.BRACKET_R, TokenKind.PAREN_R]);

/**
 * Limits before the expensive work. graphql-js's validation has rules whose cost grows with the
 * square of repeated fields (OverlappingFieldsCanBeMerged), and its parser recurses per level, so
 * a 100 KB text could hold a process for a minute. The guard measures the text first: its size,
 * then (with graphql-js's own lexer) its tokens and how deep its brackets nest, then, parsed,
 * aliases, directives, repeated response names per selection set, field depth and the nesting and
 * NUL characters of literal inputs. Each step is linear, so a refusal takes milliseconds. Texts it
 * has seen validated are answered from `documents` without parsing.
 */
export class DocumentGuard {
  /** Brackets: selection sets, arguments and input values together. */
  private readonly maxNesting: number;

  constructor(
    private readonly limits: DocumentLimits,
    readonly documents: ValidatedDocuments,
  ) {
    this.maxNesting = 2 * (limits.maxDepth + limits.maxInputDepth);
  }

  async screen(source: string): Promise<Screening> {
    const textHash = sha256(source);
    const known = await this.documents.known(textHash);
    if (known) return { kind: 'parsed', document: known, textHash, validated: true };
    const bytes = Buffer.byteLength(source);
    const { maxBytes } = this.limits;
    if (bytes > maxBytes) return refused(overLimit('bytes', bytes, maxBytes, `Query text of ${bytes} bytes exceeds the limit of ${maxBytes}`));
    const lexed = this.lex(source);
    if (lexed) return lexed;
    let document: DocumentNode;
    try {
      document = parse(source);
    } catch (error) {
      if (error instanceof GraphQLError) return { kind: 'unparsable', error };
      throw error;
    }
    const problem = new DocumentInspector(this.limits, document, this.maxNesting).problem();
    if (problem) return refused(problem);
    return { kind: 'parsed', document, textHash, validated: await this.documents.adoptIfValid(textHash, document) };
  }

  /** Counts tokens and bracket nesting without building anything (comments are not tokens). */
  private lex(source: string): Screening | null {
    const lexer = new Lexer(new Source(source));
    let tokens = 0;
    let nesting = 0;
    let deepest = 0;
    try {
      for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
        tokens += 1;
        if (OPENING.has(token.kind)) deepest = Math.max(deepest, ++nesting);
        else if (CLOSING.has(token.kind)) nesting -= 1;
      }
    } catch (error) {
      if (error instanceof GraphQLError) return { kind: 'unparsable', error };
      throw error;
    }
    const { maxTokens } = this.limits;
    if (tokens > maxTokens) return refused(overLimit('tokens', tokens, maxTokens, `Query of ${tokens} tokens exceeds the limit of ${maxTokens}`));
    if (deepest > this.maxNesting) {
      return refused(overLimit('nesting', deepest, this.maxNesting, `Query brackets nested ${deepest} deep exceed the limit of ${this.maxNesting}`));
    }
    return null;
  }
}

const refused = (error: GraphQLError): Screening => ({ kind: 'refused', error });

const INTROSPECTION = new Set(['__schema', '__type']);

/**
 * Two walks over a parsed document, finding the first limit it breaks. The first visits every node
 * of the text once: aliases, directives, literal inputs (nesting, NUL characters) and which
 * fragments spread which (a cycle is refused here, as validation would). The second follows each
 * operation as it would execute, fragments expanded and fields of one response name merged (as
 * graphql-js merges them, and compares them pairwise while validating): how often one response
 * name is selected in one merged selection set, how many fields the expansion holds, and the
 * depth. Recursion is bounded by the bracket nesting the lexer checked and by the expansion budget.
 */
class DocumentInspector {
  private aliases = 0;
  private directives = 0;
  private expanded = 0;
  private found: GraphQLError | null = null;
  private readonly fragments = new Map<string, FragmentDefinitionNode>();
  /** Fragment name → the fragments its text spreads. */
  private readonly spreads = new Map<string, Set<string>>();
  /** Fields an operation may hold once its fragments are expanded. */
  private readonly maxExpanded: number;
  private readonly maxLevels: number;

  constructor(
    private readonly limits: DocumentLimits,
    private readonly document: DocumentNode,
    maxNesting: number,
  ) {
    this.maxExpanded = 2 * limits.maxTokens;
    this.maxLevels = maxNesting;
  }

  problem(): GraphQLError | null {
    this.walkText();
    this.found ??= this.fragmentCycle();
    const { maxAliases, maxDirectives, maxDepth } = this.limits;
    for (const definition of this.document.definitions) {
      if (this.found || definition.kind !== Kind.OPERATION_DEFINITION) continue;
      const depth = this.merged([definition.selectionSet], 1);
      if (!this.found && depth > maxDepth) this.found = overLimit('depth', depth, maxDepth);
    }
    if (this.found) return this.found;
    if (this.aliases > maxAliases) return overLimit('aliases', this.aliases, maxAliases, `Query has ${this.aliases} aliases; the limit is ${maxAliases}`);
    if (this.directives > maxDirectives) {
      return overLimit('directives', this.directives, maxDirectives, `Query has ${this.directives} directives; the limit is ${maxDirectives}`);
    }
    return null;
  }

  private walkText(): void {
    let fragment: string | null = null;
    visit(this.document, {
      FragmentDefinition: {
        enter: (node) => {
          fragment = node.name.value;
          this.fragments.set(fragment, node);
          this.spreads.set(fragment, new Set());
        },
        leave: () => {
          fragment = null;
        },
      },
      FragmentSpread: (node) => {
        if (fragment) this.spreads.get(fragment)!.add(node.name.value);
      },
      Field: (node) => {
        if (node.alias) this.aliases += 1;
      },
      Directive: () => {
        this.directives += 1;
      },
      VariableDefinition: (node) => {
        if (node.defaultValue) this.value(node.defaultValue, node.variable.name.value, 1);
      },
      Argument: (node) => {
        this.value(node.value, node.name.value, 1);
        return false;
      },
    });
  }

  /** A fragment that spreads itself, directly or through others. */
  private fragmentCycle(): GraphQLError | null {
    const done = new Set<string>();
    const active = new Set<string>();
    const cycleFrom = (name: string): string | null => {
      if (active.has(name)) return name;
      if (done.has(name) || !this.spreads.has(name)) return null;
      active.add(name);
      for (const next of this.spreads.get(name)!) {
        const cycle = cycleFrom(next);
        if (cycle) return cycle;
      }
      active.delete(name);
      done.add(name);
      return null;
    };
    for (const name of this.spreads.keys()) {
      const cycle = cycleFrom(name);
      if (cycle) return badField('query', `Fragment "${cycle}" spreads itself`);
    }
    return null;
  }

  /**
   * Selection sets that merge (the root, or the sets of every field of one response name): their
   * fields grouped by response name, each group checked and followed. Returns the depth below.
   */
  private merged(sets: SelectionSetNode[], level: number): number {
    const groups = new Map<string, FieldNode[]>();
    const collect = (set: SelectionSetNode): void => {
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD) {
          const key = selection.alias?.value ?? selection.name.value;
          const group = groups.get(key);
          if (group) group.push(selection);
          else groups.set(key, [selection]);
          this.expanded += 1;
        } else if (selection.kind === Kind.INLINE_FRAGMENT) collect(selection.selectionSet);
        else {
          const definition = this.fragments.get(selection.name.value);
          if (definition) collect(definition.selectionSet);
        }
        if (this.expanded > this.maxExpanded) return;
      }
    };
    for (const set of sets) collect(set);
    if (this.expanded > this.maxExpanded) {
      this.found = overLimit('fields', this.expanded, this.maxExpanded, `Query selects more than ${this.maxExpanded} fields once its fragments are expanded`);
      return 0;
    }
    if (level > this.maxLevels) {
      this.found = overLimit('nesting', level, this.maxLevels, `Query fields nested ${level} deep exceed the limit of ${this.maxLevels}`);
      return 0;
    }
    const { maxRepeatedFields } = this.limits;
    let depth = 0;
    for (const [key, fields] of groups) {
      if (fields.length > maxRepeatedFields) {
        this.found = overLimit('repeatedFields', fields.length, maxRepeatedFields, `"${key}" is selected ${fields.length} times in one selection set; the limit is ${maxRepeatedFields}`);
        return 0;
      }
      const below = fields.flatMap((field) => (field.selectionSet ? [field.selectionSet] : []));
      const inner = below.length ? this.merged(below, level + 1) : 0;
      if (this.found) return 0;
      // Introspection is neither measured nor charged (as in the complexity measure).
      depth = Math.max(depth, INTROSPECTION.has(fields[0].name.value) ? 0 : inner + 1);
    }
    return depth;
  }

  /** A literal input: nesting within bounds, no NUL character (PostgreSQL cannot store one). */
  private value(node: ValueNode, path: string, depth: number): void {
    if (this.found) return;
    if (node.kind === Kind.STRING && node.value.includes('\u0000')) this.found = nulCharacter(path);
    if (node.kind !== Kind.LIST && node.kind !== Kind.OBJECT) return;
    const { maxInputDepth } = this.limits;
    if (depth > maxInputDepth) {
      this.found = overLimit('inputDepth', depth, maxInputDepth, `${path} is nested ${depth} deep; the limit is ${maxInputDepth}`, path);
      return;
    }
    if (node.kind === Kind.LIST) node.values.forEach((item, index) => this.value(item, `${path}[${index}]`, depth + 1));
    else for (const field of node.fields) this.value(field.value, `${path}.${field.name.value}`, depth + 1);
  }
}
