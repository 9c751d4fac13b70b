/**
 * The run view: summary, params, live metric charts, a log that follows, artifacts with
 * image preview, and child runs.
 */
import React, { useCallback, useEffect, useRef, useState } from 'react';
import { Dialog, MainAreaWidget, showDialog } from '@jupyterlab/apputils';
import { ReactWidget } from '@jupyterlab/ui-components';
import { artifactUrl, EventStream, requestAPI } from './api';
import { ChartSeries, MetricChart } from './chart';
import { duration, KeyValues, Section, StatusBadge, when } from './common';
import { ACTIVE, Artifact, LogChunk, RunDetails, RunSummary, Series } from './types';

const MAX_POINTS = 1000;

/** One metric of one run: downsampled on the server, full resolution when zoomed. */
export function RunMetricChart(props: {
  runId: string;
  metric: string;
  events: EventStream;
}): JSX.Element {
  const { runId, metric } = props;
  const [series, setSeries] = useState<ChartSeries[]>([]);
  const [info, setInfo] = useState('');
  const zoomed = useRef(false);

  const fetchRange = useCallback(
    async (range: [number, number] | null) => {
      zoomed.current = range !== null;
      const s = await requestAPI<Series>(`runs/${encodeURIComponent(runId)}/series`, {
        key: metric,
        max_points: MAX_POINTS,
        step_min: range?.[0],
        step_max: range?.[1]
      });
      setSeries([{ label: metric, steps: s.steps, values: s.values }]);
      setInfo(
        s.downsampled
          ? `${s.total} points, min/max of ${s.values.length / 2} buckets shown: drag to zoom`
          : `${s.total} points${range ? ' (zoomed: double-click to zoom out)' : ''}`
      );
    },
    [runId, metric]
  );

  useEffect(() => {
    void fetchRange(null);
  }, [fetchRange]);

  // Live points are appended while the chart shows the whole series.
  useEffect(
    () =>
      props.events.subscribe(event => {
        if (event.type === 'metrics' && event.runId === runId && event.key === metric) {
          if (zoomed.current) {
            return;
          }
          setSeries(old => {
            const base = old[0] ?? { label: metric, steps: [], values: [] };
            // Points the first fetch already brought can come again as events (they were
            // logged while it ran): keep only steps past the last one shown, so the line
            // never runs back.
            const last = base.steps.length ? base.steps[base.steps.length - 1] : -Infinity;
            const fresh = (event.steps ?? []).flatMap((step, i) =>
              step > last ? [[step, (event.values ?? [])[i]] as const] : []
            );
            if (fresh.length === 0) {
              return old;
            }
            return [
              {
                label: metric,
                steps: [...base.steps, ...fresh.map(p => p[0])],
                values: [...base.values, ...fresh.map(p => p[1])]
              }
            ];
          });
        }
      }),
    [props.events, runId, metric]
  );

  return (
    <div className="mls-ChartBox" data-metric={metric}>
      <MetricChart title={metric} series={series} onZoom={r => void fetchRange(r)} />
      <div className="mls-ChartInfo">{info}</div>
    </div>
  );
}

function LogPanel(props: { runId: string; active: boolean; events: EventStream }): JSX.Element {
  const { runId } = props;
  const [text, setText] = useState('');
  const [files, setFiles] = useState<string[]>([]);
  const pre = useRef<HTMLPreElement>(null);
  const follow = useRef(true);

  useEffect(() => {
    let stop = false;
    requestAPI<LogChunk>(`runs/${encodeURIComponent(runId)}/logs`).then(chunk => {
      if (stop) {
        return;
      }
      setText(chunk.text);
      setFiles(chunk.files);
      props.events.followLog(runId, chunk.offset);
    });
    const off = props.events.subscribe(event => {
      if (event.type === 'log' && event.runId === runId) {
        setText(old => (old + (event.text ?? '')).slice(-512 * 1024));
      }
    });
    return () => {
      stop = true;
      off();
      props.events.unfollowLog(runId);
    };
  }, [runId, props.events]);

  useEffect(() => {
    if (follow.current && pre.current) {
      pre.current.scrollTop = pre.current.scrollHeight;
    }
  }, [text]);

  return (
    <div className="mls-Logs">
      <div className="mls-LogFiles">{files.join(' · ')}</div>
      <pre
        ref={pre}
        className="mls-LogText"
        onScroll={e => {
          const el = e.currentTarget;
          follow.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 20;
        }}
      >
        {text || (props.active ? 'Waiting for output…' : 'No log output.')}
      </pre>
    </div>
  );
}

