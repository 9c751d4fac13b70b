/**
 * Compare runs (overlaid charts and a params/metrics diff table, across experiments), and
 * the dataset and model views.
 */
import React, { useEffect, useState } from 'react';
import { MainAreaWidget } from '@jupyterlab/apputils';
import { ReactWidget } from '@jupyterlab/ui-components';
import { requestAPI } from './api';
import { ChartSeries, MetricChart } from './chart';
import { KeyValues, Section, StatusBadge, when } from './common';
import { RunDetails, Series } from './types';

function CompareView(props: { runIds: string[] }): JSX.Element {
  const [runs, setRuns] = useState<RunDetails[]>([]);
  const [charts, setCharts] = useState<Record<string, ChartSeries[]>>({});
  useEffect(() => {
    void (async () => {
      const details = await Promise.all(
        props.runIds.map(id => requestAPI<RunDetails>(`runs/${encodeURIComponent(id)}`))
      );
      setRuns(details);
      const keys = new Set<string>();
      details.forEach(r => r.metricKeys.filter(m => m.count > 1).forEach(m => keys.add(m.key)));
      const out: Record<string, ChartSeries[]> = {};
      for (const key of keys) {
        const series = await Promise.all(
          details
            .filter(r => r.metricKeys.some(m => m.key === key))
            .map(async r => {
              const s = await requestAPI<Series>(`runs/${encodeURIComponent(r.runId)}/series`, {
                key,
                max_points: 1000
              });
              return { label: `${r.experiment} #${r.number}`, steps: s.steps, values: s.values };
            })
        );
        out[key] = series;
      }
      setCharts(out);
    })();
  }, [props.runIds.join(',')]);

  const rowsOf = (pick: (r: RunDetails) => Record<string, unknown>) => {
    const keys = Array.from(new Set(runs.flatMap(r => Object.keys(pick(r))))).sort();
    return keys.map(k => {
      const values = runs.map(r => pick(r)[k]);
      const differs = new Set(values.map(v => JSON.stringify(v ?? null))).size > 1;
      return { k, values, differs };
    });
  };
  const table = (title: string, pick: (r: RunDetails) => Record<string, unknown>) => (
    <Section id={title.toLowerCase()} title={title}>
      <table className="mls-Table mls-Diff">
        <thead>
          <tr>
            <th />
            {runs.map(r => (
              <th key={r.runId}>
                {r.experiment} #{r.number}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rowsOf(pick).map(row => (
            <tr key={row.k} className={row.differs ? 'mls-mod-differs' : ''}>
              <th>{row.k}</th>
              {row.values.map((v, i) => (
                <td key={i}>{v === undefined || v === null ? '—' : String(v)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
  return (
    <div className="mls-CompareView">
      <h2>Compare {runs.length} runs</h2>
      <div className="mls-CompareRuns">
        {runs.map(r => (
          <span key={r.runId} className="mls-CompareRun">
            {r.experiment} #{r.number} <StatusBadge status={r.status} />
          </span>
        ))}
      </div>
      <Section id="charts" title="Charts">
        <div className="mls-Charts">
          {Object.entries(charts).map(([key, series]) => (
            <div className="mls-ChartBox" key={key} data-metric={key}>
              <MetricChart title={key} series={series} />
            </div>
          ))}
        </div>
      </Section>
      {table('Parameters', r => r.params)}
      {table('Metrics', r => r.metrics)}
    </div>
  );
}

interface ColumnProfile {
  name: string;
  type: string;
  missing: number;
  distinct: number | null;
  min?: unknown;
  max?: unknown;
  mean?: number;
  histogram?: { counts: number[]; edges: number[] };
  top_values?: { value: unknown; count: number }[];
}

function Histogram({ counts }: { counts: number[] }): JSX.Element {
  const top = Math.max(1, ...counts);
  return (
    <div className="mls-Histogram">
      {counts.map((c, i) => (
        <span key={i} style={{ height: `${(100 * c) / top}%` }} title={String(c)} />
      ))}
    </div>
  );
}

function DatasetView(props: { name: string }): JSX.Element {
  const [dataset, setDataset] = useState<any>(null);
  const [versions, setVersions] = useState<any[]>([]);
  const [page, setPage] = useState<any>(null);
  const [offset, setOffset] = useState(0);
  const base = `datasets/${encodeURIComponent(props.name)}`;
  useEffect(() => {
    requestAPI<any>(base).then(setDataset);
    requestAPI<{ versions: any[] }>(`${base}/versions`).then(v => setVersions(v.versions));
  }, [props.name]);
  useEffect(() => {
    requestAPI<any>(`${base}/preview`, { offset, limit: 50 })
      .then(setPage)
      .catch(() => setPage(null));
  }, [props.name, offset]);
  if (!dataset) {
    return <div className="mls-Loading">Loading dataset…</div>;
  }
  const columns: ColumnProfile[] = dataset.profile?.columns ?? [];
  return (
    <div className="mls-DatasetView">
      <h2>
        {dataset.name} <span className="mls-RunId">version {dataset.version}</span>
      </h2>
      <p>{dataset.description}</p>
      <Section id="profile" title="Profile">
        <table className="mls-Table mls-Profile">
          <thead>
            <tr>
              <th>Column</th>
              <th>Type</th>
              <th>Missing</th>
              <th>Distinct</th>
              <th>Min</th>
              <th>Max</th>
              <th>Mean</th>
              <th>Distribution</th>
            </tr>
          </thead>
          <tbody>
            {columns.map(c => (
              <tr key={c.name}>
                <th>{c.name}</th>
                <td>{c.type}</td>
                <td>{c.missing}</td>
                <td>{c.distinct ?? ''}</td>
                <td>{c.min === undefined ? '' : String(c.min)}</td>
                <td>{c.max === undefined ? '' : String(c.max)}</td>
                <td>{c.mean === undefined || c.mean === null ? '' : c.mean.toPrecision(4)}</td>
                <td>
                  {c.histogram ? (
                    <Histogram counts={c.histogram.counts} />
                  ) : (
                    (c.top_values ?? [])
                      .slice(0, 3)
                      .map(t => `${t.value} (${t.count})`)
                      .join(', ')
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <Section id="preview" title="Preview">
        {page ? (
          <div>
            <div className="mls-Pager">
              <button
                className="jp-mod-styled"
                disabled={offset === 0}
                onClick={() => setOffset(Math.max(0, offset - 50))}
              >
                Previous
              </button>
              <span>
                Rows {offset + 1}–{offset + page.rows.length} of {page.total ?? '?'}
              </span>
              <button
                className="jp-mod-styled"
                disabled={page.rows.length < 50}
                onClick={() => setOffset(offset + 50)}
              >
                Next
              </button>
            </div>
            <div className="mls-PreviewBox">
              <table className="mls-Table mls-Preview">
                <thead>
                  <tr>
                    {page.columns.map((c: string) => (
                      <th key={c}>{c}</th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {page.rows.map((row: unknown[], i: number) => (
                    <tr key={i}>
                      {row.map((v, j) => (
                        <td key={j}>{v === null ? '' : String(v)}</td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
        ) : (
          <div className="mls-Empty">No preview (a file dataset)</div>
        )}
      </Section>
      <Section id="versions" title="Versions">
        <table className="mls-Table">
          <tbody>
            {versions.map(v => (
              <tr key={v.version}>
                <th>v{v.version}</th>
                <td>{when(v.createdAt)}</td>
                <td>{v.rowCount ?? ''} rows</td>
                <td>{v.schemaChange ? JSON.stringify(v.schemaChange) : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <Section id="lineage" title="Lineage">
        <KeyValues
          values={{
            'Used by runs': dataset.runs.map((r: any) => `${r.runId} (${r.role})`).join(', '),
            'Models trained on it': dataset.models
              .map((m: any) => `${m.name}:${m.version}`)
              .join(', ')
          }}
        />
      </Section>
    </div>
  );
}

function ModelView(props: {
  name: string;
  openRun: (id: string) => void;
  deploy: (name: string, version: number) => void;
}): JSX.Element {
  const [model, setModel] = useState<any>(null);
  const [versions, setVersions] = useState<any[]>([]);
  const base = `models/${encodeURIComponent(props.name)}`;
  useEffect(() => {
    requestAPI<any>(base).then(setModel);
    requestAPI<{ versions: any[] }>(`${base}/versions`).then(v => setVersions(v.versions));
  }, [props.name]);
  if (!model) {
    return <div className="mls-Loading">Loading model…</div>;
  }
  return (
    <div className="mls-ModelView">
      <div className="mls-RunView-header">
        <h2>
          {model.name} <span className="mls-RunId">version {model.version}</span>
        </h2>
        <button
          className="jp-mod-styled jp-mod-accept mls-RunActions mls-Deploy"
          onClick={() => props.deploy(model.name, model.version)}
        >
          Deploy
        </button>
      </div>
      <p>{model.description}</p>
      <div className="mls-Grid">
        <Section id="details" title="Details">
          <KeyValues
            values={{
              Framework: model.framework ?? '',
              Created: model.createdTime ?? '',
              Endpoints: (model.lineage?.endpoints ?? []).join(', ')
            }}
          />
        </Section>
        <Section id="tags" title="Tags">
          <KeyValues values={model.tags} />
        </Section>
      </div>
      <Section id="lineage" title="Lineage">
        {model.lineage?.run_id && (
          <p>
            Trained by run{' '}
            <a href="#" onClick={() => props.openRun(model.lineage.run_id)}>
              {model.lineage.run_id}
            </a>
          </p>
        )}
        <KeyValues
          values={{
            'Run inputs': (model.lineage?.run_datasets ?? []).map((d: any) => d.dataset).join(', '),
            'Registered with': JSON.stringify(model.lineage?.datasets ?? [])
          }}
        />
      </Section>
      <Section id="versions" title="Versions">
        <table className="mls-Table">
          <tbody>
            {versions.map(v => (
              <tr key={v.version}>
                <th>v{v.version}</th>
                <td>{v.createdTime}</td>
                <td>{Object.entries(v.tags ?? {}).map(([k, x]) => `${k}=${x}`).join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </div>
  );
}

function wrap(id: string, label: string, element: JSX.Element): MainAreaWidget {
  const content = ReactWidget.create(element);
  content.addClass('mls-Main');
  const widget = new MainAreaWidget({ content });
  widget.id = id;
  widget.title.label = label;
  widget.title.closable = true;
  return widget;
}

export const createCompareView = (runIds: string[]) =>
  wrap(`mlstudio-compare-${runIds.join('-')}`, `Compare ${runIds.length} runs`, <CompareView runIds={runIds} />);
export const createDatasetView = (name: string) =>
  wrap(`mlstudio-dataset-${name}`, `Dataset ${name}`, <DatasetView name={name} />);
export const createModelView = (
  name: string,
  openRun: (id: string) => void,
  deploy: (name: string, version: number) => void
) =>
  wrap(
    `mlstudio-model-${name}`,
    `Model ${name}`,
    <ModelView name={name} openRun={openRun} deploy={deploy} />
  );
