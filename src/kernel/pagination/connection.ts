import { ArgsType, Field, Int, ObjectType, type ClassType } from 'type-graphql';

export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;

/** Page boundaries; a flag that needs its own query (rows beyond the cursor) runs only when asked for. */
@ObjectType()
export class PageInfo {
  constructor(
    private readonly next: () => Promise<boolean> | boolean,
    private readonly previous: () => Promise<boolean> | boolean,
    startCursor: string | null,
    endCursor: string | null,
  ) {
    this.startCursor = startCursor;
    this.endCursor = endCursor;
  }

  @Field(() => Boolean)
  hasNextPage(): Promise<boolean> | boolean {
    return this.next();
  }

  @Field(() => Boolean)
  hasPreviousPage(): Promise<boolean> | boolean {
    return this.previous();
  }

  @Field(() => String, { nullable: true }) startCursor: string | null;
  @Field(() => String, { nullable: true }) endCursor: string | null;
}

@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: `Page size from the start (at most ${MAX_PAGE_SIZE}).` })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;

  @Field(() => Int, { nullable: true, description: `Page size from the end (at most ${MAX_PAGE_SIZE}).` })
  last?: number | null;

  @Field(() => String, { nullable: true })
  before?: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

/** A page of rows; `totalCount` is only counted when a client asks for it. */
@ObjectType()
export abstract class Connection<T> {
  edges: Edge<T>[];

  @Field(() => PageInfo)
  pageInfo: PageInfo;

  countRows: () => Promise<number>;

  @Field(() => Int, { description: 'Rows matching the filter and search, over all pages.' })
  totalCount(): Promise<number> {
    return this.countRows();
  }
}

/** Declares `<Name>Connection` and `<Name>Edge` for a node type. */
export function connectionType<T extends object>(nodeType: ClassType<T>, name: string): ClassType<Connection<T>> {
  @ObjectType(`${name}Edge`)
  class NodeEdge implements Edge<T> {
    @Field() cursor: string;
    @Field(() => nodeType) node: T;
  }

  @ObjectType(`${name}Connection`)
  class NodeConnection extends Connection<T> {
    @Field(() => [NodeEdge])
    declare edges: NodeEdge[];
  }
  return NodeConnection;
}
