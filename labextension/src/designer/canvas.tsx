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
  ReactFlowProvider,
  EdgeChange,
  ReactFlow,
  applyEdgeChanges,
  applyNodeChanges,
  useReactFlow,
  useStore,
  useStoreApi
} from '@xyflow/react';
import * as React from 'react';
import { ResponseError, StudioEvent } from '../api';
import {
  cloneRun,
  createInference,
  deployInference,
  fetchEndpoint,
  cachedPalette,
  fetchLatestRun,
  fetchRunNodes,
  publishDocument,
  refreshPalette,
  resolveComponents,
  submitDocument,
  validateDocument
} from './api';
import { NodeOutputsPanel } from './outputs';
import { Clip, autoLayout, copyNodes, freshId, pasteNodes, NODE_WIDTH } from './layout';
import { ComponentNode, ComponentNodeData, nodeTypes, problemsByNode, toFlowNodes } from './nodes';
import { DRAG_TYPE, Palette } from './palette';
import { NodeEdit, NodeProperties, PipelineProperties } from './properties';
import {
  ComponentInfo,
  DocNode,
  EndpointState,
  PipelineDoc,
  PipelineParameterDecl,
  Problem,
  PublishedState,
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
  /** Ask for a name (an endpoint's, a model's); null when cancelled. */
  askText(title: string, suggestion: string, okLabel: string): Promise<string | null>;
  openRun(runId: string): void;
  /** Open another `.mlpipeline` (a clone, an inference pipeline) in the designer; with
   * `arrange`, its nodes are laid out in layers first. */
  openDocument(path: string, arrange?: boolean): Promise<void>;
  /** Save the document (a deployment reads the file). */
  save(): Promise<void>;
  notifyError(message: string): void;
  /** Tell the user something went well (a toast). */
  notify(message: string): void;
  /** The studio's live events (run status changes); returns the unsubscribe function. */
  subscribe(listener: (event: StudioEvent) => void): () => void;
}

/** Node statuses come from the events websocket; this slow poll only covers a lost socket. */
const FALLBACK_POLL_MS = 15000;
/** Events arriving together (a step starting, its parent updating) cause one refresh. */
const EVENT_DEBOUNCE_MS = 150;
const ENDPOINT_POLL_MS = 1000;
const ENDPOINT_DONE = new Set(['Healthy', 'Failed', 'Unhealthy']);
const WEB_SERVICE = ['builtin:web_service_input', 'builtin:web_service_output'];
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

/** Widths of the palette and properties columns and the toolbar's height (designer.css). */
const PALETTE_WIDTH = 210;
const PROPERTIES_WIDTH = 260;
const TOOLBAR_HEIGHT = 34;
const FIT_OPTIONS = { padding: 0.2, maxZoom: 1.2 };

/**
 * The canvas with its React Flow store. When the palette is already known, the store starts
 * with the document's nodes and edges (their sizes and ports declared) and a view fitted to
 * the canvas' expected size: the first frame shows the whole pipeline, with no pass over an
 * empty graph or a default view first.
 */
export function DesignerRoot(props: {
  initialText: string;
  host: DesignerHost;
  size: { width: number; height: number };
}): JSX.Element {
  const [initial] = React.useState(() => {
    const palette = cachedPalette();
    let doc: PipelineDoc;
    try {
      doc = parseDocument(props.initialText, stem(props.host.path()));
    } catch {
      return null;
    }
    if (!palette || !doc.nodes.length) {
      return null;
    }
    const byRef = new Map(palette.components.map(c => [c.ref, c]));
    return {
      nodes: toFlowNodes(doc, byRef, new Map(), null, new Set(), []),
      edges: toFlowEdges(doc, byRef, [], null, new Set(), [])
    };
  });
  return (
    <ReactFlowProvider
      initialNodes={initial?.nodes}
      initialEdges={initial?.edges}
      initialWidth={Math.max(100, props.size.width - PALETTE_WIDTH - PROPERTIES_WIDTH)}
      initialHeight={Math.max(100, props.size.height - TOOLBAR_HEIGHT)}
      fitView={initial !== null}
      initialFitViewOptions={FIT_OPTIONS}
      initialMinZoom={MIN_ZOOM}
      initialMaxZoom={MAX_ZOOM}
    >
      <DesignerApp
        initialText={props.initialText}
        host={props.host}
        initialNodes={initial?.nodes}
        initialEdges={initial?.edges}
      />
    </ReactFlowProvider>
  );
}

