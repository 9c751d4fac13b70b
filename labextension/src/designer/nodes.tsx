/**
 * A component on the canvas: its name, typed input ports on top, outputs below, its
 * validation marks and, during a run, its step status.
 */
import { Handle, Node, NodeProps, Position } from '@xyflow/react';
import * as React from 'react';
import { ComponentInfo, DocNode, PortInfo, Problem } from './types';

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

export function ComponentNodeView(props: NodeProps<ComponentNode>): JSX.Element {
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

export const nodeTypes = { component: ComponentNodeView };
