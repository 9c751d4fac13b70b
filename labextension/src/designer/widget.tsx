/**
 * The `.mlpipeline` document widget: the designer canvas over a JupyterLab text model.
 */
import { InputDialog, Notification, ReactWidget } from '@jupyterlab/apputils';
import {
  ABCWidgetFactory,
  DocumentRegistry,
  DocumentWidget
} from '@jupyterlab/docregistry';
import * as React from 'react';
import { StudioEvent } from '../api';
import { refreshPalette } from './api';
import { DesignerHost, DesignerRoot } from './canvas';

/** What the designer needs from the rest of JupyterLab. */
export interface DesignerServices {
  openRun(runId: string): void;
  openDocument(path: string, arrange?: boolean): Promise<void>;
  subscribe(listener: (event: StudioEvent) => void): () => void;
}

export const FACTORY = 'ML Designer';
export const FILE_TYPE = 'mlpipeline';

/** The canvas; remounted when the file changes under it (revert, reload from disk). */
export class DesignerView extends ReactWidget {
  private text = '';
  private generation = 0;
  private readonly host: DesignerHost;

  constructor(
    private readonly context: DocumentRegistry.Context,
    services: DesignerServices
  ) {
    super();
    this.addClass('mls-DesignerView');
    // Asked for while the file loads, so the nodes show with their ports at first render.
    refreshPalette().catch(() => undefined);
    this.host = {
      path: () => this.context.path,
      write: text => {
        this.text = text;
        this.context.model.fromString(text);
        // A text model does not mark itself dirty on a programmatic change.
        this.context.model.dirty = true;
      },
      askExperiment: async suggestion => {
        const answer = await InputDialog.getText({
          title: 'Submit pipeline: experiment name',
          text: suggestion,
          okLabel: 'Submit'
        });
        return answer.button.accept && answer.value ? answer.value.trim() : null;
      },
      askParameters: async declared => {
        const values: Record<string, unknown> = {};
        for (const p of declared) {
          const title = `Pipeline parameter ${p.name} (${p.type})`;
          if (p.type === 'bool') {
            const answer = await InputDialog.getBoolean({ title, value: Boolean(p.default) });
            if (!answer.button.accept) {
              return null;
            }
            values[p.name] = answer.value;
          } else if (p.type === 'int' || p.type === 'float') {
            const answer = await InputDialog.getNumber({ title, value: Number(p.default) });
            if (!answer.button.accept || answer.value === null) {
              return null;
            }
            values[p.name] = p.type === 'int' ? Math.round(answer.value) : answer.value;
          } else {
            const answer = await InputDialog.getText({ title, text: String(p.default ?? '') });
            if (!answer.button.accept || answer.value === null) {
              return null;
            }
            values[p.name] = answer.value;
          }
        }
        return values;
      },
      askText: async (title, suggestion, okLabel) => {
        const answer = await InputDialog.getText({ title, text: suggestion, okLabel });
        return answer.button.accept && answer.value !== null ? answer.value.trim() : null;
      },
      openRun: runId => services.openRun(runId),
      openDocument: (path, arrange) => services.openDocument(path, arrange),
      save: () => this.context.save(),
      subscribe: listener => services.subscribe(listener),
      notifyError: text => Notification.error(text, { autoClose: 8000 }),
      notify: text => Notification.success(text, { autoClose: 8000 })
    };
    void context.ready.then(() => {
      this.text = context.model.toString();
      this.update();
    });
    context.model.contentChanged.connect(this.onContent, this);
  }

  private onContent(): void {
    const text = this.context.model.toString();
    if (text !== this.text) {
      this.text = text;
      this.generation += 1;
      this.update();
    }
  }

  render(): JSX.Element {
    if (!this.context.isReady) {
      return <div className="mls-DesignerMuted">Loading…</div>;
    }
    return (
      <DesignerRoot
        key={this.generation}
        initialText={this.text}
        host={this.host}
        size={{ width: this.node.clientWidth, height: this.node.clientHeight }}
      />
    );
  }
}

export class DesignerWidget extends DocumentWidget<DesignerView> {}

export class DesignerFactory extends ABCWidgetFactory<DesignerWidget, DocumentRegistry.IModel> {
  constructor(
    options: DocumentRegistry.IWidgetFactoryOptions<DesignerWidget>,
    private readonly services: DesignerServices
  ) {
    super(options);
  }

  protected createNewWidget(context: DocumentRegistry.Context): DesignerWidget {
    const content = new DesignerView(context, this.services);
    const widget = new DesignerWidget({ context, content });
    widget.addClass('mls-DesignerWidget');
    return widget;
  }
}

