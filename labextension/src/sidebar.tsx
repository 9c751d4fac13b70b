/**
 * The "ML Studio" left sidebar: the workspace, its datasets, experiments and runs (a tree
 * with live status badges), published pipelines and schedules, models, compute and endpoints.
 */
import React, { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ReactWidget, refreshIcon } from '@jupyterlab/ui-components';
import { EventStream, requestAPI, ResponseError } from './api';
import { Section, StatusBadge, when } from './common';
import {
  ComputeTarget,
  DatasetSummary,
  Experiment,
  ModelSummary,
  RunPage,
  RunSummary,
  WorkspaceInfo
} from './types';
import { VirtualList } from './virtuallist';
import { PipelinesList } from './pipelines';

export interface SidebarActions {
  openRun(runId: string): void;
  openDataset(name: string): void;
  openModel(name: string): void;
  openEndpoint(name: string): void;
  compareRuns(runIds: string[]): void;
}

const PAGE = 200;
const ROW = 26;

interface Row {
  run: RunSummary;
  depth: number;
}

function RunsTree(props: {
  events: EventStream;
  actions: SidebarActions;
  reloadKey: number;
}): JSX.Element {
  const [runs, setRuns] = useState<RunSummary[]>([]);
  const [total, setTotal] = useState(0);
  const [status, setStatus] = useState('');
  const [text, setText] = useState('');
  const [children, setChildren] = useState<Record<string, RunSummary[]>>({});
  const [selected, setSelected] = useState<string[]>([]);
  const loading = useRef(false);

  const load = useCallback(
    async (offset: number) => {
      if (loading.current) {
        return;
      }
      loading.current = true;
      try {
        const page = await requestAPI<RunPage>('runs', {
          top_level: true,
          status,
          limit: PAGE,
          offset
        });
        setTotal(page.total);
        setRuns(old => (offset === 0 ? page.runs : [...old, ...page.runs]));
      } finally {
        loading.current = false;
      }
    },
    [status]
  );

  useEffect(() => {
    void load(0);
  }, [load, props.reloadKey]);

  // Live: update badges in place; a new top-level run reloads the first page.
  useEffect(() => {
    let timer = 0;
    return props.events.subscribe(event => {
      if (event.type === 'run' && event.runId) {
        const patch = (list: RunSummary[]) =>
          list.map(r => (r.runId === event.runId ? { ...r, status: event.status ?? r.status } : r));
        setRuns(patch);
        setChildren(old =>
          Object.fromEntries(Object.entries(old).map(([k, v]) => [k, patch(v)]))
        );
        if (event.new) {
          window.clearTimeout(timer);
          timer = window.setTimeout(() => void load(0), 300);
          if (event.parentRunId) {
            setChildren(old => {
              if (!(event.parentRunId! in old)) {
                return old;
              }
              const next = { ...old };
              delete next[event.parentRunId!];
              void expand(event.parentRunId!);
              return next;
            });
          }
        }
      } else if (event.type === 'run_deleted' || event.type === 'resync') {
        void load(0);
      }
    });
  }, [props.events, load]);

  const expand = async (runId: string) => {
    const answer = await requestAPI<{ runs: RunSummary[] }>(
      `runs/${encodeURIComponent(runId)}/children`
    );
    setChildren(old => ({ ...old, [runId]: answer.runs }));
  };
  const toggle = (runId: string) => {
    if (children[runId]) {
      setChildren(old => {
        const next = { ...old };
        delete next[runId];
        return next;
      });
    } else {
      void expand(runId);
    }
  };

  const rows = useMemo(() => {
    const needle = text.toLowerCase();
    const out: Row[] = [];
    const walk = (list: RunSummary[], depth: number) => {
      for (const run of list) {
        const hay = `${run.displayName} ${run.experiment} ${run.status} ${run.runId}`.toLowerCase();
        if (depth > 0 || !needle || hay.includes(needle)) {
          out.push({ run, depth });
          if (children[run.runId]) {
            walk(children[run.runId], depth + 1);
          }
        }
      }
    };
    walk(runs, 0);
    return out;
  }, [runs, children, text]);

  const pick = (runId: string, on: boolean) =>
    setSelected(old => (on ? [...old, runId] : old.filter(r => r !== runId)));

  return (
    <div className="mls-Runs">
      <div className="mls-Filters">
        <input
          className="jp-mod-styled mls-Filter"
          placeholder="Filter runs"
          value={text}
          onChange={e => setText(e.target.value)}
        />
        <select
          className="jp-mod-styled mls-StatusFilter"
          value={status}
          onChange={e => setStatus(e.target.value)}
        >
          <option value="">Any status</option>
          {['Running', 'Queued', 'Completed', 'Failed', 'Canceled'].map(s => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      {selected.length >= 2 && (
        <button
          className="jp-mod-styled jp-mod-accept mls-CompareButton"
          onClick={() => props.actions.compareRuns(selected)}
        >
          Compare {selected.length} runs
        </button>
      )}
      <div className="mls-Runs-count">
        {runs.length} of {total} runs
      </div>
      <VirtualList
        className="mls-RunList"
        items={rows}
        rowHeight={ROW}
        height={Math.min(360, Math.max(ROW * 3, rows.length * ROW + 4))}
        onNeedMore={() => runs.length < total && void load(runs.length)}
        render={({ run, depth }) => (
          <div
            className="mls-RunRow"
            data-run-id={run.runId}
            style={{ paddingLeft: 4 + depth * 14 }}
            title={`${run.runId}\n${when(run.createdAt)}`}
          >
            <span
              className={`mls-Twisty ${run.childCount ? '' : 'mls-mod-leaf'}`}
              onClick={() => run.childCount && toggle(run.runId)}
            >
              {run.childCount ? (children[run.runId] ? '▾' : '▸') : ''}
            </span>
            <input
              type="checkbox"
              className="mls-RunPick"
              checked={selected.includes(run.runId)}
              onChange={e => pick(run.runId, e.target.checked)}
            />
            <span className="mls-RunName" onClick={() => props.actions.openRun(run.runId)}>
              <span className="mls-RunExperiment">{run.experiment}</span> #{run.number}{' '}
              {run.displayName !== run.runId ? run.displayName : ''}
            </span>
            <StatusBadge status={run.status} />
          </div>
        )}
      />
    </div>
  );
}

function useList<T>(path: string, field: string, reloadKey: number): T[] {
  const [items, setItems] = useState<T[]>([]);
  useEffect(() => {
    requestAPI<Record<string, T[]>>(path)
      .then(body => setItems(body[field] ?? []))
      .catch(() => setItems([]));
  }, [path, field, reloadKey]);
  return items;
}

function FilteredList<T>(props: {
  items: T[];
  label: (item: T) => string;
  detail: (item: T) => string;
  onOpen?: (item: T) => void;
  kind: string;
}): JSX.Element {
  const [text, setText] = useState('');
  const shown = props.items.filter(i => props.label(i).toLowerCase().includes(text.toLowerCase()));
  return (
    <div className={`mls-List mls-List-${props.kind}`}>
      {props.items.length > 5 && (
        <input
          className="jp-mod-styled mls-Filter"
          placeholder={`Filter ${props.kind}`}
          value={text}
          onChange={e => setText(e.target.value)}
        />
      )}
      {shown.length === 0 && <div className="mls-Empty">No {props.kind} yet</div>}
      <VirtualList
        items={shown}
        rowHeight={ROW}
        height={Math.min(200, shown.length * ROW + 2)}
        render={item => (
          <div
            className={`mls-ListRow ${props.onOpen ? 'mls-mod-clickable' : ''}`}
            data-name={props.label(item)}
            onClick={() => props.onOpen?.(item)}
          >
            <span className="mls-ListName">{props.label(item)}</span>
            <span className="mls-ListDetail">{props.detail(item)}</span>
          </div>
        )}
      />
    </div>
  );
}

function CreateWorkspace(props: { info: WorkspaceInfo; onCreated: () => void }): JSX.Element {
  const [name, setName] = useState('my-workspace');
  const [error, setError] = useState('');
  const create = async () => {
    try {
      await requestAPI('workspace', {}, { method: 'POST', body: JSON.stringify({ name }) });
      props.onCreated();
    } catch (e) {
      setError(e instanceof ResponseError ? e.message : String(e));
    }
  };
  return (
    <div className="mls-NoWorkspace">
      <p>{props.info.message}</p>
      <p className="mls-Hint">{props.info.hint}</p>
      <pre className="mls-Snippet">{props.info.snippet}</pre>
      <div className="mls-Filters">
        <input
          className="jp-mod-styled"
          value={name}
          onChange={e => setName(e.target.value)}
          aria-label="Workspace name"
        />
        <button className="jp-mod-styled jp-mod-accept" onClick={() => void create()}>
          Create workspace here
        </button>
      </div>
      {error && <div className="mls-Error">{error}</div>}
    </div>
  );
}

function Sidebar(props: { events: EventStream; actions: SidebarActions }): JSX.Element {
  const [info, setInfo] = useState<WorkspaceInfo | null>(null);
  const [reloadKey, setReloadKey] = useState(0);
  const reload = () => setReloadKey(k => k + 1);
  useEffect(() => {
    requestAPI<WorkspaceInfo>('workspace')
      .then(setInfo)
      .catch(e => setInfo({ loaded: false, message: String(e) }));
  }, [reloadKey]);
  const datasets = useList<DatasetSummary>('datasets', 'datasets', reloadKey);
  const experiments = useList<Experiment>('experiments', 'experiments', reloadKey);
  const models = useList<ModelSummary>('models', 'models', reloadKey);
  const compute = useList<ComputeTarget>('compute', 'compute', reloadKey);
  const endpoints = useList<{ name: string; state: string }>('endpoints', 'endpoints', reloadKey);
  // New experiments and models appear without a manual refresh.
  useEffect(
    () =>
      props.events.subscribe(event => {
        if (event.type === 'run' && event.new && !event.parentRunId) {
          reload();
        }
      }),
    [props.events]
  );

  return (
    <div className="mls-Sidebar">
      <div className="mls-Sidebar-header">
        <span className="mls-Sidebar-title">ML Studio</span>
        {info?.loaded && <span className="mls-WorkspaceName">{info.name}</span>}
        <button className="mls-IconButton" title="Refresh" onClick={reload}>
          <refreshIcon.react tag="span" />
        </button>
      </div>
      {info && !info.loaded && <CreateWorkspace info={info} onCreated={reload} />}
      {info?.loaded && (
        <div className="mls-Sidebar-body">
          <Section id="datasets" title="Datasets" count={datasets.length}>
            <FilteredList
              kind="datasets"
              items={datasets}
              label={d => d.name}
              detail={d => `v${d.version}${d.rowCount !== null ? ` · ${d.rowCount} rows` : ''}`}
              onOpen={d => props.actions.openDataset(d.name)}
            />
          </Section>
          <Section id="runs" title="Experiments and runs" count={experiments.length}>
            <RunsTree events={props.events} actions={props.actions} reloadKey={reloadKey} />
          </Section>
          <Section id="pipelines" title="Pipelines">
            <PipelinesList reloadKey={reloadKey} openRun={props.actions.openRun} />
          </Section>
          <Section id="models" title="Models" count={models.length}>
            <FilteredList
              kind="models"
              items={models}
              label={m => m.name}
              detail={m => `v${m.version}${m.versionCount ? ` · ${m.versionCount} versions` : ''}`}
              onOpen={m => props.actions.openModel(m.name)}
            />
          </Section>
          <Section id="endpoints" title="Endpoints" count={endpoints.length} open={endpoints.length > 0}>
            <FilteredList
              kind="endpoints"
              items={endpoints}
              label={e => e.name}
              detail={e => e.state}
              onOpen={e => props.actions.openEndpoint(e.name)}
            />
          </Section>
          <Section id="compute" title="Compute" count={compute.length}>
            <FilteredList
              kind="compute"
              items={compute}
              label={c => c.name}
              detail={c => `${c.type} · ${c.maxConcurrency} slots · ${c.provisioningState}`}
            />
          </Section>
        </div>
      )}
    </div>
  );
}

export class StudioSidebar extends ReactWidget {
  constructor(
    private events: EventStream,
    private actions: SidebarActions
  ) {
    super();
    this.id = 'mlstudio-sidebar';
    this.addClass('mls-SidebarWidget');
  }

  render(): JSX.Element {
    return <Sidebar events={this.events} actions={this.actions} />;
  }
}
