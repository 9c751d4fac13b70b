/**
 * The sidebar's pipelines section: published pipelines (run one with the parameters it
 * takes) and the schedules that fire them.
 */
import React, { useEffect, useState } from 'react';
import { InputDialog, showErrorMessage } from '@jupyterlab/apputils';
import { requestAPI, ResponseError } from './api';
import { when } from './common';

export interface PublishedPipeline {
  id: string;
  name: string;
  version: string | null;
  status: string;
  steps: { name: string; kind: string }[];
  parameters: Record<string, unknown>;
}

export interface PipelineSchedule {
  id: string;
  name: string;
  status: string;
  experimentName: string;
  nextRunTime: string | null;
  lastRunId: string | null;
  missedFirings: number;
}

/** Ask for an experiment and parameter values, then start the pipeline; resolves to its run id. */
async function runPublished(pipeline: PublishedPipeline): Promise<string | null> {
  const experiment = await InputDialog.getText({
    title: `Run ${pipeline.name}: experiment`,
    text: `${pipeline.name}-runs`
  });
  if (!experiment.button.accept || !experiment.value) {
    return null;
  }
  let assignments: Record<string, unknown> = {};
  if (Object.keys(pipeline.parameters).length) {
    const values = await InputDialog.getText({
      title: 'Pipeline parameters (JSON)',
      text: JSON.stringify(pipeline.parameters)
    });
    if (!values.button.accept) {
      return null;
    }
    try {
      assignments = JSON.parse(values.value || '{}');
    } catch (e) {
      await showErrorMessage('Not JSON', `The parameters must be a JSON object: ${e}`);
      return null;
    }
  }
  const answer = await requestAPI<{ runId: string }>(
    `published-pipelines/${encodeURIComponent(pipeline.id)}/runs`,
    {},
    {
      method: 'POST',
      body: JSON.stringify({ ExperimentName: experiment.value, ParameterAssignments: assignments })
    }
  );
  return answer.runId;
}

export function PipelinesList(props: {
  reloadKey: number;
  openRun: (runId: string) => void;
}): JSX.Element {
  const [pipelines, setPipelines] = useState<PublishedPipeline[]>([]);
  const [schedules, setSchedules] = useState<PipelineSchedule[]>([]);
  useEffect(() => {
    requestAPI<{ pipelines: PublishedPipeline[] }>('published-pipelines')
      .then(body => setPipelines(body.pipelines))
      .catch(() => setPipelines([]));
    requestAPI<{ schedules: PipelineSchedule[] }>('schedules')
      .then(body => setSchedules(body.schedules))
      .catch(() => setSchedules([]));
  }, [props.reloadKey]);
  const start = async (pipeline: PublishedPipeline) => {
    try {
      const runId = await runPublished(pipeline);
      if (runId) {
        props.openRun(runId);
      }
    } catch (e) {
      const message = e instanceof ResponseError ? `${e.message} ${e.hint ?? ''}` : String(e);
      await showErrorMessage(`Could not run ${pipeline.name}`, message);
    }
  };
  return (
    <div className="mls-List mls-List-pipelines">
      {pipelines.length === 0 && <div className="mls-Empty">No published pipelines yet</div>}
      {pipelines.map(p => (
        <div className="mls-ListRow" key={p.id} data-name={p.name}>
          <span className="mls-ListName" title={p.id}>
            {p.name}
          </span>
          <span className="mls-ListDetail">
            {p.version ? `v${p.version} · ` : ''}
            {p.steps.length} {p.steps.length === 1 ? 'step' : 'steps'} · {p.status}
          </span>
          <button
            className="jp-mod-styled mls-SmallButton"
            disabled={p.status !== 'Active'}
            title={`Run ${p.name}`}
            onClick={() => void start(p)}
          >
            Run
          </button>
        </div>
      ))}
      {schedules.length > 0 && <div className="mls-Subheading">Schedules</div>}
      {schedules.map(s => (
        <div
          className={`mls-ListRow ${s.lastRunId ? 'mls-mod-clickable' : ''}`}
          key={s.id}
          data-name={s.name}
          title={s.lastRunId ? 'Open the last run' : 'Not fired yet'}
          onClick={() => s.lastRunId && props.openRun(s.lastRunId)}
        >
          <span className="mls-ListName">{s.name}</span>
          <span className="mls-ListDetail">
            {s.status === 'Active' && s.nextRunTime
              ? `next ${when(Date.parse(s.nextRunTime) / 1000)}`
              : s.status}
            {s.missedFirings ? ` · ${s.missedFirings} missed` : ''}
          </span>
        </div>
      ))}
    </div>
  );
}
