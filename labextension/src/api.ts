/**
 * One typed door to the studio's REST API and its live events websocket.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

const API = ['mlstudio', 'api', 'v1'];

/** An error answered by the studio API: `{message, reason, hint}`. */
export class ResponseError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason: string,
    readonly hint?: string
  ) {
    super(message);
  }
}

export type Query = Record<string, string | number | boolean | undefined>;

export function apiUrl(path: string, query: Query = {}): string {
  const settings = ServerConnection.makeSettings();
  const params = Object.entries(query)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  const url = URLExt.join(settings.baseUrl, ...API, path);
  return params ? `${url}?${params}` : url;
}

export async function requestAPI<T>(
  path: string,
  query: Query = {},
  init: RequestInit = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const response = await ServerConnection.makeRequest(apiUrl(path, query), init, settings);
  const text = await response.text();
  let body: any = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = { message: text };
  }
  if (!response.ok) {
    throw new ResponseError(
      response.status,
      body?.message ?? response.statusText,
      body?.reason ?? '',
      body?.hint ?? undefined
    );
  }
  return body as T;
}

/** An artifact's URL with the token, for <img> and download links. */
export function artifactUrl(runId: string, path: string, download = false): string {
  const settings = ServerConnection.makeSettings();
  const query: Query = { path };
  if (download) {
    query.download = 1;
  }
  if (settings.token) {
    query.token = settings.token;
  }
  return apiUrl(`runs/${encodeURIComponent(runId)}/artifacts/content`, query);
}

export interface StudioEvent {
  type: 'hello' | 'run' | 'metrics' | 'log' | 'resync' | 'run_deleted' | 'error';
  runId?: string;
  experiment?: string;
  parentRunId?: string | null;
  status?: string;
  new?: boolean;
  key?: string;
  steps?: number[];
  values?: (number | null)[];
  name?: string;
  text?: string;
  offset?: number;
  message?: string;
}

type Listener = (event: StudioEvent) => void;

/**
 * The live events socket, shared by every panel; reconnects after a drop.
 */
export class EventStream {
  private socket: WebSocket | null = null;
  private listeners = new Set<Listener>();
  private follows = new Map<string, number | undefined>();
  private closed = false;
  private retry = 1000;

  connect(): void {
    const settings = ServerConnection.makeSettings();
    let url = URLExt.join(settings.wsUrl, ...API, 'events');
    if (settings.token) {
      url += `?token=${encodeURIComponent(settings.token)}`;
    }
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => {
      this.retry = 1000;
      for (const [runId, offset] of this.follows) {
        this.sendFollow(runId, offset);
      }
    };
    socket.onmessage = msg => {
      const body = JSON.parse(msg.data) as { events: StudioEvent[] };
      for (const event of body.events) {
        this.listeners.forEach(l => l(event));
      }
    };
    socket.onclose = () => {
      this.socket = null;
      if (!this.closed) {
        window.setTimeout(() => this.connect(), this.retry);
        this.retry = Math.min(this.retry * 2, 30000);
      }
    };
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tell every panel about a change made here (a deletion, say) without waiting for a poll. */
  emit(event: StudioEvent): void {
    this.listeners.forEach(l => l(event));
  }

  followLog(runId: string, offset?: number): void {
    this.follows.set(runId, offset);
    this.sendFollow(runId, offset);
  }

  unfollowLog(runId: string): void {
    this.follows.delete(runId);
    this.socket?.readyState === WebSocket.OPEN &&
      this.socket.send(JSON.stringify({ type: 'unfollow_log', runId }));
  }

  dispose(): void {
    this.closed = true;
    this.socket?.close();
  }

  private sendFollow(runId: string, offset?: number): void {
    if (this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify({ type: 'follow_log', runId, offset }));
    }
  }
}
