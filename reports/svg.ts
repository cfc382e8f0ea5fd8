// Static charts rendered in Node by vega's headless View (no browser): SVG always; PNG when the optional
// "canvas" package is installed (vega draws PNGs through node-canvas).
// vega and vega-lite are loaded on the first chart only: importing them costs every CLI start over a second of CPU
import type * as Vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';

export class MissingOptionalPackageError extends Error {
  override name = 'MissingOptionalPackageError';
}

async function viewOf(spec: TopLevelSpec): Promise<Vega.View> {
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = compile(spec).spec;
  return new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Warn });
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = await viewOf(spec);
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** PNG at `scale`× (2 = crisp on high-DPI screens). Throws MissingOptionalPackageError without node-canvas. */
export async function renderPng(spec: TopLevelSpec, scale = 2): Promise<Buffer> {
  const optional = 'canvas'; // a variable, so TypeScript does not require the optional package's types
  try {
    await import(optional);
  } catch {
    throw new MissingOptionalPackageError(
      'PNG output needs the optional package "canvas" (node-canvas), which is not installed: ' +
        '`npm install canvas` (it builds against cairo: apt-get install libcairo2-dev libpango1.0-dev libjpeg-dev libgif-dev librsvg2-dev). ' +
        'Use --format svg for static charts without it.',
    );
  }
  const view = await viewOf(spec);
  try {
    const canvas = (await view.toCanvas(scale)) as unknown as { toBuffer(mime: string): Buffer };
    return canvas.toBuffer('image/png');
  } finally {
    view.finalize();
  }
}
