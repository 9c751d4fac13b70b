/**
 * "Visualize output": what a node of a finished (or running) designer run produced, in a
 * panel over the canvas. A DataFrame port shows its first rows and a profile of every column
 * (type, missing values, distinct values, range, a histogram or the top values); a Metrics
 * port and the step's logged metrics show as tables; the step's images (Evaluate Model's ROC
 * and precision-recall curves, confusion matrix, residuals) as pictures.
 */
import * as React from 'react';
import { artifactUrl, ResponseError } from '../api';
import { fetchNodeOutputs } from './api';
import { ColumnProfile, NodeOutputs, PortOutput } from './types';

function format(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) ? String(value) : value.toPrecision(4).replace(/\.?0+$/, '');
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function Histogram(props: { counts: number[] }): JSX.Element {
  const top = Math.max(1, ...props.counts);
  const w = 4;
  return (
    <svg
      className="mls-DesignerHistogram"
      width={props.counts.length * w}
      height={24}
      viewBox={`0 0 ${props.counts.length * w} 24`}
    >
      {props.counts.map((c, i) => (
        <rect key={i} x={i * w} y={24 - (24 * c) / top} width={w - 1} height={(24 * c) / top} />
      ))}
    </svg>
  );
}

function ProfileTable(props: { columns: ColumnProfile[]; rows: number }): JSX.Element {
  return (
    <table className="mls-DesignerTable mls-DesignerProfile">
      <thead>
        <tr>
          <th>Column</th>
          <th>Type</th>
          <th>Missing</th>
          <th>Distinct</th>
          <th>Min</th>
          <th>Max</th>
          <th>Mean</th>
          <th>Std</th>
          <th>Distribution</th>
        </tr>
      </thead>
      <tbody>
        {props.columns.map(c => (
          <tr key={c.name} data-column={c.name}>
            <td>{c.name}</td>
            <td>{c.type}</td>
            <td data-missing={c.missing}>
              {c.missing}
              {c.missing > 0 && ` (${(100 * c.missing_share).toFixed(1)}%)`}
            </td>
            <td>{format(c.distinct)}</td>
            <td>{format(c.min)}</td>
            <td>{format(c.max)}</td>
            <td>{format(c.mean)}</td>
            <td>{format(c.std)}</td>
            <td>
              {c.histogram ? (
                <Histogram counts={c.histogram.counts} />
              ) : (
                <span className="mls-DesignerMuted">
                  {(c.top_values ?? [])
                    .slice(0, 3)
                    .map(t => `${format(t.value)} (${t.count})`)
                    .join(', ')}
                </span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function DataPreview(props: { port: PortOutput }): JSX.Element {
  const { port } = props;
  const [view, setView] = React.useState<'profile' | 'rows'>('profile');
  return (
    <div className="mls-DesignerOutputs-frame">
      <div className="mls-DesignerOutputs-summary">
        {port.rowCount} rows × {port.columns?.length ?? 0} columns
        {port.profile?.sampled && ` (distributions from ${port.profile.sample_rows} sampled rows)`}
        <span className="mls-DesignerSpacer" />
        <button
          className={`jp-mod-styled mls-DesignerButton ${view === 'profile' ? 'mls-mod-active' : ''}`}
          data-view="profile"
          onClick={() => setView('profile')}
        >
          Profile
        </button>
        <button
          className={`jp-mod-styled mls-DesignerButton ${view === 'rows' ? 'mls-mod-active' : ''}`}
          data-view="rows"
          onClick={() => setView('rows')}
        >
          Rows
        </button>
      </div>
      {view === 'profile' && port.profile ? (
        <ProfileTable columns={port.profile.columns} rows={port.profile.rows} />
      ) : (
        <table className="mls-DesignerTable mls-DesignerPreview">
          <thead>
            <tr>
              {(port.columns ?? []).map(c => (
                <th key={c}>{c}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {(port.rows ?? []).map((row, i) => (
              <tr key={i}>
                {row.map((v, j) => (
                  <td key={j}>{format(v)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {view === 'rows' && (port.rows?.length ?? 0) < (port.rowCount ?? 0) && (
        <div className="mls-DesignerMuted">
          The first {port.rows?.length} of {port.rowCount} rows.
        </div>
      )}
    </div>
  );
}

function MetricsTable(props: { metrics: Record<string, unknown> }): JSX.Element {
  const entries = Object.entries(props.metrics).filter(
    ([, v]) => v === null || typeof v !== 'object'
  );
  return (
    <table className="mls-DesignerTable mls-DesignerMetrics">
      <tbody>
        {entries.map(([k, v]) => (
          <tr key={k} data-metric={k}>
            <th>{k}</th>
            <td>{format(v)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

interface Tab {
  key: string;
  label: string;
  body: () => JSX.Element;
}

function tabsOf(outputs: NodeOutputs): Tab[] {
  const tabs: Tab[] = [];
  for (const port of outputs.ports) {
    if (port.type === 'DataFrame') {
      tabs.push({ key: `port:${port.name}`, label: port.name, body: () => <DataPreview port={port} /> });
    } else if (port.type === 'Metrics' && port.metrics) {
      tabs.push({
        key: `port:${port.name}`,
        label: port.name,
        body: () => <MetricsTable metrics={port.metrics!} />
      });
    }
  }
  if (Object.keys(outputs.metrics).length) {
    tabs.push({ key: 'metrics', label: 'Metrics', body: () => <MetricsTable metrics={outputs.metrics} /> });
  }
  if (outputs.images.length) {
    tabs.push({
      key: 'images',
      label: 'Images',
      body: () => (
        <div className="mls-DesignerImages">
          {outputs.images.map(path => (
            <figure key={path}>
              <img src={artifactUrl(outputs.imagesRunId, path)} alt={path} data-image={path} />
              <figcaption>{path.replace(/^images\//, '').replace(/\.png$/, '')}</figcaption>
            </figure>
          ))}
        </div>
      )
    });
  }
  const others = outputs.ports.filter(p => p.type !== 'DataFrame' && p.type !== 'Metrics');
  if (others.length) {
    tabs.push({
      key: 'files',
      label: 'Other outputs',
      body: () => (
        <table className="mls-DesignerTable">
          <tbody>
            {others.map(p => (
              <tr key={p.name}>
                <th>{p.name}</th>
                <td>{p.type}</td>
                <td>{p.files.join(', ') || 'empty'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )
    });
  }
  return tabs;
}

/** The panel; asks the server for the node's outputs when opened. */
export function NodeOutputsPanel(props: {
  runId: string;
  nodeId: string;
  title: string;
  onClose: () => void;
  onOpenRun: (runId: string) => void;
}): JSX.Element {
  const { runId, nodeId } = props;
  const [outputs, setOutputs] = React.useState<NodeOutputs | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [tab, setTab] = React.useState<string | null>(null);
  React.useEffect(() => {
    let live = true;
    setOutputs(null);
    setError(null);
    fetchNodeOutputs(runId, nodeId)
      .then(o => live && setOutputs(o))
      .catch(e => live && setError(e instanceof ResponseError ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [runId, nodeId]);
  const tabs = outputs ? tabsOf(outputs) : [];
  const shown = tabs.find(t => t.key === tab) ?? tabs[0];
  return (
    <div
      className="mls-DesignerOutputs"
      data-node-id={nodeId}
      role="dialog"
      aria-label={`Outputs of ${props.title}`}
      onKeyDown={e => {
        if (e.key === 'Escape') {
          props.onClose();
        }
        e.stopPropagation(); // the canvas' shortcuts (delete, copy) stay out of the panel
      }}
    >
      <div className="mls-DesignerOutputs-head">
        <span className="mls-DesignerOutputs-title">Outputs of {props.title}</span>
        {outputs && (
          <>
            <span className={`mls-DesignerNode-status mls-Status-${outputs.status}`}>
              {outputs.status}
            </span>
            {outputs.reusedRunId && (
              <span className="mls-DesignerMuted">reused from {outputs.reusedRunId}</span>
            )}
            <a
              href="#"
              onClick={e => {
                e.preventDefault();
                props.onOpenRun(outputs.stepRunId);
              }}
            >
              step run
            </a>
          </>
        )}
        <span className="mls-DesignerSpacer" />
        <button
          className="jp-mod-styled mls-DesignerButton mls-DesignerOutputs-close"
          title="Close (Escape)"
          onClick={props.onClose}
        >
          ×
        </button>
      </div>
      {error && <div className="mls-DesignerError">{error}</div>}
      {!outputs && !error && <div className="mls-DesignerMuted">Loading…</div>}
      {outputs && tabs.length === 0 && (
        <div className="mls-DesignerMuted">This step wrote no output to show yet.</div>
      )}
      {tabs.length > 0 && (
        <div className="mls-DesignerOutputs-tabs">
          {tabs.map(t => (
            <button
              key={t.key}
              className={`mls-DesignerOutputs-tab ${t === shown ? 'mls-mod-active' : ''}`}
              data-tab={t.key}
              onClick={() => setTab(t.key)}
            >
              {t.label}
            </button>
          ))}
        </div>
      )}
      {shown && <div className="mls-DesignerOutputs-body">{shown.body()}</div>}
    </div>
  );
}
