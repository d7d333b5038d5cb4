/**
 * One colour per expert id, the same in every image (expert 5 is the same colour on the heatmap,
 * in its legend and on another day). The first 24 ids get hand-picked, well-separated colours;
 * higher ids walk the hue circle by the golden angle at alternating lightness, so neighbouring
 * ids never look alike.
 */

export type Rgb = readonly [number, number, number];

const BASE: readonly Rgb[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
  [174, 199, 232],
  [255, 187, 120],
  [152, 223, 138],
  [255, 152, 150],
  [197, 176, 213],
  [196, 156, 148],
  [247, 182, 210],
  [219, 219, 141],
  [158, 218, 229],
  [0, 83, 138],
  [166, 86, 0],
  [0, 110, 60],
  [130, 0, 40],
  [80, 50, 130],
];

function hslToRgb(h: number, s: number, l: number): Rgb {
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [Math.round(f(0) * 255), Math.round(f(8) * 255), Math.round(f(4) * 255)];
}

export function expertColor(expert: number): Rgb {
  if (expert < BASE.length) return BASE[expert]!;
  const i = expert - BASE.length;
  const hue = (i * 137.508) % 360;
  const lightness = [0.45, 0.62, 0.32][i % 3]!;
  return hslToRgb(hue, 0.7, lightness);
}

export function css([r, g, b]: Rgb): string {
  return `rgb(${r}, ${g}, ${b})`;
}

/** Black or white, whichever reads better on the colour. */
export function textOn([r, g, b]: Rgb): string {
  const luminance = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
  return luminance > 0.6 ? '#111111' : '#ffffff';
}
