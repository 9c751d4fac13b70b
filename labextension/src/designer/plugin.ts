/**
 * The designer's registration: the `.mlpipeline` file type, its canvas as the default
 * editor, and a "New Designer Pipeline" command in the launcher, palette and File > New.
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { LabIcon } from '@jupyterlab/ui-components';
import '@xyflow/react/dist/style.css';
import { EventStream } from '../api';
import { autoLayout } from './layout';
import { emptyDocument, parseDocument, serializeDocument } from './types';
import { DesignerFactory, FACTORY, FILE_TYPE } from './widget';

const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
  '<path d="M3 3h7v5H3zM14 3h7v5h-7zM8.5 16h7v5h-7zM6 8h1.5v3.2h9V8H18v4.7h-5.2V16h-1.5v-3.3H6z"/>' +
  '</g></svg>';
export const designerIcon = new LabIcon({ name: 'mlstudio:designer', svgstr: ICON_SVG });

export const NEW_PIPELINE = 'mlstudio:new-designer-pipeline';

export const designerPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-mlstudio:designer',
  description: 'The ML Studio designer: drag-and-drop pipelines of notebook components',
  autoStart: true,
  optional: [ILauncher, ICommandPalette, IFileBrowserFactory],
  activate: (
    app: JupyterFrontEnd,
    launcher: ILauncher | null,
    palette: ICommandPalette | null,
    browsers: IFileBrowserFactory | null
  ) => {
    let events: EventStream | null = null;
    app.docRegistry.addFileType({
      name: FILE_TYPE,
      displayName: 'Designer Pipeline',
      extensions: ['.mlpipeline'],
      mimeTypes: ['application/json'],
      fileFormat: 'text',
      contentType: 'file',
      icon: designerIcon
    });
    const factory = new DesignerFactory(
      {
        name: FACTORY,
        label: 'ML Designer',
        fileTypes: [FILE_TYPE],
        defaultFor: [FILE_TYPE],
        modelName: 'text'
      },
      {
        openRun: runId => void app.commands.execute('mlstudio:open-run', { runId }),
        openDocument: async (path, arrange) => {
          if (arrange) {
            // A generated document (an inference pipeline) gets its nodes laid out in layers.
            const contents = app.serviceManager.contents;
            const file = await contents.get(path, { type: 'file', format: 'text', content: true });
            const doc = autoLayout(parseDocument(String(file.content), ''));
            await contents.save(path, {
              type: 'file',
              format: 'text',
              content: serializeDocument(doc)
            });
          }
          await app.commands.execute('docmanager:open', { path, factory: FACTORY });
        },
        subscribe: listener => {
          // One events socket for every designer, opened when the first one listens.
          if (!events) {
            events = new EventStream();
            events.connect();
          }
          return events.subscribe(listener);
        }
      }
    );
    factory.widgetCreated.connect((_, widget) => {
      widget.title.icon = designerIcon;
    });
    app.docRegistry.addWidgetFactory(factory);

    app.commands.addCommand(NEW_PIPELINE, {
      label: args => (args.isPalette ? 'New Designer Pipeline' : 'Designer Pipeline'),
      caption: 'A new drag-and-drop pipeline of notebook components (.mlpipeline)',
      icon: args => (args.isPalette ? undefined : designerIcon),
      execute: async args => {
        const cwd =
          (args.cwd as string | undefined) ?? browsers?.tracker.currentWidget?.model.path ?? '';
        const contents = app.serviceManager.contents;
        const made = await contents.newUntitled({ path: cwd, type: 'file', ext: '.mlpipeline' });
        const name = made.name.replace(/\.mlpipeline$/, '');
        await contents.save(made.path, {
          type: 'file',
          format: 'text',
          content: serializeDocument(emptyDocument(name))
        });
        return app.commands.execute('docmanager:open', { path: made.path, factory: FACTORY });
      }
    });
    launcher?.add({ command: NEW_PIPELINE, category: 'Other', rank: 10 });
    palette?.addItem({ command: NEW_PIPELINE, category: 'ML Studio', args: { isPalette: true } });
  }
};
