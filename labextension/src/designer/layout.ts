/**
 * Document edits the canvas makes: fresh ids, auto-layout in layers, copy and paste.
 */
import { DocEdge, DocNode, PipelineDoc } from './types';

export const NODE_WIDTH = 190;
const COLUMN = 230;
const ROW = 130;

export function freshId(taken: Set<string>, prefix: 'n' | 'e', start: number): string {
  let i = start + 1;
  while (taken.has(`${prefix}${i}`)) {
    i += 1;
  }
  const id = `${prefix}${i}`;
  taken.add(id);
  return id;
}

/** Positions in layers: each node one row below the deepest node that feeds it. */
export function autoLayout(doc: PipelineDoc): PipelineDoc {
  const feeds = new Map<string, string[]>();
  for (const e of doc.edges) {
    const list = feeds.get(e.target.node) ?? [];
    list.push(e.source.node);
    feeds.set(e.target.node, list);
  }
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) {
      return known;
    }
    if (visiting.has(id)) {
      return 0; // a cycle (validation reports it): stop here
    }
    visiting.add(id);
    const d = Math.max(-1, ...(feeds.get(id) ?? []).map(depthOf)) + 1;
    visiting.delete(id);
    depth.set(id, d);
    return d;
  };
  const rows = new Map<number, DocNode[]>();
  for (const n of doc.nodes) {
    const d = depthOf(n.id);
    rows.set(d, [...(rows.get(d) ?? []), n]);
  }
  const moved = new Map<string, { x: number; y: number }>();
  for (const [d, list] of rows) {
    list
      .sort((a, b) => a.position.x - b.position.x)
      .forEach((n, i) => moved.set(n.id, { x: (i - (list.length - 1) / 2) * COLUMN, y: d * ROW }));
  }
  return { ...doc, nodes: doc.nodes.map(n => ({ ...n, position: moved.get(n.id) ?? n.position })) };
}

export interface Clip {
  nodes: DocNode[];
  edges: DocEdge[];
}

/** The selected nodes and the edges between them. */
export function copyNodes(doc: PipelineDoc, ids: Set<string>): Clip {
  return {
    nodes: doc.nodes.filter(n => ids.has(n.id)).map(n => structuredClone(n)),
    edges: doc.edges
      .filter(e => ids.has(e.source.node) && ids.has(e.target.node))
      .map(e => structuredClone(e))
  };
}

/** Paste a clip with new ids, offset from the originals; returns the new doc and node ids. */
export function pasteNodes(doc: PipelineDoc, clip: Clip): { doc: PipelineDoc; ids: string[] } {
  const nodeIds = new Set(doc.nodes.map(n => n.id));
  const edgeIds = new Set(doc.edges.map(e => e.id));
  const renamed = new Map<string, string>();
  const nodes = clip.nodes.map(n => {
    const id = freshId(nodeIds, 'n', doc.nodes.length);
    renamed.set(n.id, id);
    return { ...structuredClone(n), id, position: { x: n.position.x + 40, y: n.position.y + 40 } };
  });
  const edges = clip.edges.map(e => ({
    id: freshId(edgeIds, 'e', doc.edges.length),
    source: { node: renamed.get(e.source.node)!, port: e.source.port },
    target: { node: renamed.get(e.target.node)!, port: e.target.port }
  }));
  return {
    doc: { ...doc, nodes: [...doc.nodes, ...nodes], edges: [...doc.edges, ...edges] },
    ids: nodes.map(n => n.id)
  };
}
