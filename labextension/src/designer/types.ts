/**
 * The `.mlpipeline` document (mlpipeline.schema.json) and the designer API's answers.
 */

export interface PortRef {
  node: string;
  port: string;
}

export interface DocNode {
  id: string;
  component: { ref: string; version?: string };
  name?: string;
  parameters: Record<string, unknown>;
  position: { x: number; y: number };
  comment?: string;
  compute?: string;
}

export interface DocEdge {
  id: string;
  source: PortRef;
  target: PortRef;
}

export interface PipelineParameterDecl {
  name: string;
  type: string;
  default: unknown;
  description?: string;
}

export interface PipelineDoc {
  format: 'mlpipeline';
  version: number;
  name: string;
  description: string;
  settings: { compute?: string; environment?: string | null; allow_reuse?: boolean };
  parameters: PipelineParameterDecl[];
  nodes: DocNode[];
  edges: DocEdge[];
  [key: string]: unknown;
}

export interface PortInfo {
  name: string;
  type: string;
  description: string;
  optional: boolean;
}

export interface ParameterInfo {
  name: string;
  type: string;
  default: unknown;
  description: string;
  min: number | null;
  max: number | null;
  choices: unknown[] | null;
  optional: boolean;
}

export interface ComponentInfo {
  ref: string;
  id: string;
  name: string;
  category: string;
  description: string;
  version: string;
  notebook: string;
  inputs: PortInfo[];
  outputs: PortInfo[];
  parameters: ParameterInfo[];
  /** Parameter values a palette entry starts with (a registered dataset's Import Data). */
  preset: Record<string, unknown>;
}

export interface Palette {
  components: ComponentInfo[];
  portTypes: Record<string, string>;
}

export interface Problem {
  severity: 'error' | 'warning';
  code: string;
  message: string;
  node: string | null;
  port: string | null;
  parameter: string | null;
  edge: string | null;
}

export interface NodeStatus {
  stepName: string;
  status: string;
  stepRunId: string | null;
  reusedRunId: string | null;
}

export interface RunNodes {
  runId: string;
  experimentName: string;
  status: string;
  document: string | null;
  nodes: Record<string, NodeStatus>;
}

export interface ColumnProfile {
  name: string;
  type: string;
  missing: number;
  missing_share: number;
  distinct?: number | null;
  min?: number | string | null;
  max?: number | string | null;
  mean?: number | null;
  std?: number | null;
  histogram?: { counts: number[]; edges: number[] };
  top_values?: { value: unknown; count: number }[];
}

export interface PortOutput {
  name: string;
  type: string;
  files: string[];
  columns?: string[];
  rows?: unknown[][];
  rowCount?: number;
  profile?: { rows: number; columns: ColumnProfile[]; sampled: boolean; sample_rows: number };
  metrics?: Record<string, unknown>;
}

export interface NodeOutputs {
  runId: string;
  node: string;
  stepName: string;
  stepRunId: string;
  status: string;
  reusedRunId: string | null;
  ports: PortOutput[];
  metrics: Record<string, unknown>;
  images: string[];
  imagesRunId: string;
}

export interface SavedDocument {
  path: string;
  name: string;
}

export interface EndpointState {
  name: string;
  state: string;
  scoringUri: string | null;
  error?: unknown;
}

export interface PublishedState {
  id: string;
  name: string;
  version: string | null;
  endpoint: string;
}

export const TERMINAL = new Set(['Completed', 'Failed', 'Canceled']);

export function emptyDocument(name: string): PipelineDoc {
  return {
    format: 'mlpipeline',
    version: 1,
    name,
    description: '',
    settings: { compute: 'local', environment: null, allow_reuse: true },
    parameters: [],
    nodes: [],
    edges: []
  };
}

/** Parse a file's text; an empty file is a new pipeline named after it. */
export function parseDocument(text: string, fallbackName: string): PipelineDoc {
  if (!text.trim()) {
    return emptyDocument(fallbackName);
  }
  const data = JSON.parse(text) as Partial<PipelineDoc>;
  const doc = { ...emptyDocument(fallbackName), ...data } as PipelineDoc;
  doc.nodes = (doc.nodes ?? []).map(n => ({
    ...n,
    parameters: n.parameters ?? {},
    position: n.position ?? { x: 0, y: 0 }
  }));
  doc.edges = doc.edges ?? [];
  return doc;
}

/** The text saved to disk: the same indented JSON the Python SDK writes. */
export function serializeDocument(doc: PipelineDoc): string {
  return JSON.stringify(doc, null, 1) + '\n';
}

/** Whether an input of type `target` takes an output of type `source` (as the SDK decides). */
export function portAccepts(target: string, source: string): boolean {
  return target === source || target === 'AnyFile';
}
