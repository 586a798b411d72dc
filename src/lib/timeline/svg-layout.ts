/**
 * Geometry for the SVG export, kept apart from the markup so it can be tested alone: a time scale
 * with "nice" labelled ticks, and the staggering of event labels into lanes so no two overlap.
 */

export interface Scale {
  x(t: number): number;
  t0: number;
  t1: number;
  left: number;
  right: number;
}

export function timeScale(t0: number, t1: number, left: number, right: number): Scale {
  // Pad so marks at the ends are not cut; a zero-length window still gets a visible span.
  const span = Math.max(t1 - t0, 1000);
  const pad = span * 0.03;
  const a = t0 - pad,
    b = t0 + span + pad;
  return { x: (t) => left + ((t - a) / (b - a)) * (right - left), t0: a, t1: b, left, right };
}

const STEPS_MS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000,
  900_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000, 172_800_000, 604_800_000,
];

export interface Tick {
  t: number;
  x: number;
  label: string;
}

/** Ticks at round UTC times, about `target` of them, labelled at the precision their step needs. */
export function ticks(scale: Scale, target = 8): Tick[] {
  const span = scale.t1 - scale.t0;
  const step = STEPS_MS.find((s) => span / s <= target) ?? STEPS_MS.at(-1)!;
  const first = Math.ceil(scale.t0 / step) * step;
  const multiDay = new Date(scale.t0).toISOString().slice(0, 10) !== new Date(scale.t1).toISOString().slice(0, 10);
  const out: Tick[] = [];
  for (let t = first; t <= scale.t1 && out.length < 200; t += step) {
    const iso = new Date(t).toISOString();
    let label = step < 1000 ? iso.slice(11, 23) : step < 60_000 ? iso.slice(11, 19) : iso.slice(11, 16);
    if (step >= 86_400_000) label = iso.slice(5, 10);
    else if (multiDay) label = `${iso.slice(5, 10)} ${label}`;
    out.push({ t, x: scale.x(t), label });
  }
  return out;
}

export interface LabelBox {
  index: number;
  x: number;
  width: number;
  anchor: 'start' | 'end';
  lane: number;
}

/**
 * Places labels (already ordered by x) into the first lane whose last label ends before this one
 * starts; a label that would run past `right` is anchored at its end instead. Labels that find no
 * lane within `maxLanes` are left out (their marks stay, with a tooltip).
 */
export function staggerLabels(
  items: Array<{ x: number; width: number }>,
  right: number,
  maxLanes: number,
  gap = 6,
): { placed: LabelBox[]; lanes: number; dropped: number } {
  const laneEnds: number[] = [];
  const placed: LabelBox[] = [];
  let dropped = 0;
  items.forEach((it, index) => {
    const anchor: LabelBox['anchor'] = it.x + 4 + it.width > right ? 'end' : 'start';
    const from = anchor === 'start' ? it.x : it.x - it.width - 4;
    const to = anchor === 'start' ? it.x + it.width + 4 : it.x;
    let lane = laneEnds.findIndex((end) => end + gap <= from);
    if (lane < 0 && laneEnds.length < maxLanes) {
      lane = laneEnds.length;
      laneEnds.push(-Infinity);
    }
    if (lane < 0) {
      dropped += 1;
      return;
    }
    laneEnds[lane] = to;
    placed.push({ index, x: it.x, width: it.width, anchor, lane });
  });
  return { placed, lanes: laneEnds.length, dropped };
}

/** Rough width of text at 11px sans-serif: close enough to keep labels apart. */
export const textWidth = (text: string, px = 11): number => Math.ceil(text.length * px * 0.58);