/** An executed notebook kept with the run, shown as text (its HTML outputs are not rendered). */
function NotebookPreview(props: { runId: string; path: string }): JSX.Element {
  const [nb, setNb] = useState<any>(null);
  useEffect(() => {
    requestAPI<any>(`runs/${encodeURIComponent(props.runId)}/artifacts/content`, {
      path: props.path
    })
      .then(setNb)
      .catch(() => setNb(null));
  }, [props.runId, props.path]);
  if (!nb) {
    return <div className="mls-Loading">Loading {props.path}…</div>;
  }
  const text = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join('') : v ?? '');
  return (
    <div className="mls-Notebook" data-path={props.path}>
      <div className="mls-LogFiles">{props.path}</div>
      {(nb.cells ?? []).map((cell: any, i: number) => (
        <div className="mls-Cell" key={i}>
          <pre className="mls-CellSource">{text(cell.source)}</pre>
          {(cell.outputs ?? []).map((out: any, j: number) => {
            if (out.data?.['image/png']) {
              return (
                <img key={j} src={`data:image/png;base64,${text(out.data['image/png'])}`} />
              );
            }
            const body =
              out.output_type === 'stream'
                ? text(out.text)
                : out.output_type === 'error'
                  ? `${out.ename}: ${out.evalue}`
                  : text(out.data?.['text/plain']);
            return (
              <pre key={j} className="mls-CellOutput">
                {body}
              </pre>
            );
          })}
        </div>
      ))}
    </div>
  );
}

function Artifacts(props: { runId: string; reloadKey: string }): JSX.Element {
  const [items, setItems] = useState<Artifact[]>([]);
  useEffect(() => {
    requestAPI<{ artifacts: Artifact[] }>(`runs/${encodeURIComponent(props.runId)}/artifacts`).then(
      a => setItems(a.artifacts)
    );
  }, [props.runId, props.reloadKey]);
  if (!items.length) {
    return <div className="mls-Empty">No files</div>;
  }
  return (
    <div className="mls-Artifacts">
      <ul className="mls-ArtifactList">
        {items.map(a => (
          <li key={a.name}>
            <a href={artifactUrl(props.runId, a.name, true)} download>
              {a.name}
            </a>
          </li>
        ))}
      </ul>
      {items
        .filter(a => a.name.endsWith('.ipynb'))
        .map(a => (
          <NotebookPreview key={a.name} runId={props.runId} path={a.name} />
        ))}
      <div className="mls-Images">
        {items
          .filter(a => a.contentType.startsWith('image/'))
          .map(a => (
            <figure key={a.name}>
              <img src={artifactUrl(props.runId, a.name)} alt={a.name} />
              <figcaption>{a.name}</figcaption>
            </figure>
          ))}
      </div>
    </div>
  );
}

