/**
 * The properties panel: a form generated from the selected node's parameter schema (types,
 * defaults, ranges, choices), its problems and step run; or the pipeline's own settings.
 */
import * as React from 'react';
import { ComponentNodeData } from './nodes';
import { ParameterInfo, PipelineDoc, Problem } from './types';

function NumberField(props: {
  param: ParameterInfo;
  value: unknown;
  onChange: (value: number | undefined) => void;
}): JSX.Element {
  const { param, value, onChange } = props;
  const shown = value === undefined || value === null ? '' : String(value);
  const [draft, setDraft] = React.useState(shown);
  React.useEffect(() => setDraft(shown), [shown]);
  return (
    <input
      type="number"
      className="jp-mod-styled"
      name={param.name}
      value={draft}
      min={param.min ?? undefined}
      max={param.max ?? undefined}
      step={param.type === 'int' ? 1 : 'any'}
      placeholder={param.default === null ? '' : String(param.default)}
      onChange={e => {
        setDraft(e.target.value);
        if (e.target.value.trim() === '') {
          onChange(undefined);
          return;
        }
        const parsed = Number(e.target.value);
        if (Number.isFinite(parsed) && (param.type !== 'int' || Number.isInteger(parsed))) {
          onChange(parsed);
        }
      }}
      onBlur={() => setDraft(shown)}
    />
  );
}

function ParameterField(props: {
  param: ParameterInfo;
  value: unknown;
  problems: Problem[];
  onChange: (value: unknown) => void;
}): JSX.Element {
  const { param, value, problems, onChange } = props;
  const current = value === undefined ? param.default : value;
  let input: JSX.Element;
  if (value !== null && typeof value === 'object' && 'pipelineParameter' in (value as object)) {
    input = (
      <div className="mls-DesignerMuted">
        bound to pipeline parameter{' '}
        <code>{String((value as { pipelineParameter: string }).pipelineParameter)}</code>
      </div>
    );
  } else if (param.type === 'bool') {
    input = (
      <input
        type="checkbox"
        name={param.name}
        checked={Boolean(current)}
        onChange={e => onChange(e.target.checked)}
      />
    );
  } else if (param.choices && param.choices.length) {
    input = (
      <select
        className="jp-mod-styled"
        name={param.name}
        value={String(current ?? '')}
        onChange={e => {
          const picked = param.choices!.find(c => String(c) === e.target.value);
          onChange(picked);
        }}
      >
        {param.choices.map(c => (
          <option key={String(c)} value={String(c)}>
            {String(c)}
          </option>
        ))}
      </select>
    );
  } else if (param.type === 'int' || param.type === 'float') {
    input = <NumberField param={param} value={value} onChange={onChange} />;
  } else if (param.type === 'text') {
    input = (
      <textarea
        className="jp-mod-styled"
        name={param.name}
        rows={5}
        value={String(current ?? '')}
        onChange={e => onChange(e.target.value)}
      />
    );
  } else {
    input = (
      <input
        type="text"
        className="jp-mod-styled"
        name={param.name}
        value={String(current ?? '')}
        placeholder={param.type === 'columns' ? 'column names, comma-separated' : ''}
        onChange={e => onChange(e.target.value)}
      />
    );
  }
  const range =
    param.min !== null || param.max !== null
      ? ` ${param.min ?? '…'} to ${param.max ?? '…'}`
      : '';
  return (
    <label className="mls-DesignerField" data-parameter={param.name}>
      <span className="mls-DesignerField-name">
        {param.name}
        <span className="mls-DesignerMuted">
          {' '}
          {param.type}
          {range}
        </span>
      </span>
      {input}
      {param.description && <span className="mls-DesignerMuted">{param.description}</span>}
      {problems.map((p, i) => (
        <span key={i} className={`mls-DesignerProblem mls-DesignerProblem-${p.severity}`}>
          {p.message}
        </span>
      ))}
    </label>
  );
}

export interface NodeEdit {
  parameters?: Record<string, unknown>;
  name?: string;
  comment?: string;
}

