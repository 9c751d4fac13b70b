/**
 * The designer's REST routes (`/mlstudio/api/v1/designer/...`).
 */
import { requestAPI } from '../api';
import {
  ComponentInfo,
  EndpointState,
  NodeOutputs,
  Palette,
  PipelineDoc,
  Problem,
  PublishedState,
  RunNodes,
  SavedDocument
} from './types';

export function fetchPalette(): Promise<Palette> {
  return requestAPI<Palette>('designer/components');
}

// The palette, shared by every designer of the page: a document opening shows its nodes with
// their ports at once when it is known, and asks again (datasets come and go) meanwhile.
let latestPalette: Palette | null = null;
let pendingPalette: Promise<Palette> | null = null;

/** The palette last fetched in this page, if any. */
export function cachedPalette(): Palette | null {
  return latestPalette;
}

/** Fetch the palette (one request at a time for every designer). */
export function refreshPalette(): Promise<Palette> {
  if (!pendingPalette) {
    pendingPalette = fetchPalette()
      .then(p => {
        // An unchanged answer keeps the objects the canvases hold, so nothing re-renders.
        if (latestPalette === null || JSON.stringify(p) !== JSON.stringify(latestPalette)) {
          latestPalette = p;
        }
        return latestPalette;
      })
      .finally(() => {
        pendingPalette = null;
      });
  }
  return pendingPalette;
}

export async function validateDocument(doc: PipelineDoc, path: string): Promise<Problem[]> {
  const answer = await requestAPI<{ problems: Problem[] }>(
    'designer/validate',
    {},
    { method: 'POST', body: JSON.stringify({ document: doc, path }) }
  );
  return answer.problems;
}

export function submitDocument(
  doc: PipelineDoc,
  path: string,
  experiment: string,
  parameters: Record<string, unknown>
): Promise<{ runId: string; experimentName: string; nodes: Record<string, string> }> {
  return requestAPI(
    'designer/runs',
    {},
    { method: 'POST', body: JSON.stringify({ document: doc, path, experiment, parameters }) }
  );
}

/** The newest run submitted from the document at `path`, or null when it has none. */
export async function fetchLatestRun(path: string): Promise<RunNodes | null> {
  const answer = await requestAPI<{ run: RunNodes | null }>(
    `designer/runs?path=${encodeURIComponent(path)}`
  );
  return answer.run;
}

export function fetchRunNodes(runId: string): Promise<RunNodes> {
  return requestAPI<RunNodes>(`designer/runs/${encodeURIComponent(runId)}/nodes`);
}

/** Interfaces of user notebooks and scripts: `file:` refs (relative to the document) or
 * `root:` paths (relative to the server folder, as the file browser gives them). */
export function resolveComponents(
  refs: string[],
  path: string
): Promise<{ components: (ComponentInfo & { requested: string })[]; problems: Record<string, string> }> {
  return requestAPI(
    'designer/components/resolve',
    {},
    { method: 'POST', body: JSON.stringify({ refs, path }) }
  );
}

export function fetchNodeOutputs(runId: string, nodeId: string): Promise<NodeOutputs> {
  return requestAPI<NodeOutputs>(
    `designer/runs/${encodeURIComponent(runId)}/nodes/${encodeURIComponent(nodeId)}/outputs`
  );
}

/** A new draft `.mlpipeline` of the run's document with the run's parameter values. */
export function cloneRun(runId: string): Promise<SavedDocument> {
  return requestAPI<SavedDocument>(`designer/runs/${encodeURIComponent(runId)}/clone`, {}, {
    method: 'POST',
    body: '{}'
  });
}

/** "Create inference pipeline" from a Completed training run. */
export function createInference(
  runId: string,
  modelName: string | null
): Promise<SavedDocument & { models: string[] }> {
  return requestAPI(`designer/runs/${encodeURIComponent(runId)}/inference`, {}, {
    method: 'POST',
    body: JSON.stringify(modelName ? { modelName } : {})
  });
}

export function deployInference(path: string, endpoint: string): Promise<EndpointState> {
  return requestAPI<EndpointState>('designer/deploy', {}, {
    method: 'POST',
    body: JSON.stringify({ path, endpoint })
  });
}

/** Publish the document at `path` as a pipeline (run later by id or over REST). */
export function publishDocument(path: string, name: string): Promise<PublishedState> {
  return requestAPI<PublishedState>('designer/publish', {}, {
    method: 'POST',
    body: JSON.stringify({ path, name })
  });
}

export function fetchEndpoint(name: string): Promise<EndpointState> {
  return requestAPI<EndpointState>(`endpoints/${encodeURIComponent(name)}`);
}
