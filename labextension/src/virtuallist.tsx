/**
 * A list that renders only the rows in view (fixed row height), and asks for more rows as
 * the user scrolls near the end: 10,000 runs never become 10,000 DOM nodes.
 */
import React, { useRef, useState } from 'react';

interface Props<T> {
  items: T[];
  rowHeight: number;
  height: number;
  total?: number;
  render: (item: T, index: number) => JSX.Element;
  onNeedMore?: () => void;
  className?: string;
}

export function VirtualList<T>(props: Props<T>): JSX.Element {
  const { items, rowHeight, height, render, onNeedMore } = props;
  const [top, setTop] = useState(0);
  const box = useRef<HTMLDivElement>(null);
  const first = Math.max(0, Math.floor(top / rowHeight) - 5);
  const last = Math.min(items.length, Math.ceil((top + height) / rowHeight) + 5);
  const onScroll = (e: React.UIEvent<HTMLDivElement>) => {
    const el = e.currentTarget;
    setTop(el.scrollTop);
    if (onNeedMore && el.scrollTop + el.clientHeight > items.length * rowHeight - 10 * rowHeight) {
      onNeedMore();
    }
  };
  return (
    <div
      ref={box}
      className={`mls-VirtualList ${props.className ?? ''}`}
      style={{ height, overflowY: 'auto', position: 'relative' }}
      onScroll={onScroll}
    >
      <div style={{ height: items.length * rowHeight, position: 'relative' }}>
        {items.slice(first, last).map((item, i) => (
          <div
            key={first + i}
            className="mls-VirtualList-row"
            style={{ position: 'absolute', top: (first + i) * rowHeight, height: rowHeight, left: 0, right: 0 }}
          >
            {render(item, first + i)}
          </div>
        ))}
      </div>
    </div>
  );
}
