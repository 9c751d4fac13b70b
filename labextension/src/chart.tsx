/**
 * Metric charts drawn by uPlot: several series overlaid on one step axis, colours from the
 * JupyterLab theme, drag to zoom (the caller loads full resolution for the range), double
 * click to zoom out.
 */
import React, { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';

export interface ChartSeries {
  label: string;
  steps: number[];
  values: (number | null)[];
}

interface Props {
  title: string;
  series: ChartSeries[];
  height?: number;
  onZoom?: (range: [number, number] | null) => void;
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2'];

function themeColor(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value || fallback;
}

/** One x axis for all series (uPlot wants aligned data): the union of their steps. */
function align(series: ChartSeries[]): uPlot.AlignedData {
  if (series.length === 1) {
    return [series[0].steps, series[0].values] as uPlot.AlignedData;
  }
  return uPlot.join(
    series.map(s => [s.steps, s.values] as uPlot.AlignedData)
  ) as uPlot.AlignedData;
}

/** The JupyterLab theme's name, updated when the user switches themes. */
function useThemeName(): string {
  const [name, setName] = useState(document.body.dataset.jpThemeName ?? '');
  useEffect(() => {
    const watch = new MutationObserver(() => setName(document.body.dataset.jpThemeName ?? ''));
    watch.observe(document.body, { attributes: true, attributeFilter: ['data-jp-theme-name'] });
    return () => watch.disconnect();
  }, []);
  return name;
}

export function MetricChart({ title, series, height = 220, onZoom }: Props): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const zoomRef = useRef(onZoom);
  zoomRef.current = onZoom;
  const shape = series.map(s => s.label).join('\u0000');
  const theme = useThemeName(); // canvas colours are read once: rebuild on a theme change

  // Build the chart when the set of series changes; later data only calls setData.
  useEffect(() => {
    const el = box.current;
    if (!el || series.length === 0) {
      return;
    }
    const axis = themeColor('--jp-ui-font-color2', '#666');
    const grid = themeColor('--jp-border-color2', '#ddd');
    const opts: uPlot.Options = {
      title,
      width: Math.max(200, el.clientWidth || 400),
      height,
      scales: { x: { time: false } },
      cursor: { drag: { x: true, y: false } },
      legend: { show: series.length > 1 },
      axes: [
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: 60 }
      ],
      series: [
        { label: 'step' },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: PALETTE[i % PALETTE.length],
          width: 1.5,
          spanGaps: true,
          points: { show: s.steps.length < 60 }
        }))
      ],
      hooks: {
        setSelect: [
          (u: uPlot) => {
            if (u.select.width > 2) {
              const lo = Math.floor(u.posToVal(u.select.left, 'x'));
              const hi = Math.ceil(u.posToVal(u.select.left + u.select.width, 'x'));
              zoomRef.current?.([lo, hi]);
            }
          }
        ]
      }
    };
    const chart = new uPlot(opts, align(series), el);
    plot.current = chart;
    const over = chart.over;
    const reset = () => zoomRef.current?.(null);
    over.addEventListener('dblclick', reset);
    const resize = new ResizeObserver(() => {
      const width = el.clientWidth;
      if (width > 0 && Math.abs(width - chart.width) > 4) {
        chart.setSize({ width, height });
      }
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      over.removeEventListener('dblclick', reset);
      chart.destroy();
      plot.current = null;
    };
  }, [shape, title, height, theme]);

  useEffect(() => {
    if (series.length) {
      plot.current?.setData(align(series));
    }
  }, [series]);

  return <div className="mls-Chart" ref={box} data-title={title} />;
}
