/**
 * The designer's REST routes (`/mlstudio/api/v1/designer/...`).
 */
import { requestAPI } from '../api';
import { Palette, PipelineDoc, Problem, RunNodes } from './types';

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
