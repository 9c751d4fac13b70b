/**
 * jupyter-mlstudio: Azure ML Studio's panels inside JupyterLab.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget } from '@jupyterlab/apputils';
import { LabIcon } from '@jupyterlab/ui-components';
import { EventStream } from './api';
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
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-mlstudio:plugin',
  description: 'Azure Machine Learning Studio, local and open, inside JupyterLab',
  autoStart: true,
  optional: [ICommandPalette, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null
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
        show(`model:${args.name}`, () => createModelView(String(args.name), openRun))
    });
    app.commands.addCommand(CommandIDs.compareRuns, {
      label: 'Compare Runs',
      execute: args => {
        const ids = (args.runIds as string[]) ?? [];
        show(`compare:${ids.join(',')}`, () => createCompareView(ids));
      }
    });

    const sidebar = new StudioSidebar(events, {
      openRun,
      openDataset: name => void app.commands.execute(CommandIDs.openDataset, { name }),
      openModel: name => void app.commands.execute(CommandIDs.openModel, { name }),
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
      for (const command of [CommandIDs.openSidebar, CommandIDs.openRun]) {
        palette.addItem({ command, category: 'ML Studio' });
      }
    }
  }
};

export default plugin;
