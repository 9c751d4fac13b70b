/**
 * A component on the canvas: its name, typed input ports on top, outputs below, its
 * validation marks and, during a run, its step status.
 */
import { Handle, Node, NodeHandle, NodeProps, Position } from '@xyflow/react';
import * as React from 'react';
import { NODE_WIDTH } from './layout';
import { ComponentInfo, DocNode, PipelineDoc, PortInfo, Problem, RunNodes } from './types';

/** A node's height in pixels (designer.css gives it so): with the width, React Flow knows
 * every node's size and port positions before drawing, instead of measuring 200 nodes. */
export const NODE_HEIGHT = 56;
/** A port's size on screen (10 px and a 2 px border, designer.css). */
const PORT_SIZE = 14;

export interface ComponentNodeData extends Record<string, unknown> {
  doc: DocNode;
  component: ComponentInfo | null;
  problems: Problem[];
  status: string | null;
  stepRunId: string | null;
}

export type ComponentNode = Node<ComponentNodeData, 'component'>;

function portLeft(index: number, count: number): string {
  return `${((index + 1) * 100) / (count + 1)}%`;
}

const NO_PROBLEMS: Problem[] = [];

/** Node id -> its problems. */
export function problemsByNode(problems: Problem[]): Map<string, Problem[]> {
  const byNode = new Map<string, Problem[]>();
  for (const p of problems) {
    if (p.node) {
      const list = byNode.get(p.node);
      list ? list.push(p) : byNode.set(p.node, [p]);
    }
  }
  return byNode;
}

function sameProblems(a: Problem[], b: Problem[]): boolean {
  return (
    a === b ||
    (a.length === b.length &&
      a.every(
        (p, i) =>
          p.code === b[i].code &&
          p.message === b[i].message &&
          p.port === b[i].port &&
          p.parameter === b[i].parameter &&
          p.severity === b[i].severity
      ))
  );
}

/** Where React Flow finds a component's ports, as the node view draws them. */
function declaredHandles(id: string, comp: ComponentInfo): NodeHandle[] {
  const place = (ports: PortInfo[], type: 'source' | 'target'): NodeHandle[] =>
    ports.map((port, i) => ({
      id: port.name,
      nodeId: id,
      type,
      position: type === 'target' ? Position.Top : Position.Bottom,
      x: ((i + 1) * NODE_WIDTH) / (ports.length + 1) - PORT_SIZE / 2,
      y: (type === 'target' ? 0 : NODE_HEIGHT) - PORT_SIZE / 2,
      width: PORT_SIZE,
      height: PORT_SIZE
    }));
  return [...place(comp.inputs, 'target'), ...place(comp.outputs, 'source')];
}

/**
 * The React Flow nodes of a document. A node whose document entry, component, problems,
 * status and selection are unchanged keeps its previous object (React Flow then skips it);
 * a node of a known component comes with its size and ports, so none is measured first.
 */
export function toFlowNodes(
  doc: PipelineDoc,
  byRef: Map<string, ComponentInfo>,
  byNode: Map<string, Problem[]>,
  run: RunNodes | null,
  selected: Set<string>,
  previous: ComponentNode[]
): ComponentNode[] {
  const old = new Map(previous.map(n => [n.id, n]));
  return doc.nodes.map(n => {
    const component = byRef.get(n.component.ref) ?? null;
    const problems = byNode.get(n.id) ?? NO_PROBLEMS;
    const status = run?.nodes[n.id]?.status ?? null;
    const stepRunId = run?.nodes[n.id]?.stepRunId ?? null;
    const isSelected = selected.has(n.id);
    const was = old.get(n.id);
    if (
      was &&
      was.data.doc === n &&
      was.data.component === component &&
      was.data.status === status &&
      was.data.stepRunId === stepRunId &&
      !!was.selected === isSelected &&
      sameProblems(was.data.problems, problems)
    ) {
      return was;
    }
    const node: ComponentNode = {
      id: n.id,
      type: 'component',
      position: n.position,
      selected: isSelected,
      data: { doc: n, component, problems, status, stepRunId }
    };
    if (component) {
      node.measured = { width: NODE_WIDTH, height: NODE_HEIGHT };
      node.initialWidth = NODE_WIDTH; // read by the store's first fitted view
      node.initialHeight = NODE_HEIGHT;
      node.handles = declaredHandles(n.id, component);
    }
    return node;
  });
}

function Ports(props: {
  ports: PortInfo[];
  kind: 'input' | 'output';
  problems: Problem[];
}): JSX.Element {
  const { ports, kind, problems } = props;
  return (
    <>
      {ports.map((port, i) => {
        const bad = problems.some(p => p.port === port.name && p.severity === 'error');
        return (
          <Handle
            key={port.name}
            id={port.name}
            type={kind === 'input' ? 'target' : 'source'}
            position={kind === 'input' ? Position.Top : Position.Bottom}
            style={{ left: portLeft(i, ports.length) }}
            className={`mls-DesignerPort mls-DesignerPort-${port.type}${bad ? ' mls-DesignerPort-bad' : ''}`}
            title={`${port.name}: ${port.type}${port.optional ? ' (optional)' : ''}`}
            data-port={port.name}
            data-port-type={port.type}
          >
            <span className={`mls-DesignerPortLabel mls-DesignerPortLabel-${kind}`}>
              {port.name}
            </span>
          </Handle>
        );
      })}
    </>
  );
}

function ComponentNodeViewBase(props: NodeProps<ComponentNode>): JSX.Element {
  const { data, selected } = props;
  const comp = data.component;
  const errors = data.problems.filter(p => p.severity === 'error');
  const warnings = data.problems.filter(p => p.severity === 'warning');
  const status = data.status;
  const classes = ['mls-DesignerNode'];
  if (selected) {
    classes.push('mls-DesignerNode-selected');
  }
  if (errors.length) {
    classes.push('mls-DesignerNode-error');
  }
  if (status) {
    classes.push(`mls-DesignerNode-status-${status}`);
  }
  const title = data.problems.map(p => `${p.severity}: ${p.message}`).join('\n');
  return (
    <div
      className={classes.join(' ')}
      data-node-id={data.doc.id}
      data-status={status ?? ''}
      data-errors={errors.length}
      title={title || comp?.description || ''}
    >
      <Ports ports={comp?.inputs ?? []} kind="input" problems={data.problems} />
      <div className="mls-DesignerNode-head">
        <span className="mls-DesignerNode-name">
          {data.doc.name || comp?.name || data.doc.component.ref}
        </span>
        {errors.length > 0 && (
          <span className="mls-DesignerNode-mark mls-DesignerNode-mark-error">
            {errors.length}
          </span>
        )}
        {errors.length === 0 && warnings.length > 0 && (
          <span className="mls-DesignerNode-mark mls-DesignerNode-mark-warning">!</span>
        )}
      </div>
      <div className="mls-DesignerNode-sub">
        {status ? (
          <span className={`mls-DesignerNode-status mls-Status-${status}`}>{status}</span>
        ) : (
          <span>{comp ? comp.category : 'unknown component'}</span>
        )}
      </div>
      <Ports ports={comp?.outputs ?? []} kind="output" problems={data.problems} />
    </div>
  );
}

/** Re-rendered only when its data or selection changes (not when another node moves). */
export const ComponentNodeView = React.memo(
  ComponentNodeViewBase,
  (a, b) => a.data === b.data && a.selected === b.selected && a.dragging === b.dragging
);

export const nodeTypes = { component: ComponentNodeView };
