/**
 * The designer's REST routes (`/mlstudio/api/v1/designer/...`).
 */
import { requestAPI } from '../api';
import { ComponentInfo, Palette, PipelineDoc, Problem, RunNodes } from './types';

export function fetchPalette(): Promise<Palette> {
  return requestAPI<Palette>('designer/components');
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