function RunView(props: {
  runId: string;
  events: EventStream;
  openRun: (runId: string) => void;
  onDeleted: () => void;
}): JSX.Element {
  const { runId } = props;
  const [run, setRun] = useState<RunDetails | null>(null);
  const [children, setChildren] = useState<RunSummary[]>([]);
  const [error, setError] = useState('');

  const load = useCallback(async () => {
    try {
      const [details, kids] = await Promise.all([
        requestAPI<RunDetails>(`runs/${encodeURIComponent(runId)}`),
        requestAPI<{ runs: RunSummary[] }>(`runs/${encodeURIComponent(runId)}/children`)
      ]);
      setRun(details);
      setChildren(kids.runs);
    } catch (e) {
      setError(String((e as Error).message ?? e));
    }
  }, [runId]);

  useEffect(() => {
    void load();
  }, [load]);

  // Status changes and new metric keys come live; a finished run is loaded once more.
  useEffect(() => {
    let timer = 0;
    const again = () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => void load(), 250);
    };
    return props.events.subscribe(event => {
      if (event.type === 'run' && (event.runId === runId || event.parentRunId === runId)) {
        if (event.runId === runId) {
          setRun(old => (old ? { ...old, status: event.status ?? old.status } : old));
        }
        again();
      } else if (event.type === 'metrics' && event.runId === runId) {
        setRun(old => {
          if (old && !old.metricKeys.some(m => m.key === event.key && m.count > 1)) {
            again();
          }
          return old;
        });
      }
    });
  }, [props.events, runId, load]);

  if (error) {
    return <div className="mls-Error">{error}</div>;
  }
  if (!run) {
    return <div className="mls-Loading">Loading run…</div>;
  }
  const charted = run.metricKeys.filter(m => m.kind === 'scalar' && m.count > 1);
  const scalars = Object.fromEntries(
    run.metricKeys.filter(m => !charted.includes(m)).map(m => [m.key, m.latest ?? `(${m.kind})`])
  );
  const active = ACTIVE.has(run.status);
  return (
    <div className="mls-RunView" data-run-id={run.runId} data-status={run.status}>
      <div className="mls-RunView-header">
        <h2>
          {run.experiment} #{run.number} <span className="mls-RunId">{run.runId}</span>
        </h2>
        <StatusBadge status={run.status} />
        <button
          className="jp-mod-styled mls-RunActions mls-DeleteRun"
          disabled={active}
          title={active ? 'Cancel the run before deleting it' : 'Delete this run for good'}
          onClick={() => void deleteRun(run, props.onDeleted)}
        >
          Delete run
        </button>
      </div>
      <div className="mls-Grid">
        <Section id="summary" title="Summary">
          <KeyValues
            values={{
              Status: run.status,
              Experiment: run.experiment,
              'Run type': run.runType,
              Compute: run.target,
              Created: when(run.createdAt),
              Started: when(run.startedAt),
              Ended: when(run.endedAt),
              Duration: duration(run.startedAt, run.endedAt),
              ...(run.parentRunId ? { Parent: run.parentRunId } : {}),
              ...(run.error ? { Error: run.error.message ?? JSON.stringify(run.error) } : {})
            }}
          />
        </Section>
        <Section id="params" title="Parameters">
          <KeyValues values={run.params} />
        </Section>
        <Section id="tags" title="Tags">
          <KeyValues values={run.tags} />
        </Section>
        <Section id="scalars" title="Metrics">
          <KeyValues values={scalars} />
        </Section>
      </div>
      <Section id="charts" title="Charts">
        <div className="mls-Charts">
          {charted.length === 0 && <div className="mls-Empty">No metric series yet</div>}
          {charted.map(m => (
            <RunMetricChart key={m.key} runId={runId} metric={m.key} events={props.events} />
          ))}
        </div>
      </Section>
      <Section id="logs" title="Logs">
        <LogPanel runId={runId} active={active} events={props.events} />
      </Section>
      <Section id="artifacts" title="Outputs and files">
        <Artifacts runId={runId} reloadKey={run.status} />
      </Section>
      <Section id="children" title="Child runs" count={children.length} open={children.length > 0}>
        <table className="mls-Table">
          <tbody>
            {children.map(c => (
              <tr key={c.runId} className="mls-ChildRow" onClick={() => props.openRun(c.runId)}>
                <td>#{c.number}</td>
                <td>{c.displayName}</td>
                <td>
                  <StatusBadge status={c.status} />
                </td>
                <td>{c.childCount ? `${c.childCount} children` : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </div>
  );
}

/** Delete a run (and its child runs) for good, after the user confirms. */
async function deleteRun(run: RunDetails, done: () => void): Promise<void> {
  const answer = await showDialog({
    title: 'Delete run permanently?',
    body: `${run.experiment} #${run.number} (${run.runId})${
      run.childCount ? ` and its child runs` : ''
    }, with its metrics and files, will be deleted. This cannot be undone.`,
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Delete' })]
  });
  if (answer.button.accept) {
    await requestAPI(`runs/${encodeURIComponent(run.runId)}`, {}, { method: 'DELETE' });
    done();
  }
}

export function createRunView(
  runId: string,
  events: EventStream,
  openRun: (runId: string) => void
): MainAreaWidget {
  let widget: MainAreaWidget | null = null;
  const content = ReactWidget.create(
    <RunView runId={runId} events={events} openRun={openRun} onDeleted={() => {
        events.emit({ type: 'run_deleted', runId });
        widget?.dispose();
      }} />
  );
  content.addClass('mls-Main');
  widget = new MainAreaWidget({ content });
  widget.id = `mlstudio-run-${runId}`;
  widget.title.label = `Run ${runId.length > 24 ? runId.slice(0, 24) + '…' : runId}`;
  widget.title.caption = runId;
  widget.title.closable = true;
  return widget;
}