export function NodeProperties(props: {
  data: ComponentNodeData;
  onEdit: (edit: NodeEdit, coalesce: string) => void;
  onOpenRun: (runId: string) => void;
  onVisualize: () => void;
}): JSX.Element {
  const { data, onEdit, onOpenRun, onVisualize } = props;
  const comp = data.component;
  const params = data.doc.parameters;
  const nodeProblems = data.problems.filter(p => !p.parameter);
  return (
    <div className="mls-DesignerProperties-body" data-node-id={data.doc.id}>
      <div className="mls-DesignerProperties-title">{comp?.name ?? data.doc.component.ref}</div>
      {comp && <div className="mls-DesignerMuted">{comp.description}</div>}
      {data.status && (
        <div className="mls-DesignerProperties-run">
          <span className={`mls-DesignerNode-status mls-Status-${data.status}`}>
            {data.status}
          </span>
          {data.stepRunId && (
            <button
              className="jp-mod-styled mls-DesignerButton mls-DesignerOpenStep"
              onClick={() => onOpenRun(data.stepRunId!)}
            >
              Open step run
            </button>
          )}
          {data.stepRunId && (
            <button
              className="jp-mod-styled mls-DesignerButton mls-DesignerVisualize"
              onClick={onVisualize}
            >
              Visualize output
            </button>
          )}
        </div>
      )}
      {nodeProblems.map((p, i) => (
        <div key={i} className={`mls-DesignerProblem mls-DesignerProblem-${p.severity}`}>
          {p.message}
        </div>
      ))}
      <label className="mls-DesignerField">
        <span className="mls-DesignerField-name">Node name</span>
        <input
          type="text"
          className="jp-mod-styled"
          name="__name"
          value={data.doc.name ?? ''}
          placeholder={comp?.name ?? ''}
          onChange={e => onEdit({ name: e.target.value }, `name:${data.doc.id}`)}
        />
      </label>
      {(comp?.parameters ?? []).map(param => (
        <ParameterField
          key={param.name}
          param={param}
          value={params[param.name]}
          problems={data.problems.filter(p => p.parameter === param.name)}
          onChange={value => {
            const next = { ...params };
            if (value === undefined) {
              delete next[param.name];
            } else {
              next[param.name] = value;
            }
            onEdit({ parameters: next }, `param:${data.doc.id}:${param.name}`);
          }}
        />
      ))}
      <label className="mls-DesignerField">
        <span className="mls-DesignerField-name">Comment</span>
        <textarea
          className="jp-mod-styled"
          name="__comment"
          rows={2}
          value={data.doc.comment ?? ''}
          onChange={e => onEdit({ comment: e.target.value }, `comment:${data.doc.id}`)}
        />
      </label>
    </div>
  );
}

export function PipelineProperties(props: {
  doc: PipelineDoc;
  problems: Problem[];
  selected: number;
  onEdit: (edit: Partial<PipelineDoc>, coalesce: string) => void;
}): JSX.Element {
  const { doc, problems, selected, onEdit } = props;
  return (
    <div className="mls-DesignerProperties-body">
      <div className="mls-DesignerProperties-title">
        {selected > 1 ? `${selected} nodes selected` : 'Pipeline'}
      </div>
      <label className="mls-DesignerField">
        <span className="mls-DesignerField-name">Name</span>
        <input
          type="text"
          className="jp-mod-styled"
          value={doc.name}
          onChange={e => onEdit({ name: e.target.value }, 'doc:name')}
        />
      </label>
      <label className="mls-DesignerField">
        <span className="mls-DesignerField-name">Description</span>
        <textarea
          className="jp-mod-styled"
          rows={2}
          value={doc.description}
          onChange={e => onEdit({ description: e.target.value }, 'doc:description')}
        />
      </label>
      <label className="mls-DesignerField">
        <span className="mls-DesignerField-name">Default compute</span>
        <input
          type="text"
          className="jp-mod-styled"
          value={doc.settings.compute ?? 'local'}
          onChange={e =>
            onEdit({ settings: { ...doc.settings, compute: e.target.value } }, 'doc:compute')
          }
        />
      </label>
      {doc.parameters.length > 0 && (
        <div className="mls-DesignerField">
          <span className="mls-DesignerField-name">Pipeline parameters</span>
          {doc.parameters.map(p => (
            <span key={p.name} className="mls-DesignerMuted">
              {p.name} ({p.type}) = {JSON.stringify(p.default)}
            </span>
          ))}
        </div>
      )}
      {problems.map((p, i) => (
        <div key={i} className={`mls-DesignerProblem mls-DesignerProblem-${p.severity}`}>
          {p.message}
        </div>
      ))}
    </div>
  );
}
