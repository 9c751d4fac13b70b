/**
 * The designer canvas: palette, React Flow graph and properties panel over one `.mlpipeline`
 * document. Every edit writes the document's JSON to the JupyterLab model (so it is dirty and
 * saves like any document), goes on the undo stack, and is validated by the server.
 */
import {
  Background,
  Connection,
  Controls,
  Edge,
  MiniMap,
  NodeChange,
  EdgeChange,
  ReactFlow,
  applyEdgeChanges,
  applyNodeChanges,
  useReactFlow
} from '@xyflow/react';
import * as React from 'react';
import { ResponseError } from '../api';
import {
  fetchPalette,
  fetchRunNodes,
  resolveComponents,
  submitDocument,
  validateDocument
} from './api';
import { Clip, autoLayout, copyNodes, freshId, pasteNodes, NODE_WIDTH } from './layout';
import { ComponentNode, ComponentNodeData, nodeTypes } from './nodes';
import { DRAG_TYPE, Palette } from './palette';
import { NodeEdit, NodeProperties, PipelineProperties } from './properties';
import {
  ComponentInfo,
  DocNode,
  PipelineDoc,
  PipelineParameterDecl,
  Problem,
  RunNodes,
  TERMINAL,
  parseDocument,
  portAccepts,
  serializeDocument
} from './types';

export interface DesignerHost {
  /** The document's path relative to the server root (read at call time: files move). */
  path(): string;
  /** Write the document's text to the JupyterLab model. */
  write(text: string): void;
  /** Ask for the experiment to submit in; null when cancelled. */
  askExperiment(suggestion: string): Promise<string | null>;
  /** Ask for this run's pipeline parameter values (defaults offered); null when cancelled. */
  askParameters(declared: PipelineParameterDecl[]): Promise<Record<string, unknown> | null>;
  openRun(runId: string): void;
  notifyError(message: string): void;
}

const POLL_MS = 1000;
const CONTENTS_MIME = 'application/x-jupyter-icontents';
const COMPONENT_FILE = /\.(ipynb|py)$/i;

/** What a Lumino drag event (the file browser's) carries; typed here to avoid a dependency. */
interface LuminoDragEvent extends MouseEvent {
  mimeData: { hasData(mime: string): boolean; getData(mime: string): unknown };
  proposedAction: string;
  dropAction: string;
}
const MINIMAP_COLORS: Record<string, string> = {
  Completed: 'var(--jp-success-color1)',
  Running: 'var(--jp-brand-color1)',
  Failed: 'var(--jp-error-color1)',
  Canceled: 'var(--jp-error-color1)'
};
const COALESCE_MS = 1500;

function message(e: unknown): string {
  return e instanceof ResponseError ? e.message : String(e);
}

function stem(path: string): string {
  const base = path.split('/').pop() ?? path;
  return base.replace(/\.mlpipeline$/i, '');
}

interface History {
  stack: string[];
  index: number;
  key: string | null;
  at: number;
}

