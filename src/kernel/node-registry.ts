import type { RequestContext } from './context';
import type { NodeType } from './ids';

type NodeLoader = (ctx: RequestContext, uuid: string) => Promise<object | null>;

const loaders = new Map<NodeType, NodeLoader>();

/** Each module registers how to load its records, so `node(id)` can resolve any id. */
export function registerNodeType(type: NodeType, load: NodeLoader): void {
  loaders.set(type, load);
}

export function nodeLoader(type: NodeType): NodeLoader | undefined {
  return loaders.get(type);
}
