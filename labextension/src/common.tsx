/** Small pieces shared by the panels: status badges, times, sections. */
import React, { useState } from 'react';
import { caretDownIcon, caretRightIcon } from '@jupyterlab/ui-components';

export function StatusBadge({ status }: { status: string }): JSX.Element {
  return (
    <span className={`mls-Status mls-Status-${status}`} data-status={status} title={status}>
      {status}
    </span>
  );
}

export function when(ts: number | null | undefined): string {
  if (!ts) {
    return '';
  }
  return new Date(ts * 1000).toLocaleString();
}

export function duration(start: number | null, end: number | null): string {
  if (!start) {
    return '';
  }
  const seconds = Math.max(0, (end ?? Date.now() / 1000) - start);
  if (seconds < 60) {
    return `${seconds.toFixed(1)} s`;
  }
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m} min ${Math.round(seconds % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function Section(props: {
  title: string;
  count?: number;
  id: string;
  children: React.ReactNode;
  open?: boolean;
}): JSX.Element {
  const [open, setOpen] = useState(props.open ?? true);
  const Icon = open ? caretDownIcon : caretRightIcon;
  return (
    <div className="mls-Section" data-section={props.id}>
      <div className="mls-Section-header" onClick={() => setOpen(!open)}>
        <Icon.react tag="span" className="mls-Section-caret" />
        <span className="mls-Section-title">{props.title}</span>
        {props.count !== undefined && <span className="mls-Section-count">{props.count}</span>}
      </div>
      {open && <div className="mls-Section-body">{props.children}</div>}
    </div>
  );
}

export function KeyValues({ values }: { values: Record<string, unknown> }): JSX.Element {
  const entries = Object.entries(values);
  if (!entries.length) {
    return <div className="mls-Empty">None</div>;
  }
  return (
    <table className="mls-Table mls-KeyValues">
      <tbody>
        {entries.map(([k, v]) => (
          <tr key={k}>
            <th>{k}</th>
            <td>{typeof v === 'object' ? JSON.stringify(v) : String(v)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