const MIN_ZOOM = 0.05;
const MAX_ZOOM = 2;

export function DesignerApp(props: {
  initialText: string;
  host: DesignerHost;
  initialNodes?: ComponentNode[];
  initialEdges?: Edge[];
}): JSX.Element {
  const { host } = props;
  const flow = useReactFlow<ComponentNode, Edge>();
  // The view the store starts with (fitted by DesignerRoot), so the zoom pane does not
  // start from the default one and render the nodes a second time.
  const store = useStoreApi();
  const [startView] = React.useState(() => {
    const [x, y, zoom] = store.getState().transform;
    return { x, y, zoom };
  });
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
  const [paletteError, setPaletteError] = React.useState<string | null>(null);
  const [problems, setProblems] = React.useState<Problem[]>([]);
  const [run, setRun] = React.useState<RunNodes | null>(null);
  const [notice, setNotice] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState(false);
  const [palette, setPalette] = React.useState<ComponentInfo[] | null>(
    () => cachedPalette()?.components ?? null
  );
  // With the palette known, the first render draws the nodes (no empty pass first).
  const [nodes, setNodes] = React.useState<ComponentNode[]>(() => props.initialNodes ?? []);
  const [edges, setEdges] = React.useState<Edge[]>(() => props.initialEdges ?? []);
  const selectNext = React.useRef<Set<string> | null>(null);
  const clipboard = React.useRef<Clip | null>(null);
  const wrapper = React.useRef<HTMLDivElement>(null);
  // Fit a document that has nodes when it opens; an empty one keeps the default view, so the
  // first node dropped stays where it was dropped.
  const [fitAtOpen] = React.useState(() => doc.nodes.length > 0);
  const [, forceRender] = React.useReducer((x: number) => x + 1, 0);

  React.useEffect(() => {
    refreshPalette()
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

  // The graph React Flow shows, rebuilt from the document, its problems and the run. A node
  // whose inputs did not change keeps its object, so React Flow and the memoized node view
  // skip it; edges wait for both ends' components (their ports) to be known.
  React.useEffect(() => {
    const byNode = problemsByNode(problems);
    if (palette === null && paletteError === null && doc.nodes.some(n => !byRef.has(n.component.ref))) {
      // Shown once the palette is known: drawn once, with their ports, and not twice.
      return;
    }
    setNodes(prev => {
      const selected = selectNext.current ?? new Set(prev.filter(n => n.selected).map(n => n.id));
      selectNext.current = null;
      return toFlowNodes(doc, byRef, byNode, run, selected, prev);
    });
    setEdges(prev => {
      const selected = new Set(prev.filter(e => e.selected).map(e => e.id));
      return toFlowEdges(doc, byRef, problems, run, selected, prev);
    });
  }, [doc, byRef, problems, run, paletteError]);

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

  // A reopened document shows its last run again (its statuses, Clone, Create inference
  // pipeline), unless a run was submitted meanwhile.
  React.useEffect(() => {
    let stopped = false;
    fetchLatestRun(host.path())
      .then(latest => {
        if (!stopped && latest) {
          setRun(current => current ?? latest);
        }
      })
      .catch(() => undefined); // a document never submitted, or no workspace: nothing to show
    return () => {
      stopped = true;
    };
  }, []);

  // Live step statuses of the submitted run: refreshed when the events websocket reports a
  // change of the run or one of its steps, with a slow poll in case the socket is down.
  const runId = run?.runId;
  const stepRuns = React.useRef(new Set<string>());
  // How the last status refresh was caused, and how many the events socket caused.
  const [liveSource, setLiveSource] = React.useState<string>('');
  const [eventRefreshes, setEventRefreshes] = React.useState(0);
  React.useEffect(() => {
    if (!runId) {
      return;
    }
    let stopped = false;
    let ended = false;
    let inflight = false;
    let again = false;
    let debounce = 0;
    let fallback = 0;
    const refresh = async (source: string) => {
      if (inflight) {
        again = true;
        return;
      }
      inflight = true;
      try {
        const answer = await fetchRunNodes(runId);
        if (stopped) {
          return;
        }
        stepRuns.current = new Set(
          Object.values(answer.nodes)
            .map(n => n.stepRunId)
            .filter((id): id is string => !!id)
        );
        setRun(answer);
        setLiveSource(source);
        if (source === 'events') {
          setEventRefreshes(n => n + 1);
        }
        ended = TERMINAL.has(answer.status);
      } catch (e) {
        setNotice(message(e));
      } finally {
        inflight = false;
      }
      if (again && !stopped && !ended) {
        again = false;
        void refresh(source);
      }
    };
    const poll = async () => {
      await refresh('poll');
      if (!stopped && !ended) {
        fallback = window.setTimeout(poll, FALLBACK_POLL_MS);
      }
    };
    const off = host.subscribe(event => {
      const mine =
        event.type === 'hello' ||
        (event.type === 'run' &&
          (event.runId === runId ||
            event.parentRunId === runId ||
            stepRuns.current.has(event.runId ?? '')));
      if (!mine || stopped || ended) {
        return;
      }
      window.clearTimeout(debounce);
      debounce = window.setTimeout(() => void refresh('events'), EVENT_DEBOUNCE_MS);
    });
    void poll();
    return () => {
      stopped = true;
      off();
      window.clearTimeout(debounce);
      window.clearTimeout(fallback);
    };
  }, [runId]);

  // A deployed endpoint's state, followed until it is healthy (or failed).
  const [endpoint, setEndpoint] = React.useState<EndpointState | null>(null);
  const [published, setPublished] = React.useState<PublishedState | null>(null);
  const endpointName = endpoint && !ENDPOINT_DONE.has(endpoint.state) ? endpoint.name : null;
  React.useEffect(() => {
    if (!endpointName) {
      return;
    }
    let stopped = false;
    let timer = 0;
    const poll = async () => {
      try {
        const state = await fetchEndpoint(endpointName);
        if (stopped) {
          return;
        }
        setEndpoint(state);
        if (ENDPOINT_DONE.has(state.state)) {
          return;
        }
      } catch (e) {
        setNotice(message(e));
      }
      if (!stopped) {
        timer = window.setTimeout(poll, ENDPOINT_POLL_MS);
      }
    };
    timer = window.setTimeout(poll, ENDPOINT_POLL_MS);
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [endpointName]);

  // "Visualize output" of a node, and the node's right-click menu.
  const [outputsOf, setOutputsOf] = React.useState<{ node: string; title: string } | null>(null);
  const [menu, setMenu] = React.useState<{ node: string; x: number; y: number } | null>(null);

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

  const nodeTitle = (id: string) => {
    const node = docRef.current.nodes.find(n => n.id === id);
    return node?.name || (node && byRef.get(node.component.ref)?.name) || id;
  };

  const act = async (work: () => Promise<void>) => {
    setBusy(true);
    setNotice(null);
    try {
      await work();
    } catch (e) {
      setNotice(message(e));
      host.notifyError(message(e));
    } finally {
      setBusy(false);
    }
  };

  const cloneToDraft = (id: string) =>
    act(async () => {
      const made = await cloneRun(id);
      await host.openDocument(made.path);
    });

  const makeInference = (id: string) =>
    act(async () => {
      const suggestion = `${(docRef.current.name || stem(host.path())).replace(/[^A-Za-z0-9_.-]+/g, '-')}-inference`;
      const model = await host.askText(
        'Create inference pipeline: register the trained model as',
        suggestion,
        'Create'
      );
      if (model === null) {
        return;
      }
      const made = await createInference(id, model || null);
      await host.openDocument(made.path, true);
    });

  const deploy = () =>
    act(async () => {
      const suggestion = stem(host.path())
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, '-')
        .replace(/^-+|-+$/g, '');
      const name = await host.askText('Deploy as a real-time endpoint: endpoint name', suggestion || 'endpoint', 'Deploy');
      if (!name) {
        return;
      }
      setEndpoint(null);
      await host.save();
      const made = await deployInference(host.path(), name);
      setEndpoint(made);
    });

  // Any document can be published (a training one, or an inference one for batch scoring).
  const publish = () =>
    act(async () => {
      const suggestion = stem(host.path()).replace(/[^A-Za-z0-9_.-]+/g, '-');
      const name = await host.askText(
        'Publish as a pipeline (run later by id or over REST): name',
        suggestion || 'pipeline',
        'Publish'
      );
      if (!name) {
        return;
      }
      await host.save();
      const made = await publishDocument(host.path(), name);
      setPublished(made);
      host.notify(
        `Published ${made.name}${made.version ? ` v${made.version}` : ''} (id ${made.id}); ` +
          `run it from the studio's Pipelines section or POST ${made.endpoint}`
      );
    });

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
  const finished = run !== null && TERMINAL.has(run.status);
  const refs = new Set(doc.nodes.map(n => n.component.ref));
  const isInference = WEB_SERVICE.every(r => refs.has(r));
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
          <span className="mls-DesignerRun" data-run-id={run.runId} data-live={liveSource}
            data-event-refreshes={eventRefreshes}
          >
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
            {finished && (
              <button
                className="jp-mod-styled mls-DesignerButton mls-DesignerClone"
                title="A new draft of the pipeline this run ran, with its parameter values"
                disabled={busy}
                onClick={() => void cloneToDraft(run.runId)}
              >
                Clone
              </button>
            )}
            {run.status === 'Completed' && !isInference && (
              <button
                className="jp-mod-styled mls-DesignerButton mls-DesignerInference"
                title="A new real-time inference pipeline scoring with what this run trained"
                disabled={busy}
                onClick={() => void makeInference(run.runId)}
              >
                Create inference pipeline
              </button>
            )}
            <button
              className="jp-mod-styled mls-DesignerButton"
              title="Clear the run's statuses"
              onClick={() => {
                setRun(null);
                setOutputsOf(null);
              }}
            >
              ×
            </button>
          </span>
        )}
        {endpoint && (
          <span
            className="mls-DesignerEndpoint"
            data-endpoint={endpoint.name}
            data-state={endpoint.state}
          >
            <span className="mls-DesignerMuted">{endpoint.name}</span>
            <span className={`mls-DesignerNode-status mls-Status-${endpoint.state}`}>
              {endpoint.state}
            </span>
            {endpoint.state === 'Healthy' && endpoint.scoringUri && (
              <code className="mls-DesignerScoringUri" title="Scoring URI">
                {endpoint.scoringUri}
              </code>
            )}
            <button
              className="jp-mod-styled mls-DesignerButton"
              title="Hide"
              onClick={() => setEndpoint(null)}
            >
              ×
            </button>
          </span>
        )}
        <button
          className="jp-mod-styled mls-DesignerButton mls-DesignerPublish"
          data-published-id={published?.id}
          title={
            published
              ? `Published as ${published.name} (id ${published.id}); publish again`
              : 'Publish this pipeline to run later by id or over REST (for batch scoring too)'
          }
          disabled={busy || errors.length > 0 || doc.nodes.length === 0}
          onClick={() => void publish()}
        >
          Publish
        </button>
        {isInference && (
          <button
            className="jp-mod-styled mls-DesignerButton mls-DesignerDeploy"
            title="Serve this inference pipeline as a real-time endpoint"
            disabled={busy || errors.length > 0}
            onClick={() => void deploy()}
          >
            Deploy
          </button>
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
            onNodeContextMenu={(e, node) => {
              e.preventDefault();
              const box = wrapper.current?.getBoundingClientRect();
              setMenu({
                node: node.id,
                x: e.clientX - (box?.left ?? 0),
                y: e.clientY - (box?.top ?? 0)
              });
            }}
            onPaneClick={() => setMenu(null)}
            onMoveStart={() => setMenu(null)}
            deleteKeyCode={['Delete', 'Backspace']}
            multiSelectionKeyCode={['Meta', 'Control', 'Shift']}
            selectionOnDrag={false}
            connectionRadius={30}
            fitView={fitAtOpen}
            fitViewOptions={FIT_OPTIONS}
            defaultViewport={startView}
            minZoom={MIN_ZOOM}
            maxZoom={MAX_ZOOM}
            onlyRenderVisibleElements
            proOptions={{ hideAttribution: true }}
          >
            <GridBackground />
            <MiniMap
              pannable
              zoomable
              nodeColor={n => MINIMAP_COLORS[(n.data as ComponentNodeData).status ?? ''] ?? ''}
            />
            <Controls showInteractive={false} />
          </ReactFlow>
          {outputsOf && run && (
            <NodeOutputsPanel
              runId={run.runId}
              nodeId={outputsOf.node}
              title={outputsOf.title}
              onClose={() => setOutputsOf(null)}
              onOpenRun={host.openRun}
            />
          )}
        </div>
        <div className="mls-DesignerProperties">
          {single ? (
            <NodeProperties
              data={single}
              onEdit={(edit, key) => editNode(single.doc.id, edit, key)}
              onOpenRun={host.openRun}
              onVisualize={() =>
                setOutputsOf({ node: single.doc.id, title: nodeTitle(single.doc.id) })
              }
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
      {menu && (
        <NodeMenu
          x={menu.x}
          y={menu.y}
          stepRunId={run?.nodes[menu.node]?.stepRunId ?? null}
          onVisualize={() =>
            setOutputsOf({ node: menu.node, title: nodeTitle(menu.node) })
          }
          onOpenRun={host.openRun}
          onClose={() => setMenu(null)}
        />
      )}
    </div>
  );
}

/** Zoom below which the dotted grid is left out: its dots would be about a pixel apart, and
 * painting them (without a GPU) is most of a frame while panning a large pipeline. */
const GRID_MIN_ZOOM = 0.4;

function GridBackground(): JSX.Element | null {
  const shown = useStore(s => s.transform[2] >= GRID_MIN_ZOOM);
  return shown ? <Background gap={20} size={1} /> : null;
}

/** A node's right-click menu: its outputs and its step run, once the step has started. */
function NodeMenu(props: {
  x: number;
  y: number;
  stepRunId: string | null;
  onVisualize: () => void;
  onOpenRun: (runId: string) => void;
  onClose: () => void;
}): JSX.Element {
  const { stepRunId } = props;
  const item = (label: string, action: string, run: () => void) => (
    <button
      className="mls-DesignerMenu-item"
      data-action={action}
      disabled={!stepRunId}
      onClick={() => {
        props.onClose();
        run();
      }}
    >
      {label}
    </button>
  );
  return (
    <div
      className="mls-DesignerMenu"
      style={{ left: props.x, top: props.y }}
      onMouseLeave={props.onClose}
      role="menu"
    >
      {item('Visualize output', 'visualize', props.onVisualize)}
      {item('Open step run', 'open-run', () => stepRunId && props.onOpenRun(stepRunId))}
      {!stepRunId && <div className="mls-DesignerMuted">Submit the pipeline to see outputs.</div>}
    </div>
  );
}

/** The React Flow edges of a document: those whose two ends' ports are known, an unchanged
 * edge keeping its previous object. */
function toFlowEdges(
  doc: PipelineDoc,
  byRef: Map<string, ComponentInfo>,
  problems: Problem[],
  run: RunNodes | null,
  selected: Set<string>,
  prev: Edge[]
): Edge[] {
  const badEdges = new Set(problems.filter(p => p.edge).map(p => p.edge));
  const known = new Set(
    doc.nodes.filter(n => byRef.has(n.component.ref)).map(n => n.id)
  );
  const old = new Map(prev.map(e => [e.id, e]));
  return doc.edges
    .filter(e => known.has(e.source.node) && known.has(e.target.node))
    .map(e => {
      const done = run?.nodes[e.source.node]?.status === 'Completed';
      const className = badEdges.has(e.id)
        ? 'mls-DesignerEdge-bad'
        : done
          ? 'mls-DesignerEdge-done'
          : '';
      const animated = run?.nodes[e.target.node]?.status === 'Running';
      const was = old.get(e.id);
      if (
        was &&
        was.source === e.source.node &&
        was.sourceHandle === e.source.port &&
        was.target === e.target.node &&
        was.targetHandle === e.target.port &&
        was.className === className &&
        was.animated === animated &&
        !!was.selected === selected.has(e.id)
      ) {
        return was;
      }
      return {
        id: e.id,
        source: e.source.node,
        sourceHandle: e.source.port,
        target: e.target.node,
        targetHandle: e.target.port,
        selected: selected.has(e.id),
        animated,
        className
      };
    });
}
