/**
 * The endpoint view: state, deployments and traffic, a test console that sends JSON and shows
 * the answer, keys (hidden until asked for), and the endpoint's log.
 */
import React, { useEffect, useState } from 'react';
import { MainAreaWidget } from '@jupyterlab/apputils';
import { ReactWidget } from '@jupyterlab/ui-components';
import { requestAPI, ResponseError } from './api';
import { KeyValues, Section, StatusBadge } from './common';

interface Endpoint {
  name: string;
  state: string;
  computeType: string;
  scoringUri: string;
  swaggerUri: string;
  authEnabled: boolean;
  models: string[];
  traffic: Record<string, number>;
  description: string | null;
  error: { message?: string } | null;
  createdTime: string;
  updatedTime: string;
}

function EndpointView(props: { name: string }): JSX.Element {
  const base = `endpoints/${encodeURIComponent(props.name)}`;
  const [endpoint, setEndpoint] = useState<Endpoint | null>(null);
  const [request, setRequest] = useState('{"data": [[1, 2, 3]]}');
  const [answer, setAnswer] = useState<{ ok: boolean; text: string } | null>(null);
  const [keys, setKeys] = useState<{ primaryKey: string | null; secondaryKey: string | null } | null>(
    null
  );
  const [logs, setLogs] = useState('');
  const [error, setError] = useState('');
  const refresh = () => {
    requestAPI<Endpoint>(base)
      .then(setEndpoint)
      .catch(e => setError(String(e.message ?? e)));
    requestAPI<{ text: string }>(`${base}/logs`, { lines: 300 }).then(l => setLogs(l.text));
  };
  useEffect(refresh, [props.name]);

  const send = async () => {
    try {
      const result = await requestAPI<{ ok: boolean; answer?: unknown; message?: string }>(
        `${base}/test`,
        {},
        { method: 'POST', body: request }
      );
      setAnswer({
        ok: result.ok,
        text: result.ok ? JSON.stringify(result.answer, null, 2) : result.message ?? 'Failed'
      });
    } catch (e) {
      setAnswer({ ok: false, text: e instanceof ResponseError ? e.message : String(e) });
    }
    refresh();
  };

  if (error) {
    return <div className="mls-Error">{error}</div>;
  }
  if (!endpoint) {
    return <div className="mls-Loading">Loading endpoint…</div>;
  }
  return (
    <div className="mls-EndpointView" data-endpoint={endpoint.name} data-state={endpoint.state}>
      <div className="mls-RunView-header">
        <h2>
          {endpoint.name} <span className="mls-RunId">{endpoint.computeType}</span>
        </h2>
        <StatusBadge status={endpoint.state} />
      </div>
      <div className="mls-Grid">
        <Section id="details" title="Details">
          <KeyValues
            values={{
              'Scoring URI': endpoint.scoringUri,
              Swagger: endpoint.swaggerUri,
              Models: endpoint.models.join(', '),
              Traffic: Object.entries(endpoint.traffic)
                .map(([d, t]) => `${d} ${t}%`)
                .join(', '),
              Authentication: endpoint.authEnabled ? 'key' : 'none',
              Updated: endpoint.updatedTime,
              ...(endpoint.error ? { Error: endpoint.error.message ?? '' } : {})
            }}
          />
        </Section>
        <Section id="keys" title="Keys">
          {keys ? (
            <KeyValues
              values={{ Primary: keys.primaryKey ?? '—', Secondary: keys.secondaryKey ?? '—' }}
            />
          ) : (
            <button
              className="jp-mod-styled mls-ShowKeys"
              onClick={() => requestAPI<any>(`${base}/keys`).then(setKeys)}
            >
              Show keys
            </button>
          )}
        </Section>
      </div>
      <Section id="test" title="Test">
        <div className="mls-TestConsole">
          <textarea
            className="mls-TestRequest"
            value={request}
            spellCheck={false}
            onChange={e => setRequest(e.target.value)}
          />
          <div>
            <button className="jp-mod-styled jp-mod-accept mls-TestSend" onClick={() => void send()}>
              Test
            </button>
          </div>
          {answer && (
            <pre className={`mls-TestAnswer ${answer.ok ? 'mls-mod-ok' : 'mls-mod-failed'}`}>
              {answer.text}
            </pre>
          )}
        </div>
      </Section>
      <Section id="logs" title="Logs">
        <pre className="mls-LogText">{logs || 'No log output.'}</pre>
      </Section>
    </div>
  );
}

export function createEndpointView(name: string): MainAreaWidget {
  const content = ReactWidget.create(<EndpointView name={name} />);
  content.addClass('mls-Main');
  const widget = new MainAreaWidget({ content });
  widget.id = `mlstudio-endpoint-${name}`;
  widget.title.label = `Endpoint ${name}`;
  widget.title.closable = true;
  return widget;
}
