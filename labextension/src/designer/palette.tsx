/**
 * The component palette: search, categories, drag an entry onto the canvas (or double-click).
 */
import * as React from 'react';
import { ComponentInfo } from './types';

export const DRAG_TYPE = 'application/x-mlstudio-component';

export function Palette(props: {
  components: ComponentInfo[] | null;
  error: string | null;
  onAdd: (index: number) => void;
}): JSX.Element {
  const { components, error, onAdd } = props;
  const [query, setQuery] = React.useState('');
  const groups = React.useMemo(() => {
    const q = query.trim().toLowerCase();
    const found = new Map<string, { comp: ComponentInfo; index: number }[]>();
    (components ?? []).forEach((comp, index) => {
      const text = `${comp.name} ${comp.category} ${comp.description}`.toLowerCase();
      if (q && !text.includes(q)) {
        return;
      }
      const list = found.get(comp.category) ?? [];
      list.push({ comp, index });
      found.set(comp.category, list);
    });
    return [...found.entries()];
  }, [components, query]);
  return (
    <div className="mls-DesignerPalette">
      <input
        className="mls-DesignerPalette-search jp-mod-styled"
        placeholder="Search components"
        value={query}
        onChange={e => setQuery(e.target.value)}
      />
      {error && <div className="mls-DesignerError">{error}</div>}
      {components === null && !error && <div className="mls-DesignerMuted">Loading…</div>}
      <div className="mls-DesignerPalette-list">
        {groups.map(([category, items]) => (
          <details key={category} open className="mls-DesignerPalette-group">
            <summary>
              {category} <span className="mls-DesignerMuted">{items.length}</span>
            </summary>
            {items.map(({ comp, index }) => (
              <div
                key={`${comp.ref}:${comp.name}`}
                className="mls-DesignerPalette-item"
                draggable
                data-name={comp.name}
                title={comp.description}
                onDragStart={e => {
                  e.dataTransfer.setData(DRAG_TYPE, String(index));
                  e.dataTransfer.effectAllowed = 'copy';
                }}
                onDoubleClick={() => onAdd(index)}
              >
                {comp.name}
              </div>
            ))}
          </details>
        ))}
        {components !== null && groups.length === 0 && (
          <div className="mls-DesignerMuted">No component matches “{query}”.</div>
        )}
      </div>
    </div>
  );
}