export function DesignerApp(props: { initialText: string; host: DesignerHost }): JSX.Element {
  const { host } = props;
  const flow = useReactFlow<ComponentNode, Edge>();
  const [doc, setDoc] = React.useState<PipelineDoc>(() => {
    try {
      return parseDocument(props.initialText, stem(host.path()));
    } catch {
      return parseDocument('', stem(host.path()));
    }
  });
  const [loadError] = React.useState<string | null>(() => {
    try {
      parseDocument(props.initialText, '');
      return null;
    } catch (e) {
      return `The file is not a valid pipeline document: ${message(e)}`;
    }
  });
  const docRef = React.useRef(doc);
  docRef.current = doc;
  const history = React.useRef<History>({
    stack: [serializeDocument(doc)],
    index: 0,
    key: null,
    at: 0
  });
  const [palette, setPalette] = React.useState<ComponentInfo[] | null>(null);
  const [paletteError, setPaletteError] = React.useState<string | null>(null);
  const [problems, setProblems] = React.useState<Problem[]>([]);
  const [run, setRun] = React.useState<RunNodes | null>(null);
  const [notice, setNotice] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState(false);
  const [nodes, setNodes] = React.useState<ComponentNode[]>([]);
  const [edges, setEdges] = React.useState<Edge[]>([]);
  const selectNext = React.useRef<Set<string> | null>(null);
  const clipboard = React.useRef<Clip | null>(null);
  const wrapper = React.useRef<HTMLDivElement>(null);
  // Fit a document that has nodes when it opens; an empty one keeps the default view, so the
  // first node dropped stays where it was dropped.
  const [fitAtOpen] = React.useState(() => doc.nodes.length > 0);
  const [, forceRender] = React.useReducer((x: number) => x + 1, 0);

  React.useEffect(() => {
    fetchPalette()
      .then(p => setPalette(p.components))
      .catch(e => setPaletteError(message(e)));
  }, []);

  // User notebooks and scripts (file: refs), resolved by the server as nodes need them.
  const [userComponents, setUserComponents] = React.useState<Map<string, ComponentInfo>>(
    () => new Map()
  );
  const requested = React.useRef(new Set<string>());
  const byRef = React.useMemo(() => {
    const map = new Map<string, ComponentInfo>(userComponents);
    for (const c of palette ?? []) {
      if (!map.has(c.ref)) {
        map.set(c.ref, c);
      }
    }
    return map;
  }, [palette, userComponents]);
  const learn = React.useCallback((found: ComponentInfo[]) => {
    if (found.length) {
      setUserComponents(prev => {
        const next = new Map(prev);
        found.forEach(c => next.set(c.ref, c));
        return next;
      });
    }
  }, []);
  React.useEffect(() => {
    const missing = [
      ...new Set(
        doc.nodes
          .map(n => n.component.ref)
          .filter(r => r.startsWith('file:') && !requested.current.has(r))
      )
    ];
    if (!missing.length) {
      return;
    }
    missing.forEach(r => requested.current.add(r));
    resolveComponents(missing, host.path())
      .then(answer => learn(answer.components))
      .catch(e => setNotice(message(e)));
  }, [doc]);

  // The graph React Flow shows, rebuilt from the document, its problems and the run.
  React.useEffect(() => {
    const byNode = new Map<string, Problem[]>();
    for (const p of problems) {
      if (p.node) {
        byNode.set(p.node, [...(byNode.get(p.node) ?? []), p]);
      }
    }
    const badEdges = new Set(problems.filter(p => p.edge).map(p => p.edge));
    setNodes(prev => {
      const selected = selectNext.current ?? new Set(prev.filter(n => n.selected).map(n => n.id));
      selectNext.current = null;
      return doc.nodes.map(n => ({
        id: n.id,
        type: 'component' as const,
        position: n.position,
        selected: selected.has(n.id),
        data: {
          doc: n,
          component: byRef.get(n.component.ref) ?? null,
          problems: byNode.get(n.id) ?? [],
          status: run?.nodes[n.id]?.status ?? null,
          stepRunId: run?.nodes[n.id]?.stepRunId ?? null
        }
      }));
    });
    setEdges(prev => {
      const selected = new Set(prev.filter(e => e.selected).map(e => e.id));
      return doc.edges.map(e => {
        const done = run?.nodes[e.source.node]?.status === 'Completed';
        return {
          id: e.id,
          source: e.source.node,
          sourceHandle: e.source.port,
          target: e.target.node,
          targetHandle: e.target.port,
          selected: selected.has(e.id),
          animated: run?.nodes[e.target.node]?.status === 'Running',
          className: badEdges.has(e.id)
            ? 'mls-DesignerEdge-bad'
            : done
              ? 'mls-DesignerEdge-done'
              : ''
        };
      });
    });
  }, [doc, byRef, problems, run]);

  // Validation, a moment after the last edit; stale answers are dropped.
  const asked = React.useRef(0);
  React.useEffect(() => {
    const ticket = ++asked.current;
    const timer = window.setTimeout(() => {
      validateDocument(doc, host.path())
        .then(found => ticket === asked.current && setProblems(found))
        .catch(e => ticket === asked.current && setNotice(message(e)));
    }, 300);
    return () => window.clearTimeout(timer);
  }, [doc]);

  // Live step statuses of the submitted run, polled until it ends.
  const runId = run?.runId;
  React.useEffect(() => {
    if (!runId) {
      return;
    }
    let stopped = false;
    let timer = 0;
    const poll = async () => {
      try {
        const answer = await fetchRunNodes(runId);
        if (stopped) {
          return;
        }
        setRun(answer);
        if (TERMINAL.has(answer.status)) {
          return;
        }
      } catch (e) {
        setNotice(message(e));
      }
      if (!stopped) {
        timer = window.setTimeout(poll, POLL_MS);
      }
    };
    void poll();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [runId]);

  // ---- edits ------------------------------------------------------------------------------
  const commit = React.useCallback(
    (next: PipelineDoc, coalesce: string | null = null) => {
      const text = serializeDocument(next);
      const h = history.current;
      const now = Date.now();
      if (coalesce && coalesce === h.key && now - h.at < COALESCE_MS) {
        h.stack[h.index] = text;
      } else {
        h.stack = h.stack.slice(0, h.index + 1);
        h.stack.push(text);
        h.index = h.stack.length - 1;
      }
      h.key = coalesce;
      h.at = now;
      docRef.current = next;
      setDoc(next);
      host.write(text);
    },
    [host]
  );

  const travel = React.useCallback(
    (step: number) => {
      const h = history.current;
      const index = h.index + step;
      if (index < 0 || index >= h.stack.length) {
        return;
      }
      h.index = index;
      h.key = null;
      const text = h.stack[index];
      const next = parseDocument(text, docRef.current.name);
      docRef.current = next;
      setDoc(next);
      host.write(text);
      forceRender();
    },
    [host]
  );

  const addNode = React.useCallback(
    (index: number, position?: { x: number; y: number }) => {
      const comp = palette?.[index];
      if (!comp) {
        return;
      }
      let at = position;
      if (!at) {
        const box = wrapper.current?.getBoundingClientRect();
        at = flow.screenToFlowPosition({
          x: (box?.left ?? 0) + (box?.width ?? 600) / 2,
          y: (box?.top ?? 0) + (box?.height ?? 400) / 3
        });
        at = { x: at.x - NODE_WIDTH / 2, y: at.y };
      }
      const current = docRef.current;
      const id = freshId(new Set(current.nodes.map(n => n.id)), 'n', current.nodes.length);
      const node: DocNode = {
        id,
        component: { ref: comp.ref, version: comp.version },
        parameters: { ...comp.preset },
        position: { x: Math.round(at.x), y: Math.round(at.y) }
      };
      if (comp.category === 'Datasets') {
        node.name = comp.name;
      }
      selectNext.current = new Set([id]);
      commit({ ...current, nodes: [...current.nodes, node] });
    },
    [palette, flow, commit]
  );

  const portType = (nodeId: string, port: string | null, kind: 'inputs' | 'outputs') => {
    const node = docRef.current.nodes.find(n => n.id === nodeId);
    const comp = node ? byRef.get(node.component.ref) : undefined;
    return comp?.[kind].find(p => p.name === port)?.type;
  };

  const isValidConnection = React.useCallback(
    (c: Edge | Connection): boolean => {
      if (c.source === c.target) {
        return false;
      }
      const out = portType(c.source, c.sourceHandle ?? null, 'outputs');
      const inp = portType(c.target, c.targetHandle ?? null, 'inputs');
      if (!out || !inp || !portAccepts(inp, out)) {
        return false;
      }
      // An input takes one connection.
      return !docRef.current.edges.some(
        e => e.target.node === c.target && e.target.port === c.targetHandle
      );
    },
    [byRef]
  );

  const onConnect = React.useCallback(
    (c: Connection) => {
      if (!isValidConnection(c)) {
        return;
      }
      const current = docRef.current;
      const id = freshId(new Set(current.edges.map(e => e.id)), 'e', current.edges.length);
      commit({
        ...current,
        edges: [
          ...current.edges,
          {
            id,
            source: { node: c.source, port: c.sourceHandle ?? '' },
            target: { node: c.target, port: c.targetHandle ?? '' }
          }
        ]
      });
    },
    [commit, isValidConnection]
  );

  const onNodesChange = React.useCallback(
    (changes: NodeChange<ComponentNode>[]) =>
      setNodes(nds => applyNodeChanges(changes.filter(c => c.type !== 'remove'), nds)),
    []
  );
  const onEdgesChange = React.useCallback(
    (changes: EdgeChange<Edge>[]) =>
      setEdges(eds => applyEdgeChanges(changes.filter(c => c.type !== 'remove'), eds)),
    []
  );
  const onDelete = React.useCallback(
    ({ nodes: gone, edges: cut }: { nodes: ComponentNode[]; edges: Edge[] }) => {
      const ids = new Set(gone.map(n => n.id));
      const edgeIds = new Set(cut.map(e => e.id));
      const current = docRef.current;
      commit({
        ...current,
        nodes: current.nodes.filter(n => !ids.has(n.id)),
        edges: current.edges.filter(
          e => !edgeIds.has(e.id) && !ids.has(e.source.node) && !ids.has(e.target.node)
        )
      });
    },
    [commit]
  );
  const onMoved = React.useCallback(
    (_: unknown, __: unknown, moved: ComponentNode[]) => {
      const at = new Map(moved.map(n => [n.id, n.position]));
      const current = docRef.current;
      if (
        !current.nodes.some(n => {
          const p = at.get(n.id);
          return p && (p.x !== n.position.x || p.y !== n.position.y);
        })
      ) {
        return;
      }
      commit({
        ...current,
        nodes: current.nodes.map(n => {
          const p = at.get(n.id);
          return p ? { ...n, position: { x: Math.round(p.x), y: Math.round(p.y) } } : n;
        })
      });
    },
    [commit]
  );

  const editNode = (id: string, edit: NodeEdit, coalesce: string) => {
    const current = docRef.current;
    commit(
      {
        ...current,
        nodes: current.nodes.map(n => {
          if (n.id !== id) {
            return n;
          }
          const next: DocNode = { ...n, ...edit };
          if (edit.name === '') {
            delete next.name;
          }
          if (edit.comment === '') {
            delete next.comment;
          }
          return next;
        })
      },
      coalesce
    );
  };

  const selectedIds = () => new Set(nodes.filter(n => n.selected).map(n => n.id));

  const onKeyDown = (e: React.KeyboardEvent) => {
    const target = e.target as HTMLElement;
    if (['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)) {
      return;
    }
    const accel = e.ctrlKey || e.metaKey;
    if (!accel) {
      return;
    }
    const key = e.key.toLowerCase();
    if (key === 'z' && !e.shiftKey) {
      travel(-1);
    } else if ((key === 'z' && e.shiftKey) || key === 'y') {
      travel(1);
    } else if (key === 'c') {
      clipboard.current = copyNodes(docRef.current, selectedIds());
    } else if (key === 'v' && clipboard.current?.nodes.length) {
      const pasted = pasteNodes(docRef.current, clipboard.current);
      selectNext.current = new Set(pasted.ids);
      commit(pasted.doc);
    } else if (key === 'a') {
      setNodes(nds => nds.map(n => ({ ...n, selected: true })));
    } else {
      return;
    }
    e.preventDefault();
    e.stopPropagation();
  };

  const submit = async () => {
    const current = docRef.current;
    const experiment = await host.askExperiment(
      (current.name || stem(host.path())).replace(/[^A-Za-z0-9_.-]/g, '_')
    );
    if (!experiment) {
      return;
    }
    const values = current.parameters.length ? await host.askParameters(current.parameters) : {};
    if (values === null) {
      return;
    }
    setBusy(true);
    setNotice(null);
    try {
      const made = await submitDocument(current, host.path(), experiment, values);
      setRun({
        runId: made.runId,
        experimentName: made.experimentName,
        status: 'NotStarted',
        document: host.path(),
        nodes: {}
      });
    } catch (e) {
      setNotice(message(e));
      host.notifyError(message(e));
    } finally {
      setBusy(false);
    }
  };

  const onDrop = (e: React.DragEvent) => {
    const raw = e.dataTransfer.getData(DRAG_TYPE);
    if (raw === '') {
      return;
    }
    e.preventDefault();
    const at = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
    addNode(Number(raw), { x: at.x - NODE_WIDTH / 2, y: at.y - 20 });
  };

  // Notebooks and scripts dragged from JupyterLab's file browser become nodes.
  const dropFiles = React.useRef<(paths: string[], x: number, y: number) => void>(() => {});
  dropFiles.current = (paths, x, y) => {
    const wanted = paths.filter(p => COMPONENT_FILE.test(p));
    if (!wanted.length) {
      return;
    }
    resolveComponents(
      wanted.map(p => `root:${p.replace(/^[^/:]+:/, '')}`),
      host.path()
    )
      .then(answer => {
        learn(answer.components);
        const problems = Object.entries(answer.problems);
        if (problems.length) {
          setNotice(problems.map(([ref, why]) => `${ref}: ${why}`).join('\n'));
        }
        const at = flow.screenToFlowPosition({ x, y });
        let current = docRef.current;
        const taken = new Set(current.nodes.map(n => n.id));
        const added: DocNode[] = answer.components.map((comp, i) => {
          comp.requested.startsWith('root:') && requested.current.add(comp.ref);
          return {
            id: freshId(taken, 'n', current.nodes.length + i),
            component: { ref: comp.ref, version: comp.version },
            parameters: {},
            position: { x: Math.round(at.x - NODE_WIDTH / 2 + 30 * i), y: Math.round(at.y + 30 * i) }
          };
        });
        if (added.length) {
          selectNext.current = new Set(added.map(n => n.id));
          current = { ...current, nodes: [...current.nodes, ...added] };
          commit(current);
        }
      })
      .catch(e => setNotice(message(e)));
  };
  React.useEffect(() => {
    const el = wrapper.current;
    if (!el) {
      return;
    }
    const accept = (ev: Event) => {
      const e = ev as LuminoDragEvent;
      if (!e.mimeData?.hasData(CONTENTS_MIME)) {
        return;
      }
      e.preventDefault();
      e.stopPropagation();
      if (ev.type !== 'lm-dragenter') {
        e.dropAction = e.proposedAction; // the file browser offers 'move' only
      }
      if (ev.type === 'lm-drop') {
        const paths = e.mimeData.getData(CONTENTS_MIME);
        dropFiles.current(
          Array.isArray(paths) ? paths.map(String) : [String(paths)],
          e.clientX,
          e.clientY
        );
      }
    };
    const types = ['lm-dragenter', 'lm-dragover', 'lm-drop'];
    types.forEach(t => el.addEventListener(t, accept));
    return () => types.forEach(t => el.removeEventListener(t, accept));
  }, []);

  const selected = nodes.filter(n => n.selected);
  const single: ComponentNodeData | null = selected.length === 1 ? selected[0].data : null;
  const errors = problems.filter(p => p.severity === 'error');
  const h = history.current;
  return (
    <div className="mls-Designer" ref={wrapper} tabIndex={0} onKeyDown={onKeyDown}>
      <div className="mls-DesignerToolbar">
        <button
          className="jp-mod-styled mls-DesignerButton"
          title="Undo (Ctrl+Z)"
          disabled={h.index === 0}
          onClick={() => travel(-1)}
        >
          Undo
        </button>
        <button
          className="jp-mod-styled mls-DesignerButton"
          title="Redo (Ctrl+Shift+Z)"
          disabled={h.index >= h.stack.length - 1}
          onClick={() => travel(1)}
        >
          Redo
        </button>
        <button
          className="jp-mod-styled mls-DesignerButton"
          title="Arrange the nodes in layers"
          onClick={() => {
            commit(autoLayout(docRef.current));
            window.setTimeout(() => void flow.fitView({ padding: 0.2 }), 50);
          }}
        >
          Auto-layout
        </button>
        <button
          className="jp-mod-styled mls-DesignerButton"
          title="Zoom to fit"
          onClick={() => void flow.fitView({ padding: 0.2 })}
        >
          Fit
        </button>
        <span
          className={`mls-DesignerValidity ${errors.length ? 'mls-DesignerValidity-bad' : ''}`}
          title={problems.map(p => p.message).join('\n')}
        >
          {errors.length ? `${errors.length} problem${errors.length > 1 ? 's' : ''}` : 'Valid'}
        </span>
        <span className="mls-DesignerSpacer" />
        {run && (
          <span className="mls-DesignerRun" data-run-id={run.runId}>
            <a
              href="#"
              onClick={e => {
                e.preventDefault();
                host.openRun(run.runId);
              }}
            >
              {run.experimentName} / {run.runId}
            </a>
            <span className={`mls-DesignerNode-status mls-Status-${run.status}`}>{run.status}</span>
            <button
              className="jp-mod-styled mls-DesignerButton"
              title="Clear the run's statuses"
              onClick={() => setRun(null)}
            >
              ×
            </button>
          </span>
        )}
        <button
          className="jp-mod-styled jp-mod-accept mls-DesignerButton mls-DesignerSubmit"
          disabled={busy || doc.nodes.length === 0}
          onClick={() => void submit()}
        >
          Submit
        </button>
      </div>
      {(notice || loadError) && (
        <div className="mls-DesignerError mls-DesignerNotice">
          {loadError ?? notice}
          <button className="mls-DesignerButton" onClick={() => setNotice(null)}>
            ×
          </button>
        </div>
      )}
      <div className="mls-DesignerBody">
        <Palette components={palette} error={paletteError} onAdd={i => addNode(i)} />
        <div
          className="mls-DesignerCanvas"
          onDragOver={e => {
            if (e.dataTransfer.types.includes(DRAG_TYPE)) {
              e.preventDefault();
              e.dataTransfer.dropEffect = 'copy';
            }
          }}
          onDrop={onDrop}
        >
          <ReactFlow<ComponentNode, Edge>
            nodes={nodes}
            edges={edges}
            nodeTypes={nodeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={onConnect}
            isValidConnection={isValidConnection}
            onDelete={onDelete}
            onNodeDragStop={onMoved}
            onSelectionDragStop={(e, moved) => onMoved(e, null, moved)}
            onNodeDoubleClick={(_, node) =>
              node.data.stepRunId && host.openRun(node.data.stepRunId)
            }
            deleteKeyCode={['Delete', 'Backspace']}
            multiSelectionKeyCode={['Meta', 'Control', 'Shift']}
            selectionOnDrag={false}
            connectionRadius={30}
            fitView={fitAtOpen}
            fitViewOptions={{ padding: 0.2, maxZoom: 1.2 }}
            minZoom={0.05}
            onlyRenderVisibleElements
            proOptions={{ hideAttribution: true }}
          >
            <Background gap={20} size={1} />
            <MiniMap
              pannable
              zoomable
              nodeColor={n => MINIMAP_COLORS[(n.data as ComponentNodeData).status ?? ''] ?? ''}
            />
            <Controls showInteractive={false} />
          </ReactFlow>
        </div>
        <div className="mls-DesignerProperties">
          {single ? (
            <NodeProperties
              data={single}
              onEdit={(edit, key) => editNode(single.doc.id, edit, key)}
              onOpenRun={host.openRun}
            />
          ) : (
            <PipelineProperties
              doc={doc}
              problems={problems.filter(p => !p.node)}
              selected={selected.length}
              onEdit={(edit, key) => commit({ ...docRef.current, ...edit }, key)}
            />
          )}
        </div>
      </div>
    </div>
  );
}
