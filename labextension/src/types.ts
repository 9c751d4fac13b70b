/** Shapes of the studio API's answers (see jupyter_mlstudio/server/openapi.yaml). */

export interface WorkspaceInfo {
  loaded: boolean;
  name?: string;
  path?: string;
  root?: string;
  message?: string;
  hint?: string;
  snippet?: string;
}

export interface Experiment {
  name: string;
  runCount: number;
  activeRuns: number;
  lastRunAt: number | null;
}

export interface RunSummary {
  runId: string;
  number: number;
  displayName: string;
  experiment: string;
  status: string;
  runType: string;
  parentRunId: string | null;
  target: string;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  tags: Record<string, string>;
  params: Record<string, string>;
  metrics: Record<string, number | null>;
  childCount: number;
}

export interface RunPage {
  total: number;
  offset: number;
  limit: number;
  runs: RunSummary[];
}

export interface RunDetails extends RunSummary {
  properties: Record<string, string>;
  error: any;
  details: any;
  metricKeys: { key: string; kind: string; count: number; latest: number | null }[];
}

export interface Series {
  key: string;
  steps: number[];
  values: number[];
  total: number;
  downsampled: boolean;
}

export interface LogChunk {
  files: string[];
  name: string;
  text: string;
  start: number;
  offset: number;
  size: number;
}

export interface Artifact {
  name: string;
  contentType: string;
  inline: boolean;
}

export interface DatasetSummary {
  name: string;
  version: number;
  kind: string;
  description: string | null;
  rowCount: number | null;
  columnCount: number | null;
  createdAt: number;
  tags: Record<string, string>;
}

export interface ModelSummary {
  name: string;
  version: number;
  versionCount?: number;
  runId: string | null;
  description: string | null;
  tags: Record<string, string>;
  framework: string | null;
  createdTime?: string;
}

export interface ComputeTarget {
  name: string;
  type: string;
  maxConcurrency: number;
  provisioningState: string;
}

export const ACTIVE = new Set([
  'NotStarted',
  'Queued',
  'Preparing',
  'Starting',
  'Running',
  'Finalizing',
  'CancelRequested'
]);
