/**
 * jupyter-mlstudio: Azure ML Studio's panels inside JupyterLab.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Dialog,
  ICommandPalette,
  InputDialog,
  MainAreaWidget,
  Notification,
  showDialog
} from '@jupyterlab/apputils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { LabIcon } from '@jupyterlab/ui-components';
import { EventStream, requestAPI, ResponseError } from './api';
import { designerPlugin } from './designer/plugin';
import { createEndpointView } from './endpointview';
import { createRunView } from './runview';
import { StudioSidebar } from './sidebar';
import { createCompareView, createDatasetView, createModelView } from './views';

const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
  '<path d="M12 2 3 7v10l9 5 9-5V7l-9-5zm0 2.3L18.7 8 12 11.7 5.3 8 12 4.3zM5 9.7l6 3.3v6.7l-6-3.3V9.7zm8 10V13l6-3.3v6.7l-6 3.3z"/>' +
  '</g></svg>';
export const studioIcon = new LabIcon({ name: 'mlstudio:icon', svgstr: ICON_SVG });

namespace CommandIDs {
  export const openSidebar = 'mlstudio:open-sidebar';
  export const openRun = 'mlstudio:open-run';
  export const openDataset = 'mlstudio:open-dataset';
  export const openModel = 'mlstudio:open-model';
  export const compareRuns = 'mlstudio:compare-runs';
  export const openEndpoint = 'mlstudio:open-endpoint';
  export const deployModel = 'mlstudio:deploy-model';
  export const deleteExperiment = 'mlstudio:delete-experiment';
  export const registerDataset = 'mlstudio:register-dataset';
  export const submitJob = 'mlstudio:submit-job';
}

const DATA_FILE = /\.(csv|tsv|parquet|pq)$/i;
const JOB_FILE = /\.(py|ipynb)$/i;

function stem(path: string): string {
  const base = path.split('/').pop() ?? path;
  return base.replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9_.-]/g, '_');
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-mlstudio:plugin',
  description: 'Azure Machine Learning Studio, local and open, inside JupyterLab',
  autoStart: true,
  optional: [ICommandPalette, ILayoutRestorer, IFileBrowserFactory],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    browsers: IFileBrowserFactory | null
  ) => {
    const events = new EventStream();
    events.connect();
    const open = new Map<string, MainAreaWidget>();
    const show = (id: string, make: () => MainAreaWidget) => {
      let widget = open.get(id);
      if (!widget || widget.isDisposed) {
        widget = make();
        open.set(id, widget);
        app.shell.add(widget, 'main');
      }
      app.shell.activateById(widget.id);
    };
    const failed = (e: unknown) =>
      Notification.error(e instanceof ResponseError ? e.message : String(e), { autoClose: 8000 });
    const openRun = (runId: string) =>
      void app.commands.execute(CommandIDs.openRun, { runId });

    app.commands.addCommand(CommandIDs.openRun, {
      label: args => (args.runId ? `Open Run ${args.runId}` : 'Open Run…'),
      execute: async args => {
        let runId = args.runId as string | undefined;
        if (!runId) {
          const { InputDialog } = await import('@jupyterlab/apputils');
          runId = (await InputDialog.getText({ title: 'Run id' })).value ?? undefined;
        }
        if (runId) {
          show(`run:${runId}`, () => createRunView(runId!, events, openRun));
        }
      }
    });
    app.commands.addCommand(CommandIDs.openDataset, {
      label: args => `Open Dataset ${args.name ?? ''}`,
      execute: args => show(`dataset:${args.name}`, () => createDatasetView(String(args.name)))
    });
    app.commands.addCommand(CommandIDs.openModel, {
      label: args => `Open Model ${args.name ?? ''}`,
      execute: args =>
        show(`model:${args.name}`, () =>
          createModelView(String(args.name), openRun, (model, version) =>
            void app.commands.execute(CommandIDs.deployModel, { model, version })
          )
        )
    });
    app.commands.addCommand(CommandIDs.deployModel, {
      label: 'Deploy Model…',
      execute: async args => {
        const model = String(args.model ?? '');
        const endpoint = await InputDialog.getText({
          title: `Deploy ${model}: endpoint name`,
          text: `${model}-svc`.replace(/[^A-Za-z0-9-]/g, '-').toLowerCase()
        });
        if (!endpoint.button.accept || !endpoint.value) {
          return;
        }
        const script = await InputDialog.getText({
          title: 'Scoring script (init() and run()), relative to the server folder',
          text: 'score.py'
        });
        if (!script.button.accept || !script.value) {
          return;
        }
        try {
          await requestAPI(
            `models/${encodeURIComponent(model)}/deploy`,
            {},
            {
              method: 'POST',
              body: JSON.stringify({
                endpoint: endpoint.value,
                entry_script: script.value,
                version: args.version
              })
            }
          );
          await app.commands.execute(CommandIDs.openEndpoint, { name: endpoint.value });
        } catch (e) {
          failed(e);
        }
      }
    });
    app.commands.addCommand(CommandIDs.deleteExperiment, {
      label: 'Delete Experiment Permanently…',
      execute: async args => {
        let name = args.name as string | undefined;
        if (!name) {
          name = (await InputDialog.getText({ title: 'Experiment to delete' })).value ?? '';
        }
        if (!name) {
          return;
        }
        const answer = await showDialog({
          title: 'Delete experiment permanently?',
          body: `Experiment ${name}, all its runs, their metrics and files will be deleted. Its name can then be used again. This cannot be undone.`,
          buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Delete' })]
        });
        if (!answer.button.accept) {
          return;
        }
        try {
          const done = await requestAPI<{ deleted: string[] }>(
            `experiments/${encodeURIComponent(name)}`,
            {},
            { method: 'DELETE' }
          );
          done.deleted.forEach(runId => events.emit({ type: 'run_deleted', runId }));
          Notification.success(`Deleted experiment ${name} (${done.deleted.length} runs)`, {
            autoClose: 4000
          });
        } catch (e) {
          failed(e);
        }
      }
    });
    app.commands.addCommand(CommandIDs.compareRuns, {
      label: 'Compare Runs',
      execute: args => {
        const ids = (args.runIds as string[]) ?? [];
        show(`compare:${ids.join(',')}`, () => createCompareView(ids));
      }
    });

    app.commands.addCommand(CommandIDs.openEndpoint, {
      label: args => `Open Endpoint ${args.name ?? ''}`,
      execute: args => show(`endpoint:${args.name}`, () => createEndpointView(String(args.name)))
    });

    // File browser: "Register as dataset" on CSV/Parquet, "Submit as job" on .py/.ipynb.
    const selectedPath = (): string | null => {
      const item = browsers?.tracker.currentWidget?.selectedItems().next();
      return item && !item.done && item.value.type !== 'directory' ? item.value.path : null;
    };
    app.commands.addCommand(CommandIDs.registerDataset, {
      label: 'Register as Dataset',
      icon: studioIcon,
      isVisible: () => DATA_FILE.test(selectedPath() ?? ''),
      execute: async args => {
        const path = (args.path as string) ?? selectedPath();
        if (!path) {
          return;
        }
        const name = await InputDialog.getText({ title: 'Dataset name', text: stem(path) });
        if (!name.button.accept || !name.value) {
          return;
        }
        try {
          const made = await requestAPI<{ name: string; version: number }>(
            'datasets',
            {},
            { method: 'POST', body: JSON.stringify({ path, name: name.value }) }
          );
          Notification.success(`Registered dataset ${made.name} version ${made.version}`, {
            autoClose: 4000
          });
          await app.commands.execute(CommandIDs.openDataset, { name: made.name });
        } catch (e) {
          failed(e);
        }
      }
    });
    app.commands.addCommand(CommandIDs.submitJob, {
      label: 'Submit as Job',
      icon: studioIcon,
      isVisible: () => JOB_FILE.test(selectedPath() ?? ''),
      execute: async args => {
        const path = (args.path as string) ?? selectedPath();
        if (!path) {
          return;
        }
        const experiment = await InputDialog.getText({
          title: 'Experiment',
          text: stem(path)
        });
        if (!experiment.button.accept || !experiment.value) {
          return;
        }
        try {
          const made = await requestAPI<{ runId: string }>(
            'runs',
            {},
            { method: 'POST', body: JSON.stringify({ path, experiment: experiment.value }) }
          );
          await app.commands.execute(CommandIDs.openRun, { runId: made.runId });
        } catch (e) {
          failed(e);
        }
      }
    });
    for (const [command, rank] of [
      [CommandIDs.registerDataset, 20],
      [CommandIDs.submitJob, 21]
    ] as const) {
      app.contextMenu.addItem({
        command,
        selector: '.jp-DirListing-item[data-isdir="false"]',
        rank
      });
    }

    const sidebar = new StudioSidebar(events, {
      openRun,
      openDataset: name => void app.commands.execute(CommandIDs.openDataset, { name }),
      openModel: name => void app.commands.execute(CommandIDs.openModel, { name }),
      openEndpoint: name => void app.commands.execute(CommandIDs.openEndpoint, { name }),
      compareRuns: runIds => void app.commands.execute(CommandIDs.compareRuns, { runIds })
    });
    sidebar.title.icon = studioIcon;
    sidebar.title.caption = 'ML Studio';
    app.shell.add(sidebar, 'left', { rank: 850 });
    restorer?.add(sidebar, 'mlstudio-sidebar');

    app.commands.addCommand(CommandIDs.openSidebar, {
      label: 'Show ML Studio',
      execute: () => app.shell.activateById(sidebar.id)
    });
    if (palette) {
      for (const command of [
        CommandIDs.openSidebar,
        CommandIDs.openRun,
        CommandIDs.deleteExperiment
      ]) {
        palette.addItem({ command, category: 'ML Studio' });
      }
    }
  }
};

export default [plugin, designerPlugin];
